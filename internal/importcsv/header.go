package importcsv

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// field is a column Sésame knows about.
type field int

const (
	fieldIdentifier field = iota
	fieldLastName
	fieldFirstName
	fieldEmail
	fieldLang
	numFields
)

// fieldNames names each field in messages: the French header first, since
// that is what the school's IT person wrote or will write.
var fieldNames = [numFields]string{
	fieldIdentifier: "Identifiant (identifier)",
	fieldLastName:   "Nom (last name)",
	fieldFirstName:  "Prénom (first name)",
	fieldEmail:      "E-mail",
	fieldLang:       "Langue (language)",
}

// headerAliases maps folded header names (see foldHeader) to fields. Exports
// name the same column in many ways, French and English; the list stays
// short so that an unrelated column ("Nom de l'élève", "ID") is never taken
// for a parent's.
var headerAliases = map[string]field{
	"identifiant": fieldIdentifier,
	"identifier":  fieldIdentifier,
	// ENT and school-records exports often call the sign-in name "login".
	"login": fieldIdentifier,

	"nom":          fieldLastName,
	"lastname":     fieldLastName,
	"nomdefamille": fieldLastName,
	"surname":      fieldLastName,

	"prenom":    fieldFirstName,
	"firstname": fieldFirstName,

	"email":           fieldEmail,
	"courriel":        fieldEmail,
	"mail":            fieldEmail,
	"adresseemail":    fieldEmail,
	"adressemail":     fieldEmail,
	"adressecourriel": fieldEmail,

	"langue":   fieldLang,
	"language": fieldLang,
	"lang":     fieldLang,
}

// foldHeader reduces a header cell to the form used in headerAliases, so
// that "Prénom", "PRENOM", "first_name" and "First Name" all match.
func foldHeader(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), unicode.IsSpace(r), r == '-', r == '_':
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// columns maps each field to its index in a record, -1 when absent.
type columns [numFields]int

// readHeader reads records until the first non-blank one, which must be the
// header, and maps its cells to fields.
func readHeader(cr *csv.Reader, res *Result) (cols columns, width int, err error) {
	for i := range cols {
		cols[i] = -1
	}
	var rec []string
	for {
		rec, err = cr.Read()
		if err == io.EOF {
			return cols, 0, ErrEmpty
		}
		if err != nil {
			return cols, 0, fmt.Errorf("%w (%w)", ErrNoHeader, err)
		}
		if !blank(rec) {
			break
		}
	}
	found := make([]string, 0, len(rec))
	known := 0
	for i, cell := range rec {
		cell = strings.TrimSpace(cell)
		if cell == "" {
			continue
		}
		found = append(found, cell)
		f, ok := headerAliases[foldHeader(cell)]
		if !ok {
			res.IgnoredColumns = append(res.IgnoredColumns, cell)
			continue
		}
		if j := cols[f]; j >= 0 {
			return cols, 0, fmt.Errorf("%w: %s and %s both mean %s", ErrDuplicateColumn,
				quote(strings.TrimSpace(rec[j])), quote(cell), fieldNames[f])
		}
		cols[f] = i
		known++
	}
	if known == 0 {
		return cols, 0, fmt.Errorf("%w; found: %s", ErrNoHeader, quoteAll(found))
	}
	var missing []string
	for _, f := range []field{fieldLastName, fieldFirstName, fieldEmail} {
		if cols[f] < 0 {
			missing = append(missing, fieldNames[f])
		}
	}
	if missing != nil {
		return cols, 0, &MissingColumnError{Missing: missing, Found: found}
	}
	return cols, len(rec), nil
}
