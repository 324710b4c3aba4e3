// Package invitation is `sesame invite`: the school e-mails each adult
// it has an address for, and who has no password yet, their identifier,
// their children and a link to choose their password. It knows nothing
// of HTTP, of SMTP or of storage: it chooses the adults, builds the
// outbox records and hands them to its Store in one transaction.
//
// The link is the recovery's first step with the adult's address
// filled in (/recuperation?email=…, a GET that writes nothing; see
// mail.InvitationLink), not an activation code: an account has one
// activation code at a time, and a letter printed the same week must
// keep working. The recovery checks the mailbox again when the link is
// used — an 8-digit code sent to it, valid 30 minutes — so an invitation
// read late, or forwarded, opens nothing by itself.
//
// The e-mails leave at the rate the school's mail server accepts: the
// ith gets its first attempt Rate.At(i) after the command, and the
// delivery worker sends nothing before its time. A rerun skips the
// adults invited less than Cooldown ago (unless forced), so the command
// can be run again after an import, or after a stop, without mailing
// anyone twice.
package invitation

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/identity"
	"sesame/internal/mail/outbox"
)

// Cooldown is how long an invited adult is left out of the next runs
// unless forced: a week, as issue 14 asks.
const Cooldown = 7 * 24 * time.Hour

// Expiry is how long after its first attempt an invitation is still
// worth sending, through a mail server's outage over a long weekend.
// It is shorter than Cooldown, so that an invitation still waiting when
// the next run may queue another is given up first: never two.
const Expiry = 72 * time.Hour

// Store is what invitations need from storage.
type Store interface {
	Accounts() ([]account.Account, error)
	// QueueInvitations sets each invited account's Invited to at, queues
	// its message and records its event, all in one transaction. It
	// refuses them all with ErrChanged when an account is gone, has a
	// password, or was invited since it was read (Invitation.Seen).
	QueueInvitations(at time.Time, invs []Invitation) error
}

// ErrChanged means an account changed between the choice and the
// queueing (another run, a parent activating): nothing was queued, and
// running the command again chooses afresh.
var ErrChanged = errors.New("invitation: an account changed meanwhile")

// Invitation is one adult's e-mail, ready for the outbox, with its
// audit event.
type Invitation struct {
	Account string
	// Seen is the account's Invited when it was chosen; the store
	// refuses the batch when it is no longer so.
	Seen    time.Time
	Message outbox.Message
	Event   audit.Event
}

// Rate is how many e-mails leave per period: 5/s, 300/min, 1000/h.
type Rate struct {
	N   int
	Per time.Duration
}

// DefaultRate is five e-mails a second, which the mail services schools
// use accept without throttling a batch.
var DefaultRate = Rate{N: 5, Per: time.Second}

// ParseRate reads "5/s", "300/min", "1000/h" or "5" (per second).
func ParseRate(s string) (Rate, error) {
	num, unit, hasUnit := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n <= 0 || n > 10000 {
		return Rate{}, fmt.Errorf("rate %q: want a number of e-mails from 1 to 10000, then /s, /min or /h (e.g. 5/s)", s)
	}
	r := Rate{N: n, Per: time.Second}
	if hasUnit {
		switch strings.TrimSpace(unit) {
		case "s", "sec", "second":
		case "m", "min", "minute":
			r.Per = time.Minute
		case "h", "hour":
			r.Per = time.Hour
		default:
			return Rate{}, fmt.Errorf("rate %q: the period is s, min or h (e.g. 5/s, 300/min)", s)
		}
	}
	return r, nil
}

// At is when the ith e-mail (from 0) may leave, after the first.
func (r Rate) At(i int) time.Duration {
	return time.Duration(int64(i) * int64(r.Per) / int64(r.N))
}

func (r Rate) String() string {
	switch r.Per {
	case time.Minute:
		return strconv.Itoa(r.N) + "/min"
	case time.Hour:
		return strconv.Itoa(r.N) + "/h"
	}
	return strconv.Itoa(r.N) + "/s"
}

// Options are the command's: which adults, whether to invite again
// those invited less than Cooldown ago, and at what rate.
type Options struct {
	// Accounts, when given, are the only adults considered; Classes,
	// when given, keeps those with a child in one of them. Both: both.
	Accounts []string
	Classes  []string
	Force    bool
	Rate     Rate
	// Operator is who runs the command, for the audit log.
	Operator string
}

