package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"sesame/internal/mail"
	"sesame/internal/mail/outbox"
	"sesame/internal/writefail"

	gomail "github.com/wneessen/go-mail"
)

// Worker defaults.
const (
	DefaultBatch = 50
	DefaultPoll  = 3 * time.Second
	// DefaultRetryBase is the delay before the first retry.
	DefaultRetryBase  = 10 * time.Second
	backoffCap        = 15 * time.Minute
	backoffJitterFrac = 0.2
	// catchUpHorizon reaches past the longest backoff a deferred
	// message can have: after an outage, every deferred message is due.
	catchUpHorizon = backoffCap + backoffCap/2
)

// Queue is the durable outbox, as the worker needs it. The store
// implements it; the worker is its only writer once a message is queued.
type Queue interface {
	// Due returns up to max messages with Status pending whose
	// NextAttempt is not after now (a zero NextAttempt is due at once),
	// oldest Created first.
	Due(now time.Time, max int) ([]outbox.Message, error)
	// Save durably replaces the stored message that has m.ID. It must
	// not return before the change is on disk: a message saved as sent
	// is never handed to the server again, even after a crash.
	Save(m outbox.Message) error
}

// Transport hands composed messages to a mail server; *Sender is the
// SMTP one. Send returns one result per message, nil for accepted.
type Transport interface {
	Send(ctx context.Context, msgs []*gomail.Msg) []error
}

// eachSender is a Transport that reports each accepted message at once;
// the worker then records it as sent before the next one is handed over.
type eachSender interface {
	SendEach(ctx context.Context, msgs []*gomail.Msg, accepted func(int)) []error
}

// Worker delivers the outbox in the background, so no request waits on
// SMTP. Create it with its fields set, then call Run in one goroutine;
// Notify wakes it when a message is queued.
type Worker struct {
	Queue Queue
	// Composer renders messages; required when Transport is set.
	Composer *mail.Composer
	// Transport delivers; nil means SMTP is not configured: messages
	// wait in the outbox (expired ones are still closed) and a warning
	// is logged once.
	Transport Transport
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives one line per delivery outcome; nil discards.
	Log *slog.Logger
	// Batch is how many messages go over one connection; 0 means
	// DefaultBatch.
	Batch int
	// Poll is how often the outbox is checked without a Notify (for
	// retries that become due); 0 means DefaultPoll.
	Poll time.Duration
	// Jitter returns a number in [0, 1) to spread retries; nil means
	// math/rand/v2.
	Jitter func() float64
	// RetryBase is the delay before the first retry, doubled at each
	// attempt up to 15 minutes; 0 means DefaultRetryBase.
	RetryBase time.Duration
	// Writes hears of the data file's write failures and logs them at a
	// bounded rate; it is shared with the web side so /readyz sees both.
	// nil means one of the worker's own, logging to Log.
	Writes *writefail.Reporter

	initOnce sync.Once
	wake     chan struct{}
	warnOnce sync.Once
	// mu makes RunOnce and Run exclusive, so a message is never in two
	// batches at once. It guards the fields below.
	mu sync.Mutex
	// unsaved are changes the data file refused, the latest per message,
	// in order. Above all they hold messages the SMTP server accepted but
	// that are still pending on disk: while any is here the worker sends
	// nothing, or it would send them again at every poll.
	unsaved []outbox.Message
	// outage is set when a whole batch was deferred (the server is
	// unreachable or refuses everything); catchUp when the server has
	// accepted a message since: the deferred backlog is then due at once
	// instead of each message waiting for its own backoff.
	outage, catchUp bool

	paused   atomic.Bool
	nUnsaved atomic.Int64
	// sent, failed and deferred count outcomes since start, for
	// /metrics; codesExpired the code e-mails given up undelivered.
	sent, failed, deferred, codesExpired atomic.Uint64
	// lastSent and lastCodeExpired are Unix nanoseconds, 0 for never.
	lastSent, lastCodeExpired atomic.Int64
}

// Stats are a worker's counts since it started.
type Stats struct {
	// Sent were accepted by the mail server; Failed were given up
	// (refused for good, or expired); Deferred are retries scheduled.
	Sent, Failed, Deferred uint64
	// CodesExpired are security-code e-mails given up because the code
	// expired before the server took them.
	CodesExpired uint64
}

// Stats returns the worker's counts; it never blocks.
func (w *Worker) Stats() Stats {
	return Stats{Sent: w.sent.Load(), Failed: w.failed.Load(), Deferred: w.deferred.Load(), CodesExpired: w.codesExpired.Load()}
}

// ErrCodesExpired is Ready's answer when security codes expire before
// their e-mail leaves.
var ErrCodesExpired = errors.New("security-code e-mails are not delivered before the codes expire")

