package importcsv

import (
	"encoding/csv"
	"errors"
	"fmt"
	"strings"

	"sesame/internal/identity"
)

// Length limits of the free-text cells, in characters. Real values are
// far shorter; a longer one is a misplaced column.
const (
	maxCivility    = 20
	maxPhone       = 30
	maxClass       = 40
	maxPupilNumber = 40
)

// parser holds the state of one Parse call past the header.
type parser struct {
	res *Result
	l   *layout
	d   *decoded

	errs, warns capped
	// failed is set by fail: the current line is rejected.
	failed bool

	// ids maps each identifier met so far, on accepted lines or not, to
	// the first line and person it was given to, for duplicate_identifier.
	ids map[string]idUse
	// byID and byPerson find the Adult an accepted line's adult merges
	// into: by identifier, else by person key (see person.key).
	byID, byPerson map[string]int
	// children holds, for each adult index, the keys of the pupils
	// already linked to it.
	children map[childLink]bool
}

// idUse is where an identifier was first seen.
type idUse struct {
	line   int
	person string
}

// childLink is one adult (by index in Result.Adults) and one pupil key.
type childLink struct {
	adult int
	pupil string
}

// person is one adult read from a line, not yet merged.
type person struct {
	who                                                   role
	identifier, civility, last, first, email, phone, lang string
	// key is the folded last and first names and the e-mail: the same
	// key on two lines is the same adult. An adult named by e-mail only
	// has empty names, so the e-mail alone decides.
	key string
}

func newParser(res *Result, l *layout, d *decoded) *parser {
	res.reserved = make(map[string]bool)
	return &parser{
		res: res, l: l, d: d,
		errs:     capped{list: &res.Errors, max: maxErrors, maxBytes: maxErrorBytes},
		warns:    capped{list: &res.Warnings, max: maxWarnings, maxBytes: maxWarningBytes},
		ids:      make(map[string]idUse),
		byID:     make(map[string]int),
		byPerson: make(map[string]int),
		children: make(map[childLink]bool),
	}
}

// fail records a problem with the line, which is then rejected.
func (p *parser) fail(line int, reason, format string, args ...any) {
	p.failed = true
	p.errs.add(RowError{Line: line, Reason: reason, Detail: fmt.Sprintf(format, args...)})
}

// warn records a problem that does not reject the line.
func (p *parser) warn(line int, reason, format string, args ...any) {
	p.warns.add(RowError{Line: line, Reason: reason, Detail: fmt.Sprintf(format, args...)})
}

// finish closes the lists of problems.
func (p *parser) finish() {
	p.errs.finish("problems")
	p.warns.finish("warnings")
}

// malformed records a record that encoding/csv could not split into cells.
func (p *parser) malformed(perr *csv.ParseError) {
	detail := fmt.Sprintf("malformed CSV at line %d, column %d: %v", perr.Line, perr.Column, perr.Err)
	if errors.Is(perr.Err, csv.ErrBareQuote) {
		detail += `; a " inside a cell must be doubled ("") and the cell quoted`
	} else if perr.Line > perr.StartLine {
		// An unclosed quote swallows every following line into one cell;
		// saying so explains why later rows are missing from the result.
		detail += fmt.Sprintf("; a quote opened on line %d is never closed, so the lines up to %d were read as one cell", perr.StartLine, perr.Line)
	}
	p.errs.add(RowError{Line: perr.StartLine, Reason: ReasonMalformedRow, Detail: detail})
}

// cell returns the trimmed value of the column in rec, or "" when the
// file has no such column.
func (p *parser) cell(rec []string, r role, a attr) string {
	if i := p.l.col[r][a]; i >= 0 {
		return strings.TrimSpace(rec[i])
	}
	return ""
}

// present reports whether any cell of r's columns holds something.
func (p *parser) present(rec []string, r role) bool {
	for a := range numAttrs {
		if p.cell(rec, r, a) != "" {
			return true
		}
	}
	return false
}

