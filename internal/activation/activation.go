// Package activation is « Première connexion ? Activer mon compte »: a
// parent the school imported has no password yet; the school hands them
// a letter (or sends an e-mail) with their identifier and a one-time
// activation code, and with both the parent chooses a password. It knows
// nothing of HTTP or of storage.
//
// A code is 12 characters of Crockford's base32 (60 bits), kept only as
// an HMAC, one live code per account: issuing one revokes the previous
// one, and setting a password any way deletes it (the store does so in
// the password's own transaction). It is valid Config.CodeTTL.
//
// The flow of one browser is a small state machine, like recovery's:
//
//	(identifier + code accepted) --> Verified --password set--> Done
//
// An accepted code is claimed by the browser's flow for the flow's
// lifetime: another browser cannot use it meanwhile, and the code
// activates the account only once, when the password is set. A parent
// who stops half-way does not lose their letter: once the flow expires,
// the code can be typed again.
package activation

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/identity"
)

// Via says what a code was issued for.
type Via string

// The ways a code reaches a parent.
const (
	ViaLetter Via = "letter" // a printed letter (sesame letters)
	ViaInvite Via = "invite" // an invitation e-mail (sesame invite)
	ViaAdmin  Via = "admin"  // by hand (sesame activation issue)
)

// Code is an account's live activation code. Only its HMAC is kept, so
// the data file never holds a usable code.
type Code struct {
	Account string    `json:"account"`
	MAC     []byte    `json:"mac"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	Via     Via       `json:"via,omitempty"`
	// Claim is the key of the flow that was given the code, which alone
	// may set the password with it until ClaimExpires (the flow's end).
	Claim        []byte    `json:"claim,omitempty"`
	ClaimExpires time.Time `json:"claim_expires,omitzero"`
}

// claimedByAnother reports whether a flow other than key holds the code
// at now.
func (c Code) claimedByAnother(key []byte, now time.Time) bool {
	return len(c.Claim) > 0 && now.Before(c.ClaimExpires) && !hmac.Equal(c.Claim, key)
}

// History is what stays of an account's codes once they are gone (used,
// revoked, expired): when the last one was issued and how, for the
// school's statistics.
type History struct {
	// Issued and Expires are the last code's; Via what it was for.
	Issued  time.Time `json:"issued"`
	Expires time.Time `json:"expires"`
	Via     Via       `json:"via,omitempty"`
	// Letter and Invite are when a code was last issued for a letter and
	// for an invitation e-mail.
	Letter time.Time `json:"letter,omitzero"`
	Invite time.Time `json:"invite,omitzero"`
	// Count is how many codes the account was ever issued.
	Count int `json:"count"`
}

// With is h once c is issued.
func (h History) With(c Code) History {
	h.Issued, h.Expires, h.Via = c.Created, c.Expires, c.Via
	switch c.Via {
	case ViaLetter:
		h.Letter = c.Created
	case ViaInvite:
		h.Invite = c.Created
	}
	h.Count++
	return h
}

// Tries are the recent refused attempts for one identifier, known or
// not: they lock it for a while after Config.MaxTries.
type Tries struct {
	Failed []time.Time `json:"failed"`
	// Expires is when the last refusal stops counting; the store forgets
	// the record then.
	Expires time.Time `json:"expires"`
}

// since keeps the refusals after from: one made exactly a window ago no
// longer counts, which is the time Locked.Until names.
func (t Tries) since(from time.Time) Tries {
	var kept []time.Time
	for _, f := range t.Failed {
		if f.After(from) {
			kept = append(kept, f)
		}
	}
	t.Failed = kept
	return t
}

// Attempt is what the store reads for one try of an identifier and code,
// inside one transaction, and what it writes back once try has decided.
type Attempt struct {
	// Read: the identifier's account (nil: none), its code (nil: none)
	// and its recent refusals.
	Account *account.Account
	Code    *Code
	Tries   Tries
	// Written: the code as try left it (when not nil), the refusals (the
	// record goes when none is left), Event when not nil, and Flow under
	// FlowKey when not nil.
	Event   *audit.Event
	FlowKey []byte
	Flow    *Flow
}

// Record is an account's code (nil when none is live) and history, for
// Statuses.
type Record struct {
	Code    *Code
	History History
}

// Store is what activation needs from storage.
type Store interface {
	Account(id string) (account.Account, error)
	// IssueActivation stores every code, each replacing its account's
	// previous one and recorded in its history, with the events, in one
	// transaction.
	IssueActivation(codes []Code, events []audit.Event) error
	// TryActivation runs try on the attempt for identifier id and writes
	// what it left, in one transaction, even when try returns an error:
	// a refusal must be counted.
	TryActivation(id string, try func(*Attempt) error) error
	// ActivationCode returns the account's live code, or ErrNoCode.
	ActivationCode(id string) (Code, error)
	// ActivationFlow returns the flow under key, or ErrNoFlow.
	ActivationFlow(key []byte) (Flow, error)
	SaveActivationFlow(key []byte, f Flow) error
	// DeleteActivationFlow forgets the flow under key and frees the code
	// it claimed, so the letter works again at once in another browser.
	DeleteActivationFlow(key []byte) error
	// ActivationRecords returns every account's code and history, by
	// identifier.
	ActivationRecords() (map[string]Record, error)
	// EmailStep reads the flow under key (ErrNoFlow: none) and its
	// account, runs try, and writes in one transaction the flow and the
	// events whatever try returns, and the account and the mail when it
	// returns nil.
	EmailStep(key []byte, try func(*EmailAttempt) error) error
}

// Config holds the codes' lifetime and the limits.
type Config struct {
	CodeTTL time.Duration // how long a code is valid (--activation-ttl)
	FlowTTL time.Duration // how long a browser may take to choose the password
	// MaxTries refusals of one identifier within TryWindow lock it until
	// the oldest of them is TryWindow old.
	MaxTries  int
	TryWindow time.Duration
}

// DefaultConfig: codes valid 8 weeks (a letter goes home in a schoolbag
// and may wait for the holidays), 30 minutes to choose the password, 5
// refusals per identifier in 15 minutes. 60-bit codes under these
// limits: about 480 guesses a day per identifier, 2⁶⁰ codes.
var DefaultConfig = Config{CodeTTL: 8 * 7 * 24 * time.Hour, FlowTTL: 30 * time.Minute, MaxTries: 5, TryWindow: 15 * time.Minute}

// Service issues and checks activation codes and runs activation flows.
type Service struct {
	Store    Store
	Accounts *account.Service
	// Secret keys the codes' HMAC; it stays in the data file.
	Secret []byte
	Config Config
	Now    func() time.Time
	// Zone is the school's time zone. With it, a code stays valid to the
	// end of its last day there, so that the date a letter prints
	// ("valid until 28 January") is the whole of 28 January; without it
	// (tests), exactly CodeTTL.
	Zone *time.Location
}

// expiry is when a code issued at now stops being valid.
func (s *Service) expiry(now time.Time) time.Time {
	exp := now.Add(s.Config.CodeTTL)
	if s.Zone == nil {
		return exp
	}
	y, m, d := exp.In(s.Zone).Date()
	return time.Date(y, m, d, 23, 59, 59, 0, s.Zone)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Issued is one account's new code: Code grouped as printed
// (K7QM-4RXP-9TDW), or Err when none was issued for it.
type Issued struct {
	Account string
	Code    string
	Expires time.Time
	Err     error
}

// Issue gives account id a new code, revoking its previous one, and
// records it in the audit log (never the code). It refuses an account
// that is unknown (account.ErrNotFound), disabled (ErrDisabled) or that
// already has a password (ErrActivated: a code must not reset a
// password; the parent has « Mot de passe oublié »).
func (s *Service) Issue(ctx context.Context, id string, via Via) (string, time.Time, error) {
	out, err := s.IssueMany(ctx, []string{id}, via)
	if err != nil {
		return "", time.Time{}, err
	}
	return out[0].Code, out[0].Expires, out[0].Err
}

// IssueMany is Issue for many accounts in one transaction (one disk
// sync for a whole class's letters). It returns one Issued per id, in
// order; an account refused gets its Err and no code, and does not stop
// the others. The error is the store's.
func (s *Service) IssueMany(ctx context.Context, ids []string, via Via) ([]Issued, error) {
	now := s.now()
	out := make([]Issued, len(ids))
	var codes []Code
	var events []audit.Event
	done := make(map[string]int, len(ids))
	for i, raw := range ids {
		id, err := identity.NormalizeIdentifier(raw)
		if err != nil {
			out[i] = Issued{Account: raw, Err: account.ErrNotFound}
			continue
		}
		if j, ok := done[id]; ok {
			out[i] = out[j] // named twice: one code, not two
			continue
		}
		done[id] = i
		out[i] = Issued{Account: id}
		a, err := s.Store.Account(id)
		switch {
		case errors.Is(err, account.ErrNotFound):
			out[i].Err = err
			continue
		case err != nil:
			return nil, err
		case a.State != account.Active:
			out[i].Err = ErrDisabled
			continue
		case a.Activated():
			out[i].Err = ErrActivated
			continue
		}
		code, err := newCode()
		if err != nil {
			return nil, err
		}
		c := Code{Account: id, MAC: mac(s.Secret, id, code), Created: now, Expires: s.expiry(now), Via: via}
		codes = append(codes, c)
		out[i].Code, out[i].Expires = Group(code), c.Expires
		events = append(events, audit.Event{Time: now, Kind: audit.ActivationIssued, Account: id, IP: audit.IP(ctx),
			Detail: fmt.Sprintf("for %s, valid until %s", via, c.Expires.UTC().Format(time.RFC3339))})
	}
	if len(codes) == 0 {
		return out, nil
	}
	if err := s.Store.IssueActivation(codes, events); err != nil {
		return nil, err
	}
	return out, nil
}

// Refused is the one answer to an identifier and code that activate
// nothing — a wrong code, one past its date, one already used or
// revoked, a disabled account, an identifier no account has — so that
// the answer tells nothing about the identifier. Left is how many tries
// remain before the identifier is locked, counted alike for every
// identifier; Identifier is the identifier as it was looked up.
type Refused struct {
	Left       int
	Identifier string
}

func (e *Refused) Error() string {
	return fmt.Sprintf("activation: identifier and code refused, %d tries left", e.Left)
}

// Unwrap makes errors.Is(err, ErrRefused) true.
func (e *Refused) Unwrap() error { return ErrRefused }

// Locked says an identifier had too many refusals, and until when it
// stays locked; Identifier is the identifier as it was looked up.
type Locked struct {
	Until      time.Time
	Identifier string
}

func (e *Locked) Error() string {
	return "activation: too many tries, locked until " + e.Until.UTC().Format(time.RFC3339)
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *Locked) Unwrap() error { return ErrLocked }

// Verify is « Valider » on the identifier and the code. When they match
// a live code of an active account without a password, the code is
// claimed for a new flow, whose token it returns: the browser then
// chooses the password. Any other case is a *Refused, counted against
// the identifier before the answer, in the same transaction, or a
// *Locked once the identifier had Config.MaxTries refusals. token is the
// browser's current flow, if any: the same identifier again (Back, the
// letter's link opened twice) resumes it instead of being refused as
// already claimed.
func (s *Service) Verify(ctx context.Context, token, identifier, input, lang string) (string, Flow, error) {
	id, err := identity.NormalizeIdentifier(identifier)
	if err != nil {
		return "", Flow{}, ErrBadIdentifier
	}
	code, err := NormalizeCode(input)
	if err != nil {
		return "", Flow{}, ErrCodeFormat
	}
	if f, err := s.Get(token); err == nil && f.Account == id {
		if f.State == Done {
			return token, f, ErrStepDone
		}
		return token, f, nil
	}
	tok, err := newToken()
	if err != nil {
		return "", Flow{}, err
	}
	key := Key(tok)
	now := s.now()
	want := mac(s.Secret, id, code)
	f := Flow{State: Verified, Account: id, Lang: lang, Created: now, Expires: now.Add(s.Config.FlowTTL)}
	err = s.Store.TryActivation(id, func(at *Attempt) error {
		at.Tries = at.Tries.since(now.Add(-s.Config.TryWindow))
		ev := audit.Event{Time: now, Account: id, IP: audit.IP(ctx)}
		at.Event = &ev
		if len(at.Tries.Failed) >= s.Config.MaxTries {
			// Counted per hour: a script hammering a locked identifier
			// costs one record an hour, not one a request.
			ev.Kind, ev.Count = audit.ActivationLocked, 1
			return &Locked{Until: at.Tries.Failed[0].Add(s.Config.TryWindow), Identifier: id}
		}
		ev.Kind, ev.Detail = s.judge(at, want, key, now)
		if ev.Kind == audit.ActivationOK {
			at.Code.Claim, at.Code.ClaimExpires = key, f.Expires
			at.Flow, at.FlowKey = &f, key
			return nil
		}
		if ev.Kind == audit.ActivationUnknown {
			// Made-up identifiers are counted per client address and
			// hour, not kept one by one: a flood of them must not fill
			// the disk for a month.
			ev.Account, ev.Count = "", 1
		}
		at.Tries.Failed = append(at.Tries.Failed, now)
		at.Tries.Expires = now.Add(s.Config.TryWindow)
		if left := s.Config.MaxTries - len(at.Tries.Failed); left > 0 {
			return &Refused{Left: left, Identifier: id}
		}
		return &Locked{Until: at.Tries.Failed[0].Add(s.Config.TryWindow), Identifier: id}
	})
	if err != nil {
		return "", Flow{}, err
	}
	return tok, f, nil
}

// judge says why the attempt is refused, as an audit kind and detail,
// or audit.ActivationOK. The code's HMAC is compared in constant time.
func (s *Service) judge(at *Attempt, want, key []byte, now time.Time) (audit.Kind, string) {
	var stored []byte
	if at.Code != nil {
		stored = at.Code.MAC
	}
	match := hmac.Equal(want, stored)
	switch {
	case at.Account == nil:
		return audit.ActivationUnknown, "no such identifier"
	case at.Account.State != account.Active:
		return audit.ActivationDisabled, "account disabled"
	case at.Code == nil && at.Account.Activated():
		return audit.ActivationUsed, "the account already has a password"
	case at.Code == nil:
		return audit.ActivationNoCode, "no live code (never issued, or revoked)"
	case !match:
		return audit.ActivationWrong, "wrong code"
	case at.Account.Activated():
		return audit.ActivationUsed, "the account already has a password"
	case !now.Before(at.Code.Expires):
		return audit.ActivationExpired, "expired on " + at.Code.Expires.UTC().Format(time.RFC3339)
	case at.Code.claimedByAnother(key, now):
		return audit.ActivationUsed, "accepted in another browser, which may still choose the password"
	}
	return audit.ActivationOK, ""
}

// SetPassword is the password step: the policy decides, then the account
// gets its password — its code deleted, its sessions revoked and a
// "password changed" e-mail queued when it has an address, all in one
// transaction (account.Service.SetPassword) — and the flow is done. The
// code must still be the one this flow claimed: a new letter made
// meanwhile, or the account activated another way, ends the flow with
// ErrRevoked.
func (s *Service) SetPassword(ctx context.Context, token, pw, confirm string) (Flow, error) {
	f, err := s.Get(token)
	if err != nil {
		return f, err
	}
	if f.State != Verified {
		return f, ErrStepDone
	}
	key := Key(token)
	c, err := s.Store.ActivationCode(f.Account)
	if err != nil && !errors.Is(err, ErrNoCode) {
		return f, err
	}
	a, aerr := s.Accounts.Get(f.Account)
	if aerr != nil && !errors.Is(aerr, account.ErrNotFound) {
		return f, aerr
	}
	if err != nil || !hmac.Equal(c.Claim, key) || aerr != nil || a.State != account.Active {
		if derr := s.Store.DeleteActivationFlow(key); derr != nil {
			return f, derr
		}
		return f, ErrRevoked
	}
	if _, err := s.Accounts.SetPassword(ctx, f.Account, pw, confirm, f.Lang); err != nil {
		return f, err
	}
	// Only now, the password set, may the account change: it remembers
	// the language for its next e-mails.
	if f.Lang != "" && a.Lang != f.Lang {
		if err := s.Accounts.SetLang(f.Account, f.Lang); err != nil {
			return f, fmt.Errorf("activation: remember the language: %w", err)
		}
	}
	f.State = Done
	return f, s.Store.SaveActivationFlow(key, f)
}

// Get returns the browser's flow, or ErrNoFlow when it expired or never
// existed. It only reads.
func (s *Service) Get(token string) (Flow, error) {
	if token == "" || len(token) > 100 {
		return Flow{}, ErrNoFlow
	}
	f, err := s.Store.ActivationFlow(Key(token))
	if errors.Is(err, ErrNoFlow) || (err == nil && !s.now().Before(f.Expires)) {
		return Flow{}, ErrNoFlow
	}
	return f, err
}

// Cancel ends the browser's flow (« Annuler ») and frees the code it
// claimed.
func (s *Service) Cancel(token string) error {
	if token == "" || len(token) > 100 {
		return nil
	}
	return s.Store.DeleteActivationFlow(Key(token))
}

// Account returns the flow's account, for the password step's rules.
func (s *Service) Account(id string) (account.Account, error) { return s.Accounts.Get(id) }

// Status is what the school's statistics need about one account's
// activation codes. Whether the account is activated is the account's
// own Activated(); its last sign-in is in the audit log.
type Status struct {
	// CodeIssued is when the last code was issued (zero: never), Via
	// what for, CodeExpires when it stops being valid.
	CodeIssued  time.Time
	CodeExpires time.Time
	Via         Via
	// CodeLive is true while the last code can still activate the
	// account: not expired, not used, not revoked.
	CodeLive bool
	// LetterPrinted and Invited are when a code was last issued for a
	// letter and for an invitation e-mail; zero: never.
	LetterPrinted time.Time
	Invited       time.Time
	// Codes is how many codes the account was ever issued.
	Codes int
}

// Statuses returns the Status of every account that was ever issued a
// code, by identifier. It only reads.
func (s *Service) Statuses() (map[string]Status, error) {
	recs, err := s.Store.ActivationRecords()
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make(map[string]Status, len(recs))
	for id, r := range recs {
		h := r.History
		out[id] = Status{
			CodeIssued: h.Issued, CodeExpires: h.Expires, Via: h.Via,
			CodeLive:      r.Code != nil && now.Before(r.Code.Expires),
			LetterPrinted: h.Letter, Invited: h.Invite, Codes: h.Count,
		}
	}
	return out, nil
}

// Key is what the store keys a flow by: a hash of the random token the
// browser holds, so a copy of the data file resumes no one's flow.
func Key(token string) []byte {
	h := sha256.Sum256([]byte("activation-flow\x00" + token))
	return h[:]
}

func newToken() (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}
