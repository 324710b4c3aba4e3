package delivery

import (
	"context"
	"mime"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Mailbox is a Transport that keeps the last messages in memory instead
// of sending them: the demo mode's mailbox, shown at /dev/mailbox, so a
// newcomer can follow the recovery flow without an SMTP server.
type Mailbox struct {
	mu      sync.Mutex
	entries []MailboxEntry
	max     int
	now     func() time.Time
}

// MailboxEntry is one message as the demo mailbox shows it.
type MailboxEntry struct {
	To, Subject, Text string
	At                time.Time
}

// NewMailbox keeps the last max messages.
func NewMailbox(max int) *Mailbox { return &Mailbox{max: max, now: time.Now} }

// Send records msgs; it never fails.
func (b *Mailbox) Send(_ context.Context, msgs []*gomail.Msg) []error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range msgs {
		e := MailboxEntry{To: strings.Join(m.GetToString(), ", "), At: b.now()}
		if s := m.GetGenHeader(gomail.HeaderSubject); len(s) > 0 {
			e.Subject = s[0]
			if d, err := new(mime.WordDecoder).DecodeHeader(s[0]); err == nil {
				e.Subject = d
			}
		}
		for _, p := range m.GetParts() {
			if p.GetContentType() == gomail.TypeTextPlain {
				c, _ := p.GetContent()
				e.Text = string(c)
				break
			}
		}
		b.entries = append(b.entries, e)
		if len(b.entries) > b.max {
			b.entries = b.entries[len(b.entries)-b.max:]
		}
	}
	return make([]error, len(msgs))
}

// Entries returns the messages, newest first.
func (b *Mailbox) Entries() []MailboxEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]MailboxEntry, len(b.entries))
	for i, e := range b.entries {
		out[len(out)-1-i] = e
	}
	return out
}
