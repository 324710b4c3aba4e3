package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"time"

	"sesame/internal/audit"
	"sesame/internal/identity"
	"sesame/internal/mail/outbox"
	"sesame/internal/policy"
)

// Hasher is the password hashing the service needs; *password.Hasher
// satisfies it.
type Hasher interface {
	Hash(ctx context.Context, pw string) (string, error)
	Verify(ctx context.Context, pw, hash string) (bool, error)
	Dummy(ctx context.Context, pw string) error
	NeedsRehash(hash string) bool
}

// Notifier wakes the mail worker after a message was queued, so it leaves
// at once instead of at the next poll.
type Notifier interface{ Notify() }

// Service is the accounts' domain logic.
type Service struct {
	Store      Store
	Hasher     Hasher
	Policy     *policy.Policy
	Now        func() time.Time
	SessionTTL time.Duration
	Mail       Notifier // may be nil
	Log        *slog.Logger
	// School is a context word a password must not contain.
	School string
	// Audit records sign-ins and password changes; nil records nothing.
	Audit audit.Log
}

func (s *Service) audit(ctx context.Context, e audit.Event) {
	if s.Audit == nil {
		return
	}
	e.Time, e.IP = s.now(), audit.IP(ctx)
	s.Audit.Append(e)
}

// PolicyError lists the password rules a new password breaks, as
// message IDs for the handler to localize.
type PolicyError struct{ Rules []policy.Rule }

func (e *PolicyError) Error() string { return "account: password breaks the policy" }

// ErrMismatch means the password and its confirmation differ.
var ErrMismatch = errors.New("account: password and confirmation differ")

// ErrWrongPassword means the current password given to change it was wrong.
var ErrWrongPassword = errors.New("account: current password is wrong")

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Login checks an identifier and password. Every failure returns
// ErrInvalidCredentials after the same amount of work, whether the
// identifier exists, is disabled, has no password yet or the password is
// wrong, so neither the answer nor its timing tells them apart. Other
// errors (the hasher is busy, the store failed) are returned as they are.
func (s *Service) Login(ctx context.Context, identifier, pw string) (Account, error) {
	pw = policy.Normalize(pw)
	id, err := identity.NormalizeIdentifier(identifier)
	if err != nil {
		s.audit(ctx, audit.Event{Kind: audit.LoginFailed, Detail: "malformed identifier"})
		return Account{}, s.fail(ctx, pw)
	}
	a, err := s.Store.Account(id)
	if errors.Is(err, ErrNotFound) {
		s.audit(ctx, audit.Event{Kind: audit.LoginFailed, Account: id, Detail: "unknown identifier"})
		return Account{}, s.fail(ctx, pw)
	}
	if err != nil {
		return Account{}, err
	}
	ok, err := s.Hasher.Verify(ctx, pw, a.PasswordHash)
	if err != nil {
		return Account{}, err
	}
	if !ok || a.State != Active {
		why := "wrong password"
		switch {
		case a.State != Active:
			why = "account disabled"
		case !a.Activated():
			why = "no password chosen yet"
		}
		s.audit(ctx, audit.Event{Kind: audit.LoginFailed, Account: a.ID, Detail: why})
		return Account{}, ErrInvalidCredentials
	}
	// The successful login is recorded with the session NewSession
	// creates, in the same write.
	if s.Hasher.NeedsRehash(a.PasswordHash) {
		// Best effort: the login succeeded either way.
		if h, err := s.Hasher.Hash(ctx, pw); err == nil {
			if err := s.Store.UpdateHash(a.ID, h); err != nil && s.Log != nil {
				s.Log.Warn("rehash failed", "account", a.ID, "err", err)
			}
		}
	}
	return a, nil
}

func (s *Service) fail(ctx context.Context, pw string) error {
	if err := s.Hasher.Dummy(ctx, pw); err != nil {
		return err
	}
	return ErrInvalidCredentials
}

// Context returns the words a password for a must not contain.
func (s *Service) Context(a Account) policy.Context {
	c := policy.Context{Identifier: a.ID, LastName: a.LastName, FirstName: a.FirstName}
	if s.School != "" {
		c.Extra = []string{s.School}
	}
	return c
}

// CheckNew applies the password policy and the confirmation to a new
// password for a, without changing anything. Both are compared once
// normalised, so a confirmation typed on another keyboard still matches.
func (s *Service) CheckNew(a Account, pw, confirm string) error {
	pw, confirm = policy.Normalize(pw), policy.Normalize(confirm)
	if rules := s.Policy.Check(pw, s.Context(a)); len(rules) > 0 {
		return &PolicyError{Rules: rules}
	}
	if pw != confirm {
		return ErrMismatch
	}
	return nil
}

