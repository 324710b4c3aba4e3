package integration

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/store"
)

// bin is the sesame binary built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	// The tests mostly wait on child processes (a mail retry, a slow
	// SMTP server), so they run together rather than GOMAXPROCS at
	// a time, unless -parallel says otherwise.
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", "8")
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// go test runs this binary in the package's directory; the module
	// root is where go.mod is.
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if err != nil || !filepath.IsAbs(root) {
		fmt.Fprintf(os.Stderr, "integration: cannot find the module root (go env GOMOD: %q, %v)\n", gomod, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "sesame-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// The read-only test runs the binary as another user, who must be
	// able to reach it.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	bin = filepath.Join(dir, "sesame")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "integration: go build in %s: %v\n%s", root, err, out)
		return 1
	}
	return m.Run()
}

// cleanEnv is the test's environment without SESAME_* variables, so a
// developer's settings never change what the binary does here.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SESAME_") {
			env = append(env, kv)
		}
	}
	return env
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond every 50 ms until it returns true or the deadline
// passes; then it fails the test with what.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logBuf collects a child's output; safe for concurrent use.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// cli runs a sesame admin command to completion and returns its
// combined output and exit status.
func cli(t testing.TB, stdin string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("sesame %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("sesame %s: still running after 30 s\n%s", strings.Join(args, " "), out)
	}
	return string(out), code
}

// mustCLI is cli for a command that must succeed.
func mustCLI(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	out, code := cli(t, stdin, args...)
	if code != 0 {
		t.Fatalf("sesame %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

var queueLine = regexp.MustCompile(`(\d+) pending, (\d+) sent, (\d+) failed`)

// queueCounts is the last line of `sesame mail queue`, and its output.
type queueCounts struct {
	Pending, Sent, Failed int
	Out                   string
}

func mailQueue(t testing.TB, data string) queueCounts {
	t.Helper()
	out := mustCLI(t, "", "mail", "queue", "--data", data)
	m := queueLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("sesame mail queue: no summary line in\n%s", out)
	}
	var q queueCounts
	q.Pending, _ = strconv.Atoi(m[1])
	q.Sent, _ = strconv.Atoi(m[2])
	q.Failed, _ = strconv.Atoi(m[3])
	q.Out = out
	return q
}

// importAccounts creates n accounts prefix01…, with the addresses
// prefix01@example.org…, and returns their identifiers and addresses.
func importAccounts(t testing.TB, data, prefix string, n int) (ids, emails []string) {
	t.Helper()
	var csv strings.Builder
	csv.WriteString("identifiant;nom;prénom;e-mail;langue\n")
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("%s%02d", prefix, i)
		email := id + "@example.org"
		// Letters only (AA, AB, … ZZ): a first name is a name, and the
		// names rule refuses the punctuation that follows 'Z' in ASCII.
		first := string([]rune{'A' + rune((i-1)/26%26), 'A' + rune((i-1)%26)})
		fmt.Fprintf(&csv, "%s;Testeur;Parent%s;%s;fr\n", id, first, email)
		ids = append(ids, id)
		emails = append(emails, email)
	}
	file := filepath.Join(t.TempDir(), "parents.csv")
	if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	// Only serve creates a data file (issue 12); a test importing before
	// the first start makes it as serve would.
	if _, err := os.Stat(data); errors.Is(err, os.ErrNotExist) {
		st, err := store.Create(data, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
	out := mustCLI(t, "", "accounts", "--data", data, "import", file)
	if !strings.Contains(out, fmt.Sprintf("created %d", n)) {
		t.Fatalf("import: unexpected output\n%s", out)
	}
	return ids, emails
}

// checkBolt opens the data file directly (no server may hold it) and
// runs bbolt's consistency check over every page.
func checkBolt(t testing.TB, data string) {
	t.Helper()
	db, err := bolt.Open(data, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("data file %s does not open: %v", data, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		var errs []error
		for e := range tx.Check() {
			errs = append(errs, e)
		}
		return errors.Join(errs...)
	})
	if err != nil {
		t.Fatalf("data file %s is corrupt: %v", data, err)
	}
}

// sesame is one data file served by successive processes: start, kill,
// start again.
type sesame struct {
	t        testing.TB
	data     string
	port     int
	smtpPort int // 0: no --smtp-url
	extra    []string
	log      *logBuf
	starts   int
	up       bool // has been healthy once

	// attr runs the server as another user, when set before start.
	attr *syscall.SysProcAttr

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	exit error // cmd.Wait's result, once done is closed
}

// newSesame prepares a server on data and a free port; nothing runs yet.
func newSesame(t testing.TB, data string, extra ...string) *sesame {
	s := &sesame{t: t, data: data, port: freePort(t), extra: extra, log: &logBuf{}}
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			t.Logf("sesame log (%s):\n%s", data, tail(s.log.String(), 6000))
		}
	})
	return s
}

func (s *sesame) base() string { return "http://127.0.0.1:" + strconv.Itoa(s.port) }

func (s *sesame) args() []string {
	args := []string{"serve",
		"--addr", "127.0.0.1:" + strconv.Itoa(s.port),
		"--data", s.data,
		"--base-url", s.base(),
		"--log-level", "debug",
		"--rate-limits", "off",
	}
	if s.smtpPort != 0 {
		args = append(args, "--smtp-url", "smtp://127.0.0.1:"+strconv.Itoa(s.smtpPort), "--smtp-tls", "none")
	}
	return append(args, s.extra...)
}