// Selection is what the options chose, each adult in one list.
type Selection struct {
	// Invite are the adults to e-mail, in identifier order.
	Invite []account.Account
	// Activated already have a password; Disabled cannot sign in.
	Activated, Disabled []account.Account
	// NoEmail have no address: they need a letter (sesame letters).
	NoEmail []account.Account
	// Recent were invited less than Cooldown ago (not with Force).
	Recent []account.Account
}

// UnknownAccountsError names the --account values no account has.
type UnknownAccountsError struct{ IDs []string }

func (e *UnknownAccountsError) Error() string {
	return "no such account: " + strings.Join(e.IDs, ", ")
}

// NoClassError says no account has a child in the classes asked for,
// and which classes there are.
type NoClassError struct{ Classes, Known []string }

func (e *NoClassError) Error() string {
	return fmt.Sprintf("no account has a child in class %s", strings.Join(e.Classes, ", "))
}

// Service chooses and queues invitations.
type Service struct {
	Store Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Select applies o to every account. It only reads.
func (s *Service) Select(o Options) (Selection, error) {
	all, err := s.Store.Accounts()
	if err != nil {
		return Selection{}, err
	}
	want := map[string]bool{}
	for _, raw := range o.Accounts {
		id, err := identity.NormalizeIdentifier(raw)
		if err != nil {
			id = strings.TrimSpace(raw) // named as typed in the error
		}
		want[id] = true
	}
	var sel Selection
	found := map[string]bool{}
	matched := 0
	since := s.now().Add(-Cooldown)
	for _, a := range all {
		if len(want) > 0 && !want[a.ID] {
			continue
		}
		found[a.ID] = true
		if len(o.Classes) > 0 && !inAnyClass(a, o.Classes) {
			continue
		}
		matched++
		switch {
		case a.State != account.Active:
			sel.Disabled = append(sel.Disabled, a)
		case a.Activated():
			sel.Activated = append(sel.Activated, a)
		case a.Email == "":
			sel.NoEmail = append(sel.NoEmail, a)
		case !o.Force && a.Invited.After(since):
			sel.Recent = append(sel.Recent, a)
		default:
			sel.Invite = append(sel.Invite, a)
		}
	}
	if len(found) < len(want) {
		var missing []string
		for id := range want {
			if !found[id] {
				missing = append(missing, id)
			}
		}
		sort.Strings(missing)
		return Selection{}, &UnknownAccountsError{IDs: missing}
	}
	if len(o.Classes) > 0 && matched == 0 {
		return Selection{}, &NoClassError{Classes: o.Classes, Known: account.Classes(all)}
	}
	return sel, nil
}

func inAnyClass(a account.Account, classes []string) bool {
	for _, c := range classes {
		if a.InClass(c) {
			return true
		}
	}
	return false
}

// Queued is what Queue did: how many e-mails, and when the first and
// the last may leave.
type Queued struct {
	Count       int
	First, Last time.Time
}

// Queue queues an invitation for each adult of sel.Invite, spaced at
// o.Rate, in one transaction with their Invited time and one audit
// event each (the address masked). ErrChanged: nothing was queued.
func (s *Service) Queue(sel Selection, o Options) (Queued, error) {
	if len(sel.Invite) == 0 {
		return Queued{}, nil
	}
	rate := o.Rate
	if rate.N <= 0 || rate.Per <= 0 {
		rate = DefaultRate
	}
	now := s.now()
	invs := make([]Invitation, len(sel.Invite))
	for i, a := range sel.Invite {
		m := outbox.NewPending(outbox.Message{Kind: outbox.KindInvitation, To: a.Email, Lang: a.Lang, Name: a.Name(),
			Identifiers: []string{a.ID}}, now)
		if label := a.ChildrenLabel(); label != "" {
			m.Children = map[string]string{a.ID: label}
		}
		m.NextAttempt = now.Add(rate.At(i))
		m.ExpiresAt = m.NextAttempt.Add(Expiry)
		invs[i] = Invitation{Account: a.ID, Seen: a.Invited, Message: m, Event: audit.Event{
			Time: now, Kind: audit.InvitationQueued, Account: a.ID, Email: outbox.MaskAddress(a.Email), Operator: o.Operator, Outcome: audit.OutcomeDone,
			Detail: fmt.Sprintf("invitation e-mail queued, to leave at %s (rate %s)", m.NextAttempt.UTC().Format(time.RFC3339), rate),
		}}
	}
	if err := s.Store.QueueInvitations(now, invs); err != nil {
		return Queued{}, err
	}
	return Queued{Count: len(invs), First: invs[0].Message.NextAttempt, Last: invs[len(invs)-1].Message.NextAttempt}, nil
}
