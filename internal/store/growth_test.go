package store

import (
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/mail/outbox"
	"sesame/internal/recovery"
)

var (
	growthParents = flag.Int("growth.parents", 1000, "BenchmarkGrowth: parents in the school")
	growthFlood   = flag.Int("growth.flood", 1000, "BenchmarkGrowth: step-1 requests a day for unknown addresses, each from a new client address")
	growthDays    = flag.Int("growth.days", 365, "BenchmarkGrowth: days simulated")
	growthBefore  = flag.Bool("growth.before", false, "BenchmarkGrowth: record the flood as before hourly records, one audit event per request kept a year")
)

// BenchmarkGrowth simulates a school year on the data file, with the
// records the services write: the parents imported, each signing in 200
// times and recovering their password 4 times a year (code, e-mail,
// flow, tries, new password, notice, audit), plus a flood of step 1 for
// unknown addresses from a new client address each (the worst case for
// the hourly audit records), with the server's sweeps every day. It
// reports the data file's size after the sweeps and after
// `sesame compact`. The README's figures come from
//
//	go test -run '^$' -bench Growth -benchtime 1x ./internal/store/
func BenchmarkGrowth(b *testing.B) {
	for range b.N {
		growthYear(b, *growthParents, *growthFlood, *growthDays)
	}
}

func growthYear(b *testing.B, parents, flood, days int) {
	path := b.TempDir() + "/growth.db"
	s, err := Open(path, time.Second)
	if err != nil {
		b.Fatal(err)
	}
	// The figures are sizes, not speeds: no disk sync, no batch wait.
	s.db.NoSync, s.db.MaxBatchDelay = true, 0
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	hash := "$argon2id$v=19$m=65536,t=3,p=4$" + base64.RawStdEncoding.EncodeToString(make([]byte, 16)) + "$" + base64.RawStdEncoding.EncodeToString(make([]byte, 32))
	accts := make([]account.Account, parents)
	for i := range accts {
		accts[i] = account.Account{ID: fmt.Sprintf("parent%04d.prenom", i), LastName: "Parent", FirstName: "Prénom",
			Email: fmt.Sprintf("parent%04d@famille.example", i), Lang: "fr", State: account.Active, PasswordHash: hash, Created: start}
	}
	if err := s.ApplyImport(accts, nil, nil); err != nil {
		b.Fatal(err)
	}
	n := 0
	token := func() []byte { n++; h := sha256.Sum256(fmt.Appendf(nil, "t%d", n)); return h[:] }
	ip := func() string { return fmt.Sprintf("2001:db8::%x", n) }
	logins, recoveries := parents*200/365, parents*4/365
	for d := range days {
		day := start.Add(time.Duration(d) * 24 * time.Hour)
		for i := range logins {
			a := accts[(d*logins+i)%parents]
			at := day.Add(time.Duration(i) * time.Minute)
			ev := audit.Event{Time: at, Kind: audit.LoginOK, Account: a.ID, IP: ip()}
			if err := s.CreateSession(token(), account.Session{Account: a.ID, Created: at, Expires: at.Add(12 * time.Hour)}, &ev); err != nil {
				b.Fatal(err)
			}
		}
		for i := range recoveries {
			a := accts[(d*recoveries+i)%parents]
			at := day.Add(time.Duration(i)*time.Minute + 8*time.Hour)
			recoverOnce(b, s, a, at, token(), ip())
		}
		for i := range flood {
			at := day.Add(time.Duration(i) * 24 * time.Hour / time.Duration(max(flood, 1)))
			email := fmt.Sprintf("inconnu%d@exemple.org", n)
			f := recovery.Flow{State: recovery.CodeSent, Email: email, Lang: "fr", Created: at, Expires: at.Add(30 * time.Minute)}
			ev := audit.Event{Time: at, Kind: audit.RecoveryUnknown, Email: outbox.MaskAddress(email), IP: ip(), Count: 1}
			if *growthBefore {
				ev.Kind, ev.Count, ev.Detail = audit.RecoveryStarted, 0, "0 account(s)"
			}
			decide := func(recovery.History) recovery.Issued {
				return recovery.Issued{Code: &recovery.Code{MAC: make([]byte, 32), Created: at, Expires: at.Add(30 * time.Minute)}}
			}
			if err := s.Issue(email, token(), &f, decide, &ev); err != nil {
				b.Fatal(err)
			}
		}
		// The server sweeps every 5 minutes; once a day is the same at
		// the day's end.
		end := day.Add(24 * time.Hour)
		if _, err := s.Sweep(end); err != nil {
			b.Fatal(err)
		}
		if _, err := s.SweepOutbox(end.Add(-30 * 24 * time.Hour)); err != nil {
			b.Fatal(err)
		}
		if _, err := s.SweepAudit(end.Add(-audit.Retention)); err != nil {
			b.Fatal(err)
		}
	}
	u, err := s.Usage()
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	c, err := Compact(path, time.Second, false)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d parents, %d days, %d unknown-address requests a day: file %.1f MiB after the sweeps (%.1f MiB in records: %v), %.1f MiB after sesame compact",
		parents, days, flood, mib(u.File), mib(u.Total()), u.Records, mib(c.After))
	b.ReportMetric(mib(u.File), "MiB-swept")
	b.ReportMetric(mib(c.After), "MiB-compacted")
}

