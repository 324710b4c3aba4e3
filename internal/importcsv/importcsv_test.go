package importcsv_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding/charmap"

	"sesame/internal/identity"
	"sesame/internal/importcsv"
)

// cp1252 encodes s as French Excel would save it.
func cp1252(t testing.TB, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encoding %q to Windows-1252: %v", s, err)
	}
	return b
}

// parse parses input and fails the test on a file-level error.
func parse(t *testing.T, input []byte) *importcsv.Result {
	t.Helper()
	res, err := importcsv.Parse(bytes.NewReader(input))
	if err != nil {
		t.Fatalf("Parse: unexpected error: %v", err)
	}
	return res
}

// checkResult compares every exported field of a Result.
func checkResult(t *testing.T, got, want *importcsv.Result) {
	t.Helper()
	if got.Encoding != want.Encoding {
		t.Errorf("Encoding = %q, want %q", got.Encoding, want.Encoding)
	}
	if got.Delimiter != want.Delimiter {
		t.Errorf("Delimiter = %q, want %q", got.Delimiter, want.Delimiter)
	}
	if !reflect.DeepEqual(got.IgnoredColumns, want.IgnoredColumns) {
		t.Errorf("IgnoredColumns = %q, want %q", got.IgnoredColumns, want.IgnoredColumns)
	}
	if len(got.Rows) != len(want.Rows) {
		t.Errorf("got %d rows, want %d:\n got  %+v\n want %+v", len(got.Rows), len(want.Rows), got.Rows, want.Rows)
	} else {
		for i := range got.Rows {
			if got.Rows[i] != want.Rows[i] {
				t.Errorf("row %d:\n got  %+v\n want %+v", i, got.Rows[i], want.Rows[i])
			}
		}
	}
	if len(got.Errors) != len(want.Errors) {
		t.Errorf("got %d row errors, want %d:\n got  %+v\n want %+v", len(got.Errors), len(want.Errors), got.Errors, want.Errors)
	} else {
		for i := range got.Errors {
			if got.Errors[i] != want.Errors[i] {
				t.Errorf("row error %d:\n got  %+v\n want %+v", i, got.Errors[i], want.Errors[i])
			}
		}
	}
}

const (
	utf8Enc = importcsv.EncodingUTF8
	cp      = importcsv.EncodingWindows1252
)

