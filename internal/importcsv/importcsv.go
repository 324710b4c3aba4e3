// Package importcsv reads the list of parents that a school's IT person
// exports from the school's records, so that Sésame can create their
// accounts and link them to their children.
//
// The files come from many tools, most often French Excel, so Parse is
// forgiving about the form of the file (UTF-8 or Windows-1252, ";" or ","
// separators, French or English column names in any order) and about its
// shape, which it recognises from the header: one line per adult, one
// line per adult per pupil, or one line per pupil with responsible adults
// 1 and 2. It is strict about the content: each line is either accepted
// whole or reported with its line number and a stable reason code, so
// that the person importing can fix the file and try again. The same
// adult on several lines is one Adult with all their children. Nothing is
// written anywhere: this package only reads and checks, and leaves
// matching against stored accounts and storage to its caller.
package importcsv

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxFileSize is the largest file Parse accepts, in bytes. A school's parent
// list is a few hundred kilobytes; the limit keeps a wrong file (a database
// dump, a video) from being read whole into memory.
const MaxFileSize = 10 << 20

// Encodings reported in Result.Encoding.
const (
	// EncodingUTF8 is reported for UTF-8 files, with or without a BOM.
	EncodingUTF8 = "UTF-8"
	// EncodingWindows1252 is reported for files that are not mostly
	// valid UTF-8, which are read as French Excel writes them.
	EncodingWindows1252 = "Windows-1252"
)

// File-level errors returned by Parse. Parse wraps them with details, so
// compare with errors.Is.
var (
	// ErrEmpty means the file holds no header and no data, only blank lines
	// or empty cells.
	ErrEmpty = errors.New("importcsv: the file is empty")

	// ErrNoHeader means the first non-blank line is not a header: none of
	// its cells is a known column name, or it could not be parsed. The
	// error returned says what was found and what each shape expects.
	ErrNoHeader = errors.New("importcsv: no header line with column names")

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

// MissingColumnError reports the required columns the header lacks for
// the shape it was recognised as. It matches ErrMissingColumn with
// errors.Is.
type MissingColumnError struct {
	// Shape is the shape the header was recognised as.
	Shape Shape
	// Missing names each missing column by its usual French header, the
	// one the school's IT person is most likely to recognise, followed by
	// its English meaning: "Prénom (first name)", "Courriel resp. 1
	// (e-mail of responsible adult 1)".
	Missing []string
	// Found holds the header cells as written in the file, so that a
	// misspelt column is easy to spot. Error quotes the first few.
	Found []string
}

// Error lists the missing columns, what the shape needs and the columns
// found.
func (e *MissingColumnError) Error() string {
	return fmt.Sprintf("importcsv: required column missing: %s; %s needs %s (columns found: %s)",
		strings.Join(e.Missing, ", "), e.Shape.Describe(), e.Shape.needs(), quoteAll(e.Found))
}

// Is makes errors.Is(err, ErrMissingColumn) true.
func (e *MissingColumnError) Is(target error) bool { return target == ErrMissingColumn }

// Result is what Parse found in a file.
type Result struct {
	// Shape is how the file lays out adults and pupils.
	Shape Shape
	// Columns are the header cells Parse reads, in file order, each with
	// what it reads in it.
	Columns []Column
	// IgnoredColumns holds the header cells that Parse did not read, as
	// written in the file (cut to about 80 characters), so the caller can
	// show them: a misspelt optional column would otherwise be silently
	// dropped. They are raw file content: quote them when printing. At
	// most 50 are listed; MoreIgnoredColumns counts the others.
	IgnoredColumns     []string
	MoreIgnoredColumns int
	// Encoding is EncodingUTF8 or EncodingWindows1252.
	Encoding string
	// Delimiter is ';' or ','.
	Delimiter rune
	// Lines is the number of data lines read after the header, blank
	// lines excepted, accepted or not.
	Lines int

	// Adults holds one entry per distinct adult of the accepted lines, in
	// the order of their first line. See Adult for how lines are merged.
	Adults []Adult
	// Errors holds one entry per problem found, in file order; a line
	// with several problems has several entries, so that they can all be
	// fixed in one go. Lines listed here are rejected whole: nothing of
	// them is in Adults. After about 200 entries (or 8 KB of text) the
	// rest are counted in one last too_many_problems entry.
	Errors []RowError
	// Warnings are problems that do not reject their line (an unknown
	// language, a pupil without a responsible adult), in file order and
	// capped like Errors.
	Warnings []RowError

	// reserved holds every valid identifier written in the file, including
	// those of rejected lines, so that AssignIdentifiers does not hand one
	// of them to someone else before the rejected line is fixed and
	// imported.
	reserved map[string]bool
}

// WithoutEmail lists the adults the file gives no e-mail address for, in
// the order of Adults: they cannot recover a password by e-mail and need
// a letter. It is a method rather than a field so that it always shows
// what Adults holds, identifiers from AssignIdentifiers included.
func (r *Result) WithoutEmail() []Adult {
	var out []Adult
	for _, a := range r.Adults {
		if a.Email == "" {
			out = append(out, a)
		}
	}
	return out
}

// RowError is a problem with one line of the file.
type RowError struct {
	// Line is the line in the file, the header being line 1 (after any
	// blank lines before it).
	Line int
	// Reason is a stable machine code, one of the Reason constants, for
	// callers that translate or count problems.
	Reason string
	// Detail is a short English explanation for the command line, quoting
	// the offending value (cut to about 80 characters).
	Detail string
}

// String formats the error as the command line prints it.
func (e RowError) String() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Detail)
}

