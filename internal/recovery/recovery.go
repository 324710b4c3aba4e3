package recovery

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/identity"
	"sesame/internal/mail/outbox"
)

// Store is what the flow needs from storage.
type Store interface {
	AccountsByEmail(email string) ([]account.Account, error)
	Flow(key []byte) (Flow, error)
	SaveFlow(key []byte, f Flow) error
	DeleteFlow(key []byte) error
	History(email string) (History, error)
	// Issue runs decide on the address's history inside one transaction
	// and stores what it returns: the new code replacing any older one,
	// its issue time, its e-mail in the outbox; and the flow f under key
	// when key is not nil; and ev when not nil. Limits are thus checked
	// and applied atomically, in one disk write. decide runs before f is
	// stored, so it may complete f.
	Issue(email string, key []byte, f *Flow, decide func(History) Issued, ev *audit.Event) error
	// TryCode runs try on the address's pending code (nil if none) inside
	// one transaction and saves the code as try left it, even when try
	// returns an error: a failed attempt must be counted.
	TryCode(email string, try func(*Code) error) error
}

// Issued is what decide chose: a new code (nil: none) and the e-mail to
// queue (nil: none).
type Issued struct {
	Code *Code
	Mail *outbox.Message
}

// Notifier wakes the mail worker.
type Notifier interface{ Notify() }

// Config holds the flow's limits; security.md gives the defaults.
type Config struct {
	CodeTTL     time.Duration // how long a code is valid
	FlowTTL     time.Duration // how long a browser can resume the flow
	MaxAttempts int           // wrong codes before the code is dead
	Cooldown    time.Duration // between two codes for one address
	PerHour     int           // codes per address per hour
	PerDay      int           // codes per address per day
}

// DefaultConfig is security.md's: codes valid 30 minutes (mail is often
// greylisted 10–15 minutes), 5 tries, a new code after 60 s, at most 5 an
// hour and 20 a day.
var DefaultConfig = Config{
	CodeTTL: 30 * time.Minute, FlowTTL: 30 * time.Minute, MaxAttempts: 5,
	Cooldown: 60 * time.Second, PerHour: 5, PerDay: 20,
}

// Service runs recovery flows.
type Service struct {
	Store    Store
	Accounts *account.Service
	// Secret keys the codes' HMAC; it stays in the data file.
	Secret []byte
	Config Config
	Now    func() time.Time
	Mail   Notifier
	// Audit records recoveries; nil records nothing.
	Audit audit.Log
}

func (s *Service) audit(ctx context.Context, e audit.Event) {
	if ev := s.event(ctx, e); ev != nil {
		s.Audit.Append(*ev)
	}
}

