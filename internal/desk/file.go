package desk

import (
	"errors"
	"slices"
	"time"

	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/audit"
	"sesame/internal/mail/outbox"
	"sesame/internal/recovery"
)

// MailWindow is how far back a parent's page lists e-mails: the outbox
// keeps a month of them (--outbox-retention).
const MailWindow = 30 * 24 * time.Hour

// EventLimit bounds the history a parent's page shows, newest first.
const EventLimit = 200

// File is everything the office needs about one parent's access, read
// without writing anything.
type File struct {
	Account account.Account
	// Family are the other accounts at the same address.
	Family []account.Account
	// LastLogin is the latest sign-in in the audit log (zero: never, in
	// the log's year).
	LastLogin time.Time
	// Sessions is how many signed-in browsers the parent has now.
	Sessions int
	Recovery RecoveryState
	Activate ActivationState
	// Mails are the e-mails of the last MailWindow to the address or
	// naming the account, newest first.
	Mails []outbox.Message
	// Events are the audit events naming the account (alone or among
	// its address's), newest first, at most EventLimit.
	Events []audit.Event
}

// RecoveryState is where the address's security codes stand.
type RecoveryState struct {
	// Code is the pending code (nil: none): when it was issued, until
	// when, how many wrong tries, whether it was used.
	Code *recovery.Code
	// Live is true while Code can still be typed.
	Live bool
	// Issued are the times codes were issued in the last day.
	Issued []time.Time
	// Next is when a new code can be had (zero: now), Limited whether
	// the hourly or daily limit (rather than the minute between two
	// codes) holds it back.
	Next    time.Time
	Limited bool
	// MaxAttempts is how many wrong tries kill a code.
	MaxAttempts int
}

// ActivationState is where the account's activation code stands.
type ActivationState struct {
	Record activation.Record
	// Live is true while the code can activate the account.
	Live bool
	// Refusals are the recent refused tries of the identifier;
	// LockedUntil is set while they lock it.
	Refusals    []time.Time
	LockedUntil time.Time
	MaxTries    int
}

// Errors of the desk.
var (
	// ErrNoEmail is an action that needs an address on an account that
	// has none.
	ErrNoEmail = errors.New("desk: the account has no e-mail address")
	// ErrDisabled is an action refused on a disabled account.
	ErrDisabled = errors.New("desk: the account is disabled")
	// ErrSameEmail is a correction to the address the account already has.
	ErrSameEmail = errors.New("desk: the account already has this address")
	// ErrNoLetter is a letter asked for a family whose accounts all have
	// a password (or are disabled).
	ErrNoLetter = errors.New("desk: no account of the family needs a letter")
)

// File reads one parent's file. account.ErrNotFound for an unknown
// identifier.
func (s *Service) File(id string) (File, error) {
	a, err := s.Accounts.Get(id)
	if err != nil {
		return File{}, err
	}
	f := File{Account: a}
	now := s.now()
	if a.Email != "" {
		fam, err := s.Store.AccountsByEmail(a.Email)
		if err != nil {
			return f, err
		}
		for _, o := range fam {
			if o.ID != a.ID {
				f.Family = append(f.Family, o)
			}
		}
		h, err := s.Store.History(a.Email)
		if err != nil {
			return f, err
		}
		rc := s.Recovery.Config
		f.Recovery = RecoveryState{Code: h.Code, Issued: h.Issued, MaxAttempts: rc.MaxAttempts}
		if c := h.Code; c != nil {
			f.Recovery.Live = !c.Used && c.Attempts < rc.MaxAttempts && now.Before(c.Expires)
		}
		next, why := s.Recovery.NextCode(recovery.Flow{Email: a.Email})
		f.Recovery.Next, f.Recovery.Limited = next, errors.Is(why, recovery.ErrLimit)
	}
	rec, tries, err := s.Store.ActivationState(a.ID)
	if err != nil {
		return f, err
	}
	ac := s.Activation.Config
	f.Activate = ActivationState{Record: rec, MaxTries: ac.MaxTries}
	if c := rec.Code; c != nil {
		f.Activate.Live = now.Before(c.Expires) && !a.Activated()
	}
	for _, t := range tries.Failed {
		if t.After(now.Add(-ac.TryWindow)) {
			f.Activate.Refusals = append(f.Activate.Refusals, t)
		}
	}
	if len(f.Activate.Refusals) >= ac.MaxTries {
		f.Activate.LockedUntil = f.Activate.Refusals[0].Add(ac.TryWindow)
	}
	if f.Sessions, err = s.Store.CountSessions(a.ID, now); err != nil {
		return f, err
	}
	if f.Mails, err = s.Store.OutboxFor(a.ID, a.Email, now.Add(-MailWindow)); err != nil {
		return f, err
	}
	evs, err := s.Store.Audit(now.Add(-audit.Retention), a.ID)
	if err != nil {
		return f, err
	}
	slices.Reverse(evs)
	// The account's own record of its last sign-in, or, for sign-ins
	// before it was kept, the audit log's.
	f.LastLogin = a.LastLogin
	for _, e := range evs {
		if e.Kind == audit.LoginOK && e.Time.After(f.LastLogin) {
			f.LastLogin = e.Time
			break
		}
	}
	if len(evs) > EventLimit {
		evs = evs[:EventLimit]
	}
	f.Events = evs
	return f, nil
}
