package recovery_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/recovery"
	"sesame/internal/store/storetest"
)

// countingHasher counts the argon2id work asked of the password hasher.
type countingHasher struct {
	account.Hasher
	n atomic.Int32
}

func (h *countingHasher) Hash(ctx context.Context, pw string) (string, error) {
	h.n.Add(1)
	return h.Hasher.Hash(ctx, pw)
}

func (h *countingHasher) Verify(ctx context.Context, pw, hash string) (bool, error) {
	h.n.Add(1)
	return h.Hasher.Verify(ctx, pw, hash)
}

func (h *countingHasher) Dummy(ctx context.Context, pw string) error {
	h.n.Add(1)
	return h.Hasher.Dummy(ctx, pw)
}

type countingNotifier struct{ n atomic.Int32 }

func (n *countingNotifier) Notify() { n.n.Add(1) }

// work is everything step 1 did that could take time or show.
type work struct {
	calls                  []storetest.Call
	hashes, clock, notices int32
}

// Step 1 does the same work for every well-formed address, known,
// unknown or disabled: the same store calls in the same order, the same
// records written, no hashing, the same clock reads, one wake-up of the
// mail worker. Timing benchmarks (BenchmarkRecoveryStartKnownVsUnknown)
// only measure; this fails when the paths diverge.
//
// The one difference allowed is the e-mail: an address the school knows
// (active or disabled) has its message queued in the outbox, an unknown
// one has none, since no mail goes to unknown addresses. It does not
// show in the answer: the message is written inside the same transaction
// as the code, flow and audit record every address gets (one Batch, one
// disk sync, before the same answer); it adds its outbox record and index
// key, about 3 more 4 KiB pages to the ~11 that step 1 writes anyway
// (measured with bbolt's TxStats on a file of 300 accounts), which the
// sync absorbs: the benchmark's medians differ by less than its noise.
// The message then leaves through the worker, off the request path.
// Queuing a decoy for unknown addresses instead would only move the
// difference into the worker, which would have to tell decoys apart.
//
// The audit record differs in kind, not in number: an unknown address's
// is counted in its client's hourly record (audit.RecoveryUnknown), so a
// flood of made-up addresses does not fill the disk; the same Issue call
// writes it, in the same transaction, as one record either way.
func TestStartSameWorkForEveryAddress(t *testing.T) {
	f := setup(t)
	rec := &storetest.Recorder{Store: f.st}
	hasher := &countingHasher{Hasher: f.acc.Hasher}
	var reads atomic.Int32
	now := func() time.Time { reads.Add(1); return f.clk.now() }
	acc := *f.acc
	acc.Store, acc.Hasher, acc.Now, acc.Audit = rec, hasher, now, rec
	notes := &countingNotifier{}
	svc := &recovery.Service{Store: rec, Accounts: &acc, Secret: f.st.Secret(), Config: recovery.DefaultConfig,
		Now: now, Mail: notes, Audit: rec}
	ctx := context.Background()
	run := func(step func() error) work {
		t.Helper()
		rec.Reset()
		hasher.n.Store(0)
		reads.Store(0)
		notes.n.Store(0)
		if err := step(); err != nil {
			t.Fatal(err)
		}
		return work{rec.Calls(), hasher.n.Load(), reads.Load(), notes.n.Load()}
	}
	// Per address: step 1 (a new code), step 1 again within the cooldown
	// (no new code; the pending one stays valid), a wrong code at step 2.
	want := func(mailed bool) []work {
		first := "code flow audit"
		if mailed {
			first = "code mail flow audit"
		}
		return []work{
			{calls: []storetest.Call{{Method: "AccountsByEmail"}, {Method: "Issue", Write: true, Writes: first}}, clock: 2, notices: 1},
			{calls: []storetest.Call{{Method: "AccountsByEmail"}, {Method: "Issue", Write: true, Writes: "flow audit"}}, clock: 2, notices: 1},
			// The refusal is recorded with the address's accounts (none
			// for an unknown one), read alike for every address.
			{calls: []storetest.Call{{Method: "Flow"}, {Method: "TryCode", Write: true}, {Method: "AccountsByEmail"}, {Method: "Audit.Append", Write: true}}, clock: 3},
		}
	}
	for _, c := range []struct {
		name, email string
		mailed      bool
	}{
		{"known", "luc@exemple.fr", true},
		{"family", "famille@exemple.fr", true},
		{"disabled", "anne@exemple.fr", true},
		{"unknown", "personne@exemple.fr", false},
	} {
		var tok string
		steps := []struct {
			name string
			do   func() error
		}{
			{"step 1", func() (err error) { tok, _, err = svc.Start(ctx, c.email, "fr"); return err }},
			{"step 1 again", func() (err error) { tok, _, err = svc.Start(ctx, c.email, "fr"); return err }},
			{"wrong code", func() error {
				if _, err := svc.Verify(ctx, tok, "0000 0000"); !errors.Is(err, recovery.ErrCodeWrong) {
					return err
				}
				return nil
			}},
		}
		for i, w := range want(c.mailed) {
			got := run(steps[i].do)
			if !slices.Equal(got.calls, w.calls) || got.hashes != w.hashes || got.clock != w.clock || got.notices != w.notices {
				t.Errorf("%s address, %s: %+v\nwant %+v", c.name, steps[i].name, got, w)
			}
		}
	}
}
