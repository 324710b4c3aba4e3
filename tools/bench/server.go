//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// findRoot returns the directory of the go.mod of module sesame, from the
// working directory upwards.
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
			return "", errors.New("run from inside the sesame module (no go.mod with `module sesame` above the working directory)")
		}
		dir = parent
	}
}

// buildRelease builds the release binary exactly as the README says.
func buildRelease(ctx context.Context, root, out string) (time.Duration, error) {
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build: %v\n%s", err, b)
	}
	return time.Since(t0), nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// server is one running `sesame serve`.
type server struct {
	bin, data string
	base      string // http://127.0.0.1:PORT
	pprof     string // 127.0.0.1:PORT, or ""
	cmd       *exec.Cmd
	logFile   *os.File
	done      chan struct{}
	waitErr   error
	startTook time.Duration // exec to first 200 on /healthz
}

// startServer execs the binary and waits for /healthz; withPprof turns
// on the profiler on another free loopback port.
func startServer(ctx context.Context, bin, data, logPath, smtpAddr string, withPprof bool, env []string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s := &server{bin: bin, data: data, base: "http://" + addr, done: make(chan struct{})}
	args := []string{"serve", "--addr", addr, "--data", data, "--base-url", s.base,
		"--smtp-url", "smtp://" + smtpAddr, "--smtp-tls", "none", "--rate-limits", "off"}
	if withPprof {
		pp, err := freePort()
		if err != nil {
			return nil, err
		}
		s.pprof = fmt.Sprintf("127.0.0.1:%d", pp)
		args = append(args, "--pprof", s.pprof)
	}
	s.logFile, err = os.Create(logPath)
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.logFile, s.logFile
	s.cmd.Env = append(os.Environ(), env...)
	// Should the benchmark itself be killed, the server goes with it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	hc := &http.Client{Timeout: 200 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	t0 := time.Now()
	if err := s.cmd.Start(); err != nil {
		s.logFile.Close()
		return nil, err
	}
	go func() { s.waitErr = s.cmd.Wait(); close(s.done) }()
	for {
		resp, err := hc.Get(s.base + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				s.startTook = time.Since(t0)
				break
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("server exited before it was healthy (%v); log: %s", s.waitErr, tail(logPath))
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
		if time.Since(t0) > 10*time.Second {
			s.stop()
			return nil, fmt.Errorf("server not healthy after 10 s; log: %s", tail(logPath))
		}
	}
	return s, nil
}

// stop asks the server to finish (SIGTERM), kills it after 10 s, and
// returns how long it took to exit.
func (s *server) stop() time.Duration {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	t0 := time.Now()
	select {
	case <-s.done:
		return 0
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.logFile.Close()
	return time.Since(t0)
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// cli runs `sesame ARGS…` against the server's data file (through its
// admin socket while it runs).
func (s *server) cli(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, s.bin, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("sesame %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

type outbox struct{ pending, sent, failed int }

var outboxLine = regexp.MustCompile(`(\d+) pending, (\d+) sent, (\d+) failed`)

// outbox reads `sesame mail queue`'s counts.
func (s *server) outbox(ctx context.Context) (outbox, error) {
	out, err := s.cli(ctx, "", "mail", "queue", "--data", s.data)
	if err != nil {
		return outbox{}, err
	}
	m := outboxLine.FindStringSubmatch(out)
	if m == nil {
		return outbox{}, fmt.Errorf("sesame mail queue: unexpected output %q", lastLine(out))
	}
	var o outbox
	o.pending, _ = strconv.Atoi(m[1])
	o.sent, _ = strconv.Atoi(m[2])
	o.failed, _ = strconv.Atoi(m[3])
	return o, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// procStatus reads a kB field (VmRSS, VmHWM) of /proc/PID/status, in bytes.
func procStatus(pid int, field string) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseUint(f[0], 10, 64)
				return n * 1024
			}
		}
	}
	return 0
}

// resetPeak resets VmHWM to the current RSS (Linux ≥ 4.0), so a phase's
// peak is its own. It reports whether the kernel took it.
func resetPeak(pid int) bool {
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/clear_refs", pid), os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = f.Write([]byte("5"))
	return err == nil
}

// procCPU is the process's user+system CPU time so far.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	// USER_HZ is 100 on every Linux Go supports.
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssMonitor samples VmRSS and RssAnon every 50 ms and, where the
// kernel allows, also reads the exact peak (VmHWM) since it started.
type rssMonitor struct {
	pid      int
	hwm      bool
	stopc    chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	sampled  uint64
	anonPeak uint64
}

func watchRSS(pid int) *rssMonitor {
	m := &rssMonitor{pid: pid, stopc: make(chan struct{})}
	m.hwm = resetPeak(pid)
	m.sample()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stopc:
				return
			case <-t.C:
				m.sample()
			}
		}
	}()
	return m
}

