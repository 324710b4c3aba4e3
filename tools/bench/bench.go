//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"

	"sesame/internal/password"
)

// Passwords: the CLI's for the login pool, the recovery's for step 3.
// Neither contains the accounts' names, identifiers or addresses, which
// the policy refuses.
const (
	loginPassword    = "Lune-Orange-2026"
	recoveryPassword = "Velo-Turquoise-2027"
	wrongCode        = "00000000"
)

// results is everything the report shows.
type results struct {
	Date    time.Time
	Command string
	Machine machine

	HashParams argon2id.Params
	Hash       []time.Duration // one argon2id hash, in this process, at the start
	HashLate   []time.Duration // again just before the password phases

	BuildTook time.Duration
	BinSize   int64
	Starts    []time.Duration // exec to first 200 on /healthz

	ImportTook  time.Duration
	ImportOut   string
	IdleFresh   rss       // 1 s after start, empty data file
	IdleWarm    rss       // after import and warm-up, 3 s idle
	IdleAfter   rss       // after every phase, 3 s idle
	IdleMaps    []mapping // IdleWarm by mapping
	PeakOverall uint64    // VmHWM at the end (0 if unavailable)

	FirstMail     []time.Duration // POST sent → mail at the sink
	FirstMailPost []time.Duration // the POST's own response time

	Pairs        []*phase
	PairMail     []mailWindow
	PairOutbox   []outbox
	PairDrain    []time.Duration
	PairData     []int64    // data file size after each pair phase
	Profiles     []*profile // CPU profiles: the biggest pair phase, the login phase
	HeapTop      string
	HeapPath     string
	WrongSeq     *phase
	WrongConc    *phase
	WrongPrep    time.Duration
	RightSeq     *phase
	SetSeq       *phase
	Set64Prep    *phase // right codes of the 64 flows, 8 at a time
	Set64        *phase
	LoginSetTook time.Duration // CLI set-password for the login pool
	LoginSeq     *phase
	LoginConc    *phase

	SinkMsgs, SinkConns int
	OutboxEnd           outbox
	OutboxEndDrain      time.Duration
	DataSize, LogSize   int64
	LogLines            int
	ShutdownTook        time.Duration
	Notes               []string
	QuietWaits          []string
}

// mailWindow is what reached the sink around one pair phase.
type mailWindow struct {
	Count       int           // mails that arrived from phase start to drained
	DuringPhase int           // of which while the pairs ran
	Span        time.Duration // first to last arrival
	Rate        float64       // Count / Span: the delivery rate while mail was queued
	PeakSecond  int           // most mails in any one-second window
}

type bench struct {
	cfg  *config
	root string
	tmp  string
	res  *results

	bin  string
	sink *sink
	srv  *server
	hc   *http.Client

	unknownSeq atomic.Int64 // unique unknown addresses
}

// quiet waits, up to -quiet, until the machine's other processes have
// used under 0.2 cores for 3 s in a row, so that a measurement does not
// share the cores with an unrelated job. It notes a wait that failed.
func (b *bench) quiet(ctx context.Context, before string) {
	if b.cfg.Quiet <= 0 {
		return
	}
	t0 := time.Now()
	deadline := t0.Add(b.cfg.Quiet)
	calm := 0
	var last float64
	for calm < 3 && ctx.Err() == nil {
		if time.Now().After(deadline) {
			b.note("the machine was not quiet before %s: other processes still used %.2f cores after %v", before, last, b.cfg.Quiet)
			return
		}
		all0, self0 := machineBusy(), selfCPU()
		srv0 := time.Duration(0)
		if b.srv != nil {
			srv0 = procCPU(b.srv.pid())
		}
		sleep(ctx, time.Second)
		others := machineBusy() - all0 - (selfCPU() - self0)
		if b.srv != nil {
			others -= procCPU(b.srv.pid()) - srv0
		}
		last = others.Seconds()
		if last < 0.2 {
			calm++
		} else {
			calm = 0
		}
	}
	if w := time.Since(t0); w > 4*time.Second {
		b.res.QuietWaits = append(b.res.QuietWaits, fmt.Sprintf("%s: %v", before, w.Round(time.Second)))
	}
}