// record checks the record that starts on line start and ends on line
// end, and merges its adults and pupil into the result or reports its
// problems. Every problem of the line is reported, not just the first, so
// that the file can be fixed in one pass.
func (p *parser) record(start, end int, rec []string) {
	p.res.Lines++
	// A different count means the cells may be shifted (most often an
	// unquoted value holding the delimiter); reading them anyway could put
	// an e-mail in the first-name column, so the line is not checked further.
	if len(rec) != p.l.width {
		p.fail(start, ReasonWrongFieldCount, "expected %d cells as in the header, found %d (a value holding %q must be quoted)",
			p.l.width, len(rec), p.res.Delimiter)
		return
	}
	if b, ok := p.d.firstBad(start, end); ok {
		// The cells may be mojibake: none is read, but the identifiers,
		// plain ASCII, stay reserved until the line is fixed.
		for r := range numRoles {
			if id, err := identity.NormalizeIdentifier(p.cell(rec, r, attrIdentifier)); err == nil {
				p.res.reserved[id] = true
			}
		}
		p.fail(b.line, ReasonInvalidEncoding, "%s", b.detail)
		return
	}
	p.failed = false
	line := start
	var adults []person
	var pupil *Pupil
	switch p.l.shape {
	case ShapeAdults:
		adults = append(adults, p.person(line, rec, roleAdult))
	case ShapeAdultPupil:
		adults = append(adults, p.person(line, rec, roleAdult))
		pupil = p.pupil(line, rec, false)
	case ShapePupilResponsibles:
		pupil = p.pupil(line, rec, true)
		for _, r := range []role{roleResp1, roleResp2} {
			// An empty responsible adult 2 is the common case of a
			// pupil with one known adult.
			if p.present(rec, r) {
				adults = append(adults, p.person(line, rec, r))
			}
		}
	}
	for _, a := range adults {
		if a.identifier == "" {
			continue
		}
		u, ok := p.ids[a.identifier]
		switch {
		case !ok:
			p.ids[a.identifier] = idUse{line, a.key}
		case u.person != a.key:
			p.fail(line, ReasonDuplicateIdentifier, "%sidentifier %s already used on line %d for a different name or e-mail",
				whose(a.who), quote(a.identifier), u.line)
		}
	}
	if p.failed {
		return
	}
	if pupil != nil && len(adults) == 0 && p.l.shape == ShapePupilResponsibles {
		p.warn(line, ReasonNoResponsible, "pupil %s %s has no responsible adult: no account is linked to them",
			pupil.FirstName, pupil.LastName)
	}
	for _, a := range adults {
		p.merge(line, a, pupil)
	}
}

// whose starts a message about r's cells.
func whose(r role) string {
	switch r {
	case roleResp1, roleResp2:
		return fmt.Sprintf("responsible adult %d: ", r-roleResp1+1)
	}
	return ""
}

