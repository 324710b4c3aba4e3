package password

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var small = &Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func TestHashVerify(t *testing.T) {
	h := New(small, 2, time.Second)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "Lune-bleue-42 é🙂")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pw   string
		want bool
	}{{"Lune-bleue-42 é🙂", true}, {"Lune-bleue-42 é", false}, {"", false}} {
		if ok, err := h.Verify(ctx, c.pw, enc); err != nil || ok != c.want {
			t.Errorf("Verify(%q) = %v, %v", c.pw, ok, err)
		}
	}
	// No hash (never activated): always false, never an error.
	if ok, err := h.Verify(ctx, "", ""); ok || err != nil {
		t.Fatalf("empty hash: %v %v", ok, err)
	}
	if h.NeedsRehash(enc) {
		t.Fatal("fresh hash needs rehash")
	}
	other := New(&Params{Memory: 2048, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 1, time.Second)
	if !other.NeedsRehash(enc) || !other.NeedsRehash("garbage") {
		t.Fatal("a hash with other parameters does not need a rehash")
	}
}

// gauge counts the argon2id hashes a hasher runs at once. Every hash
// waits at the gate (open) until the test opens it, so the test, not the
// scheduler, decides when the slots are full and nothing finishes early.
type gauge struct {
	running, peak, calls atomic.Int32
	at                   int32
	full, open           chan struct{}
	fullOnce             sync.Once
}

// watch wraps h's argon2id work in a gauge; full closes once at hashes
// run at once.
func watch(h *Hasher, at int) *gauge {
	g := &gauge{at: int32(at), full: make(chan struct{}), open: make(chan struct{})}
	create, compare := h.create, h.compare
	h.create = func(pw string, p *Params) (string, error) {
		defer g.enter()()
		return create(pw, p)
	}
	h.compare = func(pw, hash string) (bool, error) {
		defer g.enter()()
		return compare(pw, hash)
	}
	return g
}

func (g *gauge) enter() (leave func()) {
	g.calls.Add(1)
	n := g.running.Add(1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	if n >= g.at {
		g.fullOnce.Do(func() { close(g.full) })
	}
	select {
	case <-g.open:
	case <-time.After(10 * time.Second): // a bug must fail the test, not hang it
	}
	return func() { g.running.Add(-1) }
}

func (g *gauge) waitFull(t *testing.T) {
	t.Helper()
	select {
	case <-g.full:
	case <-time.After(10 * time.Second):
		t.Fatalf("only %d of %d hashes ever ran at once", g.peak.Load(), g.at)
	}
}

// A burst of logins, unknown identifiers and password changes never runs
// more argon2id hashes at once than the hasher's slots. That is what
// bounds memory in production: serve builds the hasher as
// New(DefaultParams, --hash-concurrency, 10s), each hash holds its 19 MiB
// while it runs, so hashing never holds more than slots × 19 MiB, however
// many parents submit at once. No memory limit is involved.
func TestBurstIsBounded(t *testing.T) {
	const slots, burst = 3, 60
	h := New(small, slots, time.Minute)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "Lune-bleue-42")
	if err != nil {
		t.Fatal(err)
	}
	// The dummy hash is made once, on first use; made here, the burst
	// below does one hash per call.
	if err := h.Dummy(ctx, "faux"); err != nil {
		t.Fatal(err)
	}
	g := watch(h, slots)
	var wg sync.WaitGroup
	for i := range burst {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				_, err = h.Verify(ctx, "faux", enc) // a wrong password
			case 1:
				err = h.Dummy(ctx, "faux") // an unknown identifier
			case 2:
				_, err = h.Hash(ctx, "Nouveau-2026") // a new password
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	g.waitFull(t)
	// The slots are full and every hash is held at the gate. Give the
	// queued callers time to start hashing if anything let them past the
	// bound: correct code never does, so this pause makes the test
	// stricter, never flaky.
	time.Sleep(50 * time.Millisecond)
	close(g.open)
	wg.Wait()
	if p := g.peak.Load(); p != slots {
		t.Fatalf("%d hashes ran at once; the bound is %d", p, slots)
	}
	if n := g.calls.Load(); n != burst {
		t.Fatalf("%d hashes for %d calls", n, burst)
	}
}

// When every slot stays taken for longer than the wait limit, the callers
// queued behind get ErrBusy, having hashed nothing, so the handler can
// answer "try again"; the hashes holding the slots finish normally and
// the hasher serves again afterwards.
func TestBusy(t *testing.T) {
	const slots = 2
	h := New(small, slots, 30*time.Millisecond)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "Lune-bleue-42")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Dummy(ctx, "x"); err != nil { // made now, not while the slots are full
		t.Fatal(err)
	}
	g := watch(h, slots)
	var held sync.WaitGroup
	for range slots {
		held.Go(func() {
			if ok, err := h.Verify(ctx, "Lune-bleue-42", enc); !ok || err != nil {
				t.Errorf("a hash holding a slot: %v, %v", ok, err)
			}
		})
	}
	g.waitFull(t)
	var queued sync.WaitGroup
	for range 5 {
		queued.Go(func() {
			if _, err := h.Hash(ctx, "x"); !errors.Is(err, ErrBusy) {
				t.Errorf("queued past the wait limit: %v, want ErrBusy", err)
			}
		})
	}
	queued.Wait()
	if err := h.Dummy(ctx, "x"); !errors.Is(err, ErrBusy) {
		t.Errorf("unknown identifier queued past the wait limit: %v, want ErrBusy", err)
	}
	// A caller that goes away (the parent closed the page) stops waiting
	// with its context's error.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := h.Verify(gone, "x", enc); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v", err)
	}
	if n := g.calls.Load(); n != slots {
		t.Fatalf("%d hashes ran; only the %d holding the slots should have", n, slots)
	}
	close(g.open)
	held.Wait()
	if _, err := h.Hash(ctx, "x"); err != nil {
		t.Fatalf("after the burst: %v", err)
	}
}