func (b *bench) cleanup() {
	if b.srv != nil {
		b.srv.stop()
	}
	if b.sink != nil {
		b.sink.close()
	}
}

func (b *bench) note(format string, a ...any) {
	s := fmt.Sprintf(format, a...)
	b.res.Notes = append(b.res.Notes, s)
	logf("note: %s", s)
}

func (b *bench) client() *vclient { return &vclient{hc: b.hc, base: b.srv.base} }

func accountID(i int) string    { return fmt.Sprintf("parent%04d", i) }
func accountEmail(i int) string { return fmt.Sprintf("parent%04d@ecole-bench.fr", i) }
func (b *bench) unknownEmail() string {
	return fmt.Sprintf("inconnu%07d@ailleurs-bench.fr", b.unknownSeq.Add(1))
}

// Account layout: [0, pairPool) cycle in the pair phases, one slice per
// phase; the rest is reserved, each for one use.
func (b *bench) pairPool() int { return b.cfg.Accounts - b.cfg.reserved() }
func (b *bench) reservedFrom(kind string) int {
	i := b.pairPool()
	switch kind {
	case "mail":
		return i
	case "seq":
		return i + b.cfg.MailSamples
	case "set":
		return i + b.cfg.MailSamples + b.cfg.SetSamples
	case "login":
		return i + b.cfg.MailSamples + b.cfg.SetSamples + b.cfg.SetClients
	}
	panic(kind)
}

func (b *bench) run(ctx context.Context) error {
	c := b.cfg
	r := b.res
	r.Machine = readMachine()
	syncDir = b.tmp
	var err error
	maxConns := max(slices.Max(c.Clients), c.CodeClients, c.SetClients, c.LoginClients) * 2
	b.hc = newHTTPClient(maxConns)

	logf("argon2id: timing one hash in this process with password.DefaultParams")
	r.HashParams = *password.DefaultParams
	if r.Hash, err = timeHashes(ctx, 10); err != nil {
		return err
	}

	logf("building the release binary")
	b.bin = filepath.Join(b.tmp, "sesame")
	if r.BuildTook, err = buildRelease(ctx, b.root, b.bin); err != nil {
		return err
	}
	st, err := os.Stat(b.bin)
	if err != nil {
		return err
	}
	r.BinSize = st.Size()

	if b.sink, err = startSink(); err != nil {
		return err
	}

	b.quiet(ctx, "the cold starts")
	logf("timing %d cold starts", c.Starts)
	for i := 0; i < c.Starts; i++ {
		dir := filepath.Join(b.tmp, fmt.Sprintf("start%d", i))
		os.Mkdir(dir, 0o700)
		s, err := startServer(ctx, b.bin, filepath.Join(dir, "sesame.db"), filepath.Join(dir, "serve.log"), b.sink.addr, false, c.Env)
		if err != nil {
			return err
		}
		r.Starts = append(r.Starts, s.startTook)
		s.stop()
		time.Sleep(100 * time.Millisecond)
	}
	data := filepath.Join(b.tmp, "sesame.db")
	if b.srv, err = startServer(ctx, b.bin, data, filepath.Join(b.tmp, "serve.log"), b.sink.addr, true, c.Env); err != nil {
		return err
	}
	r.Starts = append(r.Starts, b.srv.startTook)
	logf("server pid %d on %s (pprof %s); healthy after %v", b.srv.pid(), b.srv.base, b.srv.pprof, b.srv.startTook)
	sleep(ctx, time.Second)
	r.IdleFresh = readRSS(b.srv.pid())

	if err := b.importAccounts(ctx); err != nil {
		return err
	}
	if err := b.warmUp(ctx); err != nil {
		return err
	}
	sleep(ctx, 3*time.Second)
	r.IdleWarm = readRSS(b.srv.pid())
	r.IdleMaps = rssByMapping(b.srv.pid())
	logf("idle RSS %.1f MB", mb(r.IdleWarm.Total))

	b.quiet(ctx, "the first-mail samples")
	b.firstMail(ctx)
	if err := b.pairPhases(ctx); err != nil {
		return err
	}
	b.heapProfile(ctx)
	b.wrongCodes(ctx)
	sleep(ctx, time.Second)
	b.quiet(ctx, "the hash timing and the sequential password sets")
	logf("argon2id: timing one hash in this process again, server idle")
	if r.HashLate, err = timeHashes(ctx, 10); err != nil {
		return err
	}
	b.rightCodesAndSets(ctx)
	b.concurrentSets(ctx)
	if err := b.logins(ctx); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}

	logf("final idle, outbox and shutdown")
	t0 := time.Now()
	r.OutboxEnd, _ = b.drain(ctx, 30*time.Second)
	r.OutboxEndDrain = time.Since(t0)
	sleep(ctx, 3*time.Second)
	r.IdleAfter = readRSS(b.srv.pid())
	r.Machine.LoadAfter = loadavg()
	r.PeakOverall = procStatus(b.srv.pid(), "VmHWM")
	r.SinkMsgs, r.SinkConns = b.sink.stats()
	if st, err := os.Stat(data); err == nil {
		r.DataSize = st.Size()
	}
	r.ShutdownTook = b.srv.stop()
	if log, err := os.ReadFile(filepath.Join(b.tmp, "serve.log")); err == nil {
		r.LogSize, r.LogLines = int64(len(log)), strings.Count(string(log), "\n")
	}
	b.srv = nil
	b.pprofTops(ctx)
	return ctx.Err()
}