// event completes e for the audit log, or returns nil without one.
func (s *Service) event(ctx context.Context, e audit.Event) *audit.Event {
	if s.Audit == nil {
		return nil
	}
	e.Time, e.IP = s.now(), audit.IP(ctx)
	if e.Email != "" {
		e.Email = outbox.MaskAddress(e.Email)
	}
	return &e
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Key is what the store keys a flow by: a hash of the random token the
// browser holds, so a copy of the data file cannot resume anyone's flow.
func Key(token string) []byte {
	h := sha256.Sum256([]byte("flow\x00" + token))
	return h[:]
}

func newToken() (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// Start is step 1. It answers the same way, with the same writes, for
// any well-formed address: known, unknown or disabled. Every address gets
// a code record, but only a known address's code is ever mailed; an
// unknown one's is random and unusable, and no e-mail leaves for it. So
// the next steps (tries left, cooldowns, limits) behave identically too.
func (s *Service) Start(ctx context.Context, email, lang string) (string, Flow, error) {
	email, err := identity.NormalizeEmail(email)
	if err != nil {
		return "", Flow{}, ErrBadEmail
	}
	accts, err := s.Store.AccountsByEmail(email)
	if err != nil {
		return "", Flow{}, err
	}
	tok, err := newToken()
	if err != nil {
		return "", Flow{}, err
	}
	now := s.now()
	f := Flow{State: CodeSent, Email: email, Lang: lang, Created: now, Expires: now.Add(s.Config.FlowTTL)}
	e := audit.Event{Kind: audit.RecoveryStarted, Email: email, Account: joinIDs(accts), Detail: fmt.Sprintf("%d account(s)", len(accts))}
	if len(accts) == 0 {
		// Counted per client and hour, not kept one by one: a flood of
		// made-up addresses must not fill the disk. The same Issue call
		// writes it, in the same transaction, so the answer and the
		// store calls stay those of a known address.
		e.Kind, e.Detail, e.Count = audit.RecoveryUnknown, "", 1
	}
	ev := s.event(ctx, e)
	decide := s.decide(email, lang, accts, now, ev)
	record := func(h History) Issued {
		is := decide(h)
		f.NoNewCode = is.Code == nil
		return is
	}
	if err := s.Store.Issue(email, Key(tok), &f, record, ev); err != nil {
		return "", Flow{}, err
	}
	s.notify()
	return tok, f, nil
}

// Resend is "send a new code". It is refused during the cooldown and
// past the hourly and daily limits, saying when a new code can be had.
func (s *Service) Resend(ctx context.Context, token string) (Flow, error) {
	f, err := s.Get(token)
	if err != nil {
		return f, err
	}
	if !f.can("resend") {
		return f, f.refuse("resend")
	}
	h, err := s.Store.History(f.Email)
	if err != nil {
		return f, err
	}
	now := s.now()
	if _, why := s.nextCode(h, now); why != nil {
		return f, why
	}
	accts, err := s.Store.AccountsByEmail(f.Email)
	if err != nil {
		return f, err
	}
	ev := s.event(ctx, audit.Event{Kind: audit.RecoveryResent, Email: f.Email, Account: joinIDs(accts)})
	if err := s.Store.Issue(f.Email, nil, nil, s.decide(f.Email, f.Lang, accts, now, ev), ev); err != nil {
		return f, err
	}
	s.notify()
	return f, nil
}

// SendCode is a security code sent to an address at the school office's
// request (the desk, for a parent on the phone): « send a new code »
// without a browser's flow, under the same cooldown and hourly and daily
// limits (ErrCooldown or ErrLimit, with when a new code can be had). The
// parent types it at step 2 after giving the same address at step 1,
// which within the cooldown sends no other code and says an earlier one
// is valid. It is recorded as audit.DeskCodeSent with operator, in the
// code's own transaction; it returns when the code expires.
func (s *Service) SendCode(ctx context.Context, email, lang, operator string) (time.Time, error) {
	email, err := identity.NormalizeEmail(email)
	if err != nil {
		return time.Time{}, ErrBadEmail
	}
	h, err := s.Store.History(email)
	if err != nil {
		return time.Time{}, err
	}
	now := s.now()
	if next, why := s.nextCode(h, now); why != nil {
		return next, why
	}
	accts, err := s.Store.AccountsByEmail(email)
	if err != nil {
		return time.Time{}, err
	}
	ev := s.event(ctx, audit.Event{Kind: audit.DeskCodeSent, Email: email, Account: joinIDs(accts), Operator: operator,
		Outcome: audit.OutcomeDone, Detail: "security code sent by the school office"})
	decide := s.decide(email, lang, accts, now, ev)
	issued := false
	err = s.Store.Issue(email, nil, nil, func(h History) Issued {
		is := decide(h)
		issued = is.Code != nil
		return is
	}, ev)
	if err != nil {
		return time.Time{}, err
	}
	if !issued {
		// Another code left between the check and the write.
		next, why := s.NextCode(Flow{Email: email})
		return next, cmpOr(why, ErrCooldown)
	}
	s.notify()
	return now.Add(s.Config.CodeTTL), nil
}

func cmpOr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// NextCode says when the flow's address may get a new code: zero when
// now, and the reason when not (ErrCooldown or ErrLimit). When the
// history cannot be read it returns zero and the store's error.
func (s *Service) NextCode(f Flow) (time.Time, error) {
	h, err := s.Store.History(f.Email)
	if err != nil {
		return time.Time{}, err
	}
	return s.nextCode(h, s.now())
}

// CodeNews is what step 2 can truthfully tell, after step 1, about the
// code of the flow's address. It is read from the address's history,
// which known and unknown addresses alike have (an unknown one's codes
// are recorded, never mailed), so it says the same for both and reveals
// nothing about the address.
type CodeNews struct {
	// New is true when step 1 issued a code: false when the cooldown or
	// a limit kept it from issuing one.
	New bool
	// Until is when the address's pending code stops being valid; zero
	// when no code is valid (expired, used, too many wrong tries).
	Until time.Time
	// Next is when a new code can be asked for; zero: now.
	Next time.Time
	// Limited is true when Next comes from the hourly or daily limit
	// rather than the cooldown between two codes.
	Limited bool
}

// News says whether step 1 of flow f issued a code and, if not, whether
// an earlier one is still valid and when a new one can be had. It only
// reads.
func (s *Service) News(f Flow) (CodeNews, error) {
	h, err := s.Store.History(f.Email)
	if err != nil {
		return CodeNews{}, err
	}
	now := s.now()
	var n CodeNews
	n.New = !f.NoNewCode
	if c := h.Code; c != nil {
		if !c.Used && c.Attempts < s.Config.MaxAttempts && now.Before(c.Expires) {
			n.Until = c.Expires
		}
	}
	next, why := s.nextCode(h, now)
	n.Next, n.Limited = next, errors.Is(why, ErrLimit)
	return n, nil
}

func (s *Service) nextCode(h History, now time.Time) (time.Time, error) {
	var last time.Time
	hour, day := 0, 0
	var oldestHour, oldestDay time.Time
	for _, t := range h.Issued {
		if t.After(last) {
			last = t
		}
		if now.Sub(t) < time.Hour {
			if hour == 0 || t.Before(oldestHour) {
				oldestHour = t
			}
			hour++
		}
		if now.Sub(t) < 24*time.Hour {
			if day == 0 || t.Before(oldestDay) {
				oldestDay = t
			}
			day++
		}
	}
	switch {
	case day >= s.Config.PerDay:
		return oldestDay.Add(24 * time.Hour), ErrLimit
	case hour >= s.Config.PerHour:
		return oldestHour.Add(time.Hour), ErrLimit
	case !last.IsZero() && now.Sub(last) < s.Config.Cooldown:
		return last.Add(s.Config.Cooldown), ErrCooldown
	}
	return time.Time{}, nil
}

// decide returns the function the store runs, inside its transaction,
// on the address's history. When no code is issued it turns ev (when
// not nil) into a counted audit.RecoveryLimited record: a parent
// pressing again during the cooldown, or a script hammering a known
// address, costs one record an hour, not one a request.
func (s *Service) decide(email, lang string, accts []account.Account, now time.Time, ev *audit.Event) func(History) Issued {
	var orig audit.Event
	if ev != nil {
		orig = *ev
	}
	return func(h History) Issued {
		if ev != nil {
			*ev = orig // the store may run decide twice
		}
		if _, err := s.nextCode(h, now); err != nil {
			if ev != nil && !ev.Aggregated() {
				ev.Kind, ev.Count = audit.RecoveryLimited, 1
				ev.Detail = strings.TrimPrefix(ev.Detail+", no new code: "+err.Error(), ", ")
				if ev.Outcome != "" { // sent for the school: say it was not
					ev.Outcome = audit.Refused(err.Error())
				}
			}
			return Issued{} // the pending code, if any, stays valid
		}
		code, err := NewCode()
		if err != nil {
			return Issued{}
		}
		c := &Code{MAC: s.mac(email, code), Created: now, Expires: now.Add(s.Config.CodeTTL)}
		var active []string
		for _, a := range accts {
			if a.State == account.Active {
				active = append(active, a.ID)
			}
		}
		m := &outbox.Message{To: email, Lang: lang, Created: now, Status: outbox.StatusPending, NextAttempt: now}
		switch {
		case len(active) > 0:
			m.Kind, m.Identifiers, m.Code, m.ExpiresAt = outbox.KindRecoveryCode, active, code, c.Expires
			m.Children = children(accts, active)
			if len(active) == 1 {
				m.Name = name(accts, active[0])
			}
		case len(accts) > 0:
			m.Kind, m.ExpiresAt = outbox.KindAccountDisabled, now.Add(24*time.Hour)
		default:
			m = nil // unknown address: a code nobody will ever see
		}
		return Issued{Code: c, Mail: m}
	}
}

// joinIDs lists the accounts' identifiers as an audit event names them
// ("dupont.marie,dupont.paul"; audit.Event.Names reads it).
func joinIDs(accts []account.Account) string {
	ids := make([]string, len(accts))
	for i, a := range accts {
		ids[i] = a.ID
	}
	return strings.Join(ids, ",")
}

// children says, for each identifier of ids whose holder has children,
// which ones ("Lucas (6e A), Emma (CM2)"): the code e-mail lists them
// beside the identifiers so a family tells them apart. Nil when none has.
func children(accts []account.Account, ids []string) map[string]string {
	var out map[string]string
	for _, a := range accts {
		if l := a.ChildrenLabel(); l != "" && contains(ids, a.ID) {
			if out == nil {
				out = make(map[string]string, len(ids))
			}
			out[a.ID] = l
		}
	}
	return out
}

func name(accts []account.Account, id string) string {
	for _, a := range accts {
		if a.ID == id {
			return a.Name()
		}
	}
	return ""
}

// NewCode draws 8 uniform digits from crypto/rand: a security code, as
// the recovery's and the activation's e-mail step send (NormalizeCode
// reads them back).
func NewCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%08d", n.Int64()), nil
}

func (s *Service) mac(email, code string) []byte {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte("code\x00" + email + "\x00" + code))
	return m.Sum(nil)
}

