package integration

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A frozen server (SIGSTOP: a hung disk, a debugger) still accepts
// connections on its admin socket, so an admin command used to wait
// forever. It must give up within its deadline, say which server is not
// answering, and fail.
func TestAdminCLIGivesUpOnAFrozenServer(t *testing.T) {
	t.Parallel()
	data := t.TempDir() + "/sesame.db"
	srv := newSesame(t, data)
	srv.start()
	srv.mu.Lock()
	pid := srv.cmd.Process.Pid
	srv.mu.Unlock()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// Resumed before the cleanup kills it, so it never stays frozen.
	defer syscall.Kill(pid, syscall.SIGCONT)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "accounts", "list", "--data", data)
	cmd.Env = append(cleanEnv(), "SESAME_ADMIN_TIMEOUT=2s")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("sesame accounts list still waiting on a frozen server after 20 s\n%s", out)
	}
	if err == nil {
		t.Fatalf("sesame accounts list succeeded against a frozen server:\n%s", out)
	}
	if took > 8*time.Second {
		t.Errorf("took %s to give up; the deadline is 2 s", took)
	}
	for _, want := range []string{"not answering", "systemctl status sesame", "PID " + strconv.Itoa(pid), data + ".sock"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("message lacks %q:\n%s", want, out)
		}
	}
	noTrace(t, "accounts list", string(out))

	// Once resumed, the same command answers.
	syscall.Kill(pid, syscall.SIGCONT)
	if out := mustCLI(t, "", "accounts", "list", "--data", data); strings.Contains(out, "not answering") {
		t.Errorf("after SIGCONT: %s", out)
	}
}
