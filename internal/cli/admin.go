package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"sesame/internal/store"
)

// adminRequest is one admin command as it crosses the socket: the
// command line and what the client read for it (a CSV file, a password).
// The client reads files and terminals itself, so the command behaves
// the same whether the server or the client executes it.
type adminRequest struct {
	Args  []string `json:"args"`
	Input []byte   `json:"input,omitempty"`
	// OutFile is where the client writes a file the command makes
	// (letters); it stays on the client's side.
	OutFile string `json:"-"`
	// User is the OS account that ran the command, for the audit's
	// operator. The socket only lets the service's own user and root
	// in, so it is as trustworthy as they are.
	User string `json:"user,omitempty"`
}

// adminOutput is where an admin command writes: text for the operator,
// and, for a command that makes a file, the file's bytes (SetFile).
type adminOutput struct {
	io.Writer
	file []byte
}

// SetFile hands the client a file to write where the operator said.
func (o *adminOutput) SetFile(b []byte) { o.file = b }

// fileSink is what a command that makes a file needs of its output.
type fileSink interface{ SetFile([]byte) }

// operator names who runs an admin command in the audit: "cli:" and the
// OS user.
func (r adminRequest) operator() string {
	if r.User == "" {
		return "cli"
	}
	return "cli:" + r.User
}

// osUser is the name of the OS account running this process, or "".
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"USER", "USERNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}

type adminResponse struct {
	Output string `json:"output"`
	Code   int    `json:"code"`
	// File is the file a command made (letters), which the client
	// writes where its -o option says: the operator's file, in the
	// operator's folder, with the operator's rights.
	File []byte `json:"file,omitempty"`
	// Size is the length of the raw bytes that follow the response (a
	// backup streamed to the client, see streamBackup).
	Size int64 `json:"size,omitempty"`
}

// maxAdminRequest bounds what the socket reads: a CSV export of a large
// school is a few MB.
const maxAdminRequest = 64 << 20

func socketPath(data string) string { return data + ".sock" }

// adminServer answers admin commands on a Unix socket beside the data
// file, so the school never stops the portal to import parents. Only the
// file's owner can connect (mode 0600).
type adminServer struct {
	ln   net.Listener
	path string
	s    *services
	// wg counts the accept loop and each connection's handler, so Close
	// returns only once no command can still touch the store.
	wg sync.WaitGroup

	mu      sync.Mutex
	closing bool
	reading map[net.Conn]bool // connections whose request is not read yet
}

func listenAdmin(data string, s *services) (*adminServer, error) {
	path := socketPath(data)
	// A socket file left by a crash answers nobody; one that answers
	// belongs to a live server, which store.Open would already have
	// refused.
	if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		c.Close()
		return nil, fmt.Errorf("another server answers on %s", path)
	}
	os.Remove(path)
	old := umask(0o177)
	ln, err := net.Listen("unix", path)
	umask(old)
	if err != nil {
		return nil, err
	}
	if err := restrictSocket(path); err != nil {
		ln.Close()
		return nil, err
	}
	a := &adminServer{ln: ln, path: path, s: s, reading: map[net.Conn]bool{}}
	a.wg.Go(a.serve)
	return a, nil
}

func (a *adminServer) serve() {
	for {
		conn, err := a.ln.Accept()
		if err != nil {
			return
		}
		a.wg.Go(func() { a.handle(conn) })
	}
}

func (a *adminServer) handle(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Minute))
	var req adminRequest
	err := errAdminClosing
	if a.startReading(conn) {
		err = json.NewDecoder(io.LimitReader(conn, maxAdminRequest)).Decode(&req)
		a.doneReading(conn)
	}
	if err != nil {
		resp := adminResponse{Output: "sesame: unreadable admin request\n", Code: 2}
		if a.isClosing() {
			resp = adminResponse{Output: "sesame: the server is stopping; try again in a moment\n", Code: 1}
		}
		json.NewEncoder(conn).Encode(resp)
		return
	}
	if isBackupStream(req) {
		a.streamBackup(conn)
		return
	}
	var text bytes.Buffer
	out := &adminOutput{Writer: &text}
	code := a.exec(req, out)
	json.NewEncoder(conn).Encode(adminResponse{Output: text.String(), Code: code, File: out.file})
}

// exec runs one admin command; a panic (a damaged page of the data file)
// fails that command with a message, never the server.
func (a *adminServer) exec(req adminRequest, out io.Writer) (code int) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			// Args never hold a secret (passwords come on the input).
			a.s.log.Error("admin command failed: the data file may be damaged; run `sesame check`",
				"command", strings.Join(req.Args, " "), "panic", fmt.Sprint(r))
			fmt.Fprintf(out, "\nsesame: the command failed reading the data file (%v): it may be damaged; run `sesame check`\n", r)
			code = 1
		}
	}()
	return execAdmin(a.s, req, out)
}

// noAdminSocket tells what to do when the server holds the file but its
// admin socket does not answer: it could not listen (an old Windows, a
// path too long for a socket), and it said so in its log at start.
func noAdminSocket(data string) string {
	return fmt.Sprintf("No admin socket answered at %s: the server has none (its log said why at start).\n"+
		"Stop the service, run this command again (it then works on the data file directly), and start the service.\n",
		socketPath(data))
}

var errAdminClosing = errors.New("admin socket closing")

// startReading records that conn's request is being read, so Close can
// interrupt the read; false once Close has begun.
func (a *adminServer) startReading(conn net.Conn) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closing {
		return false
	}
	a.reading[conn] = true
	return true
}

