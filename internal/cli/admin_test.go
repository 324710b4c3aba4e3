package cli

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Where the admin socket cannot listen (here: a path longer than a Unix
// socket address holds; on Windows, a version without AF_UNIX), serve
// still serves, warns, and an admin command says what to do instead.
func TestServeWithoutAdminSocket(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 110))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "s.db")
	c, code := readServeConfig([]string{"--addr", "127.0.0.1:0", "--data", data}, os.Stdout, os.Stderr)
	if c == nil {
		t.Fatalf("config: %d", code)
	}
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, slog.New(slog.NewTextHandler(&logs, nil))) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "Sésame is ready") {
		select {
		case err := <-done:
			t.Fatalf("serve returned %v before it was ready:\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve never ready:\n%s", logs.String())
		}
	}
	if !strings.Contains(logs.String(), "no admin socket") {
		t.Errorf("no warning in the log:\n%s", logs.String())
	}
	out, code := run(t, "", "accounts", "--data", data, "list")
	if code != 1 || !strings.Contains(out, "Stop the service, run this command again") {
		t.Errorf("admin command: %d %s", code, out)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}
