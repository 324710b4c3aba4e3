package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/mail/outbox"
)

// sample writes a closed data file with n accounts, one of them with
// first name marker, and a pending e-mail to secret.parent@exemple.fr.
func sample(t *testing.T, n int, marker string) string {
	t.Helper()
	s, path := open(t)
	var as []account.Account
	for i := range n {
		a := acct(fmt.Sprintf("parent.%04d", i), fmt.Sprintf("p%04d@exemple.fr", i))
		a.LastName = strings.Repeat("Dupont-", 8)
		if i == n/2 {
			a.FirstName = marker
		}
		as = append(as, a)
	}
	if err := s.ApplyImport(as, nil, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		m := &outbox.Message{Kind: outbox.KindTest, To: fmt.Sprintf("secret.parent%d@exemple.fr", i), Created: t0}
		if err := s.Enqueue(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func hwm(t *testing.T, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m0, ok0 := parseMeta(b)
	m1, ok1 := parseMeta(b[4096:])
	if !ok0 || !ok1 {
		t.Fatalf("sample file has no valid meta pages")
	}
	return int64(max(m0.pgid, m1.pgid)) * int64(m0.pageSize)
}

func wantDamaged(t *testing.T, path string, err error) {
	t.Helper()
	if !errors.Is(err, ErrDamaged) {
		t.Fatalf("Open(%s) = %v, want ErrDamaged", path, err)
	}
	for _, want := range []string{path, "backup", "sesame check"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not mention %q", err, want)
		}
	}
}

func TestOpenRefusesEmptyFileAndLeavesIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sesame.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, 100*time.Millisecond)
	if err == nil {
		s.Close()
	}
	wantDamaged(t, path, err)
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Fatalf("the empty file was changed: %v, %v", fi.Size(), err)
	}
	if !strings.Contains(err.Error(), "empty") {
		t.Fatalf("error %q does not say the file is empty", err)
	}
}

func TestOpenRefusesTruncatedFiles(t *testing.T) {
	src := sample(t, 400, "Marqueur")
	full, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	h := hwm(t, src)
	if h < 16*4096 {
		t.Fatalf("sample too small to cut (%d bytes in use)", h)
	}
	for _, size := range []int64{1, 100, 4095, 4096, 5000, 8192, 3 * 4096, h / 2, h - 4096, h - 1} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cut.db")
			if err := os.WriteFile(path, full[:size], 0o600); err != nil {
				t.Fatal(err)
			}
			// A SIGBUS here would end the whole test binary.
			s, err := Open(path, 100*time.Millisecond)
			if err == nil {
				s.Close()
			}
			wantDamaged(t, path, err)
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, full[:size]) {
				t.Fatal("the truncated file was changed")
			}
			problems, err := CheckFile(path, 100*time.Millisecond, 10)
			if err != nil || len(problems) == 0 {
				t.Fatalf("CheckFile = %q, %v; want a problem", problems, err)
			}
		})
	}
	// Space past the high-water mark is not data: cutting it is harmless.
	path := filepath.Join(t.TempDir(), "tail.db")
	if err := os.WriteFile(path, full[:h], 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, 100*time.Millisecond)
	if err != nil {
		t.Fatalf("a file cut past its high-water mark: %v", err)
	}
	s.Close()
}

// damage overwrites, in every copy of marker in the file, the bytes
// with fn's result.
func damage(t *testing.T, path, marker string, fn func(b []byte, at int)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := bytes.Index(b, []byte(marker)); i >= 0; {
		fn(b, i)
		n++
		j := bytes.Index(b[i+1:], []byte(marker))
		if j < 0 {
			break
		}
		i += 1 + j
	}
	if n == 0 {
		t.Fatalf("%q not found in the file", marker)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestBrokenRecordsAreReportedByKey(t *testing.T) {
	path := sample(t, 5, "Marqueur")
	// One account's and one e-mail's JSON no longer decode.
	damage(t, path, `"Marqueur"`, func(b []byte, at int) { b[at] = '{' })
	damage(t, path, `secret.parent1@`, func(b []byte, at int) { b[at-1] = 0 })
	s, err := Open(path, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	as, err := s.Accounts()
	if len(as) != 4 || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `"parent.0002"`) {
		t.Fatalf("Accounts = %d accounts, %v; want the 4 good ones and parent.0002 named", len(as), err)
	}
	msgs, err := s.Outbox()
	if len(msgs) != 2 || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "0000000000000002") {
		t.Fatalf("Outbox = %d messages, %v; want the 2 good ones and message 2 named", len(msgs), err)
	}
	problems, err := s.Check(10)
	report := strings.Join(problems, "\n")
	if err != nil || !strings.Contains(report, `accounts "parent.0002"`) || !strings.Contains(report, "outbox 0000000000000002") {
		t.Fatalf("Check = %q, %v", problems, err)
	}
	if strings.Contains(report+msgs[0].To, "secret.parent1") {
		t.Fatalf("a report gives away an address: %q", report)
	}
}

// damagePage clears the page type of every page holding marker: bbolt
// then reads a leaf as a branch, and panics or faults on it.
func damagePage(t *testing.T, path, marker string) {
	damage(t, path, marker, func(b []byte, at int) {
		p := at / 4096 * 4096
		b[p+8], b[p+9] = 0, 0 // flags
	})
}

func TestDamagedPageIsReportedNotAPanic(t *testing.T) {
	path := sample(t, 400, "Marqueur")
	damagePage(t, path, "Marqueur")
	s, err := Open(path, 100*time.Millisecond)
	if err != nil {
		// Refusing is fine too, as long as it says so plainly.
		wantDamaged(t, path, err)
	} else {
		defer s.Close()
		if _, err := s.Accounts(); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Accounts on a damaged page = %v, want ErrCorrupt", err)
		}
		if _, err := s.Account("parent.0200"); err == nil {
			t.Fatalf("Account on a damaged page: no error")
		}
		if _, err := s.Sweep(t0); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Sweep: %v", err)
		}
		s.Close()
	}
	problems, err := CheckFile(path, 100*time.Millisecond, 10)
	if err != nil || len(problems) == 0 || !strings.Contains(problems[0], "bbolt") {
		t.Fatalf("CheckFile = %q, %v; want bbolt's report", problems, err)
	}
}

