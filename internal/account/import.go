package account

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"sesame/internal/audit"
	"sesame/internal/identity"
	"sesame/internal/importcsv"
	"sesame/internal/mail/outbox"
)

// DefaultPurgeAfter is how long an account disabled by a sync import is
// kept before a later sync deletes it: a school year's cycle, so a
// family that comes back the next September finds its account, and a
// retention a data protection officer can state.
const DefaultPurgeAfter = 365 * 24 * time.Hour

// ImportOptions says how to apply an export.
type ImportOptions struct {
	// SkipInvalid writes the good adults even when some lines were
	// rejected or ambiguous. Refused with Sync: see Import.
	SkipInvalid bool
	// DryRun computes the report and writes nothing.
	DryRun bool
	// Sync makes the file the whole list: active accounts it does not
	// name are disabled, and accounts disabled by an earlier sync longer
	// than PurgeAfter ago are deleted.
	Sync bool
	// PurgeAfter is the retention of accounts disabled by sync; 0 means
	// never delete.
	PurgeAfter time.Duration
	// AllowMassDisable lets a sync disable more than half of the active
	// accounts, which otherwise means a partial file (one class, one
	// level) and is refused.
	AllowMassDisable bool
	// Operator is recorded in the audit events: who imported.
	Operator string
}

// Change is one account an import creates, updates, enables or leaves.
type Change struct {
	Account Account // as it is (or would be) after the import
	// Lines are the file's lines naming this adult; none for accounts
	// the file does not name (disabled or purged).
	Lines []int
	// Fields says what an update changes, old → new, in full: for the
	// operator's screen (the audit gets them masked).
	Fields []FieldChange
	// MatchedBy says how an existing account was recognised: "identifier",
	// "name and e-mail", or "name and a child" (the e-mail changed).
	MatchedBy string
}

// FieldChange is one field an update changes.
type FieldChange struct {
	Field, Old, New string
}

// Ambiguity is an adult of the file that matches several accounts, or
// an account claimed by several adults of the file: reported, never
// guessed, and nothing is written for it.
type Ambiguity struct {
	Lines      []int
	Name       string   // the adult as the file names them
	Candidates []string // the identifiers it could be
	Why        string
}

// ImportReport is what an import did, or would do in a dry run.
type ImportReport struct {
	Created, Updated, Enabled []Change
	Unchanged                 int
	// Disabled are the active accounts a sync found absent from the file.
	Disabled []Change
	// Purged are the accounts deleted for having been disabled by sync
	// longer than the retention.
	Purged    []Change
	Ambiguous []Ambiguity
	// Rejected are the file's bad lines (from the parser).
	Rejected []importcsv.RowError
	// Written is true when the import was applied.
	Written bool
	// RefusedCode says why in a stable code (one of the Refused*
	// constants), for pages that say it in the reader's language; Active
	// is the count of active accounts before, which the mass-disable
	// refusal names.
	RefusedCode string
	Active      int
	// Refused says why nothing was written when the file was good enough
	// to look at but the import was not applied (empty otherwise, and in
	// a dry run).
	Refused string
}

// Why an import was not applied (ImportReport.RefusedCode).
const (
	RefusedMassDisable = "mass_disable" // a sync would disable over half of the active accounts
	RefusedSyncInvalid = "sync_invalid" // a sync with rejected or ambiguous lines
	RefusedInvalid     = "invalid"      // rejected or ambiguous lines, without --skip-invalid
)

