package account_test

import (
	"context"
	"testing"
	"time"

	"sesame/internal/account"
)

// The last sign-in is written in the session's own transaction, moves
// only forward, and survives a write of a copy read before it (an edit,
// an import): the school's statistics read it.
func TestLastLoginWrittenAtSignIn(t *testing.T) {
	s, st, c, _ := newService(t)
	ctx := context.Background()
	add(t, s, "dupont.marie", "Cartable-Vert-2026")
	if a, _ := st.Account("dupont.marie"); !a.LastLogin.IsZero() {
		t.Fatalf("LastLogin before any sign-in: %v", a.LastLogin)
	}
	stale, _ := st.Account("dupont.marie") // read before the sign-ins

	c.t = c.t.Add(time.Hour)
	first := c.t
	a, err := s.Login(ctx, "dupont.marie", "Cartable-Vert-2026")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.NewSession(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Account("dupont.marie"); !got.LastLogin.Equal(first) {
		t.Fatalf("LastLogin %v, want %v", got.LastLogin, first)
	}
	// A failed sign-in changes nothing.
	c.t = c.t.Add(time.Hour)
	if _, err := s.Login(ctx, "dupont.marie", "faux"); err == nil {
		t.Fatal("wrong password accepted")
	}
	if got, _ := st.Account("dupont.marie"); !got.LastLogin.Equal(first) {
		t.Fatalf("after a failed sign-in: LastLogin %v", got.LastLogin)
	}
	c.t = c.t.Add(time.Hour)
	second := c.t
	if _, err := s.NewSession(ctx, a); err != nil {
		t.Fatal(err)
	}
	// A session created with an older time (two logins in one batch,
	// the later committed first) does not move it back.
	if err := st.CreateSession([]byte("older"), account.Session{Account: "dupont.marie", Created: first, Expires: second}, nil); err != nil {
		t.Fatal(err)
	}
	// An edit from a copy read before both sign-ins keeps them.
	stale.Phone = "06 12 34 56 78"
	if err := st.UpdateAccount(stale); err != nil {
		t.Fatal(err)
	}
	if err := st.ApplyImport([]account.Account{stale}, nil, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Account("dupont.marie")
	if !got.LastLogin.Equal(second) || got.Phone != "06 12 34 56 78" {
		t.Fatalf("after stale writes: LastLogin %v (want %v), phone %q", got.LastLogin, second, got.Phone)
	}
	// Invited moves forward alike.
	got.Invited = second
	if err := st.UpdateAccount(got); err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateAccount(stale); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Account("dupont.marie"); !got.Invited.Equal(second) || !got.LastLogin.Equal(second) {
		t.Fatalf("Invited %v, LastLogin %v after a stale write", got.Invited, got.LastLogin)
	}
}