// timeHashes times n argon2id hashes with Sésame's parameters, after
// one that warms up.
func timeHashes(ctx context.Context, n int) ([]time.Duration, error) {
	var out []time.Duration
	for i := 0; i <= n && ctx.Err() == nil; i++ {
		t0 := time.Now()
		if _, err := argon2id.CreateHash(recoveryPassword, password.DefaultParams); err != nil {
			return nil, err
		}
		if i > 0 {
			out = append(out, time.Since(t0))
		}
	}
	return out, nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func (b *bench) importAccounts(ctx context.Context) error {
	var sb strings.Builder
	sb.WriteString("Identifiant;Nom;Prénom;E-mail;Langue\n")
	for i := 0; i < b.cfg.Accounts; i++ {
		fmt.Fprintf(&sb, "%s;Martin;Claire;%s;fr\n", accountID(i), accountEmail(i))
	}
	csv := filepath.Join(b.tmp, "parents.csv")
	if err := os.WriteFile(csv, []byte(sb.String()), 0o600); err != nil {
		return err
	}
	logf("importing %d accounts", b.cfg.Accounts)
	t0 := time.Now()
	out, err := b.srv.cli(ctx, "", "accounts", "--data", b.srv.data, "import", csv)
	if err != nil {
		return err
	}
	b.res.ImportTook, b.res.ImportOut = time.Since(t0), strings.TrimSpace(lastLine(out))
	return nil
}

// warmUp loads each page a few times and runs a few pairs with unknown
// addresses, so the idle RSS is a server that has served.
func (b *bench) warmUp(ctx context.Context) error {
	v := b.client()
	for i := 0; i < 50; i++ {
		for _, p := range []string{"/", "/recuperation"} {
			v.jar.reset()
			if k, ok := v.page(ctx, p); !ok {
				return fmt.Errorf("warm-up: %s", k)
			}
		}
		if r := v.do(ctx, http.MethodGet, "/politique-mot-de-passe", nil, false); r.err != nil || r.status != http.StatusOK {
			return fmt.Errorf("warm-up: %s", r.key("GET", "/politique-mot-de-passe"))
		}
		if _, _, k := v.pair(ctx, b.unknownEmail()); k != "" {
			return fmt.Errorf("warm-up: %s", k)
		}
	}
	return nil
}

// firstMail times, on the idle server, a step-1 post to the code's
// arrival at the sink.
func (b *bench) firstMail(ctx context.Context) {
	logf("first-mail latency, %d samples", b.cfg.MailSamples)
	from := b.reservedFrom("mail")
	for i := 0; i < b.cfg.MailSamples && ctx.Err() == nil; i++ {
		v := b.client()
		if k, ok := v.page(ctx, "/recuperation"); !ok {
			b.note("first mail: %s", k)
			continue
		}
		email := accountEmail(from + i)
		t0 := time.Now()
		_, k := v.post(ctx, "/recuperation/email", http.StatusSeeOther, "/recuperation?msg=sent", "", "email", email)
		post := time.Since(t0)
		if k != "" {
			b.note("first mail: %s", k)
			continue
		}
		a, ok := b.sink.waitCode(ctx, email, t0, 10*time.Second)
		if !ok {
			b.note("first mail: no mail for %s within 10 s", email)
			continue
		}
		b.res.FirstMail = append(b.res.FirstMail, a.at.Sub(t0))
		b.res.FirstMailPost = append(b.res.FirstMailPost, post)
		sleep(ctx, 500*time.Millisecond)
	}
}

// pairPhases runs step 1 at each concurrency. Half the addresses are
// known (cycling through this phase's own slice of accounts: the first
// pass mails a code, the next ones fall in the 60 s cooldown and mail
// nothing, as the store decides) and half are unknown and unique.
func (b *bench) pairPhases(ctx context.Context) error {
	c := b.cfg
	slice := b.pairPool() / len(c.Clients)
	for pi, n := range c.Clients {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		first := pi * slice
		var seq atomic.Int64
		name := fmt.Sprintf("pairs ×%d", n)
		b.quiet(ctx, name)
		logf("%s for %v", name, c.Duration)
		var prof chan *profile
		if pi == len(c.Clients)-1 {
			prof = b.cpuProfile(ctx, name, c.Duration)
		}
		msgs0 := time.Now()
		p := runPhase(ctx, b.srv.pid(), name, n, c.Duration, func(int) step {
			v := b.client()
			return func(ctx context.Context, w *worker) bool {
				i := seq.Add(1)
				email := b.unknownEmail()
				if i%2 == 0 {
					email = accountEmail(first + int(i/2)%slice)
				}
				get, post, k := v.pair(ctx, email)
				w.record(get+post, k)
				w.part("GET /recuperation", get)
				w.part("POST /recuperation/email", post)
				return true
			}
		})
		phaseEnd := time.Now()
		logf("%s: %.0f/s, p50 %v, p99 %v, errors %d", name, p.perSec(), pct(p.Lat, .5), pct(p.Lat, .99), p.errors())
		b.res.Pairs = append(b.res.Pairs, p)
		if prof != nil {
			b.keepProfile(<-prof)
		}
		if st, err := os.Stat(b.srv.data); err == nil {
			b.res.PairData = append(b.res.PairData, st.Size())
		}
		t0 := time.Now()
		ob, err := b.drain(ctx, 30*time.Second)
		if err != nil {
			b.note("outbox after %s: %v", name, err)
		}
		b.res.PairOutbox = append(b.res.PairOutbox, ob)
		b.res.PairDrain = append(b.res.PairDrain, time.Since(t0))
		b.res.PairMail = append(b.res.PairMail, window(b.sink.between(msgs0, time.Now()), msgs0, phaseEnd))
	}
	return nil
}

// drain waits until the outbox has nothing pending (or limit passes) and
// returns its counts.
func (b *bench) drain(ctx context.Context, limit time.Duration) (outbox, error) {
	deadline := time.Now().Add(limit)
	for {
		ob, err := b.srv.outbox(ctx)
		if err != nil || ob.pending == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return ob, err
		}
		sleep(ctx, 200*time.Millisecond)
	}
}

