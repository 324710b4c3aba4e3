// Package importcsv reads the list of parents that a school's IT person
// exports from the school's records, so that Sésame can create their
// accounts.
//
// The files come from many tools, most often French Excel, so Parse is
// forgiving about the shape of the file (UTF-8 or Windows-1252, ";" or ","
// separators, French or English column names in any order) and strict about
// its content: each row is either accepted whole or reported with its line
// number and a stable reason code, so that the person importing can fix the
// file and try again. Nothing is written anywhere: this package only reads
// and checks, and leaves storage to its caller.
package importcsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// MaxFileSize is the largest file Parse accepts, in bytes. A school's parent
// list is a few hundred kilobytes; the limit keeps a wrong file (a database
// dump, a video) from being read whole into memory.
const MaxFileSize = 10 << 20

// Encodings reported in Result.Encoding.
const (
	// EncodingUTF8 is reported for UTF-8 files, with or without a BOM.
	EncodingUTF8 = "UTF-8"
	// EncodingWindows1252 is reported for files that are not valid UTF-8,
	// which are read as French Excel writes them.
	EncodingWindows1252 = "Windows-1252"
)

// File-level errors returned by Parse. Parse wraps them with details, so
// compare with errors.Is.
var (
	// ErrEmpty means the file holds no header and no data, only blank lines
	// or empty cells.
	ErrEmpty = errors.New("importcsv: the file is empty")

	// ErrNoHeader means the first non-blank line is not a header: none of
	// its cells is a known column name, or it could not be parsed.
	ErrNoHeader = errors.New("importcsv: no header line with column names (expected e.g. Nom;Prénom;E-mail)")

	// ErrMissingColumn means the header lacks a required column. The error
	// returned is a *MissingColumnError listing which ones.
	ErrMissingColumn = errors.New("importcsv: required column missing")

	// ErrDuplicateColumn means two header cells name the same field, so
	// Parse cannot know which one holds the right value.
	ErrDuplicateColumn = errors.New("importcsv: two columns have the same meaning")

	// ErrNotText means the file is not a CSV text file: most often an Excel
	// workbook (.xlsx, .xls) renamed or uploaded as is, or a UTF-16 "Unicode
	// text" export.
	ErrNotText = errors.New(`importcsv: not a CSV text file (Excel workbook or UTF-16 text?); in Excel, use "Save as" with "CSV (semicolon delimited)" or "CSV UTF-8"`)

	// ErrTooLarge means the file is over MaxFileSize.
	ErrTooLarge = errors.New("importcsv: file too large")

	// ErrUnreadable means reading the file failed; the underlying error is
	// wrapped too.
	ErrUnreadable = errors.New("importcsv: cannot read the file")
)

// MissingColumnError reports the required columns the header lacks. It
// matches ErrMissingColumn with errors.Is.
type MissingColumnError struct {
	// Missing names each missing column by its usual French header, the
	// one the school's IT person is most likely to recognise, followed by
	// its English meaning: "Prénom (first name)".
	Missing []string
	// Found holds the header cells as written in the file, so that a
	// misspelt column is easy to spot.
	Found []string
}

// Error lists the missing and the found columns.
func (e *MissingColumnError) Error() string {
	return fmt.Sprintf("importcsv: required column missing: %s (columns found: %s)",
		strings.Join(e.Missing, ", "), quoteAll(e.Found))
}

// Is makes errors.Is(err, ErrMissingColumn) true.
func (e *MissingColumnError) Is(target error) bool { return target == ErrMissingColumn }

// Result is what Parse found in a file.
type Result struct {
	// Adults holds the people the file names, merged across lines.
	Adults []Adult
	// Shape is how the file lays out adults and pupils.
	Shape Shape
	// Columns are the header cells used, with their meaning.
	Columns []Column
	// Warnings are problems that do not stop the import (an unknown
	// language kept the default).
	Warnings []RowError
	// Rows holds the valid rows, in file order.
	Rows []Row
	// Errors holds one entry per problem found, in file order; a row with
	// several problems has several entries, so that they can all be fixed
	// in one go. Rows listed here are not in Rows.
	Errors []RowError
	// IgnoredColumns holds the header cells that Parse did not recognise,
	// as written in the file, so the caller can show them: a misspelt
	// optional column would otherwise be silently dropped. They are raw
	// file content: quote them when printing.
	IgnoredColumns []string
	// Encoding is EncodingUTF8 or EncodingWindows1252.
	Encoding string
	// Delimiter is ';' or ','.
	Delimiter rune

	// reserved holds every valid identifier written in the file, including
	// those of rejected rows, so that AssignIdentifiers does not hand one of
	// them to someone else before the rejected row is fixed and imported.
	reserved map[string]int
}

// Row is one valid parent from the file, normalised.
type Row struct {
	// Line is the line of the row in the file, the header being line 1.
	Line int
	// Identifier is the lower-cased sign-in identifier, or empty when the
	// file gave none; see Result.AssignIdentifiers.
	Identifier string
	// LastName and FirstName are trimmed, NFC-normalised, with runs of
	// spaces collapsed.
	LastName  string
	FirstName string
	// Email is the lower-cased bare address. Several parents of one family
	// may share it.
	Email string
	// Lang is "fr", "en" or empty when the file does not say.
	Lang string
}

// RowError is a problem with one row of the file.
type RowError struct {
	// Line is the line of the row in the file, the header being line 1.
	Line int
	// Reason is a stable machine code, one of the Reason constants, for
	// callers that translate or count problems.
	Reason string
	// Detail is a short English explanation for the command line, quoting
	// the offending value.
	Detail string
}

// String formats the error as the command line prints it.
func (e RowError) String() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Detail)
}