// NormalizeCode accepts a code as parents paste it: "1234 5678",
// "1234-5678", with non-breaking spaces from a mail app. It returns the
// 8 digits or ErrCodeFormat.
func NormalizeCode(s string) (string, error) {
	if len(s) > 64 {
		return "", ErrCodeFormat
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '\t' || r == '.' || r == '\u00a0' || r == '\u202f' || r == '\u2009' || r == '\u2010' || r == '\u2011' || r == '\u2013':
		default:
			return "", ErrCodeFormat
		}
	}
	if b.Len() != 8 {
		return "", ErrCodeFormat
	}
	return b.String(), nil
}

// WrongCode is ErrCodeWrong with the tries left.
type WrongCode struct{ Left int }

func (e *WrongCode) Error() string { return fmt.Sprintf("recovery: wrong code, %d tries left", e.Left) }

// Unwrap makes errors.Is(err, ErrCodeWrong) true.
func (e *WrongCode) Unwrap() error { return ErrCodeWrong }

// Verify is step 2. The attempt counter is incremented before the
// comparison, in the same transaction, so parallel guesses cannot
// exceed the limit; the comparison is constant-time; a right code is
// used up at once.
func (s *Service) Verify(ctx context.Context, token, input string) (Flow, error) {
	f, err := s.Get(token)
	if err != nil {
		return f, err
	}
	if !f.can("verify") {
		return f, f.refuse("verify")
	}
	code, err := NormalizeCode(input)
	if err != nil {
		return f, err
	}
	now := s.now()
	want := s.mac(f.Email, code)
	err = s.Store.TryCode(f.Email, func(c *Code) error {
		if c == nil || c.Used || !now.Before(c.Expires) {
			return ErrCodeExpired
		}
		if c.Attempts >= s.Config.MaxAttempts {
			return ErrCodeLocked
		}
		c.Attempts++
		if hmac.Equal(want, c.MAC) {
			c.Used = true
			return nil
		}
		if left := s.Config.MaxAttempts - c.Attempts; left > 0 {
			return &WrongCode{Left: left}
		}
		return ErrCodeLocked
	})
	if err != nil {
		// Named with the address's accounts, so that the school finds the
		// refusal on each parent's page (audit --account). Read for known
		// and unknown addresses alike.
		accts, _ := s.Store.AccountsByEmail(f.Email)
		s.audit(ctx, audit.Event{Kind: audit.CodeFailed, Email: f.Email, Account: joinIDs(accts), Detail: err.Error()})
		return f, err
	}
	accts, err := s.Store.AccountsByEmail(f.Email)
	if err != nil {
		return f, err
	}
	var ids []string
	for _, a := range accts {
		if a.State != account.Active {
			continue
		}
		ids = append(ids, a.ID)
		// Only now, with the address proven, may the account change:
		// it remembers the language for its next e-mails.
		if f.Lang != "" && a.Lang != f.Lang {
			if err := s.Accounts.SetLang(a.ID, f.Lang); err != nil {
				return f, fmt.Errorf("recovery: remember the language: %w", err)
			}
		}
	}
	f.State, f.Accounts = Verified, ids
	s.audit(ctx, audit.Event{Kind: audit.CodeOK, Email: f.Email, Account: strings.Join(f.Accounts, ",")})
	return f, s.Store.SaveFlow(Key(token), f)
}