func (w *Worker) init() {
	w.initOnce.Do(func() {
		w.wake = make(chan struct{}, 1)
		if w.Writes == nil {
			w.Writes = writefail.New(w.logger(), 0, w.now)
		}
	})
}

// Paused reports whether delivery is stopped because the data file
// refused to record what was sent. It never blocks.
func (w *Worker) Paused() bool { return w.paused.Load() }

// Unrecorded is how many message changes wait in memory for the data
// file to accept them (accepted messages not yet marked sent, mostly).
func (w *Worker) Unrecorded() int { return int(w.nUnsaved.Load()) }

// ErrPaused is Ready's answer while delivery is paused.
var ErrPaused = errors.New("the mail outbox is paused: the data file cannot record sent messages")

// Ready returns ErrPaused while the worker is paused, else nil.
func (w *Worker) Ready() error {
	if w.Paused() {
		return fmt.Errorf("%w (%d waiting)", ErrPaused, w.Unrecorded())
	}
	// A code e-mail given up as expired, and nothing sent since: the
	// server refuses or cannot be reached, or no SMTP server is set, and
	// parents cannot recover their password.
	if exp := w.lastCodeExpired.Load(); exp != 0 && exp > w.lastSent.Load() {
		return fmt.Errorf("%w (the last one at %s; see `sesame mail queue`)", ErrCodesExpired,
			time.Unix(0, exp).UTC().Format(time.RFC3339))
	}
	return nil
}

// Notify tells the worker a message was queued. It never blocks: one
// pending wake-up is enough, whatever the number of messages.
func (w *Worker) Notify() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done: at once when notified, else every
// Poll, and straight again while full batches keep coming.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	poll := w.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	timer := time.NewTimer(poll)
	defer timer.Stop()
	defer w.lastFlush()
	for ctx.Err() == nil {
		processed, _, more, err := w.runOnce(ctx)
		if err != nil {
			w.logger().Error("mail outbox", "err", err)
		}
		// A full batch means more may be due; without a transport nothing
		// changes, so going round again would only spin.
		if w.Transport != nil && (processed >= w.batch() || more) && err == nil {
			continue
		}
		timer.Reset(poll)
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
			// Let the messages queued in the same instant join this batch:
			// one SMTP connection for many of them costs a few milliseconds
			// of the first one's latency and saves a handshake for each of
			// the others when many parents ask at once.
			select {
			case <-ctx.Done():
				return
			case <-time.After(gatherDelay):
			}
		case <-timer.C:
		}
	}
}

// gatherDelay is how long the worker waits after a wake-up for other
// messages to join the batch.
const gatherDelay = 15 * time.Millisecond

// RunOnce handles one batch of due messages and returns how many the
// server accepted. Errors are the queue's reads; delivery failures are
// recorded on the messages, and a write the data file refuses pauses
// the worker (see Paused) instead.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	_, sent, _, err := w.runOnce(ctx)
	return sent, err
}

