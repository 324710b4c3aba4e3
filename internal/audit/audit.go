// Package audit is the record of who did what and when: sign-ins,
// recoveries, password changes and admin commands, kept in the data file
// for a year so the school can answer "was it me?". It never holds a
// secret: no password, code, session id or key.
package audit

import (
	"context"
	"time"
)

// Kind names what happened.
type Kind string

// What the audit log records.
const (
	LoginOK          Kind = "login.ok"
	LoginFailed      Kind = "login.failed"
	RecoveryStarted  Kind = "recovery.started"
	RecoveryResent   Kind = "recovery.resent"
	CodeFailed       Kind = "recovery.code_failed"
	CodeOK           Kind = "recovery.code_ok"
	PasswordChanged  Kind = "password.changed"
	AdminCommand     Kind = "admin.command"
	AccountsImported Kind = "admin.import"
)

// Event is one line of the audit log.
type Event struct {
	Time    time.Time `json:"time"`
	Kind    Kind      `json:"kind"`
	Account string    `json:"account,omitempty"` // identifier, when known
	Email   string    `json:"email,omitempty"`   // masked
	IP      string    `json:"ip,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// Retention is how long events are kept by default.
const Retention = 365 * 24 * time.Hour

// Log appends events. Appending never fails the action it records: an
// audit write error is logged by the implementation, not returned.
type Log interface {
	Append(e Event)
}

type ipKey struct{}

// WithIP returns a context carrying the client's address, so domain
// services can record it without knowing HTTP.
func WithIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, ipKey{}, ip)
}

// IP returns the client's address carried by ctx, or "".
func IP(ctx context.Context) string {
	s, _ := ctx.Value(ipKey{}).(string)
	return s
}

// Discard is a Log that records nothing, for tests that do not look.
type Discard struct{}

// Append does nothing.
func (Discard) Append(Event) {}
