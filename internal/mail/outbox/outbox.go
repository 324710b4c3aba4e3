// Package outbox is the record of an e-mail to send: what to say, to
// whom, and where its delivery stands. The domain (accounts, recovery)
// and the store depend only on it, so that neither drags the templates,
// the translations nor the SMTP client along; package mail renders a
// Message and package delivery sends it.
package outbox

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

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
	// KindInvitation is `sesame invite`: the school opens the Espace
	// Parents to an adult who has no password yet, with their identifier,
	// their children and a link to the recovery's first step, their
	// address filled in. It carries no code.
	KindInvitation Kind = "invitation"
	// KindEmailCode carries the security code that confirms an address a
	// parent gave after activating their account.
	KindEmailCode Kind = "email_code"
	// KindEmailChanged tells the previous address that the account's
	// address was replaced (by NewEmail, masked), and whom to contact if
	// it was not them.
	KindEmailChanged Kind = "email_changed"
	// KindStaffSetup carries a school office staff member's one-time
	// set-up link: Code holds the link's token until the message is
	// sent or given up, like a security code.
	KindStaffSetup Kind = "staff_setup"
	// KindEmailChangedOld and KindEmailChangedNew tell a parent that the
	// school office corrected their account's address: at the old
	// address (it no longer receives the account's e-mails) and at the
	// new one (it now does).
	KindEmailChangedOld Kind = "email_changed_old"
	KindEmailChangedNew Kind = "email_changed_new"
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

	// Children maps an identifier of Identifiers to the children its
	// holder is responsible for, as a parent recognises them ("Lucas
	// (6e A), Emma (CM2)"), so that a family sharing an address can tell
	// its identifiers apart. An identifier without children has no entry;
	// records queued before it existed have none at all and compose as
	// they did.
	Children map[string]string `json:"children,omitempty"`

	// NewEmail is, for KindEmailChanged, the account's new address,
	// already masked (m•••@exemple.fr): the old mailbox is told that it
	// changed, not where to.
	NewEmail string `json:"new_email,omitempty"`
}

// DefaultCodeTTL is the code lifetime announced when a recovery-code
// message carries no usable expiry of its own (see security.md: 30
// minutes, because greylisting alone can hold a mail for 15).
const DefaultCodeTTL = 30 * time.Minute

// DefaultExpiry is how long a message without a code stays worth
// sending. Whoever enqueues a message sets ExpiresAt: the code's expiry
// for KindRecoveryCode, Created + DefaultExpiry for the others.
const DefaultExpiry = 24 * time.Hour

// NewPending fills in what the outbox needs before m is stored: status
// pending, Created and NextAttempt set to now (due at once), and
// ExpiresAt when the caller left it zero — Created + DefaultExpiry, or
// Created + DefaultCodeTTL for a code message, whose caller should
// rather pass the code's own expiry.
func NewPending(m Message, now time.Time) Message {
	m.Status = StatusPending
	if m.Created.IsZero() {
		m.Created = now
	}
	m.NextAttempt = m.Created
	m.Attempts = 0
	m.LastError = ""
	m.SentAt = time.Time{}
	if m.ExpiresAt.IsZero() {
		if m.Kind == KindRecoveryCode || m.Kind == KindEmailCode {
			m.ExpiresAt = m.Created.Add(DefaultCodeTTL)
		} else {
			m.ExpiresAt = m.Created.Add(DefaultExpiry)
		}
	}
	return m
}

// MaskAddress hides most of an e-mail address so it can be shown on a
// screen or written to a log ("marie.dupont@exemple.fr" →
// "m•••@exemple.fr"): the parent recognises their address, a passer-by
// or a log reader does not learn it.
func MaskAddress(addr string) string {
	addr = strings.TrimSpace(addr)
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "•••"
	}
	local, domain := addr[:at], addr[at+1:]
	r, size := utf8.DecodeRuneInString(local)
	if size == 0 || r == utf8.RuneError {
		return "•••@" + domain
	}
	return string(r) + "•••@" + domain
}

// ErrNoMessage means no message of the outbox has that id.
var ErrNoMessage = errors.New("outbox: no such message")

// NotRetryable says why a message cannot be sent again.
type NotRetryable struct{ Why string }

func (e *NotRetryable) Error() string { return "outbox: the message cannot be sent again: " + e.Why }

// Retryable reports whether m may be made due again at now (the school
// office's « retry now »): a pending message may; a failed one only if
// it still holds all it says — not a security code or a set-up link,
// scrubbed once given up — and a pending code whose code has expired
// would be of no use. The error is a *NotRetryable.
func Retryable(m Message, now time.Time) error {
	switch {
	case m.Status == StatusSent:
		return &NotRetryable{"already sent"}
	case m.Status == StatusFailed && (m.Kind == KindRecoveryCode || m.Kind == KindStaffSetup):
		return &NotRetryable{"its code is gone"}
	case m.Status == StatusPending && m.Kind == KindRecoveryCode && !m.ExpiresAt.IsZero() && now.After(m.ExpiresAt):
		return &NotRetryable{"its code has expired"}
	}
	return nil
}