// runOnce handles one batch. more asks Run to go round again at once
// (delivery has just resumed, or the backlog has just become due).
func (w *Worker) runOnce(ctx context.Context) (processed, sent int, more bool, err error) {
	w.init()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.unsaved) > 0 {
		// Paused: record what was sent before sending anything else.
		if !w.flush() {
			return 0, 0, false, nil
		}
		more = true
	}
	now := w.now()
	horizon := now
	if w.catchUp {
		horizon = now.Add(catchUpHorizon)
	}
	due, err := w.Queue.Due(horizon, w.batch())
	if err != nil {
		return 0, 0, false, fmt.Errorf("mail outbox: reading due messages: %w", err)
	}
	if w.catchUp {
		due = retriesOrDue(due, now)
	}
	if len(due) == 0 {
		w.catchUp = false
		return 0, 0, more, nil
	}
	processed = len(due)
	// sendCtx stops the batch after the message in flight as soon as the
	// data file refuses a write: a message handed over now could not be
	// recorded either.
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	save := func(m outbox.Message) {
		if w.paused.Load() {
			// The file refused the last write: keep this one in order
			// behind it rather than write past it.
			w.keep(m)
			return
		}
		if err := w.Queue.Save(m); err != nil {
			w.keep(m)
			w.pause(err)
			stopSending()
			return
		}
		w.Writes.Recovered("mail outbox")
	}

	// Close what can no longer be sent before touching the network.
	batch := make([]outbox.Message, 0, len(due))
	msgs := make([]*gomail.Msg, 0, len(due))
	for _, m := range due {
		if m.Status != outbox.StatusPending {
			continue
		}
		if expired(m, now) {
			w.fail(&m, expiredReason(m))
			save(m)
			if m.Kind == outbox.KindRecoveryCode {
				w.codesExpired.Add(1)
				w.lastCodeExpired.Store(w.now().UnixNano())
			}
			continue
		}
		if w.Transport == nil {
			continue
		}
		msg, err := w.Composer.Compose(m)
		if err != nil {
			// Compose errors never contain the code. A malformed message
			// will not get better; anything else is the configuration's
			// fault, and the message waits for it to be fixed.
			m.Attempts++
			reason := "cannot compose: " + scrub(m, err.Error())
			if errors.Is(err, mail.ErrBadRecipient) || errors.Is(err, mail.ErrNoCode) || errors.Is(err, mail.ErrUnknownKind) {
				w.fail(&m, reason)
			} else {
				m.LastError = reason
				m.NextAttempt = now.Add(w.backoff(m.Attempts))
				w.logger().Error("mail not composed", w.attrs(m, "err", reason)...)
			}
			save(m)
			continue
		}
		batch = append(batch, m)
		msgs = append(msgs, msg)
	}
	if w.Transport == nil {
		w.warnOnce.Do(func() {
			w.logger().Warn("mail outbox: no SMTP server configured; messages wait in the outbox until one is (set --smtp-url)")
		})
		return processed, 0, false, nil
	}
	if len(batch) == 0 || w.paused.Load() {
		w.catchUp = false
		return processed, 0, false, nil
	}

	// Accepted messages are saved first, before any other write or log
	// line: once the server has a message, the outbox must say so before
	// anything can fail and leave it pending, to be sent twice. With a
	// transport that reports each acceptance, that happens message by
	// message during the batch.
	saved := make([]bool, len(batch))
	markSent := func(i int) {
		m := &batch[i]
		m.Attempts++
		m.Status = outbox.StatusSent
		m.SentAt = now
		m.Code = ""
		m.LastError = ""
		save(*m)
		saved[i] = true
		sent++
		w.noteSent()
	}
	var results []error
	if es, ok := w.Transport.(eachSender); ok {
		results = es.SendEach(sendCtx, msgs, markSent)
	} else {
		results = w.Transport.Send(sendCtx, msgs)
	}
	for i := range batch {
		if i < len(results) && results[i] == nil && !saved[i] {
			m := &batch[i]
			m.Attempts++
			m.Status = outbox.StatusSent
			m.SentAt = now
			m.Code = ""
			m.LastError = ""
			save(*m)
			sent++
			w.noteSent()
		}
	}
	configWarned := false
	deferred := 0
	for i := range batch {
		m := &batch[i]
		res := errors.New("no result from the transport")
		if i < len(results) {
			res = results[i]
		}
		if res == nil {
			w.logger().Info("mail sent", w.attrs(*m, "answer", scrub(*m, msgs[i].ServerResponse()))...)
			continue
		}
		if sendCtx.Err() != nil && !msgs[i].HasSendError() {
			// The server is stopping, or the data file refuses writes, and
			// the message was not handed over: it stays due, untouched.
			continue
		}
		original := *m
		answer := scrub(original, res.Error())
		var de *DeliveryError
		if errors.As(res, &de) {
			answer = scrub(original, de.Answer)
		}
		if de != nil && (de.Stage == StageTLS || de.Stage == StageAuth) && !configWarned {
			// Only the school's IT person can fix this; say it once per
			// batch, loudly, rather than once per message.
			configWarned = true
			w.logger().Error("mail server refused the connection; check the SMTP settings with `sesame mail test`",
				"stage", string(de.Stage), "err", answer)
		}
		m.Attempts++
		if de != nil && !de.Temporary {
			w.fail(m, answer)
			save(*m)
			continue
		}
		m.LastError = answer
		m.NextAttempt = now.Add(w.backoff(m.Attempts))
		save(*m)
		deferred++
		w.deferred.Add(1)
		w.logger().Warn("mail delivery deferred", w.attrs(*m, "err", answer, "next_attempt", m.NextAttempt)...)
	}
	switch {
	case sent == 0 && deferred > 0:
		w.outage, w.catchUp = true, false
	case sent > 0 && w.outage:
		// The server answers again: what it refused during the outage
		// need not wait up to 15 minutes for its own slot. Batch by batch,
		// so the server gets at most Batch messages per connection.
		w.outage, w.catchUp, more = false, true, true
		w.logger().Info("mail server accepts messages again: the deferred backlog is due now")
	case sent < processed || processed < w.batch():
		// The catch-up goes on only while whole batches are accepted: a
		// message deferred again is left to its backoff.
		w.catchUp = false
	}
	return processed, sent, more, nil
}

