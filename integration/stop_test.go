package integration

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// untouchedPending is a `sesame mail queue` line for a pending message
// that was never tried: no attempt, no error.
var untouchedPending = regexp.MustCompile(`(?m)^pending\s+\S+\s+\S+\s+0\s+\S+\s+-\s*$`)

// Issue 4, "a clean stop": SIGTERM while a batch is being delivered. The
// SMTP server takes 300 ms per message; the server is told to stop after
// the third was accepted, while it is receiving another. It must exit 0 within a few seconds, having
// recorded as sent every message the SMTP server accepted and left the
// others due, untouched; after a restart the rest goes out, and every
// message arrives exactly once.
func TestSIGTERMMidDeliverySendsEachOnce(t *testing.T) {
	t.Parallel()
	const n = 30
	// Queue the messages with no SMTP configured, so all are due
	// together, in one batch, when SMTP is there.
	srv, sk, emails := queueCodes(t, "arret", n, 300*time.Millisecond)
	data := srv.data
	if code, took := srv.stop(10 * time.Second); code != 0 {
		t.Fatalf("idle server: exit %d after SIGTERM (%s)", code, took)
	}

	srv.smtpPort = sk.port
	srv.start()
	waitFor(t, 20*time.Second, "3 messages accepted by the slow SMTP server, and a 4th being received", func() bool {
		return sk.count() >= 3 && sk.busy() > 0
	})
	code, took := srv.stop(10 * time.Second)
	t.Logf("SIGTERM mid-batch: exit %d after %s, %d of %d accepted", code, took.Round(time.Millisecond), sk.count(), n)
	if code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}
	// One message in flight at 300 ms, plus the HTTP server's own stop.
	if took > 5*time.Second {
		t.Errorf("took %s to stop, want a few seconds at most", took)
	}
	if !strings.Contains(srv.log.String(), "msg=stopped") {
		t.Errorf("the log does not end with \"stopped\"")
	}
	if sk.busy() != 0 {
		t.Errorf("the process exited while the SMTP server was still receiving a message: " +
			"the mail worker was not awaited")
		// Let that message land on the server side before counting.
		waitFor(t, 5*time.Second, "the SMTP server to finish what it was receiving", func() bool { return sk.busy() == 0 })
	}
	accepted := sk.count()
	if accepted >= n {
		t.Fatalf("the whole batch went out before the stop; nothing was tested")
	}
	checkBolt(t, data)
	q := mailQueue(t, data)
	if q.Sent != accepted || q.Pending != n-accepted || q.Failed != 0 {
		t.Errorf("after the stop: the SMTP server accepted %d; want %d sent, %d pending, 0 failed; got\n%s",
			accepted, accepted, n-accepted, q.Out)
	}
	if got := len(untouchedPending.FindAllString(q.Out, -1)); got != q.Pending {
		t.Errorf("%d of the %d pending messages are untouched; the stop must not count as a failed attempt:\n%s",
			got, q.Pending, q.Out)
	}

	sk.setDelay(0)
	srv.start()
	waitFor(t, 20*time.Second, "every message delivered and marked sent", func() bool {
		return sk.count() >= n && mailQueue(t, data).Pending == 0
	})
	if code, took := srv.stop(10 * time.Second); code != 0 {
		t.Errorf("after delivery: exit %d after SIGTERM (%s)", code, took)
	}
	if q := mailQueue(t, data); q.Sent != n || q.Failed != 0 {
		t.Errorf("after the restart: want 0 pending, %d sent, 0 failed; got\n%s", n, q.Out)
	}
	checkDeliveries(t, sk, emails, true)
}
