//go:build linux

// Command oidcbench measures Sésame as the school's OpenID Connect
// provider (issue 16): it builds the release binary, starts it on
// loopback with a temporary data file and --rate-limits off, creates a
// parent and an application, signs the parent in to the portal once, and
// then has -clients concurrent applications sign that parent in over and
// over — authorize (answered at once: the portal session), the
// callback's code, the token exchange with PKCE and the client secret,
// userinfo — for -duration, with RS256 keys and again after `sesame oidc
// rotate-keys --alg ES256`. It also times the verification an
// application does offline: an ID token's signature against the JWKS
// fetched once.
//
// From the repository root:
//
//	go run ./tools/oidcbench                       # 32 clients, 20 s per key type
//	go run ./tools/oidcbench -duration 5s -clients 8
//
// The load generator shares the server's cores: the figures are what a
// 2-core machine does with both on it. Everything stays on 127.0.0.1,
// and the server is stopped at the end, also on Ctrl-C. It runs on
// Linux only: it reads the server's CPU time in /proc.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const password = "Crayon-Gris-2026"

// profileTo is -cpuprofile.
var profileTo string

func main() {
	duration := flag.Duration("duration", 20*time.Second, "length of each timed phase")
	clients := flag.Int("clients", 32, "concurrent applications signing the parent in")
	flag.StringVar(&profileTo, "cpuprofile", "", "write the server's CPU profile of the RS256 phase to this file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *duration, *clients); err != nil {
		fmt.Fprintln(os.Stderr, "oidcbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dur time.Duration, clients int) error {
	root, err := findRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "sesame-oidcbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "sesame")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	data := filepath.Join(dir, "sesame.db")
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	args := []string{"serve", "--addr", "127.0.0.1:" + strconv.Itoa(port), "--data", data, "--base-url", base,
		"--rate-limits", "off", "--log-level", "warn"}
	pprofAddr := ""
	if profileTo != "" {
		pp, err := freePort()
		if err != nil {
			return err
		}
		pprofAddr = "127.0.0.1:" + strconv.Itoa(pp)
		args = append(args, "--pprof", pprofAddr)
	}
	srv := exec.Command(bin, args...)
	srv.Env = cleanEnv()
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
	}()
	if err := waitHealthy(ctx, base); err != nil {
		return err
	}
	cli := func(stdin string, args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env, cmd.Stdin = cleanEnv(), strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("sesame %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	if _, err := cli("", "accounts", "--data", data, "add", "--identifier", "martin.lea", "--last-name", "Martin", "--first-name", "Léa", "--email", "lea.martin@exemple.fr"); err != nil {
		return err
	}
	if _, err := cli(password+"\n", "accounts", "--data", data, "set-password", "martin.lea"); err != nil {
		return err
	}
	out, err := cli("", "oidc", "--data", data, "clients", "add", "--name", "Moodle", "--redirect-uri", "https://moodle.bench.test/cb")
	if err != nil {
		return err
	}
	id, secret := field(out, "client ID"), field(out, "client secret")
	if id == "" || secret == "" {
		return fmt.Errorf("clients add printed:\n%s", out)
	}
	hc := &http.Client{
		Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: 30 * time.Second,
	}
	session, err := signIn(hc, base)
	if err != nil {
		return err
	}
	a := &app{hc: hc, base: base, id: id, secret: secret, session: session}
	load1 := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load1 = ", load average before the run " + strings.Fields(string(b))[0]
	}
	fmt.Printf("# OpenID Connect benchmark\n\n%d CPU(s) (%s/%s), Go %s, %d concurrent applications, %s per phase, server and load generator on the same machine%s.\n\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), clients, dur, load1)
	fmt.Println("| keys | rounds/s (authorize → code → token → userinfo) | p50 | p95 | p99 | errors | server CPU per round | load generator CPU per round | rounds/s if both had the 2 cores to themselves |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	var tokens []string
	for _, alg := range []string{"RS256", "ES256"} {
		if alg == "ES256" {
			if _, err := cli("", "oidc", "--data", data, "rotate-keys", "--alg", "ES256"); err != nil {
				return err
			}
		}
		if err := a.round(); err != nil { // warm up, and a correct round first
			return fmt.Errorf("%s: %w", alg, err)
		}
		var prof chan error
		if alg == "RS256" && pprofAddr != "" {
			prof = make(chan error, 1)
			go func() { prof <- saveProfile(hc, pprofAddr, dur) }()
		}
		srvBefore, selfBefore := procCPU(srv.Process.Pid), selfCPU()
		r := load(ctx, a, clients, dur)
		srvCPU, selfUsed := procCPU(srv.Process.Pid)-srvBefore, selfCPU()-selfBefore
		rounds := r.rate * r.elapsed.Seconds()
		if prof != nil {
			if err := <-prof; err != nil {
				return err
			}
		}
		perSrv, perSelf := srvCPU/time.Duration(rounds), selfUsed/time.Duration(rounds)
		fmt.Printf("| %s | %.0f | %s | %s | %s | %d | %s | %s | %.0f |\n", alg, r.rate, r.p(50), r.p(95), r.p(99), r.errors,
			perSrv.Round(10*time.Microsecond), perSelf.Round(10*time.Microsecond), 2/(perSrv+perSelf).Seconds())
		if r.firstErr != nil {
			fmt.Printf("\nfirst error (%s): %v\n", alg, r.firstErr)
		}
		tokens = append(tokens, a.lastIDToken())
	}
	fmt.Println()
	fmt.Println("| ID token verified offline from the JWKS | verifications/s, 1 core | verifications/s, all cores |")
	fmt.Println("|---|---|---|")
	var jwks jose.JSONWebKeySet
	if err := getJSON(hc, base+"/keys", &jwks); err != nil {
		return err
	}
	for i, alg := range []string{"RS256", "ES256"} {
		one, all, err := verifyRate(tokens[i], jwks, dur/4)
		if err != nil {
			return fmt.Errorf("%s ID token: %w", alg, err)
		}
		fmt.Printf("| %s | %.0f | %.0f |\n", alg, one, all)
	}
	return nil
}

func field(out, name string) string {
	m := regexp.MustCompile(regexp.QuoteMeta(name) + `\s+(\S+)`).FindStringSubmatch(out)
	if m == nil {
		return ""
	}
	return m[1]
}

// app is the applications' side.
type app struct {
	hc               *http.Client
	base, id, secret string
	session          string
	mu               sync.Mutex
	idToken          string
}

func (a *app) lastIDToken() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.idToken
}

const redirect = "https://moodle.bench.test/cb"

// round is one application signing the parent in.
func (a *app) round() error {
	vb := make([]byte, 32)
	_, _ = rand.Read(vb)
	verifier := base64.RawURLEncoding.EncodeToString(vb)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {a.id}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"openid profile email"},
		"state": {"st"}, "nonce": {"n"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	loc, err := a.redirect(a.base + "/authorize?" + q.Encode())
	if err != nil {
		return fmt.Errorf("authorize: %w", err)
	}
	back, err := a.redirect(loc)
	if err != nil {
		return fmt.Errorf("callback: %w", err)
	}
	u, err := url.Parse(back)
	if err != nil || u.Query().Get("code") == "" {
		return fmt.Errorf("callback went to %q", back)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
	req, _ := http.NewRequest("POST", a.base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(a.id, a.secret)
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || tok.AccessToken == "" {
		return fmt.Errorf("token: %d %v", resp.StatusCode, err)
	}
	req, _ = http.NewRequest("GET", a.base+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = a.hc.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("userinfo: %d", resp.StatusCode)
	}
	a.mu.Lock()
	a.idToken = tok.IDToken
	a.mu.Unlock()
	return nil
}

// redirect GETs u with the portal session and returns its Location.
func (a *app) redirect(u string) (string, error) {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return "", err
	}
	req.AddCookie(&http.Cookie{Name: "sesame_session", Value: a.session})
	resp, err := a.hc.Do(req)
	if err != nil {
		return "", err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	return resp.Header.Get("Location"), nil
}

type result struct {
	rate     float64
	elapsed  time.Duration
	lat      []time.Duration
	errors   int64
	firstErr error
}

func (r result) p(q int) string {
	if len(r.lat) == 0 {
		return "-"
	}
	return r.lat[(len(r.lat)-1)*q/100].Round(100 * time.Microsecond).String()
}

func load(ctx context.Context, a *app, clients int, dur time.Duration) result {
	ctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	var n, errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var first error
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			for ctx.Err() == nil {
				t := time.Now()
				if err := a.round(); err != nil {
					if ctx.Err() == nil {
						errs.Add(1)
						mu.Lock()
						if first == nil {
							first = err
						}
						mu.Unlock()
					}
					continue
				}
				mine = append(mine, time.Since(t))
				n.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(lat)
	el := time.Since(start)
	return result{rate: float64(n.Load()) / el.Seconds(), elapsed: el, lat: lat, errors: errs.Load(), firstErr: first}
}

// verifyRate verifies tok against the key set for d on one goroutine,
// then for d on one per CPU, as an application does offline.
func verifyRate(tok string, set jose.JSONWebKeySet, d time.Duration) (float64, float64, error) {
	verify := func() error {
		jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
		if err != nil {
			return err
		}
		keys := set.Key(jws.Signatures[0].Header.KeyID)
		if len(keys) == 0 {
			return errors.New("kid not in the JWKS")
		}
		_, err = jws.Verify(keys[0].Key)
		return err
	}
	if err := verify(); err != nil {
		return 0, 0, err
	}
	rate := func(workers int) float64 {
		var n atomic.Int64
		deadline := time.Now().Add(d)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					if verify() == nil {
						n.Add(1)
					}
				}
			})
		}
		wg.Wait()
		return float64(n.Load()) / d.Seconds()
	}
	return rate(1), rate(runtime.NumCPU()), nil
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signIn logs the parent in to the portal through its form and returns
// the session cookie.
func signIn(hc *http.Client, base string) (string, error) {
	resp, err := hc.Get(base + "/")
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRe.FindSubmatch(body)
	if m == nil {
		return "", errors.New("no CSRF token on the login page")
	}
	var csrf *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "sesame_csrf" {
			csrf = c
		}
	}
	form := url.Values{"_csrf": {string(m[1])}, "identifier": {"martin.lea"}, "password": {password}}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if csrf != nil {
		req.AddCookie(csrf)
	}
	resp, err = hc.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "sesame_session" {
			return c.Value, nil
		}
	}
	return "", fmt.Errorf("login: status %d, no session", resp.StatusCode)
}

func getJSON(hc *http.Client, u string, v any) error {
	resp, err := hc.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

func waitHealthy(ctx context.Context, base string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return errors.New("the server did not become healthy in 20 s")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// cleanEnv drops SESAME_* variables: only our flags configure the server.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SESAME_") {
			env = append(env, kv)
		}
	}
	return env
}

func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && regexp.MustCompile(`(?m)^module sesame\s*$`).Match(b) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the sesame module")
		}
		dir = parent
	}
}

// saveProfile fetches the server's CPU profile over most of a phase.
func saveProfile(hc *http.Client, addr string, dur time.Duration) error {
	secs := int(dur.Seconds() * 0.8)
	if secs < 1 {
		secs = 1
	}
	resp, err := hc.Get("http://" + addr + "/debug/pprof/profile?seconds=" + strconv.Itoa(secs))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(profileTo)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// procCPU is the CPU time process pid has used (Linux /proc, clock
// ticks of 10 ms); 0 elsewhere.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name is in parentheses and may hold spaces.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// selfCPU is the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