func window(ts []time.Time, start, end time.Time) mailWindow {
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	w := mailWindow{Count: len(ts)}
	for _, t := range ts {
		if t.Before(end) {
			w.DuringPhase++
		}
	}
	if len(ts) >= 2 {
		w.Span = ts[len(ts)-1].Sub(ts[0])
		if w.Span > 0 {
			w.Rate = float64(len(ts)) / w.Span.Seconds()
		}
	}
	j := 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= time.Second {
			j++
		}
		w.PeakSecond = max(w.PeakSecond, i-j+1)
	}
	return w
}

// profile is a CPU profile of one phase and its `go tool pprof` tops.
type profile struct {
	phase    string
	secs     int
	path     string
	err      error
	top, cum string
}

// cpuProfile fetches a CPU profile from the server's --pprof endpoint
// covering most of a phase of length dur that starts now.
func (b *bench) cpuProfile(ctx context.Context, phase string, dur time.Duration) chan *profile {
	ch := make(chan *profile, 1)
	secs := max(1, int(dur/time.Second)-2)
	delay := time.Second
	if dur < 3*time.Second {
		delay = 0
	}
	go func() {
		sleep(ctx, delay)
		p := &profile{phase: phase, secs: secs}
		p.path, p.err = b.fetchProfile(ctx, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), "sesame-bench-cpu-*.pprof")
		ch <- p
	}()
	return ch
}

