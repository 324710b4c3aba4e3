//go:build linux

package main

import (
	"context"
	"slices"
	"sync"
	"time"
)

// phase is one measured stretch of load and what it did.
type phase struct {
	Name    string
	Clients int
	Elapsed time.Duration
	OK      int
	Lat     []time.Duration            // every operation, sorted
	Sub     map[string][]time.Duration // per request kind, sorted
	Errs    map[string]int             // unexpected outcomes
	// What the server and the load generator (this process, SMTP sink
	// included) spent in CPU during the phase.
	ServerCPU, BenchCPU time.Duration
	// OtherCPU is what every other process of the machine used: the
	// benchmark's machine may not be quiet.
	OtherCPU time.Duration
	PeakRSS  uint64
	PeakAnon uint64 // highest anonymous RSS sampled (heap, stacks)
	// Flushes counts the server's fdatasync+fsync calls, Faults its
	// page faults (-1: unknown).
	Flushes, Faults int
	// Unmetered: samples taken between other work (steps 1, mail
	// waits); Elapsed is then the sum of the samples, and CPU and RSS
	// are not measured.
	Unmetered bool
}

// worker is one virtual client's tally.
type worker struct {
	lat  []time.Duration
	sub  map[string][]time.Duration
	errs map[string]int
	ok   int
}

func newWorker() *worker {
	return &worker{sub: map[string][]time.Duration{}, errs: map[string]int{}}
}

// record counts one operation: fail is "" when it went as expected.
func (w *worker) record(d time.Duration, fail string) {
	w.lat = append(w.lat, d)
	if fail == "" {
		w.ok++
	} else {
		w.errs[fail]++
	}
}

// part records the time of one request inside an operation.
func (w *worker) part(name string, d time.Duration) {
	if d > 0 {
		w.sub[name] = append(w.sub[name], d)
	}
}

// meter watches the server's CPU and memory, and ours, over a phase.
type meter struct {
	pid                    int
	rss                    *rssMonitor
	syncs                  *syncCounter
	srv0, self0, all0      time.Duration
	start                  time.Time
	elapsed                time.Duration
	serverCPU, cpu, others time.Duration
	peak, anon             uint64
	flushes, faults        int
}

// syncDir is where perf writes its counts (the run's temporary directory).
var syncDir string

func startMeter(pid int) *meter {
	m := &meter{pid: pid, rss: watchRSS(pid), syncs: countSyncs(pid, syncDir)}
	m.srv0, m.self0, m.all0, m.start = procCPU(pid), selfCPU(), machineBusy(), time.Now()
	return m
}

func (m *meter) stop() {
	m.elapsed = time.Since(m.start)
	m.serverCPU = procCPU(m.pid) - m.srv0
	m.cpu = selfCPU() - m.self0
	m.others = max(0, machineBusy()-m.all0-m.serverCPU-m.cpu)
	m.peak, m.anon = m.rss.stop()
	m.flushes, m.faults = m.syncs.stop()
}

// merge builds the phase from its workers and its meter.
func merge(name string, clients int, m *meter, ws ...*worker) *phase {
	p := &phase{Name: name, Clients: clients, Sub: map[string][]time.Duration{}, Errs: map[string]int{}, Flushes: -1, Faults: -1}
	for _, w := range ws {
		p.OK += w.ok
		p.Lat = append(p.Lat, w.lat...)
		for k, v := range w.sub {
			p.Sub[k] = append(p.Sub[k], v...)
		}
		for k, v := range w.errs {
			p.Errs[k] += v
		}
	}
	slices.Sort(p.Lat)
	for _, v := range p.Sub {
		slices.Sort(v)
	}
	if m != nil {
		p.Elapsed, p.ServerCPU, p.BenchCPU, p.PeakRSS = m.elapsed, m.serverCPU, m.cpu, m.peak
		p.OtherCPU, p.Flushes, p.Faults, p.PeakAnon = m.others, m.flushes, m.faults, m.anon
	} else {
		p.Unmetered = true
		for _, d := range p.Lat {
			p.Elapsed += d
		}
	}
	return p
}

// step does one operation and records it in w; false means there is no
// more work for this worker.
type step func(ctx context.Context, w *worker) bool

// runPhase runs clients workers until dur has passed (operations under
// way finish), ctx ends, or every worker runs out of work.
func runPhase(ctx context.Context, pid int, name string, clients int, dur time.Duration, newStep func(i int) step) *phase {
	ws := make([]*worker, clients)
	steps := make([]step, clients)
	for i := range ws {
		ws[i], steps[i] = newWorker(), newStep(i)
	}
	m := startMeter(pid)
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	for i := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				if !steps[i](ctx, ws[i]) {
					return
				}
			}
		}()
	}
	wg.Wait()
	m.stop()
	return merge(name, clients, m, ws...)
}

func (p *phase) perSec() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.OK) / p.Elapsed.Seconds()
}

func (p *phase) errors() int {
	n := 0
	for _, v := range p.Errs {
		n += v
	}
	return n
}

// pct is the q-quantile (nearest rank) of sorted durations.
func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return pct(s, 0.5)
}
