//go:build linux

package integration

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// cannotWrite is the one line a refused write produces in the log
// (internal/writefail.Message).
const cannotWrite = "the data file cannot be written: check free disk space and permissions"

// smallDisk mounts a tmpfs of size bytes on a new directory and returns
// it; it is unmounted at the end of the test. A real file system that
// fills up, rather than a simulated error: bbolt meets ENOSPC where it
// really would, in the middle of its own writes. It skips, saying why,
// where mounting is impossible (not root, no CAP_SYS_ADMIN).
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("sesame-test", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		t.Skipf("SKIPPED: cannot mount a small tmpfs to fill (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes path until the file system is full.
func fill(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n int64
	for _, chunk := range []int{1 << 20, 4 << 10, 512} {
		buf := make([]byte, chunk)
		for {
			w, err := f.Write(buf)
			n += int64(w)
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return n
}

// askCode is step 1 of recovery from a new browser, as a plain form or
// as htmx sends it; it returns the status of the POST.
func askCode(base, email string, htmx bool) (int, error) {
	b := newBrowser(nil, base)
	defer b.c.CloseIdleConnections()
	if st, _, err := b.get("/recuperation"); err != nil || st != http.StatusOK || b.csrf == "" {
		return st, fmt.Errorf("GET /recuperation: %d %v", st, err)
	}
	form := url.Values{"email": {email}, "_csrf": {b.csrf}}
	req, err := http.NewRequest("POST", base+"/recuperation/email", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Current-URL", base+"/recuperation")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Issue 17, item 1: the disk holding the data file fills up under load,
// with a working SMTP server. The worker must not send a message again
// because it could not record it as sent; pages that must write answer
// 503, with JavaScript and without; /readyz says not ready; the log says
// "cannot write" a bounded number of times; once space returns the
// outbox drains and every message was received exactly as often as it
// is recorded sent: once.
func TestFullDiskUnderLoadNoDuplicateMail(t *testing.T) {
	t.Parallel()
	dir := smallDisk(t, 8<<20)
	data := filepath.Join(dir, "sesame.db")
	sk := newSink(t) // down for now
	_, emails := importAccounts(t, data, "plein", 80)
	srv := newSesame(t, data, fastRetry...)
	srv.smtpPort = sk.port
	srv.start()
	// Codes asked while the SMTP server is down wait in the outbox; they
	// leave once the disk is full, so the worker must record them as sent
	// on a disk that refuses.
	const early = 30
	for _, e := range emails[:early] {
		newBrowser(t, srv.base()).startRecovery(e)
	}
	emails = emails[early:]

	// Parents keep asking for codes, half of them with htmx.
	var (
		phase    atomic.Int32 // 0 before the disk is full, 1 full, 2 space back
		mu       sync.Mutex
		statuses [3]map[string]int
		notReady atomic.Int32
		paused   atomic.Int32 // /readyz answers naming the paused outbox
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for i := range statuses {
		statuses[i] = map[string]int{}
	}
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; ; i += 4 {
				select {
				case <-stop:
					return
				default:
				}
				htmx := i%2 == 1
				p := phase.Load()
				st, err := askCode(srv.base(), emails[i%len(emails)], htmx)
				key := fmt.Sprintf("plain %d", st)
				if htmx {
					key = fmt.Sprintf("htmx %d", st)
				}
				if err != nil {
					key += " " + err.Error()
				}
				mu.Lock()
				statuses[p][key]++
				mu.Unlock()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := &http.Client{Timeout: 2 * time.Second}
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			if phase.Load() != 1 {
				continue
			}
			if resp, err := c.Get(srv.base() + "/readyz"); err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable {
					notReady.Add(1)
					if strings.Contains(string(body), "mail outbox is paused") {
						paused.Add(1)
					}
				}
			}
		}
	}()

	time.Sleep(2 * time.Second)
	filler := filepath.Join(dir, "filler")
	n := fill(t, filler)
	phase.Store(1)
	sk.up()
	t.Logf("disk full (%d bytes of filler), SMTP server up; %d messages received so far", n, sk.count())
	const fullFor = 12 * time.Second
	time.Sleep(fullFor)
	receivedFull := sk.count()
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	phase.Store(2)
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()

	var q queueCounts
	waitFor(t, 60*time.Second, "the outbox drained", func() bool {
		q = mailQueue(t, data)
		return q.Pending == 0 && sk.busy() == 0
	})
	// A worker that re-sends could still be sending: let it show.
	time.Sleep(time.Second)
	q = mailQueue(t, data)
	logs := srv.log.String()
	perMessage := map[string]int{}
	dups := 0
	for _, m := range sk.received() {
		k := m.To + " " + m.Code
		perMessage[k]++
		if perMessage[k] > 1 {
			dups++
		}
	}
	t.Logf("statuses before the disk filled: %v", statuses[0])
	t.Logf("statuses while full (%s): %v", fullFor, statuses[1])
	t.Logf("statuses after space returned: %v", statuses[2])
	t.Logf("sink received %d messages (%d while full), %d recorded sent, %d pending, %d failed; %d duplicates; %d cannot-write lines; /readyz 503 %d times while full (%d saying the outbox is paused)",
		sk.count(), receivedFull, q.Sent, q.Pending, q.Failed, dups, strings.Count(logs, cannotWrite), notReady.Load(), paused.Load())

	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, cannotWrite) || strings.Contains(l, "mail outbox") || strings.Contains(l, "writable again") {
			t.Log(l)
		}
	}
	if !strings.Contains(logs, `by="mail outbox"`) && paused.Load() == 0 {
		t.Errorf("the worker never met a refused write: the test proved nothing")
	}
	if dups != 0 || sk.count() != q.Sent {
		t.Errorf("storm: the sink received %d messages for %d recorded sent (%d duplicates)", sk.count(), q.Sent, dups)
	}
	if statuses[1]["plain 503"] == 0 || statuses[1]["htmx 503"] == 0 {
		t.Errorf("while full, step 1 should answer 503 with and without htmx: %v", statuses[1])
	}
	if notReady.Load() == 0 {
		t.Errorf("/readyz never said not ready while the disk was full")
	}
	// One line at the first failure, then one a minute at most: the
	// disk was full for 12 s.
	if n := strings.Count(logs, cannotWrite); n == 0 || n > 2 {
		t.Errorf("%d cannot-write lines in the log, want 1 or 2 (one per minute)", n)
	}
	// A refused write keeps /readyz at 503 for a while after the last one.
	waitFor(t, 60*time.Second, "/readyz ready again", func() bool {
		resp, err := http.Get(srv.base() + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	srv.stop(10 * time.Second)
	checkBolt(t, data)
}