// SetPassword is step 3: the policy decides; on success every session of
// the account is revoked, its codes deleted and a "password changed"
// e-mail queued (account.Service.SetPassword), and the flow is done.
// Only an identifier of the address whose password this flow has not set
// yet is allowed (Flow.Set says why).
func (s *Service) SetPassword(ctx context.Context, token, identifier, pw, confirm string) (Flow, error) {
	f, err := s.Get(token)
	if err != nil {
		return f, err
	}
	if !f.can("set") {
		return f, f.refuse("set")
	}
	left := f.Remaining()
	if identifier == "" && len(left) == 1 {
		identifier = left[0]
	}
	if !contains(left, identifier) {
		return f, ErrNotAllowed
	}
	a, err := s.Accounts.Get(identifier)
	if errors.Is(err, account.ErrNotFound) || (err == nil && a.State != account.Active) {
		return f, ErrNotAllowed
	}
	if err != nil {
		return f, err
	}
	if _, err := s.Accounts.SetPassword(ctx, identifier, pw, confirm, f.Lang); err != nil {
		return f, err
	}
	f.State, f.Chosen, f.Set = Done, identifier, append(f.Set, identifier)
	return f, s.Store.SaveFlow(Key(token), f)
}

// Another is « set the password of another identifier of this address »,
// offered by the confirmation: the flow goes back to step 3 for the
// identifiers it has not set yet. It needs the same verified flow, within
// its lifetime (not extended), so no new code is asked for. Posted again
// (a reload), it changes nothing.
func (s *Service) Another(token string) (Flow, error) {
	f, err := s.Get(token)
	if err != nil {
		return f, err
	}
	if f.State == Verified {
		return f, nil
	}
	if !f.can("another") {
		return f, ErrWrongStep
	}
	if len(f.Remaining()) == 0 {
		return f, ErrStepDone
	}
	f.State = Verified
	return f, s.Store.SaveFlow(Key(token), f)
}

