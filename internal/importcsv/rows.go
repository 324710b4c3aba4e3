package importcsv

import (
	"encoding/csv"
	"errors"
	"fmt"
	"strings"

	"sesame/internal/identity"
)

// parser holds the state of one Parse call past the header.
type parser struct {
	res  *Result
	cols columns
	// width is the number of cells in the header, which every record must
	// have.
	width int
	// seen maps each identifier met so far to its line, for
	// duplicate_identifier.
	seen map[string]int
}

// fail records a problem with the row at line.
func (p *parser) fail(line int, reason, format string, args ...any) {
	p.res.Errors = append(p.res.Errors, RowError{Line: line, Reason: reason, Detail: fmt.Sprintf(format, args...)})
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
	p.res.Errors = append(p.res.Errors, RowError{Line: perr.StartLine, Reason: ReasonMalformedRow, Detail: detail})
}

// cell returns the trimmed value of f in rec, or "" when the file has no
// such column.
func (p *parser) cell(rec []string, f field) string {
	if i := p.cols[f]; i >= 0 {
		return strings.TrimSpace(rec[i])
	}
	return ""
}

// row checks one record and adds it to the result or its errors. Every
// problem of the row is reported, not just the first, so that the file can
// be fixed in one pass.
func (p *parser) row(line int, rec []string) {
	// A different count means the cells may be shifted (most often an
	// unquoted value holding the delimiter); reading them anyway could put
	// an e-mail in the first-name column, so the row is not checked further.
	if len(rec) != p.width {
		p.fail(line, ReasonWrongFieldCount, "expected %d cells as in the header, found %d (a value holding %q must be quoted)",
			p.width, len(rec), p.res.Delimiter)
		return
	}
	before := len(p.res.Errors)
	var row Row
	row.Line = line

	if v := p.cell(rec, fieldIdentifier); v != "" {
		id, err := identity.NormalizeIdentifier(v)
		switch {
		case err != nil:
			p.fail(line, ReasonInvalidIdentifier, "invalid identifier %s: %s", quote(v), identity.Reason(err))
		case p.seen[id] != 0:
			p.fail(line, ReasonDuplicateIdentifier, "identifier %s already used on line %d", quote(id), p.seen[id])
		default:
			p.seen[id] = line
			row.Identifier = id
		}
	}
	row.LastName = p.name(line, p.cell(rec, fieldLastName), "last name",
		ReasonMissingLastName, ReasonInvalidLastName, ReasonLastNameTooLong)
	row.FirstName = p.name(line, p.cell(rec, fieldFirstName), "first name",
		ReasonMissingFirstName, ReasonInvalidFirstName, ReasonFirstNameTooLong)

	if v := p.cell(rec, fieldEmail); v == "" {
		p.fail(line, ReasonMissingEmail, "e-mail is empty")
	} else if e, err := identity.NormalizeEmail(v); err != nil {
		p.fail(line, ReasonInvalidEmail, "invalid e-mail %s: %s", quote(v), identity.Reason(err))
	} else {
		row.Email = e
	}

	if v := p.cell(rec, fieldLang); v != "" {
		if l, ok := normalizeLang(v); ok {
			row.Lang = l
		} else {
			p.fail(line, ReasonInvalidLanguage, "invalid language %s: use fr or en, or leave empty", quote(v))
		}
	}

	if len(p.res.Errors) == before {
		p.res.Rows = append(p.res.Rows, row)
	}
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

// normalizeLang maps the ways a file may name a language to "fr" or "en".
func normalizeLang(v string) (string, bool) {
	switch foldHeader(v) {
	case "fr", "francais", "french":
		return "fr", true
	case "en", "anglais", "english":
		return "en", true
	}
	return "", false
}
