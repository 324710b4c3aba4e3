package integration

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serveOnce runs `sesame serve` on data and expects it to exit by
// itself: it returns the output, the exit status and how long it took.
func serveOnce(t *testing.T, data string, attr *syscall.SysProcAttr) (string, int, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	port := strconv.Itoa(freePort(t))
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", "127.0.0.1:"+port, "--data", data,
		"--base-url", "http://127.0.0.1:"+port, "--log-level", "debug")
	cmd.Env = cleanEnv()
	cmd.SysProcAttr = attr
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("sesame serve still running after 20 s (a hang):\n%s", out)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	code := 0
	if ee != nil {
		code = ee.ExitCode()
	}
	return string(out), code, took
}

// chattr sets or clears the immutable flag; false if the file system or
// the process's privileges do not allow it.
func chattr(t *testing.T, flag, path string) bool {
	t.Helper()
	out, err := exec.Command("chattr", flag, path).CombinedOutput()
	if err != nil {
		t.Logf("chattr %s %s: %v %s", flag, path, err, out)
		return false
	}
	return true
}

func immutable(t *testing.T, path string) {
	t.Helper()
	if !chattr(t, "+i", path) {
		t.Skip("chattr +i is not available here (needs root and a file system with attributes)")
	}
	t.Cleanup(func() { chattr(t, "-i", path) })
}

