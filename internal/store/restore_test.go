package store

import (
	"testing"
	"time"

	"sesame/internal/mail/outbox"
)

// A pending message is given the newer file's record only when it is the
// same message: same ID, recipient and creation time.
func TestReconcileOutboxMatchesTheSameMessageOnly(t *testing.T) {
	s, _ := open(t)
	now := time.Now()
	var ms []outbox.Message
	for _, to := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		m := outbox.NewPending(outbox.Message{Kind: outbox.KindTest, To: to, Code: "12345678"}, now)
		if err := s.Enqueue(&m); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	sent := ms[0]
	sent.Status, sent.Code, sent.SentAt = outbox.StatusSent, "", now
	other := ms[1]
	other.To, other.Status = "someone.else@example.org", outbox.StatusSent // another file's message 2
	later := outbox.NewPending(outbox.Message{ID: "00000000000000ff", To: "z@example.org"}, now)

	r, err := s.ReconcileOutbox([]outbox.Message{sent, other, ms[2], later})
	if err != nil {
		t.Fatal(err)
	}
	want := OutboxReconciled{Pending: 3, MarkedSent: 1, StillPending: 2, Mismatched: 1, NotInBackup: 1}
	if r != want {
		t.Errorf("report %+v, want %+v", r, want)
	}
	due, err := s.Due(now.Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 || due[0].To != "b@example.org" || due[1].To != "c@example.org" {
		t.Errorf("due after reconcile: %+v", due)
	}
	all, _ := s.Outbox()
	if all[0].Status != outbox.StatusSent || all[0].Code != "" {
		t.Errorf("message 1 after reconcile: %+v", all[0])
	}
}
