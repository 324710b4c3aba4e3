package cli

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestAdminCommandPanicFailsTheCommandNotTheServer(t *testing.T) {
	var logs bytes.Buffer
	// No services: the command panics, as a bug or a damaged page would.
	a := &adminServer{s: &services{log: slog.New(slog.NewTextHandler(&logs, nil))}}
	var out bytes.Buffer
	code := a.exec(adminRequest{Args: []string{"accounts", "list"}}, &out)
	if code != 1 || !strings.Contains(out.String(), "sesame check") {
		t.Fatalf("exit %d, output %q", code, out.String())
	}
	if !strings.Contains(logs.String(), "command=\"accounts list\"") {
		t.Fatalf("the failure is not logged: %q", logs.String())
	}
}

func TestBackgroundLoopRestartsAfterAPanic(t *testing.T) {
	old := restartDelay
	restartDelay = 10 * time.Millisecond
	defer func() { restartDelay = old }()
	var logs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var runs atomic.Int32
	done := make(chan struct{})
	go func() {
		keepRunning(ctx, slog.New(slog.NewTextHandler(&logs, nil)), "mail worker", func(ctx context.Context) {
			if runs.Add(1) < 3 {
				panic("page 37: has unexpected type/flags: 0")
			}
			cancel() // the third run ends normally, as at shutdown
		})
		close(done)
	}()
	<-done
	if runs.Load() != 3 || strings.Count(logs.String(), "mail worker failed") != 2 {
		t.Fatalf("runs %d, log %q", runs.Load(), logs.String())
	}
}