// Underway returns the browser's flow when it is already past step 1 for
// this very address: step 1 posted again (after Back) is then a step done,
// not a new flow that would drop a verified one and send another code. A
// different address starts a new flow, as asked. It only reads, and
// depends on nothing but what this browser typed, so it tells nothing
// about the address.
func (s *Service) Underway(token, email string) (Flow, bool) {
	email, err := identity.NormalizeEmail(email)
	if err != nil {
		return Flow{}, false
	}
	f, err := s.Get(token)
	if err != nil || f.Email != email {
		return Flow{}, false
	}
	return f, true
}

// Get returns the browser's flow, or ErrNoFlow when it expired or never
// existed. It only reads.
func (s *Service) Get(token string) (Flow, error) {
	if token == "" || len(token) > 100 {
		return Flow{}, ErrNoFlow
	}
	f, err := s.Store.Flow(Key(token))
	if errors.Is(err, ErrNoFlow) || (err == nil && !s.now().Before(f.Expires)) {
		return Flow{}, ErrNoFlow
	}
	return f, err
}

// Cancel ends the flow ("Annuler", "change the e-mail address").
func (s *Service) Cancel(token string) error {
	if token == "" || len(token) > 100 {
		return nil
	}
	return s.Store.DeleteFlow(Key(token))
}

// Account returns the parent's account for display at step 3.
func (s *Service) Account(id string) (account.Account, error) { return s.Accounts.Get(id) }

func (s *Service) notify() {
	if s.Mail != nil {
		s.Mail.Notify()
	}
}
