package account

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"sesame/internal/audit"
	"sesame/internal/identity"
	"sesame/internal/importcsv"
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
	// No address is allowed: the parent starts with a printed letter.
	if a.Email != "" {
		if a.Email, err = identity.NormalizeEmail(a.Email); err != nil {
			return a, err
		}
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
	a.DisabledAt, a.DisabledBy = time.Time{}, ""
	if st == Disabled {
		// Disabled by hand: kept until the school enables it, never
		// purged by a sync.
		a.DisabledAt, a.DisabledBy = a.Updated, DisabledByAdmin
	}
	return a, s.Store.UpdateAccount(a)
}

// ErrSameState is SetStateAs on an account already in that state.
var ErrSameState = errors.New("account: already in this state")

// SetStateAs enables or disables an account for the school and records
// ev (its Kind, Operator and Detail; the time, account and outcome are
// filled in) in the same transaction, so the change never happens
// unrecorded. An account already in st is ErrSameState, unchanged.
func (s *Service) SetStateAs(id string, st State, ev audit.Event) (Account, error) {
	a, err := s.Get(id)
	if err != nil {
		return a, err
	}
	if a.State == st {
		return a, ErrSameState
	}
	a.State, a.Updated = st, s.now()
	a.DisabledAt, a.DisabledBy = time.Time{}, ""
	if st == Disabled {
		a.DisabledAt, a.DisabledBy = a.Updated, DisabledByAdmin
	}
	ev.Time, ev.Account, ev.Outcome = a.Updated, a.ID, audit.OutcomeDone
	return a, s.Store.ApplyImport([]Account{a}, nil, []audit.Event{ev})
}

// Find returns the accounts someone typing q may mean: the account with
// that identifier; else every account at that e-mail address; else every
// account whose name, first name first or last name first, folds to the
// same as q ("marie dupont", "DUPONT Marie").
func (s *Service) Find(q string) ([]Account, error) {
	if id, err := identity.NormalizeIdentifier(q); err == nil {
		if a, err := s.Store.Account(id); err == nil {
			return []Account{a}, nil
		}
	}
	if e, err := identity.NormalizeEmail(q); err == nil {
		as, err := s.Store.AccountsByEmail(e)
		if err != nil || len(as) > 0 {
			return as, err
		}
	}
	want := identity.FoldName(q)
	if want == "" {
		return nil, nil
	}
	all, err := s.List()
	var out []Account
	for _, a := range all {
		if identity.FoldName(a.FirstName+a.LastName) == want || identity.FoldName(a.LastName+a.FirstName) == want {
			out = append(out, a)
		}
	}
	return out, err
}

// Edit holds the details the school corrects by hand; nil leaves a
// field as it is.
type Edit struct {
	Email, LastName, FirstName, Phone, Lang *string
}

// Edit corrects an account's details, checked by the rules of package
// identity, and records what changed (addresses masked) with operator in
// the same transaction. Nothing to change writes nothing.
func (s *Service) Edit(id string, e Edit, operator string) (Account, []FieldChange, error) {
	a, err := s.Get(id)
	if err != nil {
		return a, nil, err
	}
	var ad importcsv.Adult
	if e.Email != nil {
		if *e.Email == "" {
			return a, nil, fmt.Errorf("e-mail: %w", identity.ErrInvalidEmail)
		}
		if ad.Email, err = identity.NormalizeEmail(*e.Email); err != nil {
			return a, nil, err
		}
	}
	for _, f := range []struct {
		v   *string
		dst *string
		why string
	}{{e.LastName, &ad.LastName, "last name"}, {e.FirstName, &ad.FirstName, "first name"}} {
		if f.v != nil {
			if *f.dst, err = identity.NormalizeName(*f.v); err != nil {
				return a, nil, fmt.Errorf("%s: %w", f.why, err)
			}
		}
	}
	if e.Phone != nil {
		if ad.Phone, err = identity.CleanText(*e.Phone, 40); err != nil {
			return a, nil, fmt.Errorf("phone: %w", err)
		}
	}
	if e.Lang != nil {
		if !validLang(*e.Lang) {
			return a, nil, ErrBadLang
		}
		ad.Lang = *e.Lang
	}
	after, fields := applyAdult(a, ad, a.Children)
	if len(fields) == 0 {
		return a, nil, nil
	}
	after.Updated = s.now()
	ev := audit.Event{Time: after.Updated, Kind: audit.AccountUpdated, Account: a.ID, Operator: operator, Detail: "edited: " + describeFields(fields)}
	return after, fields, s.Store.ApplyImport([]Account{after}, nil, []audit.Event{ev})
}

// Delete deletes an account at the school's request (a data protection
// request, a duplicate): its sessions go, its audit trail is anonymised,
// and the deletion itself is recorded with operator, without the
// identifier.
func (s *Service) Delete(id, operator string) (Account, error) {
	a, err := s.Get(id)
	if err != nil {
		return a, err
	}
	ev := audit.Event{Time: s.now(), Kind: audit.AccountDeleted, Operator: operator, Detail: "an account was deleted by hand"}
	return a, s.Store.DeleteAccount(a.ID, ev)
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