// The dummy hash an unknown identifier is checked against is made with
// the hasher's own parameters, so it costs what a real account's does,
// and it is made by a caller holding a slot: when every slot is taken,
// even that first hash waits its turn.
func TestDummy(t *testing.T) {
	h := New(small, 1, 20*time.Millisecond)
	ctx := context.Background()
	g := watch(h, 1)
	close(g.open)         // count only
	h.slots <- struct{}{} // a hash that never ends
	if err := h.Dummy(ctx, "x"); !errors.Is(err, ErrBusy) {
		t.Fatalf("got %v, want ErrBusy", err)
	}
	if n := g.calls.Load(); n != 0 {
		t.Fatalf("%d hashes ran without a slot", n)
	}
	<-h.slots
	if err := h.Dummy(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if err := h.Dummy(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if n := g.calls.Load(); n != 3 { // the dummy made once, then two verifies
		t.Fatalf("%d hashes for two dummy verifies", n)
	}
	if h.NeedsRehash(h.dummy()) {
		t.Fatal("the dummy hash has other parameters than real ones")
	}
}

// BenchmarkHash measures one hash with the production parameters, the
// cost of every login and password change.
//
//	go test -run '^$' -bench Hash -benchmem ./internal/password/
func BenchmarkHash(b *testing.B) {
	h := New(DefaultParams, 1, time.Minute)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "Lune-bleue-42"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParams compares candidate parameters on this machine; the
// figures chose DefaultParams.
func BenchmarkParams(b *testing.B) {
	for _, c := range []struct {
		name string
		p    *Params
	}{
		{"m=19MiB,t=2,p=1", DefaultParams},
		{"m=46MiB,t=1,p=1", &Params{Memory: 46 * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}},
		{"m=64MiB,t=1,p=2", &Params{Memory: 64 * 1024, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32}},
		{"m=64MiB,t=3,p=2", &Params{Memory: 64 * 1024, Iterations: 3, Parallelism: 2, SaltLength: 16, KeyLength: 32}},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := New(c.p, 1, time.Minute)
			for b.Loop() {
				h.Hash(context.Background(), "Lune-bleue-42")
			}
		})
	}
}
