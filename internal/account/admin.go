package account

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"sesame/internal/identity"
	"sesame/internal/policy"
)

// Add creates an account from what the school typed. The account has no
// password yet unless pw is given (then the policy applies). Fields that break
// the rules of package identity are reported with its errors.
func (s *Service) Add(ctx context.Context, a Account, pw string) (Account, error) {
	var err error
	if a.ID, err = identity.NormalizeIdentifier(a.ID); err != nil {
		return a, err
	}
	if a.Email, err = identity.NormalizeEmail(a.Email); err != nil {
		return a, err
	}
	if a.LastName, err = identity.NormalizeName(a.LastName); err != nil {
		return a, fmt.Errorf("last name: %w", err)
	}
	if a.FirstName, err = identity.NormalizeName(a.FirstName); err != nil {
		return a, fmt.Errorf("first name: %w", err)
	}
	if a.Lang != "" && !validLang(a.Lang) {
		return a, ErrBadLang
	}
	now := s.now()
	a.State, a.Created, a.Updated = Active, now, now
	if pw != "" {
		pw = policy.Normalize(pw)
		if rules := s.Policy.Check(pw, s.Context(a)); len(rules) > 0 {
			return a, &PolicyError{Rules: rules}
		}
		if a.PasswordHash, err = s.Hasher.Hash(ctx, pw); err != nil {
			return a, err
		}
		a.PasswordChanged = now
	}
	return a, s.Store.CreateAccount(a)
}

// ErrBadLang reports a language other than fr or en.
var ErrBadLang = errors.New("account: language must be fr or en")

// validLang reports whether parents' e-mails can be written in lang.
func validLang(lang string) bool { return lang == "fr" || lang == "en" }

// SetState enables or disables an account. Disabling also ends its
// sessions at their next use, since SessionAccount checks the state.
func (s *Service) SetState(id string, st State) (Account, error) {
	id, err := identity.NormalizeIdentifier(id)
	if err != nil {
		return Account{}, ErrNotFound
	}
	a, err := s.Store.Account(id)
	if err != nil {
		return a, err
	}
	if a.State == st {
		return a, nil
	}
	a.State, a.Updated = st, s.now()
	return a, s.Store.UpdateAccount(a)
}

// SetLang records the language of the account's next e-mails. An
// account that already has it is not written.
func (s *Service) SetLang(id, lang string) error {
	if !validLang(lang) {
		return ErrBadLang
	}
	a, err := s.Store.Account(id)
	if err != nil || a.Lang == lang {
		return err
	}
	a.Lang, a.Updated = lang, s.now()
	return s.Store.UpdateAccount(a)
}

// Get returns one account by identifier, in any case.
func (s *Service) Get(id string) (Account, error) {
	id, err := identity.NormalizeIdentifier(id)
	if err != nil {
		return Account{}, ErrNotFound
	}
	return s.Store.Account(id)
}

// List returns every account sorted by identifier.
func (s *Service) List() ([]Account, error) {
	as, err := s.Store.Accounts()
	sort.Slice(as, func(i, j int) bool { return as[i].ID < as[j].ID })
	return as, err
}

// AdminSetPassword is the school setting a parent's password by hand
// (from the terminal). The policy applies; no "changed" e-mail is sent
// to the parent's lang unless one is known.
func (s *Service) AdminSetPassword(ctx context.Context, id, pw string) (Account, error) {
	a, err := s.Get(id)
	if err != nil {
		return a, err
	}
	return s.SetPassword(ctx, a.ID, pw, pw, a.Lang)
}
