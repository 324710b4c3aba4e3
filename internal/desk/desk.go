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
	"sesame/internal/recovery"
)

// Store is what the desk reads and writes beyond the other services.
type Store interface {
	// AccountsVersion changes whenever an account is written.
	AccountsVersion() (uint64, error)
}

// Notifier wakes the mail worker once a message is queued.
type Notifier interface{ Notify() }

// Service is the desk's domain logic, over the accounts', recovery's and
// activation's services.
type Service struct {
	Store      Store
	Accounts   *account.Service
	Recovery   *recovery.Service
	Activation *activation.Service
	Audit      audit.Log
	Mail       Notifier
	Now        func() time.Time

	idx index
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