// retriesOrDue keeps, of the messages a catch-up read, those due at now
// and the retries. A first attempt set in the future was spaced on
// purpose (sesame invite queues its e-mails at the rate the school's
// server accepts): the end of an outage must not send it early.
func retriesOrDue(due []outbox.Message, now time.Time) []outbox.Message {
	kept := due[:0]
	for _, m := range due {
		if m.Attempts > 0 || !m.NextAttempt.After(now) {
			kept = append(kept, m)
		}
	}
	return kept
}

// noteSent records that a message was sent. It runs under mu, like
// every writer of lastCodeExpired.
func (w *Worker) noteSent() {
	w.sent.Add(1)
	// After any expiry noted at the same clock reading: a send is news
	// that delivery works again.
	w.lastSent.Store(max(w.now().UnixNano(), w.lastCodeExpired.Load()+1))
}

// keep holds a change the data file refused, replacing an earlier one
// for the same message.
func (w *Worker) keep(m outbox.Message) {
	for i := range w.unsaved {
		if w.unsaved[i].ID == m.ID {
			w.unsaved[i] = m
			return
		}
	}
	w.unsaved = append(w.unsaved, m)
	w.nUnsaved.Store(int64(len(w.unsaved)))
}

// pause stops delivery after the data file refused a write. It says so
// with the first "cannot write" line of an outage; the write errors go
// to Writes, which bounds the lines.
func (w *Worker) pause(err error) {
	logged := w.Writes.Failed("mail outbox", err)
	if w.paused.Swap(true) || !logged {
		// Already said, or the disk flaps: the "cannot write" lines and
		// /readyz tell it, at their bounded rate.
		return
	}
	w.logger().Error("mail outbox paused: the data file refused to record a delivery; "+
		"nothing is sent until it can, so no parent gets the same e-mail twice", "err", err)
}

// flush writes the kept changes, in order, and resumes delivery when all
// are on disk. It reports whether it did.
func (w *Worker) flush() bool {
	n := len(w.unsaved)
	for len(w.unsaved) > 0 {
		if err := w.Queue.Save(w.unsaved[0]); err != nil {
			w.Writes.Failed("mail outbox", err)
			return false
		}
		w.unsaved = w.unsaved[1:]
		w.nUnsaved.Store(int64(len(w.unsaved)))
	}
	w.unsaved = nil
	logged := w.Writes.Recovered("mail outbox")
	if w.paused.Swap(false) && logged {
		w.logger().Info("mail outbox resumed: the data file is writable again", "recorded", n)
	}
	return true
}

// lastFlush tries once more, at shutdown, to record what was sent.
func (w *Worker) lastFlush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.unsaved) == 0 || w.flush() {
		return
	}
	w.logger().Error("stopping with deliveries the data file could not record: those messages will be sent again at the next start",
		"count", len(w.unsaved))
}

// fail closes a message for good; the code goes with it.
func (w *Worker) fail(m *outbox.Message, reason string) {
	w.failed.Add(1)
	m.Status = outbox.StatusFailed
	m.Code = ""
	m.LastError = reason
	m.NextAttempt = time.Time{}
	w.logger().Warn("mail failed", w.attrs(*m, "err", reason)...)
}

// expired reports whether sending m has become useless. A message
// queued without ExpiresAt gets outbox.DefaultExpiry from Created, so nothing
// retries forever.
func expired(m outbox.Message, now time.Time) bool {
	deadline := m.ExpiresAt
	if deadline.IsZero() {
		if m.Created.IsZero() {
			return false
		}
		deadline = m.Created.Add(outbox.DefaultExpiry)
	}
	return now.After(deadline)
}

func expiredReason(m outbox.Message) string {
	if m.LastError != "" {
		return "expired before delivery; last error: " + m.LastError
	}
	return "expired before delivery"
}

// backoff is RetryBase · 2^(attempts−1), capped at 15 minutes, ±20 %, so a
// server that was down is not hit by every message at the same second.
func (w *Worker) backoff(attempts int) time.Duration {
	d := w.RetryBase
	if d <= 0 {
		d = DefaultRetryBase
	}
	for i := 1; i < attempts && d < backoffCap; i++ {
		d *= 2
	}
	d = min(d, backoffCap)
	r := rand.Float64()
	if w.Jitter != nil {
		r = w.Jitter()
	}
	return time.Duration(float64(d) * (1 - backoffJitterFrac + 2*backoffJitterFrac*r))
}

// attrs is what a log line may say about a message: never the code,
// never the address in clear.
func (w *Worker) attrs(m outbox.Message, kv ...any) []any {
	return append([]any{"id", m.ID, "kind", m.Kind, "to", outbox.MaskAddress(m.To), "attempts", m.Attempts}, kv...)
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) batch() int {
	if w.Batch > 0 {
		return w.Batch
	}
	return DefaultBatch
}

func (w *Worker) logger() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.New(slog.DiscardHandler)
}
