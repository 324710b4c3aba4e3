package account

import (
	"reflect"
	"strings"

	"sesame/internal/importcsv"
)

// ImportSummary is what an import did, for the school's IT person.
type ImportSummary struct {
	Created, Updated, Unchanged, Rejected int
	// Errors are the bad rows, by line.
	Errors []importcsv.RowError
	// Written is false when bad rows stopped the import: nothing changed.
	Written bool
}

// Import creates or updates the accounts in a parsed export. It is
// idempotent: importing the same file twice changes nothing the second
// time. It updates names, e-mails and languages, and never touches a
// password or a state. Rows without an identifier are matched to an
// existing account by e-mail and names, else get a generated identifier.
// With bad rows, nothing is written unless skipInvalid.
func (s *Service) Import(res *importcsv.Result, skipInvalid bool) (ImportSummary, error) {
	sum := ImportSummary{Rejected: len(res.Errors), Errors: res.Errors}
	existing, err := s.Store.Accounts()
	if err != nil {
		return sum, err
	}
	byID := make(map[string]Account, len(existing))
	byPerson := make(map[string]string, len(existing))
	for _, a := range existing {
		byID[a.ID] = a
		byPerson[personKey(a.Email, a.LastName, a.FirstName)] = a.ID
	}
	for i, r := range res.Rows {
		if r.Identifier == "" {
			if id, ok := byPerson[personKey(r.Email, r.LastName, r.FirstName)]; ok {
				res.Rows[i].Identifier = id
			}
		}
	}
	res.AssignIdentifiers(func(id string) bool { _, ok := byID[id]; return ok })

	now := s.now()
	var changed []Account
	for _, r := range res.Rows {
		a, ok := byID[r.Identifier]
		if !ok {
			changed = append(changed, Account{
				ID: r.Identifier, LastName: r.LastName, FirstName: r.FirstName, Email: r.Email, Lang: r.Lang,
				State: Active, Created: now, Updated: now,
			})
			sum.Created++
			continue
		}
		before := a
		a.LastName, a.FirstName, a.Email = r.LastName, r.FirstName, r.Email
		if r.Lang != "" {
			a.Lang = r.Lang
		}
		if reflect.DeepEqual(a, before) {
			sum.Unchanged++
			continue
		}
		a.Updated = now
		changed = append(changed, a)
		sum.Updated++
	}
	if len(res.Errors) > 0 && !skipInvalid {
		return sum, nil
	}
	if len(changed) > 0 {
		if err := s.Store.SaveAccounts(changed); err != nil {
			return sum, err
		}
	}
	sum.Written = true
	return sum, nil
}

func personKey(email, last, first string) string {
	return email + "\x00" + strings.ToLower(last) + "\x00" + strings.ToLower(first)
}
