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
	"errors"
	"log/slog"
	"sync"
	"syscall"
	"time"
)

// Is reports whether err is the file system refusing a write — a full
// disk or quota, a file system remounted read-only, permissions — as
// opposed to a bug or a damaged file: the kind of failure that lasts
// until someone frees space, and that every writer meets at once.
func Is(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EROFS) ||
		errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EDQUOT)
}

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
	loggedAt time.Time // last line, "cannot write" or "writable again"
	unlogged int       // failures since that line
	// A recovery met less than an interval after the last line is told
	// when the interval ends, if no failure came meanwhile: a disk that
	// flaps (a nearly full one frees a page, then refuses the next) gives
	// one line a minute, not one per flap.
	recoveredBy string
	timer       *time.Timer
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
// stands for. It reports whether it logged a line.
func (r *Reporter) Failed(who string, err error) bool {
	if r == nil {
		return false
	}
	r.mu.Lock()
	now := r.now()
	r.lastErr, r.lastAt = err, now
	r.recoveredBy = ""
	r.unlogged++
	if !r.loggedAt.IsZero() && now.Sub(r.loggedAt) < r.interval {
		r.mu.Unlock()
		return false
	}
	n := r.unlogged
	r.unlogged, r.loggedAt = 0, now
	r.mu.Unlock()
	r.log.Error(Message, "by", who, "failures", n, "err", err)
	return true
}

// Recovered records that a write succeeded; it does nothing when no
// failure is on record. It logs that the file is writable again, with
// the failures not yet told, at once if the last line is an interval
// old, else when the interval ends (if no failure came meanwhile). It
// reports whether it logged a line now.
func (r *Reporter) Recovered(who string) bool {
	if r == nil {
		return false
	}
	r.mu.Lock()
	if r.lastErr == nil {
		r.mu.Unlock()
		return false
	}
	r.lastErr, r.lastAt = nil, time.Time{}
	if wait := r.interval - r.now().Sub(r.loggedAt); wait > 0 {
		r.recoveredBy = who
		if r.timer == nil {
			r.timer = time.AfterFunc(wait, func() { r.tellRecovery() })
		} else {
			r.timer.Reset(wait)
		}
		r.mu.Unlock()
		return false
	}
	r.recoveredBy = who
	r.mu.Unlock()
	return r.tellRecovery()
}

// tellRecovery logs the recovery on record, if it still holds.
func (r *Reporter) tellRecovery() bool {
	r.mu.Lock()
	who, n := r.recoveredBy, r.unlogged
	if who == "" || r.lastErr != nil {
		r.mu.Unlock()
		return false
	}
	r.recoveredBy, r.unlogged, r.loggedAt = "", 0, r.now()
	r.mu.Unlock()
	r.log.Warn("the data file is writable again", "by", who, "failures_since_last_line", n)
	return true
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