// person reads and checks one adult of a line.
func (p *parser) person(line int, rec []string, r role) person {
	pre := whose(r)
	a := person{who: r}
	if v := p.cell(rec, r, attrIdentifier); v != "" {
		if id, err := identity.NormalizeIdentifier(v); err != nil {
			p.fail(line, ReasonInvalidIdentifier, "%sinvalid identifier %s: %s", pre, quote(v), identity.Reason(err))
		} else {
			a.identifier = id
			p.res.reserved[id] = true
		}
	}
	if v := p.cell(rec, r, attrCivility); v != "" {
		c, err := normalizeCivility(v)
		if err != nil {
			p.fail(line, ReasonInvalidCivility, "%sinvalid civility %s: %s", pre, quote(v), identity.Reason(err))
		}
		a.civility = c
	}
	rawLast, rawFirst := p.cell(rec, r, attrLastName), p.cell(rec, r, attrFirstName)
	if p.l.has(r, attrLastName) {
		a.last = p.name(line, rawLast, pre+"last name", ReasonMissingLastName, ReasonInvalidLastName, ReasonLastNameTooLong)
		a.first = p.name(line, rawFirst, pre+"first name", ReasonMissingFirstName, ReasonInvalidFirstName, ReasonFirstNameTooLong)
	}
	keyEmail := ""
	switch v := p.cell(rec, r, attrEmail); {
	case v == "":
		if !p.l.has(r, attrLastName) {
			// Named by nothing else: there is no one to import.
			p.fail(line, ReasonMissingEmail, "%se-mail is empty, and the file gives no name", pre)
		}
	case twoEmails(v):
		p.fail(line, ReasonTwoEmails, "%stwo e-mail addresses in one cell %s: %s", pre, quote(v), twoEmailsAdvice(r))
		keyEmail = strings.ToLower(v)
	default:
		e, err := identity.NormalizeEmail(v)
		if err != nil {
			p.fail(line, ReasonInvalidEmail, "%sinvalid e-mail %s: %s", pre, quote(v), identity.Reason(err))
			keyEmail = strings.ToLower(v)
		} else {
			a.email, keyEmail = e, e
		}
	}
	if v := p.cell(rec, r, attrPhone); v != "" {
		ph, err := identity.CleanText(v, maxPhone)
		if err != nil {
			p.fail(line, ReasonInvalidPhone, "%sinvalid phone %s: %s", pre, quote(v), identity.Reason(err))
		}
		a.phone = ph
	}
	if v := p.cell(rec, r, attrLang); v != "" {
		if l, ok := normalizeLang(v); ok {
			a.lang = l
		} else {
			p.warn(line, ReasonInvalidLanguage, "%sunknown language %s: the default language is kept (fr or en are understood)", pre, quote(v))
		}
	}
	// From the raw cells, so that a rejected line's adult can still be
	// compared with another line's by duplicate_identifier. FoldName
	// gives the same for a raw and a normalised name.
	a.key = identity.FoldName(rawLast) + "\x00" + identity.FoldName(rawFirst) + "\x00" + keyEmail
	return a
}

// twoEmails reports whether a cell holds more than one address, split by
// what people put between two: "a@x.fr; b@y.fr", "a@x.fr, b@y.fr",
// "a@x.fr / b@y.fr", "a@x.fr et b@y.fr".
func twoEmails(v string) bool {
	if strings.Count(v, "@") < 2 {
		return false
	}
	n := 0
	for _, f := range strings.FieldsFunc(v, func(r rune) bool {
		return r == ';' || r == ',' || r == '/' || r == '|' || r == ' ' || r == '\t' || r == '\n' || r == '\u00a0'
	}) {
		if strings.Contains(f, "@") {
			n++
		}
	}
	return n >= 2
}

// twoEmailsAdvice says what to do with a second address, depending on
// where it was found.
func twoEmailsAdvice(r role) string {
	switch r {
	case roleResp1:
		return "keep one address per cell, and put the other adult in the columns of responsible adult 2"
	case roleResp2:
		return "keep one address per cell: each adult has their own"
	}
	return "keep one address per cell, and give the other adult a line of their own"
}

// pupil reads and checks the pupil of a line. In shape 2 a line may name
// no pupil (an adult without children at the school): it returns nil.
func (p *parser) pupil(line int, rec []string, required bool) *Pupil {
	if !required && !p.present(rec, rolePupil) {
		return nil
	}
	var pu Pupil
	pu.LastName = p.name(line, p.cell(rec, rolePupil, attrLastName), "pupil's last name",
		ReasonMissingPupilName, ReasonInvalidPupilName, ReasonInvalidPupilName)
	pu.FirstName = p.name(line, p.cell(rec, rolePupil, attrFirstName), "pupil's first name",
		ReasonMissingPupilName, ReasonInvalidPupilName, ReasonInvalidPupilName)
	if v := p.cell(rec, rolePupil, attrClass); v != "" {
		c, err := identity.CleanText(v, maxClass)
		if err != nil {
			p.fail(line, ReasonInvalidClass, "invalid class %s: %s", quote(v), identity.Reason(err))
		}
		pu.Class = c
	}
	pu.Key = "name:" + identity.FoldName(pu.LastName) + "|" + identity.FoldName(pu.FirstName)
	if v := p.cell(rec, rolePupil, attrPupilNumber); v != "" {
		n, err := identity.CleanText(v, maxPupilNumber)
		if err != nil {
			p.fail(line, ReasonInvalidPupilNumber, "invalid pupil number %s: %s", quote(v), identity.Reason(err))
		}
		// Pupil numbers (INE) are letters and digits; case and spacing
		// vary between exports.
		pu.Key = "id:" + strings.ToUpper(strings.ReplaceAll(n, " ", ""))
	}
	return &pu
}