// Import applies a parsed export to the accounts. Each adult of the file
// is matched to an existing account by, in order: the file's identifier
// when it has that column (the key: an unknown one is a new account);
// else the same name and e-mail; else the same name and one of the
// same children, which is how a changed e-mail updates the account
// instead of creating a second one. An adult matching several accounts,
// or two adults matching one, is reported as ambiguous. Matched accounts
// get the file's names, e-mail (kept when the file has none), phone,
// civility, language (only when they have none yet) and children;
// passwords and sessions are never touched. It is idempotent: the same file twice changes
// nothing the second time.
//
// Rejected lines or ambiguities stop the import (nothing written) unless
// SkipInvalid; with Sync they always stop it, since the adults of those
// lines would look absent and be disabled. Everything is written in one
// transaction, with one audit event per account changed.
func (s *Service) Import(res *importcsv.Result, o ImportOptions) (ImportReport, error) {
	// Matching fills in identifiers: work on a copy, so the caller's
	// result (a dry run's, shown and then applied) stays as parsed.
	cp := *res
	cp.Adults = slices.Clone(res.Adults)
	res = &cp
	rep := ImportReport{Rejected: res.Errors}
	existing, err := s.Store.Accounts()
	if err != nil {
		return rep, err
	}
	now := s.now()
	m := newMatcher(existing)
	for _, ad := range res.Adults {
		if ad.Email != "" {
			m.inFile[ad.Email] = true
		}
	}
	claims := make([][]string, len(res.Adults)) // candidates of each adult
	claimedBy := make(map[string][]int)         // account → adults claiming it
	how := make([]string, len(res.Adults))
	for i, ad := range res.Adults {
		claims[i], how[i] = m.candidates(ad)
		if len(claims[i]) == 1 {
			claimedBy[claims[i][0]] = append(claimedBy[claims[i][0]], i)
		}
	}
	ambiguous := make([]bool, len(res.Adults))
	for i, ad := range res.Adults {
		switch {
		case len(claims[i]) > 1:
			ambiguous[i] = true
			rep.Ambiguous = append(rep.Ambiguous, Ambiguity{Lines: ad.Lines, Name: adultName(ad), Candidates: claims[i],
				Why: "matches several accounts by " + how[i] + "; add an identifier column, or fix the names or e-mails"})
		case len(claims[i]) == 1 && len(claimedBy[claims[i][0]]) > 1:
			ambiguous[i] = true
			var lines []int
			for _, j := range claimedBy[claims[i][0]] {
				lines = append(lines, res.Adults[j].Lines...)
			}
			slices.Sort(lines)
			rep.Ambiguous = append(rep.Ambiguous, Ambiguity{Lines: ad.Lines, Name: adultName(ad), Candidates: claims[i],
				Why: fmt.Sprintf("the account is also matched by lines %s; add an identifier column, or fix the names or e-mails", joinLines(lines))})
		}
	}

	// Adults matched nowhere get an identifier: the file's, or a new one
	// no account and no line of the file uses.
	for i := range res.Adults {
		if len(claims[i]) == 1 {
			res.Adults[i].Identifier = claims[i][0]
		}
	}
	res.AssignIdentifiers(func(id string) bool { _, ok := m.byID[id]; return ok })

	var put []Account
	var events []audit.Event
	seen := make(map[string]bool, len(res.Adults))
	ev := func(kind audit.Kind, id, detail string) {
		events = append(events, audit.Event{Time: now, Kind: kind, Account: id, Detail: detail, Operator: o.Operator})
	}
	for i, ad := range res.Adults {
		if ambiguous[i] {
			for _, c := range claims[i] {
				seen[c] = true // neither updated nor disabled
			}
			continue
		}
		children := childrenOf(ad)
		old, ok := m.byID[ad.Identifier]
		seen[ad.Identifier] = true
		if !ok {
			a := Account{ID: ad.Identifier, Civility: ad.Civility, LastName: ad.LastName, FirstName: ad.FirstName,
				Email: ad.Email, Phone: ad.Phone, Lang: ad.Lang, Children: children, State: Active, Created: now, Updated: now}
			rep.Created = append(rep.Created, Change{Account: a, Lines: ad.Lines})
			put = append(put, a)
			ev(audit.AccountCreated, a.ID, "imported"+linesDetail(ad.Lines))
			continue
		}
		if old.Lang != "" {
			// The language a parent chose on the portal (or the school
			// set) wins over the export's: only a blank one is filled.
			ad.Lang = ""
		}
		a, fields := applyAdult(old, ad, children)
		enable := old.State == Disabled && old.DisabledBy == DisabledBySync
		if enable {
			a.State, a.DisabledAt, a.DisabledBy = Active, time.Time{}, ""
		}
		if len(fields) == 0 && !enable {
			rep.Unchanged++
			continue
		}
		a.Updated = now
		c := Change{Account: a, Lines: ad.Lines, Fields: fields, MatchedBy: how[i]}
		put = append(put, a)
		if len(fields) > 0 {
			rep.Updated = append(rep.Updated, c)
			ev(audit.AccountUpdated, a.ID, "import: "+describeFields(fields)+linesDetail(ad.Lines))
		}
		if enable {
			rep.Enabled = append(rep.Enabled, c)
			ev(audit.AccountEnabled, a.ID, "back in the school's export (sync)")
		}
	}

	if o.Sync {
		active := 0
		for _, a := range existing {
			if a.State == Active {
				active++
			}
			switch {
			case seen[a.ID]:
			case a.State == Active:
				a.State, a.DisabledAt, a.DisabledBy, a.Updated = Disabled, now, DisabledBySync, now
				rep.Disabled = append(rep.Disabled, Change{Account: a})
				put = append(put, a)
				ev(audit.AccountDisabled, a.ID, "absent from the school's export (sync)")
			case o.PurgeAfter > 0 && a.State == Disabled && a.DisabledBy == DisabledBySync && now.Sub(a.DisabledAt) >= o.PurgeAfter:
				rep.Purged = append(rep.Purged, Change{Account: a})
			}
		}
		rep.Active = active
		if len(rep.Disabled) > 5 && 2*len(rep.Disabled) > active && !o.AllowMassDisable {
			rep.RefusedCode = RefusedMassDisable
			rep.Refused = fmt.Sprintf("this file would disable %d of the %d active accounts: is it the whole school's export? (--allow-mass-disable if it is)", len(rep.Disabled), active)
		}
	}
	bad := len(rep.Rejected) + len(rep.Ambiguous)
	switch {
	case rep.Refused != "":
	case bad > 0 && o.Sync:
		rep.RefusedCode = RefusedSyncInvalid
		rep.Refused = fmt.Sprintf("%d rejected or ambiguous line(s): a sync needs every line right, or the adults of those lines would be disabled", bad)
	case bad > 0 && !o.SkipInvalid:
		rep.RefusedCode = RefusedInvalid
		rep.Refused = fmt.Sprintf("%d rejected or ambiguous line(s): fix them, or use --skip-invalid to import the others", bad)
	}
	if rep.Refused != "" || o.DryRun {
		if o.DryRun {
			rep.Refused, rep.RefusedCode = "", ""
		}
		return rep, nil
	}
	var purge []string
	for _, c := range rep.Purged {
		purge = append(purge, c.Account.ID)
		events = append(events, audit.Event{Time: now, Kind: audit.AccountDeleted, Operator: o.Operator,
			Detail: fmt.Sprintf("an account disabled by sync on %s was deleted (retention %s)", c.Account.DisabledAt.Format(time.DateOnly), FormatRetention(o.PurgeAfter))})
	}
	if len(put) > 0 || len(purge) > 0 {
		events = append(events, audit.Event{Time: now, Kind: audit.AccountsImported, Operator: o.Operator,
			Detail: fmt.Sprintf("created %d, updated %d, enabled %d, disabled %d, purged %d", len(rep.Created), len(rep.Updated), len(rep.Enabled), len(rep.Disabled), len(rep.Purged))})
		if err := s.Store.ApplyImport(put, purge, events); err != nil {
			return rep, err
		}
	}
	rep.Written = true
	return rep, nil
}

