package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"sesame/internal/mail/delivery"
	"sesame/internal/store"
)

// outboxCounter is the store as /readyz and /metrics read it.
type outboxCounter interface {
	CountOutbox(now time.Time) (store.OutboxCounts, error)
}

// registerMetrics adds the outbox's and the mail worker's series to set.
// The outbox is counted at each scrape, in one read transaction over the
// pending messages only; the worker's counts are its own, since start.
func registerMetrics(set *metrics.Set, w *delivery.Worker, st outboxCounter) {
	set.RegisterMetricsWriter(func(out io.Writer) {
		n, err := st.CountOutbox(time.Now())
		if err != nil {
			return // the data file's trouble is /readyz's and the log's to tell
		}
		metrics.WriteGaugeUint64(out, "sesame_outbox_pending", uint64(n.Pending))
		metrics.WriteGaugeUint64(out, "sesame_outbox_overdue_codes", uint64(n.OverdueCodes))
	})
	stat := func(f func(delivery.Stats) uint64) func() float64 {
		return func() float64 { return float64(f(w.Stats())) }
	}
	set.NewGauge("sesame_outbox_sent_total", stat(func(s delivery.Stats) uint64 { return s.Sent }))
	set.NewGauge("sesame_outbox_failed_total", stat(func(s delivery.Stats) uint64 { return s.Failed }))
	set.NewGauge("sesame_outbox_deferred_total", stat(func(s delivery.Stats) uint64 { return s.Deferred }))
	set.NewGauge("sesame_outbox_codes_expired_total", stat(func(s delivery.Stats) uint64 { return s.CodesExpired }))
	set.NewGauge("sesame_mail_worker_paused", func() float64 {
		if w.Paused() {
			return 1
		}
		return 0
	})
}

// serveMetrics answers /metrics on ln, its own port apart from the
// parents' (--metrics-addr), until ctx is done.
func serveMetrics(ctx context.Context, ln net.Listener, set *metrics.Set, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		set.WritePrometheus(w)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		// A scrape in progress reads the data file: it ends before serve
		// closes it.
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	log.Info("metrics listening", "addr", ln.Addr().String())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("metrics server", "err", err)
	}
	<-done
}
