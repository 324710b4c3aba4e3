package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/audit"
	"sesame/internal/identity"
	"sesame/internal/invitation"
	"sesame/internal/letters"
	"sesame/internal/mail/outbox"
	"sesame/internal/recovery"
)

// The actions the office takes for one parent. Each is recorded in the
// audit log with the staff member (operator), the account and how it
// ended: done, in the same transaction as the change, or refused and
// why. None shows or sets a password.

// refuse records a refused action and returns err.
func (s *Service) refuse(ctx context.Context, kind audit.Kind, id, operator, why string, err error) error {
	if s.Audit != nil {
		s.Audit.Append(audit.Event{Time: s.now(), Kind: kind, Account: id, IP: audit.IP(ctx), Operator: operator, Outcome: audit.Refused(why)})
	}
	return err
}

// SendCode sends a new security code to the parent's address, as
// « send a new code » would, under the same limits: recovery.ErrCooldown
// or recovery.ErrLimit with when a new one can be had. It returns when
// the code expires.
func (s *Service) SendCode(ctx context.Context, id, operator string) (time.Time, error) {
	a, err := s.Accounts.Get(id)
	if err != nil {
		return time.Time{}, err
	}
	switch {
	case a.Email == "":
		return time.Time{}, s.refuse(ctx, audit.DeskCodeSent, a.ID, operator, "no e-mail address", ErrNoEmail)
	case a.State != account.Active:
		return time.Time{}, s.refuse(ctx, audit.DeskCodeSent, a.ID, operator, "account disabled", ErrDisabled)
	}
	t, err := s.Recovery.SendCode(ctx, a.Email, a.Lang, operator)
	if errors.Is(err, recovery.ErrCooldown) || errors.Is(err, recovery.ErrLimit) {
		return t, s.refuse(ctx, audit.DeskCodeSent, a.ID, operator, err.Error()+", next at "+t.UTC().Format(time.RFC3339), err)
	}
	return t, err
}

// ErrNoInvitation is an invitation asked for an account that cannot get
// one: it has a password already, no address, or is disabled.
var ErrNoInvitation = errors.New("desk: the account cannot be invited")

// Invite sends the parent `sesame invite`'s e-mail again, now (a parent
// who lost it, or whose address was just corrected): a link to choose
// their password. It is recorded with the operator (invitation.queued).
func (s *Service) Invite(ctx context.Context, id, operator string) error {
	if s.Invitations == nil {
		return ErrNoInvitation
	}
	a, err := s.Accounts.Get(id)
	if err != nil {
		return err
	}
	o := invitation.Options{Accounts: []string{a.ID}, Force: true, Operator: operator}
	sel, err := s.Invitations.Select(o)
	if err != nil {
		return err
	}
	if len(sel.Invite) == 0 {
		why := "the account already has a password"
		switch {
		case len(sel.Disabled) > 0:
			why = "account disabled"
		case len(sel.NoEmail) > 0:
			why = "no e-mail address"
		}
		return s.refuse(ctx, audit.InvitationQueued, a.ID, operator, why, ErrNoInvitation)
	}
	if _, err := s.Invitations.Queue(sel, o); err != nil {
		return err
	}
	s.notify()
	return nil
}

// ChangeEmail corrects the parent's address. The parent is told at the
// old address (it no longer receives the account's e-mails) and at the
// new one, in the change's own transaction. The address is checked by
// package identity's rules.
func (s *Service) ChangeEmail(ctx context.Context, id, email, operator string) (account.Account, error) {
	a, err := s.Accounts.Get(id)
	if err != nil {
		return a, err
	}
	addr, err := identity.NormalizeEmail(email)
	if err != nil {
		return a, s.refuse(ctx, audit.DeskEmailChanged, a.ID, operator, "invalid address", err)
	}
	if addr == a.Email {
		return a, s.refuse(ctx, audit.DeskEmailChanged, a.ID, operator, "same address", ErrSameEmail)
	}
	now := s.now()
	old := a.Email
	a.Email, a.Updated = addr, now
	tell := func(kind outbox.Kind, to string) outbox.Message {
		m := outbox.Message{Kind: kind, To: to, Lang: a.Lang, Name: a.Name(), Identifiers: []string{a.ID}}
		if l := a.ChildrenLabel(); l != "" {
			m.Children = map[string]string{a.ID: l}
		}
		return outbox.NewPending(m, now)
	}
	var msgs []outbox.Message
	if old != "" {
		msgs = append(msgs, tell(outbox.KindEmailChangedOld, old))
	}
	msgs = append(msgs, tell(outbox.KindEmailChangedNew, addr))
	from := old
	if from == "" {
		from = "none"
	}
	ev := audit.Event{Time: now, Kind: audit.DeskEmailChanged, Account: a.ID, IP: audit.IP(ctx), Operator: operator,
		Outcome: audit.OutcomeDone, Detail: "e-mail " + from + " → " + addr + "; the parent was told at both"}
	if err := s.Store.ChangeEmail(a, msgs, ev); err != nil {
		return a, err
	}
	s.notify()
	return a, nil
}

