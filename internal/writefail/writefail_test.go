package writefail

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// A disk that flaps (refuses, accepts, refuses…) gives one line per
// interval, and the recovery is told once the interval is over.
func TestFlappingDiskOneLinePerInterval(t *testing.T) {
	var logs syncBuf
	r := New(slog.New(slog.NewTextHandler(&logs, nil)), 200*time.Millisecond, nil)
	full := errors.New("no space left on device")
	for range 50 {
		r.Failed("web", full)
		if r.Recent(time.Second) == nil {
			t.Fatal("Recent forgets a failure just recorded")
		}
		r.Recovered("mail outbox")
		if r.Recent(time.Second) != nil {
			t.Fatal("Recent still reports a failure after a success")
		}
	}
	if n := strings.Count(logs.String(), Message); n != 1 {
		t.Fatalf("%d cannot-write lines for 50 flaps within the interval, want 1:\n%s", n, logs.String())
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "writable again") {
		if time.Now().After(deadline) {
			t.Fatalf("the recovery was never told:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "failures_since_last_line=49") {
		t.Errorf("the recovery line should count the 49 failures not told:\n%s", logs.String())
	}
}

// Recent only looks back as far as asked.
func TestRecentWindow(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r := New(nil, 0, func() time.Time { return now })
	var nilR *Reporter
	nilR.Failed("web", errors.New("x")) // a nil Reporter does nothing
	if nilR.Recent(time.Hour) != nil || r.Recent(time.Hour) != nil {
		t.Fatal("a failure reported out of nothing")
	}
	r.Failed("web", errors.New("read-only file system"))
	now = now.Add(10 * time.Second)
	if r.Recent(15*time.Second) == nil {
		t.Error("a failure 10 s ago is not recent within 15 s")
	}
	now = now.Add(10 * time.Second)
	if r.Recent(15*time.Second) != nil {
		t.Error("a failure 20 s ago is still recent within 15 s")
	}
}

func TestIs(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&os.PathError{Op: "write", Path: "sesame.db", Err: syscall.ENOSPC}, true},
		{fmt.Errorf("commit: %w", syscall.EROFS), true},
		{fmt.Errorf("open: %w", syscall.EACCES), true},
		{syscall.EDQUOT, true},
		{errors.New("store: record is damaged"), false},
		{nil, false},
	} {
		if got := Is(tt.err); got != tt.want {
			t.Errorf("Is(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
