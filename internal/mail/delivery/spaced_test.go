package delivery

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"sesame/internal/mail/mailtest"
	"sesame/internal/mail/outbox"
	"sesame/internal/store"
)

// openStore is a real data file, as the worker reads it in production.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "sesame.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// spaced queues n invitations whose first attempts are gap apart from
// start, as `sesame invite --rate` does.
func spaced(t *testing.T, st *store.Store, start time.Time, n int, gap time.Duration) []string {
	t.Helper()
	var ids []string
	for i := range n {
		m := outbox.NewPending(outbox.Message{Kind: outbox.KindInvitation, To: fmt.Sprintf("parent%d@exemple.fr", i), Lang: "fr",
			Identifiers: []string{fmt.Sprintf("parent.%d", i)}}, start)
		m.NextAttempt = start.Add(time.Duration(i) * gap)
		m.ExpiresAt = m.NextAttempt.Add(72 * time.Hour)
		if err := st.Enqueue(&m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

func statuses(t *testing.T, st *store.Store) map[string]outbox.Status {
	t.Helper()
	all, err := st.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]outbox.Status{}
	for _, m := range all {
		out[m.To] = m.Status
	}
	return out
}

// A first attempt set in the future is not sent before its time: the
// worker sends invitations at the pace they were queued at.
func TestSpacedFirstAttempts(t *testing.T) {
	srv := mailtest.NewServer(t)
	clock := mailtest.NewClock()
	st := openStore(t)
	spaced(t, st, clock.Now(), 4, 250*time.Millisecond)
	w := newWorker(st, NewSender(config(srv)), clock)
	for i, step := range []struct {
		advance time.Duration
		want    int
	}{{0, 1}, {100 * time.Millisecond, 0}, {150 * time.Millisecond, 1}, {500 * time.Millisecond, 2}, {time.Hour, 0}} {
		clock.Advance(step.advance)
		sent, err := w.RunOnce(context.Background())
		if err != nil || sent != step.want {
			t.Fatalf("pass %d (+%s): sent %d, %v; want %d", i, step.advance, sent, err, step.want)
		}
	}
	if count, _, _ := srv.Stats(); count != 4 {
		t.Fatalf("server received %d, want 4", count)
	}
}

// When the server answers again after an outage, the deferred backlog
// is due at once (TestBacklogResumesAtFirstSuccess), but invitations
// queued for later keep their time.
func TestCatchUpKeepsSpacedInvitations(t *testing.T) {
	srv := mailtest.NewServer(t)
	cfg := config(srv)
	srv.Stop()
	clock := mailtest.NewClock()
	st := openStore(t)
	old := mailtest.CodeMessage("", clock.Now(), "fr")
	old.To, old.ExpiresAt = "old@exemple.fr", clock.Now().Add(time.Hour)
	if err := st.Enqueue(&old); err != nil {
		t.Fatal(err)
	}
	w := newWorker(st, NewSender(cfg), clock)
	if sent, err := w.RunOnce(context.Background()); sent != 0 || err != nil {
		t.Fatalf("RunOnce while down = %d, %v", sent, err)
	}
	// The retry is 10 s away; invitations start in a minute, 1 s apart.
	srv.Start(t)
	spaced(t, st, clock.Now().Add(time.Minute), 3, time.Second)
	fresh := mailtest.CodeMessage("", clock.Now(), "fr")
	fresh.To, fresh.ExpiresAt = "fresh@exemple.fr", clock.Now().Add(time.Hour)
	if err := st.Enqueue(&fresh); err != nil {
		t.Fatal(err)
	}
	for range 3 { // the clock stands still: the first success starts a catch-up
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	got := statuses(t, st)
	want := map[string]outbox.Status{"old@exemple.fr": outbox.StatusSent, "fresh@exemple.fr": outbox.StatusSent,
		"parent0@exemple.fr": outbox.StatusPending, "parent1@exemple.fr": outbox.StatusPending, "parent2@exemple.fr": outbox.StatusPending}
	for to, s := range want {
		if got[to] != s {
			t.Errorf("%s: %s, want %s", to, got[to], s)
		}
	}
	clock.Advance(time.Minute + time.Second)
	if sent, err := w.RunOnce(context.Background()); sent != 2 || err != nil {
		t.Fatalf("a minute later: sent %d, %v; want the 2 invitations due", sent, err)
	}
}