// Issue 6, "Faults": a read-only data file gives a clear error.
func TestReadOnlyDataFile(t *testing.T) {
	t.Parallel()

	// root ignores permission bits, so "read-only" is made two ways: the
	// immutable attribute (refused even to root), and a file the
	// server's user (nobody) can read but not write.
	t.Run("immutable at start-up", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "sesame.db")
		importAccounts(t, data, "lecture", 1)
		immutable(t, data)
		out, code, took := serveOnce(t, data, nil)
		t.Logf("exit %d after %s:\n%s", code, took.Round(time.Millisecond), out)
		if code == 0 {
			t.Errorf("sesame serve on an immutable data file exited 0")
		}
		if !strings.Contains(out, data) || !strings.Contains(out, "not permitted") {
			t.Errorf("the message should name the file and say why; got:\n%s", out)
		}
	})

	t.Run("not writable by the server's user", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to run the server as another user")
		}
		dir := t.TempDir()
		data := filepath.Join(dir, "sesame.db")
		importAccounts(t, data, "lecture", 1)
		// nobody may reach and read the file, not write it or its directory.
		for _, p := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(data, 0o644); err != nil {
			t.Fatal(err)
		}
		out, code, took := serveOnce(t, data, &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}})
		t.Logf("exit %d after %s:\n%s", code, took.Round(time.Millisecond), out)
		if code == 0 {
			t.Errorf("sesame serve on a data file it cannot write exited 0")
		}
		if !strings.Contains(out, data) || !strings.Contains(out, "permission denied") {
			t.Errorf("the message should name the file and say why; got:\n%s", out)
		}
	})

	// The file turns read-only under a running server: reads go on,
	// every write is refused (never acknowledged), nothing is left
	// half-written, and writes work again once the file is writable.
	t.Run("read-only while serving", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "sesame.db")
		srv := newSesame(t, data)
		srv.start()
		ids, emails := importAccounts(t, data, "lecture", 1)
		id, oldPw, newPw := ids[0], "Ancien-Mot-7731", "Nouveau-Mot-8842"
		mustCLI(t, oldPw+"\n", "accounts", "--data", data, "set-password", id)
		signedIn := newBrowser(t, srv.base())
		if st, loc, err := signedIn.login(id, oldPw); err != nil || st != http.StatusSeeOther || loc != "/espace" {
			t.Fatalf("login: %d %q %v", st, loc, err)
		}
		before := mailQueue(t, data)

		immutable(t, data)
		b := newBrowser(t, srv.base())
		if st, _, err := b.get("/"); err != nil || st != http.StatusOK {
			t.Errorf("GET / on a read-only file: %d %v", st, err)
		}
		if st, _, err := signedIn.get("/espace"); err != nil || st != http.StatusOK {
			t.Errorf("GET /espace (signed in) on a read-only file: %d %v", st, err)
		}
		if st, _, err := b.login(id, "Mauvais-Mot-0000"); err != nil || st != http.StatusUnauthorized {
			t.Errorf("wrong password on a read-only file: %d %v, want 401", st, err)
		}
		stLogin, _, err := b.login(id, oldPw)
		if err != nil || stLogin != http.StatusServiceUnavailable {
			t.Errorf("login (a new session to write) on a read-only file: %d %v, want 503", stLogin, err)
		}
		stChange, loc, err := signedIn.post("/espace/mot-de-passe", url.Values{"current": {oldPw}, "new": {newPw}, "confirm": {newPw}})
		if err != nil || stChange != http.StatusServiceUnavailable {
			t.Errorf("password change on a read-only file: %d %q %v, want 503 (never a 303 that was not written)", stChange, loc, err)
		}
		rb := newBrowser(t, srv.base())
		rb.get("/recuperation")
		stRecovery, _, err := rb.post("/recuperation/email", url.Values{"email": {emails[0]}})
		if err != nil || stRecovery != http.StatusServiceUnavailable {
			t.Errorf("recovery start on a read-only file: %d %v, want 503", stRecovery, err)
		}
		t.Logf("read-only while serving: GET pages 200, wrong password 401, login %d, password change %d, recovery start %d",
			stLogin, stChange, stRecovery)
		if !strings.Contains(srv.log.String(), "operation not permitted") {
			t.Errorf("the log does not say why writes fail")
		}

		if !chattr(t, "-i", data) {
			t.Fatal("cannot make the file writable again")
		}
		if st, loc, err := newBrowser(t, srv.base()).login(id, oldPw); err != nil || st != http.StatusSeeOther || loc != "/espace" {
			t.Errorf("login with the old password once writable again: %d %q %v", st, loc, err)
		}
		if st, _, err := newBrowser(t, srv.base()).login(id, newPw); err != nil || st != http.StatusUnauthorized {
			t.Errorf("the refused change must not be half-applied: the new password answers %d %v", st, err)
		}
		after := mailQueue(t, data)
		if after.Pending != before.Pending {
			t.Errorf("refused writes left mail in the outbox: %d pending before, %d after\n%s", before.Pending, after.Pending, after.Out)
		}
		newBrowser(t, srv.base()).startRecovery(emails[0])
		srv.kill()
		checkBolt(t, data)
	})
}

// A second `sesame serve` on a data file in use exits quickly with a
// clear message, and leaves the first server (and its socket) alone.
func TestSecondServerOnSameDataFile(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "sesame.db")
	first := newSesame(t, data)
	first.start()
	importAccounts(t, data, "double", 1)

	out, code, took := serveOnce(t, data, nil)
	t.Logf("second server: exit %d after %s:\n%s", code, took.Round(time.Millisecond), out)
	if code == 0 {
		t.Errorf("the second server exited 0")
	}
	if took > 10*time.Second {
		t.Errorf("the second server took %s to give up", took)
	}
	if !strings.Contains(out, "in use") {
		t.Errorf("the message should say the file is in use; got:\n%s", out)
	}
	if _, err := os.Stat(data + ".sock"); err != nil {
		t.Errorf("the first server's admin socket is gone: %v", err)
	}
	// The first server still answers, over HTTP and its socket.
	if st, _, err := newBrowser(t, first.base()).get("/"); err != nil || st != http.StatusOK {
		t.Errorf("first server after the second tried: GET / %d %v", st, err)
	}
	if out := mustCLI(t, "", "accounts", "--data", data, "list"); !strings.Contains(out, "1 account(s)") {
		t.Errorf("accounts list through the first server's socket:\n%s", out)
	}
}
