package account_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/store/storetest"
)

// countingHasher counts the argon2id work asked of the password hasher:
// Verify and Dummy each run one argon2id verification, Hash one hash.
type countingHasher struct {
	account.Hasher
	verifies, hashes int
}

func (h *countingHasher) Hash(ctx context.Context, pw string) (string, error) {
	h.hashes++
	return h.Hasher.Hash(ctx, pw)
}

func (h *countingHasher) Verify(ctx context.Context, pw, hash string) (bool, error) {
	h.verifies++
	return h.Hasher.Verify(ctx, pw, hash)
}

func (h *countingHasher) Dummy(ctx context.Context, pw string) error {
	h.verifies++
	return h.Hasher.Dummy(ctx, pw)
}

// A failed login does the same work whatever failed: a wrong password,
// an unknown identifier, a disabled account, an account with no password
// yet. The same store reads, one argon2id verification (the dummy one
// when there is no hash to check), the same audit write, the same clock
// reads. BenchmarkLoginKnownVsUnknown only measures; this fails when the
// paths diverge.
//
// The one difference allowed: an identifier that is not well-formed
// skips the store read, as it can name no account. That tells nothing
// about which accounts exist (the format is public and the same for
// everyone), and the read costs microseconds against the verification's
// tens of milliseconds, which it still does.
func TestLoginSameWorkForEveryFailure(t *testing.T) {
	s, st, c, _ := newService(t)
	add(t, s, "dupont.marie", "Cartable-Vert-2026")
	add(t, s, "sans.mdp", "")
	add(t, s, "ferme.compte", "Cartable-Vert-2026")
	if _, err := s.SetState("ferme.compte", account.Disabled); err != nil {
		t.Fatal(err)
	}
	rec := &storetest.Recorder{Store: st}
	h := &countingHasher{Hasher: s.Hasher}
	reads := 0
	s.Store, s.Hasher, s.Audit = rec, h, rec
	s.Now = func() time.Time { reads++; return c.now() }
	read := storetest.Call{Method: "Account"}
	audit := storetest.Call{Method: "Audit.Append", Write: true}
	for _, tc := range []struct {
		name, id, pw string
		calls        []storetest.Call
	}{
		{"wrong password", "dupont.marie", "Cartable-2025", []storetest.Call{read, audit}},
		{"unknown identifier", "dupont.mario", "Cartable-Vert-2026", []storetest.Call{read, audit}},
		{"disabled account", "ferme.compte", "Cartable-Vert-2026", []storetest.Call{read, audit}},
		{"no password yet", "sans.mdp", "Cartable-Vert-2026", []storetest.Call{read, audit}},
		{"malformed identifier", "<script>", "Cartable-Vert-2026", []storetest.Call{audit}},
	} {
		rec.Reset()
		h.verifies, h.hashes, reads = 0, 0, 0
		if _, err := s.Login(context.Background(), tc.id, tc.pw); !errors.Is(err, account.ErrInvalidCredentials) {
			t.Errorf("%s: %v, want ErrInvalidCredentials", tc.name, err)
		}
		if got := rec.Calls(); !slices.Equal(got, tc.calls) {
			t.Errorf("%s: store calls %v, want %v", tc.name, got, tc.calls)
		}
		if h.verifies != 1 || h.hashes != 0 {
			t.Errorf("%s: %d argon2id verifications and %d hashes, want 1 and 0", tc.name, h.verifies, h.hashes)
		}
		if reads != 1 {
			t.Errorf("%s: %d clock reads, want 1", tc.name, reads)
		}
	}
}