func (b *bench) keepProfile(p *profile) {
	if p.err != nil {
		b.note("CPU profile of %s: %v", p.phase, p.err)
		return
	}
	b.res.Profiles = append(b.res.Profiles, p)
}

// fetchProfile saves a pprof endpoint's answer to a temporary file that
// outlives the run, and returns its path.
func (b *bench) fetchProfile(ctx context.Context, path, pattern string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+b.srv.pprof+path, nil)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Timeout: b.cfg.Duration + 30*time.Second}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		return "", err
	}
	return f.Name(), nil
}

func (b *bench) heapProfile(ctx context.Context) {
	path, err := b.fetchProfile(ctx, "/debug/pprof/heap", "sesame-bench-heap-*.pprof")
	if err != nil {
		b.note("heap profile: %v", err)
		return
	}
	b.res.HeapPath = path
}

// pprofTops runs `go tool pprof -top` on the saved profiles.
func (b *bench) pprofTops(ctx context.Context) {
	top := func(args ...string) string {
		cmd := exec.CommandContext(ctx, "go", append([]string{"tool", "pprof"}, args...)...)
		cmd.Dir = b.root
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.note("go tool pprof %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimRight(string(out), "\n")
	}
	for _, p := range b.res.Profiles {
		p.top = top("-top", "-nodecount=15", p.path)
		p.cum = top("-top", "-cum", "-nodecount=25", p.path)
	}
	if p := b.res.HeapPath; p != "" {
		b.res.HeapTop = top("-sample_index=alloc_space", "-top", "-nodecount=12", p)
	}
}

// newFlow starts a recovery flow for email in a fresh browser.
func (b *bench) newFlow(ctx context.Context, email string) (*vclient, string) {
	v := b.client()
	_, _, k := v.pair(ctx, email)
	return v, k
}

// wrongCodes checks wrong codes on prepared flows for unknown addresses
// (their codes exist but nobody knows them), 4 per flow: the 5th would
// lock the code.
func (b *bench) wrongCodes(ctx context.Context) {
	c := b.cfg
	seqFlows := 250
	logf("preparing %d recovery flows for the wrong-code phases", seqFlows+c.CodeFlows)
	t0 := time.Now()
	flows := make(chan *vclient, seqFlows+c.CodeFlows)
	var wg sync.WaitGroup
	var fails atomic.Int64
	var next atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && next.Add(1) <= int64(seqFlows+c.CodeFlows) {
				if v, k := b.newFlow(ctx, b.unknownEmail()); k == "" {
					flows <- v
				} else {
					fails.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(flows)
	b.res.WrongPrep = time.Since(t0)
	if n := fails.Load(); n > 0 {
		b.note("%d wrong-code flows could not be started", n)
	}
	var mu sync.Mutex
	take := func() *vclient {
		mu.Lock()
		defer mu.Unlock()
		return <-flows
	}
	check := func(int) step {
		var v *vclient
		left := 0
		return func(ctx context.Context, w *worker) bool {
			if left == 0 {
				if v = take(); v == nil {
					return false
				}
				left = 4
			}
			left--
			t0 := time.Now()
			_, k := v.post(ctx, "/recuperation/code", http.StatusUnprocessableEntity, "", "essai", "code", wrongCode)
			w.record(time.Since(t0), k)
			return true
		}
	}
	// The sequential phase uses only its own flows.
	seq := make(chan *vclient, seqFlows)
	for range seqFlows {
		if v, ok := <-flows; ok {
			seq <- v
		}
	}
	close(seq)
	all := flows
	flows = seq
	b.quiet(ctx, "wrong code ×1")
	logf("wrong codes ×1 (up to %d checks or %v)", 4*seqFlows, c.Duration)
	b.res.WrongSeq = runPhase(ctx, b.srv.pid(), "wrong code ×1", 1, c.Duration, check)
	flows = all
	b.quiet(ctx, fmt.Sprintf("wrong code ×%d", c.CodeClients))
	logf("wrong codes ×%d (up to %d checks or %v)", c.CodeClients, 4*c.CodeFlows, c.Duration)
	b.res.WrongConc = runPhase(ctx, b.srv.pid(), fmt.Sprintf("wrong code ×%d", c.CodeClients), c.CodeClients, c.Duration, check)
	for _, p := range []*phase{b.res.WrongSeq, b.res.WrongConc} {
		logf("%s: %.0f/s, p50 %v, p99 %v, errors %d", p.Name, p.perSec(), pct(p.Lat, .5), pct(p.Lat, .99), p.errors())
	}
}

// verifiedFlow runs steps 1 and 2 for account i with the code from the
// sink, and returns the browser and the time of the right-code check.
func (b *bench) verifiedFlow(ctx context.Context, i int) (*vclient, time.Duration, string) {
	email := accountEmail(i)
	t0 := time.Now()
	v, k := b.newFlow(ctx, email)
	if k != "" {
		return nil, 0, k
	}
	a, ok := b.sink.waitCode(ctx, email, t0, 10*time.Second)
	if !ok {
		return nil, 0, "no mail with the code within 10 s"
	}
	t1 := time.Now()
	_, k = v.post(ctx, "/recuperation/code", http.StatusSeeOther, "/recuperation", "", "code", a.code[:4]+" "+a.code[4:])
	return v, time.Since(t1), k
}

// rightCodesAndSets: sequential right-code checks and password sets.
func (b *bench) rightCodesAndSets(ctx context.Context) {
	n := b.cfg.SetSamples
	logf("right codes and password sets ×1, %d samples", n)
	from := b.reservedFrom("seq")
	right, set := newWorker(), newWorker()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		v, d, k := b.verifiedFlow(ctx, from+i)
		if v == nil {
			right.errs[k]++
			continue
		}
		right.record(d, k)
		if k != "" {
			continue
		}
		t0 := time.Now()
		_, k = v.post(ctx, "/recuperation/mot-de-passe", http.StatusSeeOther, "/recuperation", "",
			"identifier", accountID(from+i), "password", recoveryPassword, "confirm", recoveryPassword)
		set.record(time.Since(t0), k)
	}
	// Steps 1 and the mail waits come between the samples: only the
	// requests themselves are timed, and no CPU is attributed.
	b.res.RightSeq = merge("right code ×1", 1, nil, right)
	b.res.SetSeq = merge("password set ×1", 1, nil, set)
}

// concurrentSets prepares SetClients verified flows, then submits all
// their new passwords at the same instant and watches the memory.
func (b *bench) concurrentSets(ctx context.Context) {
	n := b.cfg.SetClients
	from := b.reservedFrom("set")
	logf("preparing %d verified flows", n)
	flows := make([]*vclient, n)
	prep := make([]*worker, 8)
	var next atomic.Int64
	var wg sync.WaitGroup
	for j := range prep {
		prep[j] = newWorker()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				v, d, k := b.verifiedFlow(ctx, from+i)
				if v == nil {
					prep[j].errs[k]++
					continue
				}
				prep[j].record(d, k)
				if k == "" {
					flows[i] = v
				}
			}
		}()
	}
	wg.Wait()
	b.res.Set64Prep = merge("right code ×8", 8, nil, prep...)
	if ctx.Err() != nil {
		return
	}
	sleep(ctx, time.Second)
	b.quiet(ctx, "the concurrent password submissions")
	logf("%d password submissions at once", n)
	ws := make([]*worker, n)
	gate := make(chan struct{})
	m := startMeter(b.srv.pid())
	for i := range ws {
		ws[i] = newWorker()
		if flows[i] == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			t0 := time.Now()
			_, k := flows[i].post(ctx, "/recuperation/mot-de-passe", http.StatusSeeOther, "/recuperation", "",
				"identifier", accountID(from+i), "password", recoveryPassword, "confirm", recoveryPassword)
			ws[i].record(time.Since(t0), k)
		}()
	}
	m.start = time.Now()
	close(gate)
	wg.Wait()
	m.stop()
	b.res.Set64 = merge(fmt.Sprintf("password set ×%d at once", n), n, m, ws...)
	p := b.res.Set64
	logf("%s: all done in %v, p50 %v, max %v, peak RSS %.1f MB, errors %d", p.Name, p.Elapsed, pct(p.Lat, .5), pct(p.Lat, 1), mb(p.PeakRSS), p.errors())
}