// recoverOnce writes what one parent's recovery writes: step 1 with its
// code and e-mail, the e-mail sent, a right code, the new password with
// its notice, the notice sent.
func recoverOnce(b *testing.B, s *Store, a account.Account, at time.Time, key []byte, ip string) {
	f := recovery.Flow{State: recovery.CodeSent, Email: a.Email, Lang: "fr", Created: at, Expires: at.Add(30 * time.Minute)}
	var mail outbox.Message
	decide := func(recovery.History) recovery.Issued {
		c := &recovery.Code{MAC: make([]byte, 32), Created: at, Expires: at.Add(30 * time.Minute)}
		mail = outbox.Message{Kind: outbox.KindRecoveryCode, To: a.Email, Lang: "fr", Identifiers: []string{a.ID}, Name: a.Name(),
			Code: "12345678", ExpiresAt: c.Expires, Created: at, NextAttempt: at, Status: outbox.StatusPending}
		return recovery.Issued{Code: c, Mail: &mail}
	}
	ev := audit.Event{Time: at, Kind: audit.RecoveryStarted, Account: a.ID, Email: outbox.MaskAddress(a.Email), IP: ip, Detail: "1 account(s)"}
	if err := s.Issue(a.Email, key, &f, decide, &ev); err != nil {
		b.Fatal(err)
	}
	sendAll(b, s, at.Add(time.Minute))
	if err := s.TryCode(a.Email, func(c *recovery.Code) error { c.Attempts++; c.Used = true; return nil }); err != nil {
		b.Fatal(err)
	}
	AuditLog{Store: s}.Append(audit.Event{Time: at.Add(2 * time.Minute), Kind: audit.CodeOK, Account: a.ID, Email: outbox.MaskAddress(a.Email), IP: ip})
	f.State, f.Accounts = recovery.Verified, []string{a.ID}
	if err := s.SaveFlow(key, f); err != nil {
		b.Fatal(err)
	}
	notice := &outbox.Message{Kind: outbox.KindPasswordChanged, To: a.Email, Lang: "fr", Identifiers: []string{a.ID}, Created: at, NextAttempt: at, Status: outbox.StatusPending}
	pev := audit.Event{Time: at.Add(3 * time.Minute), Kind: audit.PasswordChanged, Account: a.ID, IP: ip}
	if err := s.SetPassword(a.ID, a.PasswordHash, at.Add(3*time.Minute), notice, &pev); err != nil {
		b.Fatal(err)
	}
	f.State = recovery.Done
	if err := s.SaveFlow(key, f); err != nil {
		b.Fatal(err)
	}
	sendAll(b, s, at.Add(4*time.Minute))
}

// sendAll marks every due e-mail sent, as the worker does.
func sendAll(b *testing.B, s *Store, now time.Time) {
	due, err := s.Due(now, 100)
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range due {
		m.Status, m.Attempts, m.Code = outbox.StatusSent, 1, ""
		if err := s.Save(m); err != nil {
			b.Fatal(err)
		}
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