// matcher finds the accounts an adult of the file may be.
type matcher struct {
	byID map[string]Account
	// byNameEmail is keyed by folded names and e-mail; byName by folded
	// names only, for the name + child match.
	byNameEmail, byName map[string][]string
	// inFile holds every address the file gives, for adults the file
	// names by e-mail only: see candidates.
	inFile map[string]bool
}

func newMatcher(existing []Account) *matcher {
	m := &matcher{byID: make(map[string]Account, len(existing)),
		byNameEmail: make(map[string][]string, len(existing)), byName: make(map[string][]string, len(existing)),
		inFile: make(map[string]bool)}
	for _, a := range existing {
		m.byID[a.ID] = a
		n := nameKey(a.LastName, a.FirstName)
		m.byNameEmail[n+"\x00"+a.Email] = append(m.byNameEmail[n+"\x00"+a.Email], a.ID)
		if n != "\x00" {
			m.byName[n] = append(m.byName[n], a.ID)
		}
	}
	return m
}

// candidates returns the accounts ad may be, and how they were found.
// None: a new adult.
func (m *matcher) candidates(ad importcsv.Adult) ([]string, string) {
	if ad.Identifier != "" {
		if _, ok := m.byID[ad.Identifier]; ok {
			return []string{ad.Identifier}, "identifier"
		}
		return nil, ""
	}
	n := nameKey(ad.LastName, ad.FirstName)
	if ids := m.byNameEmail[n+"\x00"+ad.Email]; len(ids) > 0 {
		if n == "\x00" {
			return ids, "e-mail"
		}
		return ids, "name and e-mail"
	}
	if len(ad.Children) == 0 {
		return nil, ""
	}
	if n == "\x00" {
		// A file naming adults by e-mail only: the account of a known
		// child whose address the file no longer gives at all is the
		// same adult with a new address. The parents of one child whose
		// addresses are all still in the file are never candidates.
		var ids []string
		for id, a := range m.byID {
			if a.LastName == "" && a.FirstName == "" && a.Email != "" && !m.inFile[a.Email] && sharesChild(a, ad) {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		return ids, "a child (the old address is gone from the file)"
	}
	var ids []string
	for _, id := range m.byName[n] {
		if sharesChild(m.byID[id], ad) {
			ids = append(ids, id)
		}
	}
	return ids, "name and a child"
}

// sharesChild reports whether a and ad name one child in common.
func sharesChild(a Account, ad importcsv.Adult) bool {
	for _, c := range a.Children {
		if slices.ContainsFunc(ad.Children, func(p importcsv.Pupil) bool { return p.Key == c.Key }) {
			return true
		}
	}
	return false
}

// nameKey is the folded names, the same for every spelling of them.
func nameKey(last, first string) string {
	return identity.FoldName(last) + "\x00" + identity.FoldName(first)
}

// childrenOf turns the file's pupils into the account's children,
// sorted by class then name, as the letters and the desk list them.
func childrenOf(ad importcsv.Adult) []Child {
	if len(ad.Children) == 0 {
		return nil
	}
	cs := make([]Child, len(ad.Children))
	for i, p := range ad.Children {
		cs[i] = Child{Key: p.Key, LastName: p.LastName, FirstName: p.FirstName, Class: p.Class}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].Class != cs[j].Class {
			return cs[i].Class < cs[j].Class
		}
		return cs[i].LastName+" "+cs[i].FirstName < cs[j].LastName+" "+cs[j].FirstName
	})
	return cs
}