func TestParse(t *testing.T) {
	marie := importcsv.Row{Line: 2, Identifier: "dupont.marie", LastName: "Dupont", FirstName: "Marie", Email: "marie.dupont@example.com", Lang: "fr"}
	paul := importcsv.Row{Line: 3, LastName: "Martin", FirstName: "Paul", Email: "paul@example.org", Lang: "en"}
	tests := []struct {
		name  string
		input []byte
		want  importcsv.Result
	}{
		{
			name: "semicolon, French headers",
			input: []byte("Identifiant;Nom;Prénom;E-mail;Langue\n" +
				"dupont.marie;Dupont;Marie;marie.dupont@example.com;fr\n" +
				";Martin;Paul;paul@example.org;en\n"),
			want: importcsv.Result{Rows: []importcsv.Row{marie, paul}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "comma, English headers, CRLF, no final newline",
			input: []byte("Identifier,Last Name,First Name,Email,Language\r\n" +
				"Dupont.Marie,Dupont,Marie,Marie.Dupont@Example.com,French\r\n" +
				",Martin,Paul,paul@example.org,English"),
			want: importcsv.Result{Rows: []importcsv.Row{marie, paul}, Encoding: utf8Enc, Delimiter: ','},
		},
		{
			name: "UTF-8 with BOM",
			input: []byte("\uFEFFNom;Prénom;E-mail\n" +
				"Lefèvre;Chloé;chloe@example.com\n"),
			want: importcsv.Result{Rows: []importcsv.Row{
				{Line: 2, LastName: "Lefèvre", FirstName: "Chloé", Email: "chloe@example.com"},
			}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "Windows-1252 with accents and ligatures",
			input: cp1252(t, "Identifiant;Nom;Prénom;E-mail;Langue\r\n"+
				"loeuillet.gaelle;Lœuillet;Gaëlle;gaelle@example.com;Français\r\n"+
				";Müller;François;f.muller@example.net;ANGLAIS\r\n"+
				";Garçon;Lætitia;l.garcon@example.com;\r\n"),
			want: importcsv.Result{Rows: []importcsv.Row{
				{Line: 2, Identifier: "loeuillet.gaelle", LastName: "Lœuillet", FirstName: "Gaëlle", Email: "gaelle@example.com", Lang: "fr"},
				{Line: 3, LastName: "Müller", FirstName: "François", Email: "f.muller@example.net", Lang: "en"},
				{Line: 4, LastName: "Garçon", FirstName: "Lætitia", Email: "l.garcon@example.com"},
			}, Encoding: cp, Delimiter: ';'},
		},
		{
			name: "headers in any order, case and accents, unknown columns ignored",
			input: []byte("Classe;E_MAIL;PRÉNOM;nom de famille;LANGUE;Login;Téléphone\n" +
				"6eB;marie.dupont@example.com;Marie;Dupont;Fr;dupont.marie;0102030405\n"),
			want: importcsv.Result{Rows: []importcsv.Row{marie}, IgnoredColumns: []string{"Classe", "Téléphone"}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "header variants with spaces, hyphens and underscores",
			input: []byte(" Adresse e-mail ; first-name ;SURNAME; lang ;IDENTIFIANT\n" +
				"marie.dupont@example.com;Marie;Dupont;fr;dupont.marie\n"),
			want: importcsv.Result{Rows: []importcsv.Row{marie}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "more header variants: courriel, prenom without accent, last_name",
			input: []byte("last_name;prenom;Courriel\n" +
				"Dupont;Marie;marie.dupont@example.com\n"),
			want: importcsv.Result{Rows: []importcsv.Row{
				{Line: 2, LastName: "Dupont", FirstName: "Marie", Email: "marie.dupont@example.com"},
			}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name:  "mail header, Windows-1252 header with accent",
			input: cp1252(t, "Mail,Nom,Prénom\n"+"marie.dupont@example.com,Dupont,Marie\n"),
			want: importcsv.Result{Rows: []importcsv.Row{
				{Line: 2, LastName: "Dupont", FirstName: "Marie", Email: "marie.dupont@example.com"},
			}, Encoding: cp, Delimiter: ','},
		},
		{
			// A doubled quote is read as one, and then refused in a name
			// (see package identity), with the name as the file meant it.
			name: "quoted fields holding the delimiter and quotes",
			input: []byte("Nom;Prénom;E-mail\n" +
				"\"Dupont; de la Tour\";Marie;marie@example.com\n" +
				"Martin; \"Paul;Henri\";paul@example.org\n" +
				"Dupont;\"Marie \"\"Mimi\"\"\";marie@example.com\n"),
			want: importcsv.Result{Rows: []importcsv.Row{
				{Line: 2, LastName: "Dupont; de la Tour", FirstName: "Marie", Email: "marie@example.com"},
				{Line: 3, LastName: "Martin", FirstName: "Paul;Henri", Email: "paul@example.org"},
			}, Errors: []importcsv.RowError{
				{Line: 4, Reason: "invalid_first_name", Detail: `first name "Marie \"Mimi\"" contains '"', which has no place in a name`},
			}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "comma file with quoted comma",
			input: []byte("Nom,Prénom,E-mail\n" +
				"\"Martin, Jr\",Paul,paul@example.org\n"),
			want: importcsv.Result{Rows: []importcsv.Row{
				{Line: 2, LastName: "Martin, Jr", FirstName: "Paul", Email: "paul@example.org"},
			}, Encoding: utf8Enc, Delimiter: ','},
		},
		{
			name: "comma in header cell does not beat semicolons",
			input: []byte("Nom;Prénom;E-mail;\"Remarque, libre\"\n" +
				"Dupont;Marie;marie@example.com;rien, merci\n"),
			want: importcsv.Result{Rows: []importcsv.Row{
				{Line: 2, LastName: "Dupont", FirstName: "Marie", Email: "marie@example.com"},
			}, IgnoredColumns: []string{"Remarque, libre"}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "blank lines skipped but counted",
			input: []byte("\n;;\n  \nNom;Prénom;E-mail\n" +
				"\n" +
				"Dupont;Marie;marie@example.com\n" +
				";;\n" +
				"   ;  ; \n" +
				"Martin;Paul;paul@example.org\n" +
				"\n\n"),
			want: importcsv.Result{Rows: []importcsv.Row{
				{Line: 6, LastName: "Dupont", FirstName: "Marie", Email: "marie@example.com"},
				{Line: 9, LastName: "Martin", FirstName: "Paul", Email: "paul@example.org"},
			}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "Mac CR line endings",
			input: []byte("Nom;Prénom;E-mail\r" +
				"Dupont;Marie;marie@example.com\r\r" +
				"Martin;Paul;paul@example.org\r"),
			want: importcsv.Result{Rows: []importcsv.Row{
				{Line: 2, LastName: "Dupont", FirstName: "Marie", Email: "marie@example.com"},
				{Line: 4, LastName: "Martin", FirstName: "Paul", Email: "paul@example.org"},
			}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "names trimmed, spaces collapsed, NFC; e-mail trimmed and lower-cased",
			input: []byte("Nom;Prénom;E-mail;Langue\n" +
				"  Le\u00a0 Goff ;He\u0301le\u0300ne ;  Helene.LeGoff@Example.COM ; \n"),
			want: importcsv.Result{Rows: []importcsv.Row{
				{Line: 2, LastName: "Le Goff", FirstName: "Hélène", Email: "helene.legoff@example.com"},
			}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "shared family e-mail is fine",
			input: []byte("Nom;Prénom;E-mail\n" +
				"Dupont;Marie;famille@example.com\n" +
				"Dupont;Jean;Famille@example.com\n"),
			want: importcsv.Result{Rows: []importcsv.Row{
				{Line: 2, LastName: "Dupont", FirstName: "Marie", Email: "famille@example.com"},
				{Line: 3, LastName: "Dupont", FirstName: "Jean", Email: "famille@example.com"},
			}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name:  "header only",
			input: []byte("Nom;Prénom;E-mail\r\n"),
			want:  importcsv.Result{Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "trailing empty column in header and rows",
			input: []byte("Nom;Prénom;E-mail;\n" +
				"Dupont;Marie;marie@example.com;\n"),
			want: importcsv.Result{Rows: []importcsv.Row{
				{Line: 2, LastName: "Dupont", FirstName: "Marie", Email: "marie@example.com"},
			}, Encoding: utf8Enc, Delimiter: ';'},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResult(t, parse(t, tt.input), &tt.want)
		})
	}
}

func TestParseRowErrors(t *testing.T) {
	const header = "Identifiant;Nom;Prénom;E-mail;Langue\n"
	long := strings.Repeat("é", 101)
	tests := []struct {
		name     string
		input    []byte
		wantRows []importcsv.Row
		want     []importcsv.RowError
	}{
		{
			name:  "missing last name",
			input: []byte(header + "dupont.marie;;Marie;marie@example.com;fr\n"),
			want:  []importcsv.RowError{{Line: 2, Reason: "missing_last_name", Detail: "last name is empty"}},
		},
		{
			name:  "missing first name, after a blank line",
			input: []byte(header + "\n;Dupont; ;marie@example.com;fr\n"),
			want:  []importcsv.RowError{{Line: 3, Reason: "missing_first_name", Detail: "first name is empty"}},
		},
		{
			name:  "missing e-mail",
			input: []byte(header + ";Dupont;Marie;;fr\n"),
			want:  []importcsv.RowError{{Line: 2, Reason: "missing_email", Detail: "e-mail is empty"}},
		},
		{
			name: "invalid e-mails",
			input: []byte(header +
				";Dupont;Marie;marie.dupont.example.com;\n" +
				";Dupont;Marie;Marie Dupont <marie@example.com>;\n" +
				";Dupont;Marie;<marie@example.com>;\n" +
				";Dupont;Marie;marie@gmail;\n" +
				";Dupont;Marie;marie@@example.com;\n" +
				";Dupont;Marie;marie dupont@example.com;\n" +
				";Dupont;Marie;\"marie@example.com\nBcc: x@example.com\";\n" +
				";Dupont;Marie;marie@example.com (maman);\n" +
				";Dupont;Marie;marie@[192.0.2.1];\n"),
			want: []importcsv.RowError{
				{Line: 2, Reason: "invalid_email", Detail: `invalid e-mail "marie.dupont.example.com": not an e-mail address`},
				{Line: 3, Reason: "invalid_email", Detail: `invalid e-mail "Marie Dupont <marie@example.com>": give the bare address, without a name`},
				{Line: 4, Reason: "invalid_email", Detail: `invalid e-mail "<marie@example.com>": give the bare address, without <>, quotes or comments`},
				{Line: 5, Reason: "invalid_email", Detail: `invalid e-mail "marie@gmail": domain has no dot`},
				{Line: 6, Reason: "invalid_email", Detail: `invalid e-mail "marie@@example.com": not an e-mail address`},
				{Line: 7, Reason: "invalid_email", Detail: `invalid e-mail "marie dupont@example.com": contains a space`},
				{Line: 8, Reason: "invalid_email", Detail: `invalid e-mail "marie@example.com\nBcc: x@example.com": contains a control or invisible character`},
				{Line: 10, Reason: "invalid_email", Detail: `invalid e-mail "marie@example.com (maman)": give the bare address, without a name`},
				{Line: 11, Reason: "invalid_email", Detail: `invalid e-mail "marie@[192.0.2.1]": IP addresses are not accepted as domain`},
			},
		},
		{
			name: "invalid identifiers",
			input: []byte(header +
				"é.dupont;Dupont;Marie;marie@example.com;\n" +
				"_dupont;Dupont;Marie;marie@example.com;\n" +
				"m;Dupont;Marie;marie@example.com;\n" +
				"dupont marie;Dupont;Marie;marie@example.com;\n" +
				strings.Repeat("a", 65) + ";Dupont;Marie;marie@example.com;\n"),
			want: []importcsv.RowError{
				{Line: 2, Reason: "invalid_identifier", Detail: `invalid identifier "é.dupont": must start with a letter or a digit`},
				{Line: 3, Reason: "invalid_identifier", Detail: `invalid identifier "_dupont": must start with a letter or a digit`},
				{Line: 4, Reason: "invalid_identifier", Detail: `invalid identifier "m": shorter than 2 characters`},
				{Line: 5, Reason: "invalid_identifier", Detail: `invalid identifier "dupont marie": only letters a-z, digits, '.', '_' and '-' are allowed`},
				{Line: 6, Reason: "invalid_identifier", Detail: `invalid identifier "` + strings.Repeat("a", 60) + `…": longer than 64 characters`},
			},
		},
		{
			name: "duplicate identifier reported on the second occurrence, case-insensitively",
			input: []byte(header +
				"dupont.marie;Dupont;Marie;marie@example.com;\n" +
				"Dupont.Marie;Dupont;Marie-Claire;mc@example.com;\n"),
			wantRows: []importcsv.Row{{Line: 2, Identifier: "dupont.marie", LastName: "Dupont", FirstName: "Marie", Email: "marie@example.com"}},
			want: []importcsv.RowError{
				{Line: 3, Reason: "duplicate_identifier", Detail: `identifier "dupont.marie" already used on line 2`},
			},
		},
		{
			name: "duplicate of an identifier on a rejected row",
			input: []byte(header +
				"dupont.marie;Dupont;Marie;bad;\n" +
				"dupont.marie;Dupont;Marie;marie@example.com;\n"),
			want: []importcsv.RowError{
				{Line: 2, Reason: "invalid_email", Detail: `invalid e-mail "bad": not an e-mail address`},
				{Line: 3, Reason: "duplicate_identifier", Detail: `identifier "dupont.marie" already used on line 2`},
			},
		},
		{
			name:  "invalid language",
			input: []byte(header + ";Dupont;Marie;marie@example.com;de\n"),
			want:  []importcsv.RowError{{Line: 2, Reason: "invalid_language", Detail: `invalid language "de": use fr or en, or leave empty`}},
		},
		{
			name: "control characters in names, line of the record's start",
			input: []byte(header +
				";\"Dupont\nBcc: x@example.com\";Marie;marie@example.com;\n" +
				";Dupont;Ma\x1b[31mrie;marie@example.com;\n" +
				";Du\u202Etnop;Marie;marie@example.com;\n"),
			want: []importcsv.RowError{
				{Line: 2, Reason: "invalid_last_name", Detail: `last name "Dupont\nBcc: x@example.com" contains a control or invisible character`},
				{Line: 4, Reason: "invalid_first_name", Detail: `first name "Ma\x1b[31mrie" contains a control or invisible character`},
				{Line: 5, Reason: "invalid_last_name", Detail: `last name "Du\u202etnop" contains a control or invisible character`},
			},
		},
		{
			name: "names over 100 runes",
			input: []byte(header +
				";" + long + ";Marie;marie@example.com;\n" +
				";Dupont;" + long + ";marie@example.com;\n" +
				";" + strings.Repeat("é", 100) + ";Marie;marie@example.com;\n"),
			wantRows: []importcsv.Row{{Line: 4, LastName: strings.Repeat("é", 100), FirstName: "Marie", Email: "marie@example.com"}},
			want: []importcsv.RowError{
				{Line: 2, Reason: "last_name_too_long", Detail: "last name is 101 characters long, over 100"},
				{Line: 3, Reason: "first_name_too_long", Detail: "first name is 101 characters long, over 100"},
			},
		},
		{
			name: "wrong number of fields",
			input: []byte(header +
				";Dupont;Marie;marie@example.com\n" +
				";Dupont;Marie, Claire;mc@example.com;fr;en\n" +
				";Martin;Paul;paul@example.org;en\n"),
			wantRows: []importcsv.Row{{Line: 4, LastName: "Martin", FirstName: "Paul", Email: "paul@example.org", Lang: "en"}},
			want: []importcsv.RowError{
				{Line: 2, Reason: "wrong_field_count", Detail: `expected 5 cells as in the header, found 4 (a value holding ';' must be quoted)`},
				{Line: 3, Reason: "wrong_field_count", Detail: `expected 5 cells as in the header, found 6 (a value holding ';' must be quoted)`},
			},
		},
		{
			name: "bare quote, then parsing goes on",
			input: []byte(header +
				";Du\"pont;Marie;marie@example.com;\n" +
				";Martin;Paul;paul@example.org;\n"),
			wantRows: []importcsv.Row{{Line: 3, LastName: "Martin", FirstName: "Paul", Email: "paul@example.org"}},
			want: []importcsv.RowError{
				{Line: 2, Reason: "malformed_row", Detail: `malformed CSV at line 2, column 4: bare " in non-quoted-field; a " inside a cell must be doubled ("") and the cell quoted`},
			},
		},
		{
			name: "unclosed quote swallows the rest of the file",
			input: []byte(header +
				";Martin;Paul;paul@example.org;\n" +
				";\"Dupont;Marie;marie@example.com;\n" +
				";Leroy;Anne;anne@example.com;\n"),
			wantRows: []importcsv.Row{{Line: 2, LastName: "Martin", FirstName: "Paul", Email: "paul@example.org"}},
			want: []importcsv.RowError{
				{Line: 3, Reason: "malformed_row", Detail: `malformed CSV at line 4, column 31: extraneous or missing " in quoted-field; a quote opened on line 3 is never closed, so the lines up to 4 were read as one cell`},
			},
		},
		{
			name:  "several problems on one row are all reported",
			input: []byte(header + "-x;;Ma\trie;nope;klingon\n"),
			want: []importcsv.RowError{
				{Line: 2, Reason: "invalid_identifier", Detail: `invalid identifier "-x": must start with a letter or a digit`},
				{Line: 2, Reason: "missing_last_name", Detail: "last name is empty"},
				{Line: 2, Reason: "invalid_first_name", Detail: `first name "Ma\trie" contains a control or invisible character`},
				{Line: 2, Reason: "invalid_email", Detail: `invalid e-mail "nope": not an e-mail address`},
				{Line: 2, Reason: "invalid_language", Detail: `invalid language "klingon": use fr or en, or leave empty`},
			},
		},
		{
			name: "undefined Windows-1252 byte is rejected, not kept",
			input: append(append(cp1252(t, header+";Lefèvre;Chloé;chloe@example.com;\n;Du"), 0x81),
				[]byte("pont;Marie;marie@example.com;\n")...),
			wantRows: []importcsv.Row{{Line: 2, LastName: "Lefèvre", FirstName: "Chloé", Email: "chloe@example.com"}},
			want: []importcsv.RowError{
				{Line: 3, Reason: "invalid_last_name", Detail: "last name \"Du\ufffdpont\" contains a control or invisible character"},
			},
		},
		{
			name: "broken UTF-8 behind a BOM is rejected, not guessed",
			input: append([]byte("\uFEFF"+header+";Lefèvre;Chloé;chloe@example.com;\n;Dupont;Marie;marie"),
				[]byte("\xe9@example.com;\n")...),
			wantRows: []importcsv.Row{{Line: 2, LastName: "Lefèvre", FirstName: "Chloé", Email: "chloe@example.com"}},
			want: []importcsv.RowError{
				{Line: 3, Reason: "invalid_email", Detail: "invalid e-mail \"marie\ufffd@example.com\": contains a control or invisible character"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, tt.input)
			enc := utf8Enc
			if strings.Contains(tt.name, "Windows-1252") {
				enc = cp
			}
			checkResult(t, res, &importcsv.Result{Rows: tt.wantRows, Errors: tt.want, Encoding: enc, Delimiter: ';'})
		})
	}
}

// TestParseNULAfterStart checks that a NUL byte too far in to mark the file
// as binary is still refused in the row holding it.
func TestParseNULAfterStart(t *testing.T) {
	var b strings.Builder
	b.WriteString("Nom;Prénom;E-mail\n")
	var want importcsv.Result
	for i := range 40 {
		b.WriteString("Dupont;Marie;marie@example.com\n")
		want.Rows = append(want.Rows, importcsv.Row{Line: i + 2, LastName: "Dupont", FirstName: "Marie", Email: "marie@example.com"})
	}
	b.WriteString("Dupont;Ma\x00rie;marie@exa\x00mple.com\n")
	want.Errors = []importcsv.RowError{
		{Line: 42, Reason: "invalid_first_name", Detail: `first name "Ma\x00rie" contains a control or invisible character`},
		{Line: 42, Reason: "invalid_email", Detail: `invalid e-mail "marie@exa\x00mple.com": contains a control or invisible character`},
	}
	want.Encoding, want.Delimiter = utf8Enc, ';'
	checkResult(t, parse(t, []byte(b.String())), &want)
}

func TestRowErrorString(t *testing.T) {
	e := importcsv.RowError{Line: 7, Reason: "missing_email", Detail: "e-mail is empty"}
	if got, want := e.String(), "line 7: e-mail is empty"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// endless is a reader that never ends, to test the size limit without
// building a large slice.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func TestParseFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		input   io.Reader
		want    error
		wantMsg string
	}{
		{"empty", strings.NewReader(""), importcsv.ErrEmpty, "importcsv: the file is empty"},
		{"BOM only", strings.NewReader("\uFEFF"), importcsv.ErrEmpty, "importcsv: the file is empty"},
		{"blank lines", strings.NewReader("\r\n  \r\n\n"), importcsv.ErrEmpty, "importcsv: the file is empty"},
		{"empty cells only", strings.NewReader(";;;\n;;;\n"), importcsv.ErrEmpty, "importcsv: the file is empty"},
		{
			"no header", strings.NewReader("Dupont;Marie;marie@example.com\n"), importcsv.ErrNoHeader,
			`importcsv: no header line with column names (expected e.g. Nom;Prénom;E-mail); found: "Dupont", "Marie", "marie@example.com"`,
		},
		{
			"malformed header", strings.NewReader("Nom;Pré\"nom;E-mail\n"), importcsv.ErrNoHeader,
			`importcsv: no header line with column names (expected e.g. Nom;Prénom;E-mail) (parse error on line 1, column 9: bare " in non-quoted-field)`,
		},
		{
			"missing first name and e-mail columns", strings.NewReader("Identifiant;Nom;Mail2\n"), importcsv.ErrMissingColumn,
			`importcsv: required column missing: Prénom (first name), E-mail (columns found: "Identifiant", "Nom", "Mail2")`,
		},
		{
			"missing last name column", strings.NewReader("Prénom,Email\n"), importcsv.ErrMissingColumn,
			`importcsv: required column missing: Nom (last name) (columns found: "Prénom", "Email")`,
		},
		{
			"duplicate column", strings.NewReader("Nom;Prénom;E-mail;Nom de famille\n"), importcsv.ErrDuplicateColumn,
			`importcsv: two columns have the same meaning: "Nom" and "Nom de famille" both mean Nom (last name)`,
		},
		{
			"xlsx workbook", strings.NewReader("PK\x03\x04\x14\x00\x06\x00"), importcsv.ErrNotText,
			`importcsv: not a CSV text file (Excel workbook or UTF-16 text?); in Excel, use "Save as" with "CSV (semicolon delimited)" or "CSV UTF-8"`,
		},
		{
			"UTF-16 text", strings.NewReader("\xff\xfeN\x00o\x00m\x00"), importcsv.ErrNotText,
			`importcsv: not a CSV text file (Excel workbook or UTF-16 text?); in Excel, use "Save as" with "CSV (semicolon delimited)" or "CSV UTF-8"`,
		},
		{"too large", endless{}, importcsv.ErrTooLarge, "importcsv: file too large: over 10 MiB"},
		{
			"unreadable", iotest.ErrReader(errors.New("disk on fire")), importcsv.ErrUnreadable,
			"importcsv: cannot read the file: disk on fire",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := importcsv.Parse(tt.input)
			if res != nil {
				t.Errorf("Parse returned a result along with the error: %+v", res)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse error = %v, want %v", err, tt.want)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("Parse error message:\n got  %s\n want %s", err, tt.wantMsg)
			}
		})
	}
}

func TestMissingColumnError(t *testing.T) {
	_, err := importcsv.Parse(strings.NewReader("Nom;Courriel;Classe\n"))
	var mce *importcsv.MissingColumnError
	if !errors.As(err, &mce) {
		t.Fatalf("Parse error = %v, want a *MissingColumnError", err)
	}
	if want := []string{"Prénom (first name)"}; !reflect.DeepEqual(mce.Missing, want) {
		t.Errorf("Missing = %q, want %q", mce.Missing, want)
	}
	if want := []string{"Nom", "Courriel", "Classe"}; !reflect.DeepEqual(mce.Found, want) {
		t.Errorf("Found = %q, want %q", mce.Found, want)
	}
}

func TestAssignIdentifiers(t *testing.T) {
	input := "Identifiant;Nom;Prénom;E-mail\n" +
		"dupont.marie;Dupont;Marie;marie@example.com\n" + // 2: explicit
		";Dupont;Marie;marie2@example.com\n" + // 3: same names, no identifier
		";Dupont;Marie;marie3@example.com\n" + // 4: and again
		";Martin;Paul;paul@example.org\n" + // 5: martin.paul is in the store
		"leroy.anne;Leroy;Anne;bad\n" + // 6: rejected, but its identifier is kept
		";Leroy;Anne;anne@example.com\n" + // 7
		";Lefèvre;Chloé;chloe@example.com\n" + // 8: before the explicit one below
		"lefevre.chloe;Lefèvre;Chloé;chloe2@example.com\n" // 9
	res := parse(t, []byte(input))
	var asked []string
	res.AssignIdentifiers(func(id string) bool {
		asked = append(asked, id)
		return id == "martin.paul"
	})
	want := &importcsv.Result{
		Rows: []importcsv.Row{
			{Line: 2, Identifier: "dupont.marie", LastName: "Dupont", FirstName: "Marie", Email: "marie@example.com"},
			{Line: 3, Identifier: "dupont.marie2", LastName: "Dupont", FirstName: "Marie", Email: "marie2@example.com"},
			{Line: 4, Identifier: "dupont.marie3", LastName: "Dupont", FirstName: "Marie", Email: "marie3@example.com"},
			{Line: 5, Identifier: "martin.paul2", LastName: "Martin", FirstName: "Paul", Email: "paul@example.org"},
			{Line: 7, Identifier: "leroy.anne2", LastName: "Leroy", FirstName: "Anne", Email: "anne@example.com"},
			{Line: 8, Identifier: "lefevre.chloe2", LastName: "Lefèvre", FirstName: "Chloé", Email: "chloe@example.com"},
			{Line: 9, Identifier: "lefevre.chloe", LastName: "Lefèvre", FirstName: "Chloé", Email: "chloe2@example.com"},
		},
		Errors: []importcsv.RowError{
			{Line: 6, Reason: "invalid_email", Detail: `invalid e-mail "bad": not an e-mail address`},
		},
		Encoding:  utf8Enc,
		Delimiter: ';',
	}
	checkResult(t, res, want)
	// The store is only asked about identifiers the file does not hold.
	wantAsked := []string{"dupont.marie2", "dupont.marie3", "martin.paul", "martin.paul2", "leroy.anne2", "lefevre.chloe2"}
	if !reflect.DeepEqual(asked, wantAsked) {
		t.Errorf("taken called with %q, want %q", asked, wantAsked)
	}

	// A Result built by hand, without Parse, works too, with a nil taken.
	hand := &importcsv.Result{Adults: []importcsv.Adult{{LastName: "Dupont", FirstName: "Marie"}, {LastName: "Dupont", FirstName: "Marie"}}}
	hand.AssignIdentifiers(nil)
	if hand.Adults[0].Identifier != "dupont.marie" || hand.Adults[1].Identifier != "dupont.marie2" {
		t.Errorf("AssignIdentifiers(nil) gave %q and %q", hand.Adults[0].Identifier, hand.Adults[1].Identifier)
	}
}

// TestAssignIdentifiersHomonyms checks that many rows with the same names
// get distinct identifiers without numbering from 2 for each one, which
// would take minutes here.
func TestAssignIdentifiersHomonyms(t *testing.T) {
	const n = 50000
	input := "Nom;Prénom;E-mail\n" + strings.Repeat("Dupont;Marie;marie@example.com\n", n)
	res := parse(t, []byte(input))
	if len(res.Rows) != n {
		t.Fatalf("got %d rows, want %d", len(res.Rows), n)
	}
	res.AssignIdentifiers(func(id string) bool { return id == "dupont.marie7" })
	for i, want := range map[int]string{0: "dupont.marie", 1: "dupont.marie2", 5: "dupont.marie6", 6: "dupont.marie8", n - 1: fmt.Sprintf("dupont.marie%d", n+1)} {
		if got := res.Rows[i].Identifier; got != want {
			t.Errorf("row %d identifier = %q, want %q", i, got, want)
		}
	}
}

func TestSampleFile(t *testing.T) {
	data, err := os.ReadFile("testdata/parents-exemple.csv")
	if err != nil {
		t.Fatal(err)
	}
	res := parse(t, data)
	want := &importcsv.Result{
		Rows: []importcsv.Row{
			{Line: 2, Identifier: "dupont.marie", LastName: "Dupont", FirstName: "Marie", Email: "famille.dupont@example.com", Lang: "fr"},
			{Line: 3, Identifier: "dupont.jean", LastName: "Dupont", FirstName: "Jean", Email: "famille.dupont@example.com", Lang: "fr"},
			{Line: 4, LastName: "Lœuillet", FirstName: "Gaëlle", Email: "gaelle.loeuillet@example.com"},
			{Line: 5, Identifier: "ndiaye.aissatou", LastName: "N'Diaye", FirstName: "Aïssatou", Email: "a.ndiaye@example.org", Lang: "en"},
			{Line: 7, Identifier: "muller.francois", LastName: "Müller", FirstName: "François", Email: "f.muller@example.net", Lang: "en"},
		},
		Errors: []importcsv.RowError{
			{Line: 6, Reason: "invalid_email", Detail: `invalid e-mail "herve.legoff.example.com": not an e-mail address`},
		},
		Encoding:  cp,
		Delimiter: ';',
	}
	checkResult(t, res, want)
	res.AssignIdentifiers(nil)
	if got := res.Rows[2].Identifier; got != "loeuillet.gaelle" {
		t.Errorf("generated identifier = %q, want %q", got, "loeuillet.gaelle")
	}
}

var (
	lastNames  = []string{"Dupont", "Lefèvre", "Lœuillet", "Müller", "Le Goff", "N'Diaye", "Garçon", "Bénard", "Château", "Noël"}
	firstNames = []string{"Marie", "Chloé", "Gaëlle", "François", "Hélène", "Jérôme", "Aïssatou", "Zoé", "Anaïs", "Cécile"}
	langs      = []string{"", "fr", "en", "Français", "anglais"}
	wantLangs  = []string{"", "fr", "en", "fr", "en"}
)

// bigRow returns the i-th row of bigFile as Parse should return it.
func bigRow(i int) importcsv.Row {
	r := importcsv.Row{
		Line:      i + 2,
		LastName:  lastNames[i%len(lastNames)],
		FirstName: firstNames[i/len(lastNames)%len(firstNames)],
		// Odd rows share the e-mail of the row before, as two parents of
		// one family often do.
		Email: fmt.Sprintf("famille%04d@example.com", i/2),
		Lang:  wantLangs[i%len(wantLangs)],
	}
	if i%3 != 0 {
		r.Identifier = fmt.Sprintf("parent%04d", i)
	}
	return r
}

// bigFile builds an n-row Windows-1252 ";" file as French Excel saves it.
func bigFile(t testing.TB, n int) []byte {
	var b strings.Builder
	b.WriteString("Identifiant;Nom;Prénom;E-mail;Langue\r\n")
	for i := range n {
		r := bigRow(i)
		id := ""
		if r.Identifier != "" {
			id = strings.ToUpper(r.Identifier[:1]) + r.Identifier[1:]
		}
		fmt.Fprintf(&b, "%s;%s;%s;%s;%s\r\n", id, r.LastName, r.FirstName, strings.ToUpper(r.Email), langs[i%len(langs)])
	}
	return cp1252(t, b.String())
}

func TestParse2000Windows1252(t *testing.T) {
	const n = 2000
	res := parse(t, bigFile(t, n))
	if res.Encoding != cp || res.Delimiter != ';' || res.IgnoredColumns != nil {
		t.Errorf("Encoding, Delimiter, IgnoredColumns = %q, %q, %q", res.Encoding, res.Delimiter, res.IgnoredColumns)
	}
	if len(res.Errors) != 0 {
		t.Fatalf("unexpected row errors: %+v", res.Errors[:min(len(res.Errors), 5)])
	}
	if len(res.Rows) != n {
		t.Fatalf("got %d rows, want %d", len(res.Rows), n)
	}
	for _, i := range []int{0, 1, 2, 3, 4, 5, 997, 1000, n - 1} {
		if want := bigRow(i); res.Rows[i] != want {
			t.Errorf("row %d:\n got  %+v\n want %+v", i, res.Rows[i], want)
		}
	}
	res.AssignIdentifiers(nil)
	seen := make(map[string]int)
	for _, r := range res.Rows {
		if prev, ok := seen[r.Identifier]; ok {
			t.Fatalf("identifier %q on lines %d and %d", r.Identifier, prev, r.Line)
		}
		seen[r.Identifier] = r.Line
	}
	if got := res.Rows[0].Identifier; got != "dupont.marie" {
		t.Errorf("first generated identifier = %q, want dupont.marie", got)
	}
	if got := res.Rows[3].Identifier; got != "muller.marie" {
		t.Errorf("row 3 generated identifier = %q, want muller.marie", got)
	}
}

func BenchmarkParse2000(b *testing.B) {
	data := bigFile(b, 2000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := importcsv.Parse(bytes.NewReader(data))
		if err != nil || len(res.Rows) != 2000 {
			b.Fatalf("Parse: %d rows, %v", len(res.Rows), err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("Identifiant;Nom;Prénom;E-mail;Langue\ndupont.marie;Dupont;Marie;marie@example.com;fr\n"))
	f.Add([]byte("Identifier,Last Name,First Name,Email\r\n,\"Martin, Jr\",Paul,paul@example.org\r\n"))
	f.Add([]byte("\uFEFFNom;Prénom;E-mail\n\n;;\nDu\"pont;Marie;x\n\"open;a;b\n"))
	f.Add([]byte("Nom;Prénom;E-mail\r;Marie;a@b.c\r\r"))
	f.Add([]byte("Nom;Prénom;E-mail;Identifiant\nA;B;a@b.co;xx\nA;B;a@b.co;XX\nA;B;a@b.co;x\n"))
	f.Add(cp1252(f, "Nom;Prénom;Courriel;Langue\nLœuillet;Gaëlle;g@example.com;Français\n"))
	f.Add([]byte("Nom;Nom;E-mail\n"))
	f.Add([]byte(""))
	if data, err := os.ReadFile("testdata/parents-exemple.csv"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := importcsv.Parse(bytes.NewReader(data))
		if err != nil {
			if res != nil {
				t.Fatalf("result along with error %v", err)
			}
			return
		}
		prev := 0
		for _, e := range res.Errors {
			if e.Line < 2 || e.Line < prev {
				t.Fatalf("row error line %d (previous %d): %+v", e.Line, prev, e)
			}
			if e.Reason == "" || e.Detail == "" {
				t.Fatalf("row error without reason or detail: %+v", e)
			}
			prev = e.Line
		}
		for _, r := range res.Rows {
			if r.Line < 2 {
				t.Fatalf("row line %d: %+v", r.Line, r)
			}
			if e, err := identity.NormalizeEmail(r.Email); err != nil || e != r.Email {
				t.Fatalf("row e-mail %q not normalised: %q, %v", r.Email, e, err)
			}
			if r.LastName == "" || r.FirstName == "" {
				t.Fatalf("row with an empty name: %+v", r)
			}
			if r.Lang != "" && r.Lang != "fr" && r.Lang != "en" {
				t.Fatalf("row language %q", r.Lang)
			}
		}
		res.AssignIdentifiers(nil)
		seen := make(map[string]bool)
		for _, r := range res.Rows {
			if id, err := identity.NormalizeIdentifier(r.Identifier); err != nil || id != r.Identifier {
				t.Fatalf("identifier %q invalid: %v", r.Identifier, err)
			}
			if seen[r.Identifier] {
				t.Fatalf("identifier %q given twice", r.Identifier)
			}
			seen[r.Identifier] = true
		}
	})
}
