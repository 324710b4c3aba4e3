package desk

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"sesame/internal/account"
	"sesame/internal/identity"
)

// Hit is one parent the search found, with what the result list shows.
type Hit struct {
	Account account.Account
	// Exact is true when the query is the account's identifier or
	// e-mail address as a whole.
	Exact bool
}

// Results is one search's answer: the first hits and how many there
// were in all.
type Results struct {
	Query string
	Hits  []Hit
	Total int
	// TooShort is true when the query has fewer than MinQuery letters
	// or digits: nothing is searched.
	TooShort bool
}

// MinQuery is the fewest letters or digits a search needs: one letter
// would list half the school.
const MinQuery = 2

// index is every account folded for searching. It is rebuilt when the
// store's accounts version moves, so a search costs a scan of memory,
// not of the data file: 5,000 accounts decoded from bbolt take tens of
// milliseconds, scanning their folded text well under one (see
// BenchmarkDeskSearch). Nothing is written to the store to search.
type index struct {
	mu      sync.Mutex
	built   bool
	version uint64
	entries []entry
}

// entry is one account as the search sees it: each field folded alone
// (identity.FoldName: case, accents and punctuation gone), joined by a
// separator the folding never produces, so a query word never matches
// across two fields.
type entry struct {
	a   account.Account
	hay string
	// id and email are folded too, for the exact matches that rank first.
	id, email string
	// sortKey orders hits of the same rank: last name, first name.
	sortKey string
}

const sep = "|"

func newEntry(a account.Account) entry {
	fields := []string{a.ID, a.LastName, a.FirstName, a.Email}
	for _, c := range a.Children {
		fields = append(fields, c.FirstName, c.LastName)
	}
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(sep)
		b.WriteString(identity.FoldName(f))
	}
	b.WriteString(sep)
	return entry{a: a, hay: b.String(), id: identity.FoldName(a.ID), email: identity.FoldName(a.Email),
		// A space sorts before any letter: "dupont" before "dupontel".
		sortKey: identity.FoldName(a.LastName) + " " + identity.FoldName(a.FirstName) + " " + a.ID}
}

// terms folds each word of a query. A word made only of punctuation
// folds to nothing and is dropped.
func terms(q string) []string {
	var out []string
	for _, w := range strings.Fields(q) {
		if f := identity.FoldName(w); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// search returns the entries every term of q is found in, best first:
// the identifier or address typed whole, then a term that starts a field
// (a name typed from its first letter), then the rest; then by name.
func (ix *index) search(q string, limit int) Results {
	ts := terms(q)
	res := Results{Query: q}
	if len(strings.Join(ts, "")) < MinQuery {
		res.TooShort = true
		return res
	}
	whole := strings.Join(ts, "")
	type scored struct {
		e    *entry
		rank int
	}
	var hits []scored
	for i := range ix.entries {
		e := &ix.entries[i]
		ok, starts := true, true
		for _, t := range ts {
			j := strings.Index(e.hay, t)
			if j < 0 {
				ok = false
				break
			}
			starts = starts && strings.Contains(e.hay, sep+t)
		}
		if !ok {
			continue
		}
		rank := 3
		switch {
		case whole == e.id || (e.email != "" && whole == e.email):
			rank = 0
		case starts:
			rank = 1
		}
		hits = append(hits, scored{e, rank})
	}
	slices.SortFunc(hits, func(a, b scored) int {
		if c := cmp.Compare(a.rank, b.rank); c != 0 {
			return c
		}
		return strings.Compare(a.e.sortKey, b.e.sortKey)
	})
	res.Total = len(hits)
	for i := 0; i < len(hits) && i < limit; i++ {
		res.Hits = append(res.Hits, Hit{Account: hits[i].e.a, Exact: hits[i].rank == 0})
	}
	return res
}

// Search finds parents by what the office is told on the phone: an
// identifier, a name, an e-mail address or a child's name, in any case
// and with or without accents, each word of q matching part of one of
// them ("dupont lucas", "lucas", "m.dupont@", "Hélène"). It returns at
// most limit hits and their total.
func (s *Service) Search(q string, limit int) (Results, error) {
	v, err := s.Store.AccountsVersion()
	if err != nil {
		return Results{}, err
	}
	s.idx.mu.Lock()
	defer s.idx.mu.Unlock()
	if !s.idx.built || s.idx.version != v {
		as, err := s.Accounts.List()
		if err != nil && len(as) == 0 {
			return Results{}, err
		}
		// Records the store could not read are left out (and reported by
		// `sesame check`); the others are still found.
		entries := make([]entry, len(as))
		for i, a := range as {
			entries[i] = newEntry(a)
		}
		s.idx.entries, s.idx.version, s.idx.built = entries, v, true
	}
	return s.idx.search(q, limit), nil
}