// applyAdult returns old with the file's values, and what changed. An
// empty e-mail, phone, civility or language in the file keeps the
// stored one: a blank cell more often means "not exported" than
// "removed", and an address removed would lock the parent out of
// recovery.
func applyAdult(old Account, ad importcsv.Adult, children []Child) (Account, []FieldChange) {
	a := old
	var fields []FieldChange
	set := func(field string, dst *string, v string, keepIfEmpty bool) {
		if (v == "" && keepIfEmpty) || *dst == v {
			return
		}
		fields = append(fields, FieldChange{Field: field, Old: *dst, New: v})
		*dst = v
	}
	set("last name", &a.LastName, ad.LastName, true)
	set("first name", &a.FirstName, ad.FirstName, true)
	set("civility", &a.Civility, ad.Civility, true)
	set("e-mail", &a.Email, ad.Email, true)
	set("phone", &a.Phone, ad.Phone, true)
	set("language", &a.Lang, ad.Lang, true)
	if !slices.Equal(old.Children, children) {
		fields = append(fields, FieldChange{Field: "children", Old: labels(old.Children), New: labels(children)})
		a.Children = children
	}
	return a, fields
}

func labels(cs []Child) string {
	if len(cs) == 0 {
		return "-"
	}
	l := make([]string, len(cs))
	for i, c := range cs {
		l[i] = c.FirstName + " " + c.LastName
		if c.Class != "" {
			l[i] += " (" + c.Class + ")"
		}
	}
	return strings.Join(l, ", ")
}

// describeFields is the audit detail of an update; e-mails are masked.
func describeFields(fs []FieldChange) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		if f.Field == "children" {
			parts[i] = "children"
			continue
		}
		was, is := f.Old, f.New
		if f.Field == "e-mail" { // masked, as in every log
			was, is = outbox.MaskAddress(was), outbox.MaskAddress(is)
		}
		parts[i] = f.Field + " " + orDash(was) + " → " + orDash(is)
	}
	return strings.Join(parts, "; ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func adultName(ad importcsv.Adult) string {
	n := strings.TrimSpace(ad.FirstName + " " + ad.LastName)
	if n == "" {
		return ad.Email
	}
	return n
}

func linesDetail(lines []int) string {
	if len(lines) == 0 {
		return ""
	}
	return " (line " + joinLines(lines) + ")"
}

func joinLines(lines []int) string {
	s := make([]string, len(lines))
	for i, l := range lines {
		s[i] = fmt.Sprint(l)
	}
	return strings.Join(s, ", ")
}

// FormatRetention writes a retention as the school reads it: "1y",
// "6mo", "90d".
func FormatRetention(d time.Duration) string {
	day := 24 * time.Hour
	switch {
	case d <= 0:
		return "never"
	case d%(365*day) == 0:
		return fmt.Sprintf("%dy", d/(365*day))
	case d%(30*day) == 0:
		return fmt.Sprintf("%dmo", d/(30*day))
	case d%day == 0:
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}

// ParseRetention reads --purge-after: "1y", "18mo", "6m" (months),
// "90d", "2w", a Go duration, or "never"/"0" for no purge.
func ParseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "never" || s == "0" {
		return 0, nil
	}
	day := 24 * time.Hour
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"mo", 30 * day}, {"y", 365 * day}, {"m", 30 * day}, {"w", 7 * day}, {"d", day}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			var n int
			if _, err := fmt.Sscanf(num, "%d", &n); err == nil && n > 0 && fmt.Sprint(n) == num {
				return time.Duration(n) * u.unit, nil
			}
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("invalid retention %q: use e.g. 1y, 18mo, 90d or never", s)
}
