// Package writefail remembers when the data file last refused a write
// and says so in the log at a bounded rate.
//
// A full disk or a file turned read-only makes every write fail: each
// request, each poll of the mail worker. Logging each one floods the log
// (and the disk that is already full) with the same line; logging none
// hides the cause. A Reporter logs the first failure at once, then at
// most one line per interval carrying how many failures it stands for,
// and it answers /readyz's question "has a write failed lately?" without
// a write of its own.
package writefail

import (
	"log/slog"
	"sync"
	"time"
)

// DefaultInterval is the least time between two "cannot write" lines.
const DefaultInterval = time.Minute

// Reporter is shared by everything that writes the data file. The zero
// value is not usable: create it with New. Its methods are safe for
// concurrent use and a nil *Reporter does nothing.
type Reporter struct {
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu       sync.Mutex
	lastErr  error
	lastAt   time.Time // last failure
	loggedAt time.Time // last "cannot write" line
	unlogged int       // failures since that line
}

// New returns a Reporter logging to log at most once per interval (0
// means DefaultInterval); now is the clock (nil means time.Now).
func New(log *slog.Logger, interval time.Duration, now func() time.Time) *Reporter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if interval <= 0 {
		interval = DefaultInterval
	}
	if now == nil {
		now = time.Now
	}
	return &Reporter{log: log, interval: interval, now: now}
}

// Message is the one "cannot write" line, the same for every writer, so
// an IT person can search the log for it.
const Message = "the data file cannot be written: check free disk space and permissions"

// Failed records a write refused with err by who (a short word such as
// "web" or "mail outbox"). The first failure is logged at once; later
// ones at most once per interval, with the number of failures the line
// stands for.
func (r *Reporter) Failed(who string, err error) {
	if r == nil {
		return
	}
	r.mu.Lock()
	now := r.now()
	r.lastErr, r.lastAt = err, now
	r.unlogged++
	if !r.loggedAt.IsZero() && now.Sub(r.loggedAt) < r.interval {
		r.mu.Unlock()
		return
	}
	n := r.unlogged
	r.unlogged, r.loggedAt = 0, now
	r.mu.Unlock()
	r.log.Error(Message, "by", who, "failures", n, "err", err)
}

// Recovered records that a write succeeded after failures. It logs once
// that the file is writable again, with the failures not yet reported;
// it does nothing when no failure is on record.
func (r *Reporter) Recovered(who string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	if r.lastErr == nil {
		r.mu.Unlock()
		return
	}
	n := r.unlogged
	r.lastErr, r.lastAt, r.loggedAt, r.unlogged = nil, time.Time{}, time.Time{}, 0
	r.mu.Unlock()
	r.log.Warn("the data file is writable again", "by", who, "failures_since_last_line", n)
}

// Recent returns the last write error if it happened within d and no
// write succeeded since (as far as Recovered was told), else nil.
func (r *Reporter) Recent(d time.Duration) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lastErr == nil || r.now().Sub(r.lastAt) > d {
		return nil
	}
	return r.lastErr
}
