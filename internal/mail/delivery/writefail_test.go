package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sesame/internal/mail/mailtest"
	"sesame/internal/mail/outbox"
	"sesame/internal/writefail"
)

// flakyQueue is a fakeQueue whose next fails Saves are refused as a full
// disk refuses them.
type flakyQueue struct {
	*fakeQueue
	mu     sync.Mutex
	fails  int
	failed int
}

func (q *flakyQueue) Save(m outbox.Message) error {
	q.mu.Lock()
	if q.fails > 0 {
		q.fails--
		q.failed++
		q.mu.Unlock()
		return &fs.PathError{Op: "write", Path: "sesame.db", Err: syscall.ENOSPC}
	}
	q.mu.Unlock()
	return q.fakeQueue.Save(m)
}

// logLines decodes a JSON log into its lines.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// Issue 17, item 1: once the server has accepted a message, a data file
// that refuses to record it as sent never makes the worker send it
// again; the worker pauses, keeps the mark in memory, retries it at
// each pass, logs one "cannot write" line per interval, and resumes
// when the file accepts the marks.
func TestWriteFailureSendsEachOnce(t *testing.T) {
	const n, fails = 5, 40
	srv := mailtest.NewServer(t)
	clock := mailtest.NewClock()
	q := &flakyQueue{fakeQueue: newQueue(), fails: fails}
	for i := range n {
		m := mailtest.CodeMessage(fmt.Sprintf("m%d", i), clock.Now().Add(time.Duration(i)*time.Millisecond), "fr")
		m.To = fmt.Sprintf("parent%d@exemple.fr", i)
		m.ExpiresAt = clock.Now().Add(time.Hour)
		q.add(m)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	w := newWorker(q, NewSender(config(srv)), clock)
	w.Log = log
	w.Writes = writefail.New(log, time.Minute, clock.Now)

	passes := 0
	for ; passes < 100 && len(q.savesCopy()) < n; passes++ {
		if _, err := w.RunOnce(context.Background()); err != nil {
			// A refused write is the worker's to handle, not RunOnce's
			// caller's; what counts is what the server received.
			t.Logf("pass %d: %v", passes, err)
		}
		if passes == 0 {
			if !w.Paused() || w.Unrecorded() != 1 || !errors.Is(w.Ready(), ErrPaused) {
				t.Errorf("after the first refused mark: Paused %v, Unrecorded %d, Ready %v; want true, 1, ErrPaused",
					w.Paused(), w.Unrecorded(), w.Ready())
			}
		}
		clock.Advance(DefaultPoll) // one poll later
	}
	if w.Paused() || w.Unrecorded() != 0 || w.Ready() != nil {
		t.Errorf("after recovery: Paused %v, Unrecorded %d, Ready %v", w.Paused(), w.Unrecorded(), w.Ready())
	}
	got := map[string]int{}
	for _, r := range srv.Received() {
		got[strings.Join(r.To, ",")]++
	}
	recorded := map[string]int{}
	for _, m := range q.savesCopy() {
		if m.Status == outbox.StatusSent {
			recorded[m.ID]++
		}
	}
	t.Logf("%d refused writes over %d passes; server received %d messages, %d marks recorded", q.failed, passes, len(srv.Received()), len(recorded))
	if len(srv.Received()) != n {
		t.Errorf("server received %d messages, want %d (each once): %v", len(srv.Received()), n, got)
	}
	for i := range n {
		id, to := fmt.Sprintf("m%d", i), fmt.Sprintf("parent%d@exemple.fr", i)
		if got[to] != 1 || recorded[id] != 1 || q.get(id).Status != outbox.StatusSent {
			t.Errorf("%s: received %d times, recorded sent %d times, status %s; want 1, 1, sent", id, got[to], recorded[id], q.get(id).Status)
		}
	}

	// The log: one pause, one resume, and the refused writes told in one
	// line per minute (the 40 failures span 120 s: two lines, then the
	// recovery a minute after the second), with counts that add up.
	var cannot, paused, resumed, total int
	for _, l := range logLines(t, &logs) {
		switch l["msg"] {
		case writefail.Message:
			cannot++
			total += int(l["failures"].(float64))
		case "the data file is writable again":
			total += int(l["failures_since_last_line"].(float64))
		}
		if m, _ := l["msg"].(string); strings.HasPrefix(m, "mail outbox paused") {
			paused++
		} else if strings.HasPrefix(m, "mail outbox resumed") {
			resumed++
		}
	}
	if cannot != 2 || paused != 1 || resumed != 1 || total != fails {
		t.Errorf("log: %d cannot-write lines (want 2), %d paused (want 1), %d resumed (want 1), failures counted %d (want %d):\n%s",
			cannot, paused, resumed, total, fails, logs.String())
	}
}

// Issue 17, item 4: after an SMTP outage, the first accepted message
// makes the deferred backlog due at once, a batch at a time, instead of
// each message waiting for its own backoff slot.
func TestBacklogResumesAtFirstSuccess(t *testing.T) {
	srv := mailtest.NewServer(t)
	cfg := config(srv)
	srv.Stop()
	clock := mailtest.NewClock()
	q := newQueue()
	for i := range 5 {
		m := mailtest.CodeMessage(fmt.Sprintf("old%d", i), clock.Now().Add(time.Duration(i)*time.Millisecond), "fr")
		m.To = fmt.Sprintf("old%d@exemple.fr", i)
		m.ExpiresAt = clock.Now().Add(time.Hour)
		q.add(m)
	}
	w := newWorker(q, NewSender(cfg), clock)
	// Five failed attempts: the next one is 160 s away.
	for i := range 5 {
		if i > 0 {
			clock.Advance(q.get("old0").NextAttempt.Sub(clock.Now()))
		}
		if sent, err := w.RunOnce(context.Background()); sent != 0 || err != nil {
			t.Fatalf("RunOnce while down = %d, %v", sent, err)
		}
	}
	if wait := q.get("old0").NextAttempt.Sub(clock.Now()); wait < 2*time.Minute {
		t.Fatalf("backoff is only %v", wait)
	}

	srv.Start(t)
	fresh := mailtest.CodeMessage("fresh", clock.Now(), "fr")
	fresh.ExpiresAt = clock.Now().Add(time.Hour)
	q.add(fresh)
	w.Batch = 2
	var per []int
	for range 5 { // the clock stands still
		sent, err := w.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		per = append(per, sent)
	}
	t.Logf("sent per pass after the outage, clock standing still: %v", per)
	if count, _, _ := srv.Stats(); count != 6 {
		t.Errorf("server received %d messages at the first success, want 6 (the fresh one and the 5 deferred)", count)
	}
	for i, s := range per {
		if s > 2 {
			t.Errorf("pass %d sent %d messages, more than a batch (2)", i, s)
		}
	}
	for i := range 5 {
		if m := q.get(fmt.Sprintf("old%d", i)); m.Status != outbox.StatusSent {
			t.Errorf("old%d: %s, want sent", i, m.Status)
		}
	}
}