func (m *rssMonitor) sample() {
	r := readRSS(m.pid)
	m.mu.Lock()
	m.sampled = max(m.sampled, r.Total)
	m.anonPeak = max(m.anonPeak, r.Anon)
	m.mu.Unlock()
}

// stop returns the phase's peak RSS and the highest anonymous RSS
// sampled, in bytes.
func (m *rssMonitor) stop() (peak, anon uint64) {
	close(m.stopc)
	m.wg.Wait()
	m.sample()
	peak = m.sampled
	if m.hwm {
		peak = max(peak, procStatus(m.pid, "VmHWM"))
	}
	return peak, m.anonPeak
}

// rss is a process's resident memory: anonymous (heap, stacks) and
// file-backed (the binary's pages, the data file's mmap).
type rss struct{ Total, Anon, File uint64 }

func readRSS(pid int) rss {
	return rss{Total: procStatus(pid, "VmRSS"), Anon: procStatus(pid, "RssAnon"), File: procStatus(pid, "RssFile")}
}

// machineBusy is the CPU time every process of the machine spent so far
// (user, nice, system, irq, softirq, steal), from /proc/stat.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks uint64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, _ := strconv.ParseUint(f[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// syncCounter counts the server's fdatasync and fsync calls with
// `perf stat` on the syscall tracepoints, where perf is installed and
// allowed; each one is a disk flush a request may wait for.
type syncCounter struct {
	cmd  *exec.Cmd
	out  string
	done chan struct{}
}

var perfOK = sync.OnceValue(func() bool {
	path, err := exec.LookPath("perf")
	if err != nil {
		return false
	}
	return exec.Command(path, "stat", "-x,", "-e", "syscalls:sys_enter_fdatasync", "--", "true").Run() == nil
})

func countSyncs(pid int, dir string) *syncCounter {
	if !perfOK() {
		return nil
	}
	f, err := os.CreateTemp(dir, "perf-*.csv")
	if err != nil {
		return nil
	}
	f.Close()
	c := &syncCounter{out: f.Name(), done: make(chan struct{})}
	c.cmd = exec.Command("perf", "stat", "-x,", "-o", c.out, "-e", "syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync,page-faults", "-p", strconv.Itoa(pid))
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		return nil
	}
	go func() { c.cmd.Wait(); close(c.done) }()
	time.Sleep(50 * time.Millisecond) // perf attaches
	return c
}

// stop returns the number of flushes and of page faults since
// countSyncs, or -1 when unknown.
func (c *syncCounter) stop() (flushes, faults int) {
	if c == nil {
		return -1, -1
	}
	c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
	}
	b, err := os.ReadFile(c.out)
	os.Remove(c.out)
	flushes, faults = -1, -1
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 3 {
			continue
		}
		v, err := strconv.Atoi(f[0])
		if err != nil {
			continue // "<not counted>"
		}
		switch {
		case strings.HasPrefix(f[2], "syscalls:sys_enter_"):
			flushes = max(flushes, 0) + v
		case f[2] == "page-faults":
			faults = v
		}
	}
	return
}

// rssByMapping sums Rss per mapped file from /proc/PID/smaps ("[anon]"
// for anonymous memory, heap and stacks), largest first.
func rssByMapping(pid int) []mapping {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return nil
	}
	sum := map[string]uint64{}
	name := ""
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			name = "[anon]"
			if len(f) >= 6 {
				name = strings.Join(f[5:], " ")
			}
			continue
		}
		if f[0] == "Rss:" && len(f) >= 2 {
			n, _ := strconv.ParseUint(f[1], 10, 64)
			sum[name] += n * 1024
		}
	}
	var out []mapping
	for k, v := range sum {
		if v > 0 {
			out = append(out, mapping{k, v})
		}
	}
	slices.SortFunc(out, func(a, b mapping) int { return int(int64(b.rss) - int64(a.rss)) })
	return out
}

type mapping struct {
	name string
	rss  uint64
}