// SetPassword gives account id a new password after the policy accepts
// it: every session is revoked, pending codes deleted and a "password
// changed" e-mail queued (when the account has an address), all in one
// store transaction. lang is the
// language of that e-mail. The password is hashed in its normalised form
// (policy.Normalize), the form Login compares.
func (s *Service) SetPassword(ctx context.Context, id, pw, confirm, lang string) (Account, error) {
	pw, confirm = policy.Normalize(pw), policy.Normalize(confirm)
	a, err := s.Store.Account(id)
	if err != nil {
		return Account{}, err
	}
	if err := s.CheckNew(a, pw, confirm); err != nil {
		return a, err
	}
	h, err := s.Hasher.Hash(ctx, pw)
	if err != nil {
		return a, err
	}
	now := s.now()
	if lang == "" {
		lang = a.Lang
	}
	var notice *outbox.Message
	if a.Email != "" { // an adult the school has no address for started with a letter
		notice = &outbox.Message{
			Kind: outbox.KindPasswordChanged, To: a.Email, Lang: lang, Name: a.Name(),
			Identifiers: []string{a.ID}, Created: now, ExpiresAt: now.Add(24 * time.Hour),
			Status: outbox.StatusPending, NextAttempt: now,
		}
	}
	ev := &audit.Event{Time: now, Kind: audit.PasswordChanged, Account: a.ID, IP: audit.IP(ctx)}
	if err := s.Store.SetPassword(a.ID, h, now, notice, ev); err != nil {
		return a, err
	}
	if s.Mail != nil {
		s.Mail.Notify()
	}
	a.PasswordHash, a.PasswordChanged = h, now
	return a, nil
}

// ChangePassword is the signed-in parent changing their own password:
// the current one must be right first.
func (s *Service) ChangePassword(ctx context.Context, id, current, pw, confirm, lang string) error {
	a, err := s.Store.Account(id)
	if err != nil {
		return err
	}
	ok, err := s.Hasher.Verify(ctx, policy.Normalize(current), a.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		return ErrWrongPassword
	}
	_, err = s.SetPassword(ctx, id, pw, confirm, lang)
	return err
}

// NewSession signs a into a new session and returns its token, which
// only the browser keeps (the store keeps its hash).
func (s *Service) NewSession(ctx context.Context, a Account) (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	tok := base64.RawURLEncoding.EncodeToString(buf)
	now := s.now()
	ttl := s.SessionTTL
	if ttl <= 0 {
		ttl = 12 * time.Hour
	}
	var ev *audit.Event
	if s.Audit != nil {
		ev = &audit.Event{Time: now, Kind: audit.LoginOK, Account: a.ID, IP: audit.IP(ctx)}
	}
	if err := s.Store.CreateSession(TokenHash(tok), Session{Account: a.ID, Created: now, Expires: now.Add(ttl)}, ev); err != nil {
		return "", err
	}
	return tok, nil
}

// SessionAccount returns the account signed in with token. It only reads:
// a page view never writes to the store.
func (s *Service) SessionAccount(token string) (Account, error) {
	a, _, err := s.SessionInfo(token)
	return a, err
}

// SessionInfo is SessionAccount with the session itself, whose Created
// is when the parent typed their password (OpenID Connect's auth_time).
func (s *Service) SessionInfo(token string) (Account, Session, error) {
	if token == "" || len(token) > 100 {
		return Account{}, Session{}, ErrNoSession
	}
	return s.SessionByHash(TokenHash(token))
}

// SessionByHash is SessionInfo for a session known by its hash only:
// forward-auth's cookie carries the hash, never the token itself, so an
// application behind the proxy that sees it cannot sign in to the portal.
func (s *Service) SessionByHash(hash []byte) (Account, Session, error) {
	sess, err := s.Store.Session(hash)
	if err != nil {
		return Account{}, Session{}, ErrNoSession
	}
	if !s.now().Before(sess.Expires) {
		return Account{}, Session{}, ErrNoSession
	}
	a, err := s.Store.Account(sess.Account)
	if err != nil || a.State != Active {
		return Account{}, Session{}, ErrNoSession
	}
	return a, sess, nil
}

// Logout ends the session held by token.
func (s *Service) Logout(token string) error {
	if token == "" || len(token) > 100 {
		return nil
	}
	return s.Store.DeleteSession(TokenHash(token))
}

// TokenHash is how a session token is keyed in the store.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
