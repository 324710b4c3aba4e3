//go:build linux

// Command bench measures Sésame the way issue 7 asks: it builds the
// release binary, starts it on loopback with a temporary data file and an
// in-process SMTP sink, imports 1,000 accounts, then loads it — recovery
// step 1 ("pairs") at 1, 8 and 32 concurrent clients, wrong and right
// code checks, password changes, logins — and writes a Markdown report
// beside the peer's figures and the targets to docs/PERFORMANCE.md.
//
// From the repository root:
//
//	go run ./tools/bench -quiet 2m            # full run, 20 s per phase (~4 min)
//	go run ./tools/bench -duration 3s -out "" # quick try, report printed only
//
// The load generator shares the server's cores, so another busy process
// skews every figure: -quiet waits for the machine to calm down before
// each measurement, and the report shows the CPU others used. Where
// `perf` is installed, the report also counts the server's disk flushes
// and page faults. Everything stays on 127.0.0.1; the run is bounded
// (-timeout) and stops the server it started, also on Ctrl-C. A section
// of docs/PERFORMANCE.md between the "keep" markers is carried over.
//
// It runs on Linux only: it reads /proc and runs perf.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type config struct {
	Duration     time.Duration
	Clients      []int
	LoginClients int
	CodeClients  int
	CodeFlows    int
	SetClients   int
	Accounts     int
	Starts       int
	MailSamples  int
	SetSamples   int
	Out          string
	Timeout      time.Duration
	Keep         bool
	Env          []string
	Quiet        time.Duration
}

type envFlag struct{ c *config }

func (e envFlag) String() string { return "" }
func (e envFlag) Set(s string) error {
	if k, _, ok := strings.Cut(s, "="); !ok || k == "" {
		return errors.New("expected KEY=VALUE")
	}
	e.c.Env = append(e.c.Env, s)
	return nil
}

func main() {
	var c config
	clients := "1,8,32"
	flag.DurationVar(&c.Duration, "duration", 20*time.Second, "length of each timed load phase (pairs, logins, code checks)")
	flag.StringVar(&clients, "clients", clients, "concurrent clients of the pair phases, comma-separated; the profile is taken in the last")
	flag.IntVar(&c.LoginClients, "login-clients", 8, "concurrent clients of the login phase")
	flag.IntVar(&c.CodeClients, "code-clients", 32, "concurrent clients of the concurrent wrong-code phase")
	flag.IntVar(&c.CodeFlows, "code-flows", 1500, "recovery flows prepared for the concurrent wrong-code phase (4 wrong codes each)")
	flag.IntVar(&c.SetClients, "set-clients", 64, "password submissions sent at once in the memory-bound phase")
	flag.IntVar(&c.Accounts, "accounts", 1000, "accounts imported")
	flag.IntVar(&c.Starts, "starts", 5, "extra cold starts timed (fresh data file each) before the measured server's own")
	flag.IntVar(&c.MailSamples, "mail-samples", 5, "first-mail latency samples on the idle server")
	flag.IntVar(&c.SetSamples, "set-samples", 10, "sequential right-code checks and password sets")
	flag.StringVar(&c.Out, "out", "docs/PERFORMANCE.md", "report file, relative to the repository root; empty: print only")
	flag.DurationVar(&c.Timeout, "timeout", 20*time.Minute, "hard limit for the whole run")
	flag.Var(envFlag{&c}, "env", "KEY=VALUE added to the server's environment, e.g. GOMEMLIMIT=40MiB (repeatable; for experiments)")
	flag.DurationVar(&c.Quiet, "quiet", 0, "before each measurement, wait up to this long for the rest of the machine to go quiet (other processes under 0.2 cores for 3 s); 0: do not wait")
	flag.BoolVar(&c.Keep, "keep", false, "keep the temporary directory (binary, data file, server log)")
	flag.Parse()
	for _, s := range strings.Split(clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1024 {
			fmt.Fprintf(os.Stderr, "bench: -clients %q: expected numbers from 1 to 1024, comma-separated\n", clients)
			os.Exit(2)
		}
		c.Clients = append(c.Clients, n)
	}
	if c.reserved()+100*len(c.Clients) > c.Accounts {
		fmt.Fprintf(os.Stderr, "bench: -accounts %d is too few: %d are reserved and each pair phase needs 100\n", c.Accounts, c.reserved())
		os.Exit(2)
	}
	if c.Duration < time.Second {
		fmt.Fprintln(os.Stderr, "bench: -duration must be at least 1s")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()

	if err := run(ctx, &c); err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			err = fmt.Errorf("interrupted (%v)", err)
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// loginPool is how many accounts the login phases cycle through.
const loginPool = 8

// reserved is how many accounts are kept out of the pair phases: their
// addresses must get a fresh code when the benchmark asks (60 s cooldown,
// 5 codes an hour per address).
func (c *config) reserved() int { return c.MailSamples + c.SetSamples + c.SetClients + loginPool }

// logf prints progress on stderr, so stdout holds only the report.
func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
}

func run(ctx context.Context, c *config) error {
	root, err := findRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "sesame-bench-")
	if err != nil {
		return err
	}
	if c.Keep {
		defer logf("kept %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	b := &bench{cfg: c, root: root, tmp: tmp, res: &results{Date: time.Now()}}
	b.res.Command = "go run ./tools/bench"
	for _, a := range os.Args[1:] {
		if a == "" || strings.ContainsAny(a, " \t'\"") {
			a = strconv.Quote(a)
		}
		b.res.Command += " " + a
	}
	defer b.cleanup()
	if err := b.run(ctx); err != nil {
		return err
	}
	report := b.res.markdown(c)
	fmt.Print(report)
	if c.Out != "" {
		path := c.Out
		if !filepath.IsAbs(path) {
			path = filepath.Join(root, path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
			return err
		}
		logf("report written to %s", path)
	}
	return nil
}