// Reason codes of RowError. They are part of the API: callers may match on
// them, so they never change meaning. The names and e-mail reasons of a
// responsible adult are those of an adult; the Detail says which one.
const (
	ReasonMalformedRow        = "malformed_row"        // quoting error in the CSV
	ReasonWrongFieldCount     = "wrong_field_count"    // not as many cells as the header
	ReasonMissingLastName     = "missing_last_name"    // last name empty
	ReasonMissingFirstName    = "missing_first_name"   // first name empty
	ReasonInvalidLastName     = "invalid_last_name"    // control or invisible character
	ReasonInvalidFirstName    = "invalid_first_name"   // control or invisible character
	ReasonLastNameTooLong     = "last_name_too_long"   // over identity.MaxNameLength runes
	ReasonFirstNameTooLong    = "first_name_too_long"  // over identity.MaxNameLength runes
	ReasonInvalidEmail        = "invalid_email"        // see identity.NormalizeEmail
	ReasonInvalidIdentifier   = "invalid_identifier"   // see identity.NormalizeIdentifier
	ReasonDuplicateIdentifier = "duplicate_identifier" // identifier given to another name or e-mail above
	// ReasonInvalidLanguage is a warning: the adult keeps the default
	// language.
	ReasonInvalidLanguage = "invalid_language" // not fr, en or a known name of them
	// ReasonMissingEmail is no longer reported: an adult without an
	// e-mail address is imported and listed by Result.WithoutEmail.
	ReasonMissingEmail = "missing_email"

	ReasonInvalidEncoding    = "invalid_encoding"     // line not valid in the file's encoding
	ReasonTwoEmails          = "two_emails"           // two addresses in one cell
	ReasonInvalidCivility    = "invalid_civility"     // control or invisible character, or too long
	ReasonInvalidPhone       = "invalid_phone"        // control or invisible character, or too long
	ReasonMissingPupilName   = "missing_pupil_name"   // a pupil's last or first name empty
	ReasonInvalidPupilName   = "invalid_pupil_name"   // as invalid_last_name, for a pupil
	ReasonInvalidClass       = "invalid_class"        // control or invisible character, or too long
	ReasonInvalidPupilNumber = "invalid_pupil_number" // control or invisible character, or too long
	ReasonNoResponsible      = "no_responsible"       // warning: a pupil's line names no adult
	ReasonTooManyProblems    = "too_many_problems"    // the last entry, counting those not listed
)

// Parse reads a school's CSV export. It returns an error only when the
// file as a whole cannot be used (see the Err variables); problems with
// single lines are reported in Result.Errors, so that one bad line does
// not stop the import of the others.
func Parse(r io.Reader) (*Result, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: over %d MiB", ErrTooLarge, MaxFileSize>>20)
	}
	d, err := decode(data)
	if err != nil {
		return nil, err
	}
	res := &Result{Encoding: d.enc, Delimiter: detectDelimiter(d.text)}

	cr := csv.NewReader(strings.NewReader(d.text))
	cr.Comma = res.Delimiter
	cr.LazyQuotes = false
	cr.FieldsPerRecord = -1    // we report the count ourselves, as a row error
	cr.TrimLeadingSpace = true // lets ` "a;b"` be read as a quoted field
	cr.ReuseRecord = true      // we keep the strings, never the slice

	l, err := readHeader(cr, res)
	if err != nil {
		return nil, err
	}
	p := newParser(res, l, &d)
	if b, ok := d.firstBad(l.line, l.line); ok {
		p.warn(b.line, ReasonInvalidEncoding, "header: %s", b.detail)
	}
	// lines tracks the line numbers of the records' ends, which
	// encoding/csv does not give: a bad line in the middle of a quoted
	// cell must reject its record too.
	offset := cr.InputOffset()
	line := 1 + strings.Count(d.text[:offset], "\n")
	for {
		rec, err := cr.Read()
		next := cr.InputOffset()
		chunk := d.text[offset:next]
		end := line + strings.Count(strings.TrimSuffix(chunk, "\n"), "\n")
		line += strings.Count(chunk, "\n")
		offset = next
		if err == io.EOF {
			break
		}
		if err != nil {
			var perr *csv.ParseError
			if !errors.As(err, &perr) {
				// strings.Reader never fails, so this is a csv bug.
				return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
			}
			res.Lines++
			p.malformed(perr)
			continue
		}
		if blank(rec) {
			continue
		}
		start, _ := cr.FieldPos(0)
		p.record(start, end, rec)
	}
	p.finish()
	return res, nil
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