func (a *adminServer) doneReading(conn net.Conn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.reading, conn)
}

func (a *adminServer) isClosing() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closing
}

// Close stops answering, interrupts the requests still being read, waits
// for the commands already running, and removes the socket file.
func (a *adminServer) Close() error {
	err := a.ln.Close()
	a.mu.Lock()
	a.closing = true
	for conn := range a.reading {
		conn.SetReadDeadline(time.Now())
	}
	a.mu.Unlock()
	a.wg.Wait()
	os.Remove(a.path)
	return err
}

// Deadlines of the admin client. A server that is frozen (SIGSTOP, a
// hung disk) still accepts connections — the kernel queues them — but
// never answers, so without a deadline the command would wait forever.
// The server answers in one piece at the end of a command, so there is
// no progress to reset an idle timer on: the deadline covers the whole
// command, generous enough for the largest one (an import of a big
// school's export) on a slow disk.
const (
	adminConnectTimeout = 3 * time.Second
	adminCommandTimeout = 60 * time.Second
	adminImportTimeout  = 5 * time.Minute // the server's own limit per connection
)

// adminTimeout is how long the client waits for the server's answer to
// args. SESAME_ADMIN_TIMEOUT (a duration, "90s", "1d") overrides it, for a
// school whose imports take longer, and for the tests.
func adminTimeout(args []string) (time.Duration, error) {
	if v := os.Getenv("SESAME_ADMIN_TIMEOUT"); v != "" {
		d, err := parseDays(v) // days too, as every duration option
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("SESAME_ADMIN_TIMEOUT=%q: want a positive duration such as 90s or 5m", v)
		}
		return d, nil
	}
	if len(args) >= 2 && args[0] == "accounts" && args[1] == "import" {
		return adminImportTimeout, nil
	}
	return adminCommandTimeout, nil
}

// peerPID is the process ID of the server at the other end of conn, for
// the message that names it; 0 when the system cannot say.
func peerPID(conn net.Conn) int {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return 0
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0
	}
	return socketPeerPID(raw)
}

// runAdmin runs an admin command: through the server's socket when a
// server runs on this data file, else on the file directly.
// A missing data file is refused before anything (see adminDataFile);
// stderr says which file was used and how (see dataProvenance). config is
// the configuration file (--config), if any, for the service settings of
// a command run on the file.
func runAdmin(data, config string, req adminRequest, stdout, stderr io.Writer) int {
	req.User = osUser()
	timeout, err := adminTimeout(req.Args)
	if err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return 2
	}
	data, ok := adminDataFile(data, req.Args, stderr)
	if !ok {
		return 1
	}
	conn, err := net.DialTimeout("unix", socketPath(data), adminConnectTimeout)
	if isPermission(err) {
		permissionDenied(stderr, socketPath(data), data, req.Args)
		return 1
	}
	if err == nil {
		defer conn.Close()
		dataProvenance(stderr, data, true)
		conn.SetDeadline(time.Now().Add(timeout))
		notAnswering := func(err error) int {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				fmt.Fprintln(stderr, "sesame: admin socket:", err)
				return 1
			}
			who := socketPath(data)
			if pid := peerPID(conn); pid > 0 {
				who = fmt.Sprintf("PID %d, %s", pid, who)
			}
			fmt.Fprintf(stderr, "sesame: the server (%s) is not answering after %s; check it is running (systemctl status sesame) and that its disk responds.\n"+
				"The command may still be carried out if the server resumes: check with `sesame audit --since 1h` before running it again.\n", who, timeout)
			return 1
		}
		if err := json.NewEncoder(conn).Encode(req); err != nil {
			return notAnswering(err)
		}
		var resp adminResponse
		if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&resp); err != nil {
			return notAnswering(err)
		}
		io.WriteString(stdout, resp.Output)
		if resp.Code == 0 && resp.File != nil {
			return writeResultFile(req.OutFile, resp.File, stdout, stderr)
		}
		return resp.Code
	}
	c, _, err := adminConfig(config)
	if err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return 2
	}
	st, err := store.Open(data, time.Second)
	if errors.Is(err, store.ErrLocked) {
		fmt.Fprintf(stderr, "sesame: %v\n%s", err, noAdminSocket(data))
		return 1
	}
	if isPermission(err) {
		permissionDenied(stderr, data, data, req.Args)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return 1
	}
	defer st.Close()
	dataProvenance(stderr, data, false)
	s := newServices(st, c, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	out := &adminOutput{Writer: stdout}
	code := execAdmin(s, req, out)
	if code == 0 && out.file != nil {
		return writeResultFile(req.OutFile, out.file, stdout, stderr)
	}
	return code
}

// writeResultFile writes a command's file to path, owner-only (letters
// hold activation codes), beside it first and renamed at the end so a
// half-written file never stands under the name.
func writeResultFile(path string, data []byte, stdout, stderr io.Writer) int {
	if path == "" {
		fmt.Fprintln(stderr, "sesame: the command made a file but no -o FILE was given")
		return 1
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sesame-out-*")
	if err == nil {
		defer os.Remove(tmp.Name())
		_, err = tmp.Write(data)
		if err == nil {
			err = tmp.Chmod(0o600)
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "sesame: cannot write %s: %v\n", path, err)
		return 1
	}
	fmt.Fprintf(stdout, "written to %s (%d bytes, readable by you only)\n", path, len(data))
	return 0
}
