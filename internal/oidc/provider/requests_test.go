package provider

import (
	"errors"
	"testing"
	"time"
)

// Authorization requests and codes in memory: a code works once and for
// CodeTTL, a request lives PendingTTL, and a flood fills MaxRequests,
// never the memory.
func TestRequests(t *testing.T) {
	now := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	r := newRequests(func() time.Time { return now })

	a := &authRequest{ClientID: "moodle"}
	if err := r.add(a); err != nil || len(a.ID) != 32 {
		t.Fatalf("add: %v %q", err, a.ID)
	}
	if err := r.setCode(a.ID, "c1"); !errors.Is(err, errUnknownRequest) {
		t.Fatalf("a code before the parent signed in: %v", err)
	}
	if _, err := r.complete(a.ID, "dupont.marie", now, []byte("b")); err != nil {
		t.Fatal(err)
	}
	// The callback loaded twice: only the last code works.
	if err := r.setCode(a.ID, "c1"); err != nil {
		t.Fatal(err)
	}
	if err := r.setCode(a.ID, "c2"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.byCode("c1"); !errors.Is(err, errUnknownRequest) {
		t.Fatalf("replaced code: %v", err)
	}
	got, reused, err := r.byCode("c2")
	if err != nil || reused != nil || got.Account != "dupont.marie" {
		t.Fatalf("byCode: %+v %v %v", got, reused, err)
	}
	// Once: the second use is recognised as a reuse.
	r.gaveRefresh("c2", "refresh-1")
	if _, reused, err := r.byCode("c2"); err == nil || reused == nil || reused.refresh != "refresh-1" || reused.account != "dupont.marie" {
		t.Fatalf("second use: %+v %v", reused, err)
	}

	// A code older than CodeTTL is refused, and spent all the same.
	b := &authRequest{ClientID: "moodle"}
	_ = r.add(b)
	_, _ = r.complete(b.ID, "dupont.marie", now, []byte("b"))
	_ = r.setCode(b.ID, "c3")
	now = now.Add(CodeTTL + time.Second)
	if _, _, err := r.byCode("c3"); !errors.Is(err, errUnknownRequest) {
		t.Fatalf("late code: %v", err)
	}

	// A pending request expires after PendingTTL.
	c := &authRequest{ClientID: "moodle"}
	_ = r.add(c)
	now = now.Add(PendingTTL - time.Second)
	if _, err := r.get(c.ID); err != nil {
		t.Fatalf("before PendingTTL: %v", err)
	}
	now = now.Add(2 * time.Second)
	if _, err := r.get(c.ID); !errors.Is(err, errUnknownRequest) {
		t.Fatalf("after PendingTTL: %v", err)
	}
	if _, err := r.complete(c.ID, "x", now, []byte("b")); !errors.Is(err, errUnknownRequest) {
		t.Fatalf("completing an expired request: %v", err)
	}

	// Full: expired ones make room; live ones do not.
	r.max = 3
	now = now.Add(time.Hour)
	for i := 0; i < 3; i++ {
		if err := r.add(&authRequest{}); err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
	}
	if err := r.add(&authRequest{}); !errors.Is(err, errFull) {
		t.Fatalf("add when full: %v", err)
	}
	now = now.Add(PendingTTL + time.Second)
	if err := r.add(&authRequest{}); err != nil || r.len() != 1 {
		t.Fatalf("add after expiry: %v, %d held", err, r.len())
	}
}

func TestNeedsLogin(t *testing.T) {
	now := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	ten := uint(600)
	for _, tc := range []struct {
		name     string
		prompt   []string
		maxAge   *uint
		authTime time.Time
		hintOK   bool
		want     bool
	}{
		{"plain", nil, nil, now.Add(-time.Hour), true, false},
		{"prompt=login", []string{"login"}, nil, now, true, true},
		{"prompt=consent", []string{"consent"}, nil, now, true, false},
		{"max_age kept", nil, &ten, now.Add(-5 * time.Minute), true, false},
		{"max_age passed", nil, &ten, now.Add(-11 * time.Minute), true, true},
		{"another parent's hint", nil, nil, now, false, true},
	} {
		a := &authRequest{}
		a.Req.Prompt, a.Req.MaxAge = tc.prompt, tc.maxAge
		if got := a.needsLogin(tc.authTime, now, tc.hintOK); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}
