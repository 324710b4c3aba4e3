package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"sesame/internal/mail/delivery"
	"sesame/internal/store"
	"sesame/internal/writefail"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log both serve and the test touch.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Issue 12: with --metrics-addr, serve answers /metrics on that port
// only, in Prometheus text, with the requests the parents' port served
// and the outbox's state; the parents' port has no /metrics. The log is
// JSON with --log-format json.
func TestServeMetrics(t *testing.T) {
	c, err := configFrom(t, "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--log-format", "json",
		"--data", filepath.Join(t.TempDir(), "sesame.db"))
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := newLogger(c, &logs)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, log) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	ready := regexp.MustCompile(`"msg":"Sésame is ready","addr":"([^"]+)","metrics_addr":"([^"]+)"`)
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		m = ready.FindStringSubmatch(logs.String())
	}
	if m == nil {
		t.Fatalf("not ready, or not a JSON log:\n%s", logs.String())
	}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	get("http://" + m[1] + "/healthz")
	if code, _ := get("http://" + m[1] + "/metrics"); code != 404 {
		t.Errorf("/metrics on the parents' port: %d", code)
	}
	code, body := get("http://" + m[2] + "/metrics")
	for _, want := range []string{
		`sesame_http_requests_total{route="/healthz",status="2xx"} 1`,
		`sesame_http_requests_total{route="other",status="4xx"} 1`,
		"sesame_outbox_pending 0", "sesame_outbox_sent_total 0", "sesame_mail_worker_paused 0",
		`sesame_ratelimit_refusals_total{limiter="login_ip"} 0`,
	} {
		if code != 200 || !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics %d: no %s in\n%s", code, want, body)
		}
	}
}

type countsOf store.OutboxCounts

func (c countsOf) CountOutbox(time.Time) (store.OutboxCounts, error) {
	return store.OutboxCounts(c), nil
}

// Issue 12: /readyz is not ready while a security-code e-mail has waited
// longer than its code is valid.
func TestReadinessOverdueCodes(t *testing.T) {
	w := &delivery.Worker{}
	writes := writefail.New(nil, 0, nil)
	if err := readiness(w, writes, countsOf{Pending: 3})(); err != nil {
		t.Fatalf("pending, none overdue: %v", err)
	}
	err := readiness(w, writes, countsOf{Pending: 3, OverdueCodes: 2})()
	if err == nil || !strings.Contains(err.Error(), "2 security-code e-mails waited longer than their code is valid") {
		t.Fatalf("overdue codes: %v", err)
	}
}
