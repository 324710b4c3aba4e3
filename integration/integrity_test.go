package integration

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// noTrace fails the test if out holds a Go panic or fault trace.
func noTrace(t *testing.T, what, out string) {
	t.Helper()
	for _, bad := range []string{"panic:", "goroutine ", "SIGSEGV", "SIGBUS", "fatal error"} {
		if strings.Contains(out, bad) {
			t.Fatalf("%s printed a Go trace (%q):\n%s", what, bad, tail(out, 3000))
		}
	}
}

// refused runs serve on data and wants a quick, plain refusal.
func refused(t *testing.T, data string, why ...string) {
	t.Helper()
	out, code := cli(t, "", newSesame(t, data).args()...)
	if code == 0 {
		t.Fatalf("serve on a bad file exited 0:\n%s", out)
	}
	noTrace(t, "serve", out)
	for _, want := range append([]string{data, "sesame check", "backup"}, why...) {
		if !strings.Contains(out, want) {
			t.Fatalf("serve's refusal does not mention %q:\n%s", want, out)
		}
	}
}

// checked runs `sesame check` on data and wants it to report problems.
func checked(t *testing.T, data string) string {
	t.Helper()
	out, code := cli(t, "", "check", "--data", data)
	if code != 1 {
		t.Fatalf("sesame check: exit %d, want 1\n%s", code, out)
	}
	noTrace(t, "sesame check", out)
	return out
}

// goodFile makes a data file with 300 parents and closes it.
func goodFile(t *testing.T) (string, []byte) {
	t.Helper()
	data := filepath.Join(t.TempDir(), "sesame.db")
	importAccounts(t, data, "parent", 300)
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	return data, b
}

// damagePages clears the page type of each page holding marker: bbolt
// then misreads it (as an ill-formed branch) when a reader reaches it.
func damagePages(t *testing.T, data, marker string) {
	t.Helper()
	b, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte(marker))
		if i < 0 {
			break
		}
		p := (off + i) / 4096 * 4096
		b[p+8], b[p+9] = 0, 0
		n++
		off += i + 1
	}
	if n == 0 {
		t.Fatalf("%q not in %s", marker, data)
	}
	if err := os.WriteFile(data, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestEmptyDataFileIsRefusedNotReplaced(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "sesame.db")
	if err := os.WriteFile(data, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	refused(t, data, "empty")
	if fi, err := os.Stat(data); err != nil || fi.Size() != 0 {
		t.Fatalf("serve changed the empty file (%v)", err)
	}
	// Admin commands on the file refuse it the same way.
	out, code := cli(t, "", "accounts", "list", "--data", data)
	if code == 0 || !strings.Contains(out, "empty") {
		t.Fatalf("accounts list on an empty file: exit %d\n%s", code, out)
	}
	checked(t, data)
}

func TestTruncatedDataFileIsRefusedWithoutATrace(t *testing.T) {
	t.Parallel()
	_, full := goodFile(t)
	// bbolt's high-water mark: the file past it is room to grow, not data.
	ne := binary.NativeEndian
	pageSize := int(ne.Uint32(full[16+8:]))
	hwm := int(max(ne.Uint64(full[16+40:]), ne.Uint64(full[pageSize+16+40:]))) * pageSize
	if hwm < 16*4096 || hwm > len(full) {
		t.Fatalf("high-water mark %d of a %d-byte file", hwm, len(full))
	}
	for _, size := range []int{100, 4096, 3 * 4096, hwm / 2, hwm - 4096} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "sesame.db")
			if err := os.WriteFile(data, full[:size], 0o600); err != nil {
				t.Fatal(err)
			}
			refused(t, data)
			checked(t, data)
		})
	}
}

func TestDamagedPageIsReportedAndRepaired(t *testing.T) {
	t.Parallel()
	data, _ := goodFile(t)
	// Parent 150's first name is ParentFT: its page goes bad.
	damagePages(t, data, "ParentFT")

	s := newSesame(t, data)
	s.start()
	// Listings give what they can read and name where they stopped; the
	// server keeps serving.
	out, code := cli(t, "", "accounts", "list", "--data", data)
	if code != 1 || !strings.Contains(out, "parent01") || !strings.Contains(out, "sesame check") {
		t.Fatalf("accounts list on a damaged page: exit %d\n%s", code, out)
	}
	noTrace(t, "accounts list", out)
	out, code = cli(t, "", "accounts", "show", "parent150", "--data", data)
	if code == 0 {
		t.Fatalf("accounts show on a damaged page: exit 0\n%s", out)
	}
	// The check goes through the running server's socket.
	report := checked(t, data)
	if !strings.Contains(report, "damaged page") {
		t.Fatalf("sesame check does not name the damage:\n%s", report)
	}
	time.Sleep(500 * time.Millisecond) // the sweeper's first pass
	mailQueue(t, data)                 // still answering
	if code, _ := s.stop(15 * time.Second); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	noTrace(t, "serve", s.log.String())

	repaired := filepath.Join(t.TempDir(), "repaired.db")
	out = mustCLI(t, "", "check", "--data", data, "--repair-to", repaired)
	if !strings.Contains(out, "could not read") || !strings.Contains(out, "damaged page") {
		t.Fatalf("repair report:\n%s", out)
	}
	mustCLI(t, "", "check", "--data", repaired)
	r := newSesame(t, repaired)
	r.start()
	out = mustCLI(t, "", "accounts", "list", "--data", repaired)
	if !strings.Contains(out, "parent300") || !strings.Contains(out, "parent01") {
		t.Fatalf("the repaired file lost readable accounts:\n%s", out)
	}
	r.stop(15 * time.Second)
}

func TestUncleanStopIsCheckedAndDamageRefused(t *testing.T) {
	t.Parallel()
	data, _ := goodFile(t)
	s := newSesame(t, data)
	s.start()
	// A copy taken while serving is what a crash leaves on the disk.
	running, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	s.kill()
	mark := len(s.log.String())
	s.start()
	logs := s.log.String()[mark:]
	if !strings.Contains(logs, "previous stop was unclean") || !strings.Contains(logs, "check_took=") || !strings.Contains(logs, "pending_mails_resumed=") {
		t.Fatalf("first start after kill -9 does not say so:\n%s", logs)
	}
	s.stop(15 * time.Second)
	mark = len(s.log.String())
	s.start()
	if logs := s.log.String()[mark:]; strings.Contains(logs, "unclean") {
		t.Fatalf("a start after a clean stop speaks of an unclean one:\n%s", logs)
	}
	s.stop(15 * time.Second)

	crashed := filepath.Join(t.TempDir(), "crashed.db")
	if err := os.WriteFile(crashed, running, 0o600); err != nil {
		t.Fatal(err)
	}
	damagePages(t, crashed, "ParentFT")
	refused(t, crashed, "not closed cleanly")
}
