package store

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"sesame/internal/audit"
)

// Space freed by the sweep goes back to the disk, every record stays.
func TestCompactReturnsFreedSpace(t *testing.T) {
	s, path := open(t)
	s.db.NoSync = true // thousands of writes; what is tested is the copy
	if err := s.CreateAccount(acct("dupont.marie", "m@exemple.fr")); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		issue(t, s, fmt.Sprintf("x%d@exemple.org", i), t0, t0.Add(30*time.Minute))
	}
	AuditLog{Store: s}.Append(audit.Event{Time: t0, Kind: audit.LoginOK, Account: "dupont.marie"})
	if _, err := s.Sweep(t0.Add(48 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Held by this process: refused, file untouched.
	if _, err := Compact(path, 50*time.Millisecond, false); !errors.Is(err, ErrLocked) {
		t.Fatalf("Compact of an open file = %v; want ErrLocked", err)
	}
	s.Close()
	res, err := Compact(path, time.Second, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("compacted: %s", res)
	if res.After*4 > res.Before {
		t.Errorf("compacted %d → %d bytes; want a quarter or less", res.Before, res.After)
	}
	for _, p := range []string{BeforeCompact(path), path + ".compacting"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", p, err)
		}
	}
	s2, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if a, err := s2.Account("dupont.marie"); err != nil || a.Email != "m@exemple.fr" {
		t.Errorf("account after compaction: %+v, %v", a, err)
	}
	if evs, err := s2.Audit(time.Time{}, ""); err != nil || len(evs) != 1 {
		t.Errorf("audit after compaction: %+v, %v", evs, err)
	}
	if string(s2.Secret()) != string(s.Secret()) {
		t.Error("the code key changed")
	}
}

// A running server asks; the next start compacts, once.
func TestCompactAtNextStart(t *testing.T) {
	s, path := open(t)
	if err := RequestCompact(path); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, asked, err := CompactIfRequested(path, time.Second); !asked || err != nil {
		t.Fatalf("first start: asked %v, %v", asked, err)
	}
	if _, asked, _ := CompactIfRequested(path, time.Second); asked {
		t.Fatal("the request survived its compaction")
	}
}

// An empty file is refused and left alone, never compacted into a new
// portal.
func TestCompactRefusesEmptyFile(t *testing.T) {
	path := t.TempDir() + "/vide.db"
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Compact(path, time.Second, false); err == nil {
		t.Fatal("an empty file was compacted")
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Fatalf("the empty file changed: %v %v", fi, err)
	}
}
