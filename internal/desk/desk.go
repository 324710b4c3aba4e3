// Package desk is what the school office does for parents at the
// secretariat desk: find a parent in one field, see everything about
// their access on one page, and act on it — send a security code,
// correct the address, disable or enable, lift the limits, print the
// family's activation letter, end the sessions. Every action is audited
// with the staff member who did it and whether it was done; none shows
// or sets a parent's password. It knows nothing of HTTP or of storage.
package desk

import (
	"time"

	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/audit"
	"sesame/internal/invitation"
	"sesame/internal/mail/outbox"
	"sesame/internal/recovery"
)

// Store is what the desk reads and writes beyond the other services;
// *store.Store satisfies it.
type Store interface {
	// AccountsVersion changes whenever an account is written.
	AccountsVersion() (uint64, error)
	AccountsByEmail(email string) ([]account.Account, error)
	// History is the address's pending recovery code and issue times.
	History(email string) (recovery.History, error)
	// ActivationState is the account's activation code, history and
	// recent refusals.
	ActivationState(id string) (activation.Record, activation.Tries, error)
	// CountSessions counts the account's live sessions.
	CountSessions(id string, now time.Time) (int, error)
	// OutboxFor is the messages since since to email or naming id,
	// newest first.
	OutboxFor(id, email string, since time.Time) ([]outbox.Message, error)
	// Audit is the events since since naming account, oldest first.
	Audit(since time.Time, account string) ([]audit.Event, error)
	// ChangeEmail stores a, queues msgs and records ev in one
	// transaction.
	ChangeEmail(a account.Account, msgs []outbox.Message, ev audit.Event) error
	// LiftLimits forgets the identifier's activation refusals and the
	// address's code issue times, and records ev.
	LiftLimits(id, email string, ev audit.Event) error
	// EndSessions ends every session of the account and records ev.
	EndSessions(id string, ev audit.Event) error
}

// Notifier wakes the mail worker once a message is queued.
type Notifier interface{ Notify() }

// Service is the desk's domain logic, over the accounts', recovery's and
// activation's services.
type Service struct {
	Store Store
	// School is what the school's view needs of the store (usually the
	// same store).
	School     SchoolStore
	Accounts   *account.Service
	Recovery   *recovery.Service
	Activation *activation.Service
	// Invitations sends one parent their invitation again (sesame
	// invite's e-mail); nil leaves the action out.
	Invitations *invitation.Service
	Audit       audit.Log
	Mail        Notifier
	Now         func() time.Time

	idx   index
	stage stage
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) notify() {
	if s.Mail != nil {
		s.Mail.Notify()
	}
}