// logins: the pool's passwords set with the CLI, then logins at 1 and
// LoginClients.
func (b *bench) logins(ctx context.Context) error {
	from := b.reservedFrom("login")
	logf("setting %d passwords with `sesame accounts set-password`", loginPool)
	t0 := time.Now()
	for i := 0; i < loginPool; i++ {
		if _, err := b.srv.cli(ctx, loginPassword+"\n", "accounts", "--data", b.srv.data, "set-password", accountID(from+i)); err != nil {
			return err
		}
	}
	b.res.LoginSetTook = time.Since(t0) / loginPool
	login := func(w0 int) step {
		v := b.client()
		i := w0
		return func(ctx context.Context, w *worker) bool {
			if v.csrf == "" {
				if k, ok := v.page(ctx, "/"); !ok {
					w.record(0, k)
					return !errors.Is(ctx.Err(), context.Canceled)
				}
			}
			i++
			t0 := time.Now()
			_, k := v.post(ctx, "/login", http.StatusSeeOther, "/espace", "", "identifier", accountID(from+i%loginPool), "password", loginPassword)
			w.record(time.Since(t0), k)
			v.jar.keepOnly(csrfCookieName)
			return true
		}
	}
	b.quiet(ctx, "login ×1")
	logf("logins ×1 for %v", b.cfg.Duration/2)
	b.res.LoginSeq = runPhase(ctx, b.srv.pid(), "login ×1", 1, b.cfg.Duration/2, login)
	b.quiet(ctx, fmt.Sprintf("login ×%d", b.cfg.LoginClients))
	logf("logins ×%d for %v", b.cfg.LoginClients, b.cfg.Duration)
	name := fmt.Sprintf("login ×%d", b.cfg.LoginClients)
	prof := b.cpuProfile(ctx, name, b.cfg.Duration)
	b.res.LoginConc = runPhase(ctx, b.srv.pid(), name, b.cfg.LoginClients, b.cfg.Duration, login)
	b.keepProfile(<-prof)
	for _, p := range []*phase{b.res.LoginSeq, b.res.LoginConc} {
		logf("%s: %.1f/s, p50 %v, p99 %v, errors %d", p.Name, p.perSec(), pct(p.Lat, .5), pct(p.Lat, .99), p.errors())
	}
	return nil
}

const csrfCookieName = "sesame_csrf"

func mb(b uint64) float64 { return float64(b) / 1e6 }