func TestRepairCopiesWhatIsReadable(t *testing.T) {
	path := sample(t, 400, "Marqueur")
	damagePage(t, path, "Marqueur")
	damage(t, path, `secret.parent1@`, func(b []byte, at int) { b[at-1] = 0 })
	dst := filepath.Join(t.TempDir(), "repaired.db")
	rep, err := RepairFile(path, dst, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	skipped := strings.Join(rep.Skipped, "\n")
	if !strings.Contains(skipped, "accounts: records after") || !strings.Contains(skipped, "outbox 0000000000000002") {
		t.Fatalf("report: %q", rep.Skipped)
	}
	if strings.Contains(skipped, "@") {
		t.Fatalf("the report gives away an address: %q", skipped)
	}
	s, err := Open(dst, 100*time.Millisecond)
	if err != nil {
		t.Fatalf("the repaired file does not open: %v", err)
	}
	defer s.Close()
	if s.Recovery() != nil {
		t.Fatal("the repaired file looks uncleanly stopped")
	}
	as, err := s.Accounts()
	if err != nil || len(as) < 300 || len(as) >= 400 {
		t.Fatalf("repaired accounts: %d, %v; want most of the 400 but not the damaged page", len(as), err)
	}
	if got, err := s.AccountsByEmail("p0399@exemple.fr"); err != nil || len(got) != 1 {
		t.Fatalf("the e-mail index was not rebuilt: %v, %v", got, err)
	}
	due, err := s.Due(t0.Add(time.Hour), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("pending after repair: %d, %v; want the 2 readable", len(due), err)
	}
	// New messages never reuse an id.
	m := &outbox.Message{Kind: outbox.KindTest, To: "x@exemple.fr", Created: t0}
	if err := s.Enqueue(m); err != nil || m.ID != "0000000000000004" {
		t.Fatalf("new message id %q, %v", m.ID, err)
	}
	if problems, err := s.Check(10); err != nil || len(problems) != 0 {
		t.Fatalf("check of the repaired file: %q, %v", problems, err)
	}
}

// copyOpen copies the file of an open store: what a crash leaves.
func copyOpen(t *testing.T, s *Store) string {
	t.Helper()
	b, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "crashed.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUncleanStopIsCheckedAtNextOpen(t *testing.T) {
	s, _ := open(t)
	for i := range 3 {
		if err := s.Enqueue(&outbox.Message{Kind: outbox.KindTest, To: fmt.Sprintf("p%d@exemple.fr", i), Created: t0}); err != nil {
			t.Fatal(err)
		}
	}
	crashed := copyOpen(t, s)
	s.Close()

	s2, err := Open(crashed, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	r := s2.Recovery()
	if r == nil || r.Pending != 3 || r.Took <= 0 {
		t.Fatalf("Recovery after an unclean stop = %+v, want the check run and 3 pending", r)
	}
	s2.Close()
	s3, err := Open(crashed, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if r := s3.Recovery(); r != nil {
		t.Fatalf("Recovery after a clean stop = %+v, want nil", r)
	}
}

func TestUncleanStopWithDamageIsRefused(t *testing.T) {
	path := sample(t, 400, "Marqueur")
	s, err := Open(path, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	crashed := copyOpen(t, s)
	s.Close()
	damagePage(t, crashed, "Marqueur")
	s, err = Open(crashed, 100*time.Millisecond)
	if err == nil {
		s.Close()
	}
	wantDamaged(t, crashed, err)
	if !strings.Contains(err.Error(), "not closed cleanly") {
		t.Fatalf("error %q does not say why it checked", err)
	}
}
