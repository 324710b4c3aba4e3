package password

import (
	"context"
	"errors"
	"runtime"
	"runtime/debug"
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

// A burst of 200 logins never runs more hashes at once than the slots,
// so memory stays bounded: with 8 MiB per hash (smaller than production's
// 19 MiB only to keep the suite fast under -race) and 2 slots, the heap
// never comes near 200 × 8 MiB.
func TestBurstIsBounded(t *testing.T) {
	const mib = 8
	// As in production (cli sets a soft limit), so the garbage of finished
	// hashes is collected promptly rather than at GOGC's pace.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(4 * mib << 20))
	h := New(&Params{Memory: mib * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 2, time.Minute)
	enc, _ := h.Hash(context.Background(), "Lune-bleue-42")
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			default:
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.Verify(context.Background(), "faux", enc); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(stop)
	limit := uint64(10 * mib << 20) // 2 slots plus garbage not yet collected; unbounded would be 1,600 MiB
	if p := peak.Load(); p > limit {
		t.Fatalf("heap peaked at %d MiB for 200 concurrent logins", p>>20)
	}
	t.Logf("heap peak %d MiB for 200 concurrent logins with 2 slots", peak.Load()>>20)
}

// When every slot stays taken too long, the caller gets ErrBusy to answer
// "try again" instead of queueing without end.
func TestBusy(t *testing.T) {
	h := New(small, 1, 20*time.Millisecond)
	h.slots <- struct{}{} // a hash that never ends
	_, err := h.Hash(context.Background(), "x")
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("got %v, want ErrBusy", err)
	}
	<-h.slots
	if _, err := h.Hash(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkHash measures one hash with the production parameters, the
// cost of every login and password change.
//
//	go test -run '^$' -bench Hash -benchmem ./password/
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
