package delivery

import (
	"errors"
	"sort"
	"sync"
	"time"

	"sesame/internal/mail/mailtest"
	"sesame/internal/mail/outbox"
)

// config is how Sésame reaches this server: plain SMTP, or STARTTLS
// trusting the test certificate when the server offers it.
func config(s *mailtest.Server) SMTPConfig {
	cfg := SMTPConfig{Host: s.Host(), Port: s.Port(), TLS: TLSNone, Timeout: 5 * time.Second}
	if s.TLSConfig != nil {
		cfg.TLS = TLSMandatory
		cfg.TLSConfig = mailtest.ClientTLS
	}
	return cfg
}

// fakeQueue is an in-memory outbox that records every Save in order.
type fakeQueue struct {
	mu     sync.Mutex
	msgs   map[string]outbox.Message
	saves  []outbox.Message
	dueErr error
}

func newQueue(ms ...outbox.Message) *fakeQueue {
	q := &fakeQueue{msgs: map[string]outbox.Message{}}
	q.add(ms...)
	return q
}

func (q *fakeQueue) add(ms ...outbox.Message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range ms {
		q.msgs[m.ID] = m
	}
}

func (q *fakeQueue) Due(now time.Time, max int) ([]outbox.Message, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.dueErr != nil {
		return nil, q.dueErr
	}
	var out []outbox.Message
	for _, m := range q.msgs {
		if m.Status == outbox.StatusPending && !m.NextAttempt.After(now) {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

func (q *fakeQueue) Save(m outbox.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.msgs[m.ID]; !ok {
		return errors.New("no such message")
	}
	q.msgs[m.ID] = m
	q.saves = append(q.saves, m)
	return nil
}

func (q *fakeQueue) get(id string) outbox.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.msgs[id]
}

func (q *fakeQueue) savesCopy() []outbox.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]outbox.Message(nil), q.saves...)
}

func newWorker(q Queue, tr Transport, clock *mailtest.Clock) *Worker {
	return &Worker{
		Queue:     q,
		Composer:  mailtest.Composer(clock),
		Transport: tr,
		Now:       clock.Now,
		Jitter:    func() float64 { return 0.5 },
	}
}
