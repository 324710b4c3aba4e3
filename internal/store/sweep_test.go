package store

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/mail/outbox"
	"sesame/internal/recovery"
)

// issue stores a code for email as recovery does: the code and its issue
// time in the history, in one transaction.
func issue(t *testing.T, s *Store, email string, created, expires time.Time) {
	t.Helper()
	decide := func(recovery.History) recovery.Issued {
		return recovery.Issued{Code: &recovery.Code{MAC: []byte("mac"), Created: created, Expires: expires}}
	}
	if err := s.Issue(email, nil, nil, decide, nil); err != nil {
		t.Fatal(err)
	}
}

// keys returns the keys of a bucket, for what no method reads.
func keys(t *testing.T, s *Store, bucket []byte) []string {
	t.Helper()
	var out []string
	err := s.db.View(func(tx *boltTx) error {
		return tx.Bucket(bucket).ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSweepExpired(t *testing.T) {
	s, _ := open(t)
	now := t0
	for k, exp := range map[string]time.Time{
		"old":   now.Add(-time.Second),
		"edge":  now, // expires at now: gone
		"fresh": now.Add(time.Hour),
	} {
		if err := s.CreateSession([]byte(k), account.Session{Account: "a.b", Created: now.Add(-time.Hour), Expires: exp}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for k, exp := range map[string]time.Time{"old": now.Add(-time.Minute), "fresh": now.Add(time.Minute)} {
		if err := s.SaveFlow([]byte(k), recovery.Flow{State: recovery.CodeSent, Email: "x@exemple.fr", Created: exp.Add(-30 * time.Minute), Expires: exp}); err != nil {
			t.Fatal(err)
		}
	}
	// A day-old code: the code and its history go.
	issue(t, s, "day@exemple.fr", now.Add(-25*time.Hour), now.Add(-24*time.Hour-30*time.Minute))
	// A code that expired ten minutes ago: the code goes, its issue time
	// stays, since it still counts towards the hourly and daily limits.
	issue(t, s, "recent@exemple.fr", now.Add(-40*time.Minute), now.Add(-10*time.Minute))
	issue(t, s, "fresh@exemple.fr", now.Add(-time.Minute), now.Add(29*time.Minute))

	n, err := s.Sweep(now)
	if err != nil || n != 6 { // 2 sessions, 1 flow, 2 codes, 1 history
		t.Fatalf("Sweep = %d, %v; want 6, nil", n, err)
	}
	for k, want := range map[string]error{"old": account.ErrNoSession, "edge": account.ErrNoSession, "fresh": nil} {
		if _, err := s.Session([]byte(k)); !errors.Is(err, want) {
			t.Errorf("session %s: %v, want %v", k, err, want)
		}
	}
	if got := keys(t, s, bSessByAcct); len(got) != 1 || got[0] != "a.b\x00fresh" {
		t.Errorf("session index after sweep: %q", got)
	}
	for k, want := range map[string]error{"old": recovery.ErrNoFlow, "fresh": nil} {
		if _, err := s.Flow([]byte(k)); !errors.Is(err, want) {
			t.Errorf("flow %s: %v, want %v", k, err, want)
		}
	}
	for email, want := range map[string]struct {
		code   bool
		issued int
	}{
		"day@exemple.fr":    {false, 0},
		"recent@exemple.fr": {false, 1},
		"fresh@exemple.fr":  {true, 1},
	} {
		h, err := s.History(email)
		if err != nil || (h.Code != nil) != want.code || len(h.Issued) != want.issued {
			t.Errorf("history of %s: code %v, %d issued, %v; want code %v, %d issued", email, h.Code != nil, len(h.Issued), err, want.code, want.issued)
		}
	}
	if n, err := s.Sweep(now); err != nil || n != 0 {
		t.Fatalf("second Sweep = %d, %v; want 0, nil", n, err)
	}
}

// A record the sweep cannot read is kept and reported, and does not stop
// the sweep of the others.
func TestSweepReportsUnreadableRecords(t *testing.T) {
	s, _ := open(t)
	now := t0
	if err := s.CreateSession([]byte("old"), account.Session{Account: "a.b", Expires: now.Add(-time.Second)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFlow([]byte("old"), recovery.Flow{Expires: now.Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	issue(t, s, "old@exemple.fr", now.Add(-25*time.Hour), now.Add(-24*time.Hour))
	bad := map[string][]byte{
		string(bSessions): []byte("{not json"),
		string(bFlows):    []byte(`{"state":"code_sent"}`), // no expiry
		string(bCodes):    []byte(`{"expires":"soon"}`),
		string(bCodeLog):  []byte(`"yesterday"`),
	}
	err := s.db.Update(func(tx *boltTx) error {
		for name, v := range bad {
			if err := tx.Bucket([]byte(name)).Put([]byte("bad@exemple.fr"), v); err != nil {
				return err
			}
		}
		// A second one in flows, to see the count.
		return tx.Bucket(bFlows).Put([]byte("bad2"), []byte("null"))
	})
	if err != nil {
		t.Fatal(err)
	}

	n, err := s.Sweep(now)
	if n != 4 || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Sweep = %d, %v; want 4 and ErrCorrupt", n, err)
	}
	for _, want := range []string{"1 in sessions", "2 in recovery_flows", "1 in recovery_codes", "1 in recovery_code_log"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "bad@exemple.fr") {
		t.Errorf("error %q names a record by its address", err)
	}
	// Only the unreadable records are left.
	for name, want := range map[string]string{
		string(bSessions): "bad@exemple.fr",
		string(bFlows):    "bad2 bad@exemple.fr",
		string(bCodes):    "bad@exemple.fr",
		string(bCodeLog):  "bad@exemple.fr",
	} {
		if got := strings.Join(keys(t, s, []byte(name)), " "); got != want {
			t.Errorf("%s after sweep: %q, want %q", name, got, want)
		}
	}
}

func TestSweepOutbox(t *testing.T) {
	s, _ := open(t)
	now := t0
	cutoff := now.Add(-30 * 24 * time.Hour)
	for _, m := range []*outbox.Message{
		{To: "old-pending@exemple.fr", Created: cutoff.Add(-time.Hour)},
		{To: "old-sent@exemple.fr", Created: cutoff.Add(-time.Hour), Status: outbox.StatusSent},
		{To: "old-failed@exemple.fr", Created: cutoff.Add(-time.Hour), Status: outbox.StatusFailed},
		{To: "new-sent@exemple.fr", Created: cutoff, Status: outbox.StatusSent},
		{To: "new-pending@exemple.fr", Created: now},
	} {
		m.Kind = outbox.KindTest
		if err := s.Enqueue(m); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.SweepOutbox(cutoff)
	if err != nil || n != 2 {
		t.Fatalf("SweepOutbox = %d, %v; want 2, nil", n, err)
	}
	all, err := s.Outbox()
	var to []string
	for _, m := range all {
		to = append(to, m.To)
	}
	if err != nil || strings.Join(to, " ") != "old-pending@exemple.fr new-sent@exemple.fr new-pending@exemple.fr" {
		t.Fatalf("outbox after sweep: %v, %v", to, err)
	}
	if due, err := s.Due(now, 10); err != nil || len(due) != 2 {
		t.Fatalf("due after sweep: %+v, %v; want both pending", due, err)
	}

	// An unreadable message is kept and reported; an old sent one beside
	// it still goes.
	if err := s.Enqueue(&outbox.Message{Kind: outbox.KindTest, To: "old-sent@exemple.fr", Created: cutoff.Add(-time.Hour), Status: outbox.StatusSent}); err != nil {
		t.Fatal(err)
	}
	badKey := binary.BigEndian.AppendUint64(nil, 1000)
	if err := s.db.Update(func(tx *boltTx) error { return tx.Bucket(bOutbox).Put(badKey, []byte(`{"created":12}`)) }); err != nil {
		t.Fatal(err)
	}
	n, err = s.SweepOutbox(cutoff)
	if n != 1 || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "1 in outbox") {
		t.Fatalf("SweepOutbox with an unreadable message = %d, %v; want 1 and ErrCorrupt", n, err)
	}
	if got := keys(t, s, bOutbox); len(got) != 4 || got[3] != string(badKey) {
		t.Fatalf("outbox keys after sweep: %q, want 3 messages and the unreadable one", got)
	}
}

func TestSweepAudit(t *testing.T) {
	s, _ := open(t)
	now := t0
	cutoff := now.Add(-audit.Retention)
	times := []time.Time{
		cutoff.Add(-30 * 24 * time.Hour),
		cutoff.Add(-time.Nanosecond),
		cutoff, // exactly a year old: kept
		now.Add(-time.Hour),
		now,
	}
	for i, at := range times {
		err := s.db.Update(func(tx *boltTx) error {
			return appendAudit(tx, audit.Event{Time: at, Kind: audit.LoginOK, Account: string(rune('a' + i))})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.SweepAudit(cutoff)
	if err != nil || n != 2 {
		t.Fatalf("SweepAudit = %d, %v; want 2, nil", n, err)
	}
	evs, err := s.Audit(time.Time{}, "")
	var got string
	for _, e := range evs {
		got += e.Account
	}
	if err != nil || got != "cde" {
		t.Fatalf("audit after sweep: %q, %v; want the three newest, oldest first", got, err)
	}
	if n, err := s.SweepAudit(cutoff); err != nil || n != 0 {
		t.Fatalf("second SweepAudit = %d, %v; want 0, nil", n, err)
	}
}

// Counted events share one record per group and hour, show in Audit by
// their last event's time, and go after audit.AggregateRetention.
func TestAuditHourlyRecords(t *testing.T) {
	s, _ := open(t)
	log := AuditLog{Store: s}
	hour := t0.Truncate(time.Hour)
	for i := range 70 {
		log.Append(audit.Event{Time: hour.Add(time.Duration(i) * time.Minute), Kind: audit.RecoveryUnknown, Email: "x***@exemple.org", IP: "203.0.113.7", Count: 1})
	}
	log.Append(audit.Event{Time: hour.Add(10 * time.Minute), Kind: audit.RecoveryUnknown, IP: "198.51.100.1", Count: 1})
	log.Append(audit.Event{Time: hour.Add(30 * time.Minute), Kind: audit.LoginOK, Account: "martin.luc"})
	evs, err := s.Audit(time.Time{}, "")
	if err != nil || len(evs) != 4 {
		t.Fatalf("Audit = %+v, %v; want 4 records", evs, err)
	}
	var first, next audit.Event // 203.0.113.7's records for the two hours
	for _, e := range evs {
		if e.IP == "203.0.113.7" && first.Count == 0 {
			first = e
		} else if e.IP == "203.0.113.7" {
			next = e
		}
	}
	if first.Count != 60 || !first.Time.Equal(hour) || !first.Last.Equal(hour.Add(59*time.Minute)) || next.Count != 10 {
		t.Errorf("hourly records: %+v then %+v; want 70 requests in two hours' records, 60 then 10", first, next)
	}
	// A --since within the hour still shows the hour's record.
	if evs, _ := s.Audit(hour.Add(45*time.Minute), ""); len(evs) != 2 {
		t.Errorf("since the hour's 45th minute: %+v; want the two records of 203.0.113.7", evs)
	}
	if evs, _ := s.Audit(time.Time{}, "martin.luc"); len(evs) != 1 || evs[0].Kind != audit.LoginOK {
		t.Errorf("--account: %+v", evs)
	}
	if n, err := s.Sweep(hour.Add(audit.AggregateRetention + time.Minute)); err != nil || n != 2 {
		t.Errorf("sweep at 30 days = %d, %v; want the first hour's 2 records", n, err)
	}
	if n, err := s.Sweep(hour.Add(audit.AggregateRetention + 2*time.Hour)); err != nil || n != 1 {
		t.Errorf("sweep an hour later = %d, %v; want 1", n, err)
	}
	if evs, _ := s.Audit(time.Time{}, ""); len(evs) != 1 || evs[0].Kind != audit.LoginOK {
		t.Errorf("after the sweeps: %+v; want only the sign-in, kept a year", evs)
	}
}
