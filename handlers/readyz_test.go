package handlers

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/writefail"
	"sesame/locales"
)

// Issue 17: /readyz says not ready, and why, while Ready does; /healthz
// stays a cheap "ok" for liveness.
func TestReadyz(t *testing.T) {
	var mu sync.Mutex
	var why error
	e := newEnv(t, func(d *Deps) {
		d.Ready = func() error { mu.Lock(); defer mu.Unlock(); return why }
	})
	b := e.browser(t)
	if resp, body := b.get("/readyz"); resp.StatusCode != 200 || body != "ready" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("readyz when ready: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	mu.Lock()
	why = errors.New("the mail outbox is paused: the data file cannot record sent messages")
	mu.Unlock()
	resp, body := b.get("/readyz")
	if resp.StatusCode != 503 || !strings.Contains(body, "not ready: the mail outbox is paused") ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("readyz when paused: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if resp, body := b.get("/healthz"); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("healthz while not ready: %d %q", resp.StatusCode, body)
	}
}

// Issue 17: a full disk answers every write with the storage page, and
// the log says so once per interval with a count, not once per request.
func TestStorageErrorLoggedOncePerInterval(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := &handler{Deps: Deps{Config: Config{DefaultLang: "fr"}, Locales: locales.Must(), Log: log,
		Writes: writefail.New(log, time.Minute, func() time.Time { return now })}}
	app := fiber.New(fiber.Config{ErrorHandler: h.errorHandler, DisableStartupMessage: true})
	app.Post("/write", func(*fiber.Ctx) error {
		return &fs.PathError{Op: "write", Path: "sesame.db", Err: syscall.ENOSPC}
	})
	post := func() {
		t.Helper()
		resp, err := app.Test(httptest.NewRequest("POST", "/write", nil))
		if err != nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "60" {
			t.Fatalf("POST on a full disk: %v %v", resp, err)
		}
	}
	for range 20 {
		post()
		now = now.Add(time.Second)
	}
	if n := strings.Count(logs.String(), writefail.Message); n != 1 {
		t.Fatalf("20 refused writes in 20 s: %d cannot-write lines, want 1:\n%s", n, logs.String())
	}
	now = now.Add(time.Minute)
	post()
	out := logs.String()
	if n := strings.Count(out, writefail.Message); n != 2 || !strings.Contains(out, "failures=20") {
		t.Fatalf("a minute later: %d lines, want 2, the second counting 20 failures:\n%s", n, out)
	}
}