// SetState disables or enables the parent's account. Disabling stops
// sign-in and recovery at once (their sessions end at their next use);
// the school enables it again here. account.ErrSameState when it already
// is.
func (s *Service) SetState(ctx context.Context, id string, st account.State, operator string) (account.Account, error) {
	kind := audit.DeskEnabled
	if st == account.Disabled {
		kind = audit.DeskDisabled
	}
	a, err := s.Accounts.SetStateAs(id, st, audit.Event{Kind: kind, IP: audit.IP(ctx), Operator: operator})
	if errors.Is(err, account.ErrSameState) {
		return a, s.refuse(ctx, kind, a.ID, operator, "already "+string(st), err)
	}
	return a, err
}

// LiftLimits lets the parent try again now: their identifier's
// activation lock and their address's code limits (cooldown, hourly and
// daily) are forgotten. It returns the account, whose identifier and
// address the web layer's own limiters forget too.
func (s *Service) LiftLimits(ctx context.Context, id, operator string) (account.Account, error) {
	a, err := s.Accounts.Get(id)
	if err != nil {
		return a, err
	}
	ev := audit.Event{Time: s.now(), Kind: audit.DeskLimitsLifted, Account: a.ID, IP: audit.IP(ctx), Operator: operator,
		Outcome: audit.OutcomeDone, Detail: "sign-in, code and activation limits of the account and its address"}
	return a, s.Store.LiftLimits(a.ID, a.Email, ev)
}

// EndSessions signs the parent out of every browser.
func (s *Service) EndSessions(ctx context.Context, id, operator string) (int, error) {
	a, err := s.Accounts.Get(id)
	if err != nil {
		return 0, err
	}
	now := s.now()
	n, err := s.Store.CountSessions(a.ID, now)
	if err != nil {
		return 0, err
	}
	ev := audit.Event{Time: now, Kind: audit.DeskSessionsEnded, Account: a.ID, IP: audit.IP(ctx), Operator: operator,
		Outcome: audit.OutcomeDone, Detail: fmt.Sprintf("%d session(s) ended", n)}
	return n, s.Store.EndSessions(a.ID, ev)
}

// Letters issues new activation codes for the parent's family — the
// parent and the accounts at the same address that are active and have
// no password yet — and returns their letters (links under baseURL),
// for the office to print. Any earlier code of those accounts stops
// working. ErrNoLetter when none needs one.
func (s *Service) Letters(ctx context.Context, id, operator, baseURL string) ([]letters.Letter, error) {
	a, err := s.Accounts.Get(id)
	if err != nil {
		return nil, err
	}
	family := []account.Account{a}
	if a.Email != "" {
		others, err := s.Store.AccountsByEmail(a.Email)
		if err != nil {
			return nil, err
		}
		for _, o := range others {
			if o.ID != a.ID {
				family = append(family, o)
			}
		}
	}
	byID := map[string]account.Account{}
	var ids []string
	for _, f := range family {
		if f.State == account.Active && !f.Activated() {
			ids = append(ids, f.ID)
			byID[f.ID] = f
		}
	}
	if len(ids) == 0 {
		return nil, s.refuse(ctx, audit.DeskLetter, a.ID, operator, "every account of the family has a password or is disabled", ErrNoLetter)
	}
	issued, err := s.Activation.IssueMany(ctx, ids, activation.ViaLetter)
	if err != nil {
		return nil, err
	}
	var ls []letters.Letter
	var done []string
	for _, is := range issued {
		if is.Err != nil {
			continue
		}
		f := byID[is.Account]
		ls = append(ls, letters.For(f, is.Code, activation.Link(baseURL, f.ID, is.Code), is.Expires))
		done = append(done, f.ID)
	}
	if len(ls) == 0 {
		return nil, s.refuse(ctx, audit.DeskLetter, a.ID, operator, "no code could be issued", ErrNoLetter)
	}
	letters.Sort(ls)
	if s.Audit != nil {
		s.Audit.Append(audit.Event{Time: s.now(), Kind: audit.DeskLetter, Account: strings.Join(done, ","), IP: audit.IP(ctx),
			Operator: operator, Outcome: audit.OutcomeDone, Detail: fmt.Sprintf("%d letter(s); earlier codes revoked", len(ls))})
	}
	return ls, nil
}
