// Package mail turns what happened (a code was issued, a password was
// changed) into e-mails parents can read, and delivers them through the
// school's SMTP server from a durable outbox, off the request path.
package mail

import "time"

// Kind says which e-mail a message is; it picks the templates.
type Kind string

// The e-mails Sésame sends.
const (
	// KindRecoveryCode carries a security code and the identifier(s)
	// attached to the address.
	KindRecoveryCode Kind = "recovery_code"
	// KindAccountDisabled answers a recovery request for an address whose
	// accounts are all disabled: no code, whom to contact instead.
	KindAccountDisabled Kind = "account_disabled"
	// KindPasswordChanged tells the parent their password was changed,
	// and whom to contact if it was not them.
	KindPasswordChanged Kind = "password_changed"
	// KindTest is sent by `sesame mail test`.
	KindTest Kind = "test"
)

// Status is where a message stands in the outbox.
type Status string

// Outbox states: pending until the SMTP server accepts it (sent) or it
// is given up (failed).
const (
	StatusPending Status = "pending"
	StatusSent    Status = "sent"
	StatusFailed  Status = "failed"
)

// Message is one e-mail in the outbox. It stores what to say, not the
// rendered text, so it is rendered in the parent's language at send time
// and the code can be scrubbed once it has left.
type Message struct {
	ID          string    `json:"id"`
	Kind        Kind      `json:"kind"`
	To          string    `json:"to"`
	Lang        string    `json:"lang"`
	Name        string    `json:"name,omitempty"` // the parent's display name, if one account
	Identifiers []string  `json:"identifiers,omitempty"`
	Code        string    `json:"code,omitempty"` // 8 digits, cleared once sent or failed
	ExpiresAt   time.Time `json:"expires_at"`     // after this, sending is useless: give up
	Created     time.Time `json:"created"`
	Status      Status    `json:"status"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
	SentAt      time.Time `json:"sent_at,omitempty"`
}
