package integration

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Issue 17: restoring a backup re-sent the mails that were pending when
// it was taken, though the newer file had sent them. sesame restore
// marks them sent in the restored file: the restarted server sends
// nothing again.
func TestRestoreDoesNotResendWhatWasSent(t *testing.T) {
	t.Parallel()
	const n = 3
	srv, sk, emails := queueCodes(t, "restore", n, 0)
	data := srv.data
	backup := filepath.Join(t.TempDir(), "backup.db")
	mustCLI(t, "", "backup", backup, "--data", data)

	// The newer life of the file: SMTP comes back, everything leaves.
	srv.stop(10 * time.Second)
	srv.smtpPort = sk.port
	srv.start()
	waitFor(t, 20*time.Second, "the pending messages to be delivered", func() bool {
		return sk.count() >= n && mailQueue(t, data).Pending == 0
	})

	if out, code := cli(t, "", "restore", backup, "--data", data); code == 0 || !strings.Contains(out, "stop it first") {
		t.Fatalf("restore while the server runs: exit %d\n%s", code, out)
	}
	srv.stop(10 * time.Second)
	out := mustCLI(t, "", "restore", backup, "--data", data)
	t.Logf("sesame restore:\n%s", out)
	if !strings.Contains(out, "3 marked sent") || !strings.Contains(out, "0 will be delivered") {
		t.Errorf("restore report:\n%s", out)
	}

	srv.start()
	// The worker looks at the outbox at start and every 3 s.
	time.Sleep(4 * time.Second)
	if q := mailQueue(t, data); q.Pending != 0 || q.Sent != n {
		t.Errorf("restored outbox: want 0 pending, %d sent; got\n%s", n, q.Out)
	}
	if c := sk.count(); c != n {
		t.Errorf("%d deliveries for %d messages: the restored file sent again what the newer one had sent", c, n)
	}
	checkDeliveries(t, sk, emails, true)
}