// Reason codes of RowError. They are part of the API: callers may match on
// them, so they never change meaning.
const (
	ReasonMalformedRow        = "malformed_row"        // quoting error in the CSV
	ReasonWrongFieldCount     = "wrong_field_count"    // not as many cells as the header
	ReasonMissingLastName     = "missing_last_name"    // last name empty
	ReasonMissingFirstName    = "missing_first_name"   // first name empty
	ReasonMissingEmail        = "missing_email"        // e-mail empty
	ReasonInvalidLastName     = "invalid_last_name"    // control or invisible character
	ReasonInvalidFirstName    = "invalid_first_name"   // control or invisible character
	ReasonLastNameTooLong     = "last_name_too_long"   // over identity.MaxNameLength runes
	ReasonFirstNameTooLong    = "first_name_too_long"  // over identity.MaxNameLength runes
	ReasonInvalidEmail        = "invalid_email"        // see identity.NormalizeEmail
	ReasonInvalidIdentifier   = "invalid_identifier"   // see identity.NormalizeIdentifier
	ReasonDuplicateIdentifier = "duplicate_identifier" // identifier already used above
	ReasonInvalidLanguage     = "invalid_language"     // not fr, en or a known name of them
)

// Parse reads a parents' CSV file. It returns an error only when the file as
// a whole cannot be used (see the Err variables); problems with single rows
// are reported in Result.Errors, so that one bad row does not stop the
// import of the others.
func Parse(r io.Reader) (*Result, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: over %d MiB", ErrTooLarge, MaxFileSize>>20)
	}
	text, enc, err := decode(data)
	if err != nil {
		return nil, err
	}
	// Excel for Mac's "CSV (Macintosh)" ends lines with a lone CR, which
	// encoding/csv would keep inside the last field of one huge line.
	if strings.IndexByte(text, '\r') >= 0 {
		text = strings.ReplaceAll(text, "\r\n", "\n")
		text = strings.ReplaceAll(text, "\r", "\n")
	}
	res := &Result{Encoding: enc, Delimiter: detectDelimiter(text)}

	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = res.Delimiter
	cr.LazyQuotes = false
	cr.FieldsPerRecord = -1    // we report the count ourselves, as a row error
	cr.TrimLeadingSpace = true // lets ` "a;b"` be read as a quoted field
	cr.ReuseRecord = true      // we keep the strings, never the slice

	cols, width, err := readHeader(cr, res)
	if err != nil {
		return nil, err
	}
	p := parser{res: res, cols: cols, width: width, seen: make(map[string]int)}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var perr *csv.ParseError
			if !errors.As(err, &perr) {
				// strings.Reader never fails, so this is a csv bug.
				return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
			}
			p.malformed(perr)
			continue
		}
		if blank(rec) {
			continue
		}
		line, _ := cr.FieldPos(0)
		p.row(line, rec)
	}
	res.reserved = p.seen
	res.adultsFromRows()
	return res, nil
}

// decode turns the file into valid UTF-8 text, guessing its encoding.
func decode(data []byte) (text, enc string, err error) {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) ||
		bytes.IndexByte(data[:min(len(data), 1024)], 0) >= 0 {
		return "", "", ErrNotText
	}
	if b, ok := bytes.CutPrefix(data, []byte("\uFEFF")); ok {
		// The BOM says UTF-8, so trust it: broken bytes become U+FFFD and
		// the rows holding them are rejected, rather than the whole file
		// turned into mojibake by a Windows-1252 reading.
		text = strings.ToValidUTF8(string(b), "\uFFFD")
		enc = EncodingUTF8
	} else if utf8.Valid(data) {
		text, enc = string(data), EncodingUTF8
	} else {
		// French Excel's "CSV (séparateur: point-virgule)" writes the
		// Windows code page. Its few undefined bytes decode to U+FFFD,
		// which the row checks reject.
		b, err := charmap.Windows1252.NewDecoder().Bytes(data)
		if err != nil {
			return "", "", fmt.Errorf("%w: %w", ErrUnreadable, err)
		}
		text, enc = string(b), EncodingWindows1252
	}
	if strings.TrimSpace(text) == "" {
		return "", "", ErrEmpty
	}
	return text, enc, nil
}

// detectDelimiter picks ';' or ',' by counting them, outside quotes, in the
// first line that has a cell with content. Ties go to ';' because French
// Excel writes it, and because a French header or value may well hold a
// comma but rarely a semicolon.
func detectDelimiter(text string) rune {
	for len(text) > 0 {
		var semi, comma int
		var inQuote, content bool
		i := 0
	scan:
		for ; i < len(text); i++ {
			switch c := text[i]; c {
			case '"':
				inQuote = !inQuote
				content = true
			case ';':
				if !inQuote {
					semi++
				}
			case ',':
				if !inQuote {
					comma++
				}
			case '\n':
				if !inQuote {
					break scan
				}
			case ' ', '\t':
			default:
				content = true
			}
		}
		if content {
			if comma > semi {
				return ','
			}
			return ';'
		}
		if i < len(text) {
			i++
		}
		text = text[i:]
	}
	return ';'
}

// blank reports whether every cell of rec is empty or spaces, as Excel
// writes for rows it once used: ";;;;".
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// quote truncates and quotes a cell for a Detail message. Quoting
// with %q also keeps control characters from reaching the terminal.
func quote(s string) string {
	const max = 60
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// quoteAll quotes each cell for an error message and joins them.
func quoteAll(cells []string) string {
	q := make([]string, len(cells))
	for i, c := range cells {
		q[i] = quote(c)
	}
	return strings.Join(q, ", ")
}