// start runs the server and waits until /healthz answers ok. The port
// stays the same across restarts, so browsers keep their cookies; only
// if the very first start finds its port taken (chosen free, then
// grabbed by another process) does it move to another one.
func (s *sesame) start() {
	t := s.t
	t.Helper()
	for try := 1; ; try++ {
		mark := len(s.log.String())
		err := s.startOnce()
		if err == nil {
			s.up = true
			return
		}
		logs := s.log.String()[mark:]
		if !s.up && try < 3 && strings.Contains(logs, "cannot listen") {
			s.port = freePort(t)
			continue
		}
		t.Fatalf("%v:\n%s", err, tail(logs, 3000))
	}
}

func (s *sesame) startOnce() error {
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		return errors.New("sesame: already running")
	}
	s.starts++
	fmt.Fprintf(s.log, "=== start %d: sesame %s\n", s.starts, strings.Join(s.args(), " "))
	cmd := exec.Command(bin, s.args()...)
	cmd.Env = cleanEnv()
	cmd.SysProcAttr = s.attr
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return err
	}
	done := make(chan struct{})
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(s.log, "=== exit: %v\n", err)
		s.mu.Lock()
		s.exit = err
		s.mu.Unlock()
		close(done)
	}()

	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-done:
			s.mu.Lock()
			s.cmd, s.done = nil, nil
			s.mu.Unlock()
			return errors.New("sesame exited during start-up")
		default:
		}
		resp, err := client.Get(s.base() + "/healthz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && string(body) == "ok" {
				return nil
			}
		}
		if time.Now().After(deadline) {
			s.kill()
			return errors.New("sesame not healthy after 20 s")
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits until the process is gone. It does
// nothing when no process runs.
func (s *sesame) kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop sends SIGTERM and waits for the process to exit, at most
// timeout (then it is killed and the test fails). It returns the exit
// status and how long the process took to exit.
func (s *sesame) stop(timeout time.Duration) (int, time.Duration) {
	t := s.t
	t.Helper()
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		t.Fatal("sesame: stop with no process running")
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(timeout):
		s.kill()
		t.Fatalf("sesame still running %s after SIGTERM", timeout)
	}
	took := time.Since(start)
	s.mu.Lock()
	s.cmd, s.done = nil, nil
	err := s.exit
	s.mu.Unlock()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), took
	case err != nil:
		t.Fatalf("sesame: %v", err)
	}
	return 0, took
}

// browser is one parent's browser: a cookie jar, no redirect following.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
	csrf string
}

func newBrowser(t testing.TB, base string) *browser {
	jar, _ := cookiejar.New(nil)
	// A transport of its own: a browser's idle connections never meet
	// another test's server, and no test shares a pool with another.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &browser{t: t, base: base, c: &http.Client{
		Jar:       jar,
		Transport: tr,
		Timeout:   30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// get fetches path and remembers the page's CSRF token.
func (b *browser) get(path string) (int, string, error) {
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp.StatusCode, string(body), err
}

// post sends a form with the CSRF token (fetched from / if none yet) and
// returns the status and the Location header.
func (b *browser) post(path string, form url.Values) (int, string, error) {
	if b.csrf == "" {
		if _, _, err := b.get("/"); err != nil {
			return 0, "", err
		}
		if b.csrf == "" {
			return 0, "", errors.New("no CSRF token on /")
		}
	}
	form.Set("_csrf", b.csrf)
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), err
}

// startRecovery is step 1 of recovery for email: it must answer 303.
func (b *browser) startRecovery(email string) {
	b.t.Helper()
	if code, _, err := b.get("/recuperation"); err != nil || code != 200 {
		b.t.Fatalf("GET /recuperation: %d %v", code, err)
	}
	code, loc, err := b.post("/recuperation/email", url.Values{"email": {email}})
	if err != nil || code != http.StatusSeeOther {
		b.t.Fatalf("POST /recuperation/email (%s): %d %v", email, code, err)
	}
	if !strings.HasPrefix(loc, "/recuperation") {
		b.t.Fatalf("POST /recuperation/email (%s): redirected to %q", email, loc)
	}
}

// login posts the login form: 303 to /espace on success, 401 on failure.
func (b *browser) login(id, pw string) (int, string, error) {
	return b.post("/login", url.Values{"identifier": {id}, "password": {pw}})
}

// queueCodes starts a server on a new data file with no SMTP configured,
// imports n accounts and asks a code for each, so that n code e-mails
// are pending and due together, in one batch, once SMTP is there. It
// returns the server (still running), a sink that takes delay per
// message, and the n addresses.
func queueCodes(t *testing.T, prefix string, n int, delay time.Duration) (srv *sesame, sk *sink, emails []string) {
	t.Helper()
	data := filepath.Join(t.TempDir(), "sesame.db")
	sk = newSink(t)
	sk.setDelay(delay)
	sk.up()
	srv = newSesame(t, data)
	srv.start()
	_, emails = importAccounts(t, data, prefix, n)
	for _, e := range emails {
		newBrowser(t, srv.base()).startRecovery(e)
	}
	if q := mailQueue(t, data); q.Pending != n {
		t.Fatalf("want %d pending; got\n%s", n, q.Out)
	}
	return srv, sk, emails
}