// name checks a last or first name and returns its clean form.
func (p *parser) name(line int, v, what, missing, invalid, tooLong string) string {
	if v == "" {
		p.fail(line, missing, "%s is empty", what)
		return ""
	}
	n, err := identity.NormalizeName(v)
	var ie *identity.Error
	switch {
	case errors.As(err, &ie) && ie.Limit > 0:
		p.fail(line, tooLong, "%s is %s", what, ie.Reason)
	case err != nil:
		p.fail(line, invalid, "%s %s %s", what, quote(v), identity.Reason(err))
	}
	return n
}

// merge adds an adult of an accepted line to the result: to the Adult
// with the same identifier or person key, or as a new one.
func (p *parser) merge(line int, a person, pupil *Pupil) {
	i := p.find(a)
	ad := &p.res.Adults[i]
	if n := len(ad.Lines); n == 0 || ad.Lines[n-1] != line {
		ad.Lines = append(ad.Lines, line)
	}
	// The first line that says something wins: a later line that says
	// otherwise is most often an older record of the same person.
	if ad.Civility == "" {
		ad.Civility = a.civility
	}
	if ad.Phone == "" {
		ad.Phone = a.phone
	}
	if ad.Lang == "" {
		ad.Lang = a.lang
	}
	if pupil != nil {
		k := childLink{i, pupil.Key}
		if !p.children[k] {
			p.children[k] = true
			ad.Children = append(ad.Children, *pupil)
		}
	}
}

// find returns the index in Result.Adults of the adult a merges into,
// adding one if needed.
func (p *parser) find(a person) int {
	if a.identifier != "" {
		if i, ok := p.byID[a.identifier]; ok {
			return i
		}
		// The same person seen before without an identifier: the
		// identifier is theirs.
		if i, ok := p.byPerson[a.key]; ok && p.res.Adults[i].Identifier == "" {
			p.res.Adults[i].Identifier = a.identifier
			p.byID[a.identifier] = i
			return i
		}
	} else if i, ok := p.byPerson[a.key]; ok {
		return i
	}
	i := len(p.res.Adults)
	p.res.Adults = append(p.res.Adults, Adult{Identifier: a.identifier, LastName: a.last, FirstName: a.first, Email: a.email})
	if a.identifier != "" {
		p.byID[a.identifier] = i
	}
	if _, ok := p.byPerson[a.key]; !ok {
		p.byPerson[a.key] = i
	}
	return i
}

// normalizeCivility reads the usual ways of writing Monsieur and Madame
// as "M." and "Mme", and keeps any other civility as written.
func normalizeCivility(v string) (string, error) {
	// Checked first: folding drops the control characters it must refuse.
	c, err := identity.CleanText(v, maxCivility)
	if err != nil {
		return "", err
	}
	switch foldHeader(c) {
	case "m", "mr", "monsieur":
		return "M.", nil
	case "mme", "madame", "mrs", "ms":
		return "Mme", nil
	}
	return c, nil
}

// normalizeLang maps the ways a file may name a language to "fr" or "en".
func normalizeLang(v string) (string, bool) {
	switch foldHeader(v) {
	case "fr", "fra", "fre", "francais", "french":
		return "fr", true
	case "en", "eng", "anglais", "english":
		return "en", true
	}
	return "", false
}
