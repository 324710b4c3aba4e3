package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/audit"
	"sesame/internal/mail/outbox"
)

func open(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sesame.db")
	s, err := Create(path, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

var t0 = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

func acct(id, email string) account.Account {
	return account.Account{ID: id, LastName: "Dupont", FirstName: "Marie", Email: email, State: account.Active, Created: t0, Updated: t0}
}

func TestOpenTwiceIsRefusedQuickly(t *testing.T) {
	_, path := open(t)
	start := time.Now()
	_, err := Open(path, 200*time.Millisecond)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("second Open waited %s", d)
	}
}

// Open never creates: a mistyped path is refused, and nothing appears
// on disk (issue 12). Create makes the folder and the file owner-only.
func TestOpenRefusesMissingCreateMakesOwnerOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent")
	path := filepath.Join(dir, "sesame.db")
	if _, err := Open(path, 100*time.Millisecond); !errors.Is(err, ErrNoFile) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open of a missing file: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open created %s: %v", dir, err)
	}
	s, err := Create(path, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data folder: %v %v", fi, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("data file: %v %v", fi, err)
	}
	if m := (&Store{}).Migrated(); m != nil {
		t.Fatal("a new file reports a migration")
	}
}

func TestSchemaAndSecretPersist(t *testing.T) {
	s, path := open(t)
	// The version is the number of migrations, by construction.
	v, err := s.Schema()
	if err != nil || v != len(migrations) {
		t.Fatalf("schema = %d, %v; want %d", v, err, len(migrations))
	}
	secret := append([]byte(nil), s.Secret()...)
	if len(secret) != 32 {
		t.Fatalf("secret is %d bytes", len(secret))
	}
	s.Close()
	s2, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if string(s2.Secret()) != string(secret) {
		t.Fatal("secret changed across reopen")
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	s, path := open(t)
	newer := strconv.Itoa(len(migrations) + 1)
	if err := s.db.Update(func(tx *boltTx) error { return tx.Bucket(bMeta).Put(kSchema, []byte(newer)) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(path, time.Second)
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open of a newer file: %v", err)
	}
	if want := fmt.Sprintf("the file is at schema %s, this program reads schema %d and older", newer, len(migrations)); !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}
	// With the copy an upgrade kept, the message names it: the way back
	// to this release.
	old := BeforeSchema(path, len(migrations))
	if err := os.WriteFile(old, []byte("copy"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, 100*time.Millisecond); err == nil || !strings.Contains(err.Error(), "put "+old+" (the copy kept at the upgrade) in its place") {
		t.Fatalf("newer file with a kept copy: %v", err)
	}
	// The refused open let go of the file: a second try is refused for
	// the same reason, not because the file is still locked.
	if _, err := Open(path, 100*time.Millisecond); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("second Open of a newer file: %v", err)
	}
}

// A schema version that is not a number is refused rather than read as
// 0, which would run every migration over a file of unknown layout.
func TestUnreadableSchemaRefused(t *testing.T) {
	s, path := open(t)
	if err := s.db.Update(func(tx *boltTx) error { return tx.Bucket(bMeta).Put(kSchema, []byte("two")) }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Schema(); err == nil || !strings.Contains(err.Error(), `unreadable schema version "two"`) {
		t.Fatalf("Schema of an unreadable version: %v", err)
	}
	s.Close()
	if _, err := Open(path, time.Second); err == nil || !strings.Contains(err.Error(), `unreadable schema version "two"`) {
		t.Fatalf("Open of an unreadable version: %v", err)
	}
}

func TestAccounts(t *testing.T) {
	s, _ := open(t)
	a := acct("dupont.marie", "famille@exemple.fr")
	b := acct("dupont.paul", "famille@exemple.fr")
	if err := s.CreateAccount(a); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccount(a); !errors.Is(err, account.ErrExists) {
		t.Fatalf("duplicate create: %v", err)
	}
	if err := s.ApplyImport([]account.Account{b}, nil, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Account("dupont.marie")
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("Account = %+v, %v", got, err)
	}
	if _, err := s.Account("nobody"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("missing account: %v", err)
	}
	fam, err := s.AccountsByEmail("famille@exemple.fr")
	if err != nil || len(fam) != 2 {
		t.Fatalf("by e-mail: %d accounts, %v", len(fam), err)
	}
	// Moving one account to another address updates the index.
	b.Email = "paul@exemple.fr"
	if err := s.UpdateAccount(b); err != nil {
		t.Fatal(err)
	}
	fam, _ = s.AccountsByEmail("famille@exemple.fr")
	paul, _ := s.AccountsByEmail("paul@exemple.fr")
	if len(fam) != 1 || fam[0].ID != "dupont.marie" || len(paul) != 1 || paul[0].ID != "dupont.paul" {
		t.Fatalf("index after e-mail change: %v / %v", fam, paul)
	}
	if _, err := s.AccountsByEmail("famille@exemple.fr.x"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.AccountsByEmail("famille@exemple.f"); len(got) != 0 {
		t.Fatalf("prefix of an address matched: %v", got)
	}
	if err := s.UpdateAccount(acct("ghost", "g@exemple.fr")); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("update of a missing account: %v", err)
	}
	all, err := s.Accounts()
	if err != nil || len(all) != 2 || all[0].ID != "dupont.marie" {
		t.Fatalf("Accounts = %v, %v", all, err)
	}
	if err := s.UpdateHash("dupont.marie", "h2"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Account("dupont.marie"); got.PasswordHash != "h2" || got.Email != a.Email {
		t.Fatalf("after UpdateHash: %+v", got)
	}
}

func TestSetPasswordRevokesSessionsAndQueuesNotice(t *testing.T) {
	s, _ := open(t)
	a := acct("dupont.marie", "m@exemple.fr")
	other := acct("martin.luc", "l@exemple.fr")
	s.CreateAccount(a)
	s.CreateAccount(other)
	for _, k := range []string{"s1", "s2"} {
		if err := s.CreateSession([]byte(k), account.Session{Account: a.ID, Created: t0, Expires: t0.Add(time.Hour)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	s.CreateSession([]byte("s3"), account.Session{Account: other.ID, Created: t0, Expires: t0.Add(time.Hour)}, nil)
	if sess, err := s.Session([]byte("s1")); err != nil || sess.Account != a.ID {
		t.Fatalf("Session = %+v, %v", sess, err)
	}
	notice := &outbox.Message{Kind: outbox.KindPasswordChanged, To: a.Email, Created: t0, ExpiresAt: t0.Add(24 * time.Hour)}
	if err := s.SetPassword(a.ID, "newhash", t0.Add(time.Minute), notice, &audit.Event{Time: t0, Kind: audit.PasswordChanged, Account: a.ID}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"s1", "s2"} {
		if _, err := s.Session([]byte(k)); !errors.Is(err, account.ErrNoSession) {
			t.Errorf("session %s survived the password change: %v", k, err)
		}
	}
	if _, err := s.Session([]byte("s3")); err != nil {
		t.Errorf("another account's session was revoked: %v", err)
	}
	got, _ := s.Account(a.ID)
	if got.PasswordHash != "newhash" || !got.PasswordChanged.Equal(t0.Add(time.Minute)) {
		t.Fatalf("account after SetPassword: %+v", got)
	}
	due, err := s.Due(t0.Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].Kind != outbox.KindPasswordChanged || due[0].Status != outbox.StatusPending || due[0].ID == "" {
		t.Fatalf("outbox after SetPassword: %+v, %v", due, err)
	}
	if err := s.SetPassword("ghost", "h", t0, notice, nil); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("SetPassword of a missing account: %v", err)
	}
	if evs, _ := s.Audit(time.Time{}, a.ID); len(evs) != 1 || evs[0].Kind != audit.PasswordChanged {
		t.Fatalf("audit after SetPassword: %+v", evs)
	}
	if n, _ := s.Outbox(); len(n) != 1 {
		t.Fatalf("a failed SetPassword queued a message: %d in outbox", len(n))
	}
}

func TestSessions(t *testing.T) {
	s, _ := open(t)
	s.CreateAccount(acct("a.b", "a@exemple.fr"))
	if err := s.CreateSession([]byte("k"), account.Session{Account: "a.b", Expires: t0}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession([]byte("k")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session([]byte("k")); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("deleted session still there: %v", err)
	}
	if err := s.DeleteSession([]byte("never")); err != nil {
		t.Fatalf("deleting an unknown session: %v", err)
	}
}

func TestOutbox(t *testing.T) {
	s, _ := open(t)
	for i, at := range []time.Time{t0, t0.Add(time.Second), t0.Add(2 * time.Second)} {
		m := &outbox.Message{Kind: outbox.KindTest, To: "x@exemple.fr", Created: at, NextAttempt: at.Add(time.Duration(i) * time.Minute)}
		if err := s.Enqueue(m); err != nil {
			t.Fatal(err)
		}
	}
	due, _ := s.Due(t0.Add(30*time.Second), 10)
	if len(due) != 1 || !due[0].Created.Equal(t0) {
		t.Fatalf("due at +30s: %+v", due)
	}
	due, _ = s.Due(t0.Add(time.Hour), 2)
	if len(due) != 2 || !due[0].Created.Equal(t0) || !due[1].Created.Equal(t0.Add(time.Second)) {
		t.Fatalf("due, max 2, oldest first: %+v", due)
	}
	due[0].Status, due[0].SentAt = outbox.StatusSent, t0
	if err := s.Save(due[0]); err != nil {
		t.Fatal(err)
	}
	due, _ = s.Due(t0.Add(time.Hour), 10)
	if len(due) != 2 {
		t.Fatalf("a sent message is still due: %+v", due)
	}
	n, err := s.SweepOutbox(t0.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("sweep removed %d, %v", n, err)
	}
	all, _ := s.Outbox()
	if len(all) != 2 {
		t.Fatalf("outbox after sweep: %d", len(all))
	}
	if err := s.Save(outbox.Message{ID: "zz"}); err == nil {
		t.Fatal("Save with a bad id succeeded")
	}
}

type boltTx = bolt.Tx

// migrationTests has, for each migration after the first, a way back
// (from a file of its schema to one of the schema before it) and a check
// that it did its work on the sample data of fill. A migration appended
// without an entry here fails TestOlderFilesMigrate.
var migrationTests = map[int]struct {
	undo  func(*boltTx) error
	check func(*testing.T, *Store)
}{
	2: {
		undo: func(tx *boltTx) error { return tx.DeleteBucket(bPending) },
		// Pending e-mails are delivered again: the index has exactly
		// them, not the sent one.
		check: func(t *testing.T, s *Store) {
			due, err := s.Due(t0.Add(time.Minute), 10)
			if err != nil || len(due) != 1 || due[0].To != "pending@exemple.fr" {
				t.Errorf("due after migration: %+v, %v", due, err)
			}
			s.db.View(func(tx *boltTx) error {
				if n := tx.Bucket(bPending).Stats().KeyN; n != 1 {
					t.Errorf("pending index has %d keys, want 1", n)
				}
				return nil
			})
		},
	},
	3: {
		undo: func(tx *boltTx) error { return tx.DeleteBucket(bAuditAgg) },
		// Counted events are recorded again.
		check: func(t *testing.T, s *Store) {
			AuditLog{Store: s}.Append(audit.Event{Time: t0, Kind: audit.RecoveryUnknown, IP: "203.0.113.7", Count: 1})
			evs, err := s.Audit(t0.Add(-time.Hour), "")
			if err != nil || len(evs) != 1 || evs[0].Count != 1 {
				t.Errorf("hourly record after migration: %+v, %v", evs, err)
			}
		},
	},
	4: {
		undo: func(tx *boltTx) error {
			for _, b := range [][]byte{bActCodes, bActHistory, bActTries, bActFlows} {
				if err := tx.DeleteBucket(b); err != nil {
					return err
				}
			}
			return nil
		},
		// Activation codes can be issued and read back.
		check: func(t *testing.T, s *Store) {
			c := activation.Code{Account: "dupont.marie", MAC: []byte{1}, Created: t0, Expires: t0.Add(time.Hour), Via: activation.ViaLetter}
			if err := s.IssueActivation([]activation.Code{c}, nil); err != nil {
				t.Fatalf("issue after migration: %v", err)
			}
			recs, err := s.ActivationRecords()
			if r := recs["dupont.marie"]; err != nil || r.Code == nil || r.History.Count != 1 || !r.History.Letter.Equal(t0) {
				t.Errorf("activation records after migration: %+v, %v", recs, err)
			}
		},
	},
}

// fill stores what the migrations' checks look at.
func fill(t *testing.T, s *Store) {
	t.Helper()
	for _, m := range []*outbox.Message{
		{Kind: outbox.KindTest, To: "pending@exemple.fr", Created: t0, NextAttempt: t0},
		{Kind: outbox.KindTest, To: "sent@exemple.fr", Created: t0, NextAttempt: t0, Status: outbox.StatusSent},
	} {
		if err := s.Enqueue(m); err != nil {
			t.Fatal(err)
		}
	}
}

// A file of every older schema opens at the current one, every
// migration since its own having done its work.
func TestOlderFilesMigrate(t *testing.T) {
	for n := 2; n <= len(migrations); n++ {
		if tt, ok := migrationTests[n]; !ok || tt.undo == nil || tt.check == nil {
			t.Fatalf("migration %d (%s) has no entry in migrationTests", n, migrations[n-1].name)
		}
	}
	for from := 1; from < len(migrations); from++ {
		t.Run(fmt.Sprintf("schema %d", from), func(t *testing.T) {
			s, path := open(t)
			fill(t, s)
			err := s.db.Update(func(tx *boltTx) error {
				for n := len(migrations); n > from; n-- {
					if err := migrationTests[n].undo(tx); err != nil {
						return err
					}
				}
				return tx.Bucket(bMeta).Put(kSchema, []byte(strconv.Itoa(from)))
			})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			s2, err := Open(path, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			if v, err := s2.Schema(); err != nil || v != len(migrations) {
				t.Fatalf("schema after migration: %d, %v; want %d", v, err, len(migrations))
			}
			// Before migrating, Open kept the file as it was, at its old
			// schema, with its records, owner-only.
			m := s2.Migrated()
			if m == nil || m.From != from || m.To != len(migrations) || m.Backup != BeforeSchema(path, from) {
				t.Fatalf("Migrated() = %+v", m)
			}
			if fi, err := os.Stat(m.Backup); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("copy before migration: %v %v", fi, err)
			}
			db, err := bolt.Open(m.Backup, 0o600, &bolt.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			err = db.View(func(tx *bolt.Tx) error {
				if got := string(tx.Bucket(bMeta).Get(kSchema)); got != strconv.Itoa(from) {
					return fmt.Errorf("copy at schema %s, want %d", got, from)
				}
				if n := tx.Bucket(bOutbox).Stats().KeyN; n != 2 {
					return fmt.Errorf("copy holds %d e-mails, want 2", n)
				}
				return nil
			})
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			for n := from + 1; n <= len(migrations); n++ {
				migrationTests[n].check(t, s2)
			}
		})
	}
}

// Issue 12: the outbox's counts for /metrics and /readyz come from the
// pending index; a code e-mail past its code's expiry is overdue.
func TestCountOutbox(t *testing.T) {
	s, _ := open(t)
	for _, m := range []*outbox.Message{
		{Kind: outbox.KindRecoveryCode, To: "a@exemple.fr", Created: t0, ExpiresAt: t0.Add(15 * time.Minute)},
		{Kind: outbox.KindPasswordChanged, To: "b@exemple.fr", Created: t0, ExpiresAt: t0.Add(time.Minute)},
		{Kind: outbox.KindRecoveryCode, To: "c@exemple.fr", Created: t0, ExpiresAt: t0.Add(time.Hour)},
	} {
		if err := s.Enqueue(m); err != nil {
			t.Fatal(err)
		}
	}
	due, _ := s.Due(t0, 10)
	due[2].Status = outbox.StatusSent
	if err := s.Save(due[2]); err != nil {
		t.Fatal(err)
	}
	for at, want := range map[time.Time]OutboxCounts{
		t0:                       {Pending: 2},
		t0.Add(20 * time.Minute): {Pending: 2, OverdueCodes: 1},
	} {
		if got, err := s.CountOutbox(at); err != nil || got != want {
			t.Errorf("CountOutbox(%v) = %+v, %v; want %+v", at, got, err, want)
		}
	}
}
