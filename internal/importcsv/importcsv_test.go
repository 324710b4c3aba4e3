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
func parse(t testing.TB, input []byte) *importcsv.Result {
	t.Helper()
	res, err := importcsv.Parse(bytes.NewReader(input))
	if err != nil {
		t.Fatalf("Parse: unexpected error: %v", err)
	}
	return res
}

// cols builds the Columns of a Result from "Header=meaning" pairs.
func cols(pairs ...string) []importcsv.Column {
	c := make([]importcsv.Column, len(pairs))
	for i, p := range pairs {
		h, m, ok := strings.Cut(p, "=")
		if !ok {
			panic("cols: no = in " + p)
		}
		c[i] = importcsv.Column{Header: h, Meaning: m}
	}
	return c
}

// checkResult compares every exported field of a Result.
func checkResult(t *testing.T, got, want *importcsv.Result) {
	t.Helper()
	if got.Shape != want.Shape {
		t.Errorf("Shape = %q, want %q", got.Shape, want.Shape)
	}
	if !reflect.DeepEqual(got.Columns, want.Columns) {
		t.Errorf("Columns:\n got  %q\n want %q", got.Columns, want.Columns)
	}
	if got.Encoding != want.Encoding {
		t.Errorf("Encoding = %q, want %q", got.Encoding, want.Encoding)
	}
	if got.Delimiter != want.Delimiter {
		t.Errorf("Delimiter = %q, want %q", got.Delimiter, want.Delimiter)
	}
	if !reflect.DeepEqual(got.IgnoredColumns, want.IgnoredColumns) || got.MoreIgnoredColumns != want.MoreIgnoredColumns {
		t.Errorf("IgnoredColumns = %q + %d, want %q + %d", got.IgnoredColumns, got.MoreIgnoredColumns,
			want.IgnoredColumns, want.MoreIgnoredColumns)
	}
	if got.Lines != want.Lines {
		t.Errorf("Lines = %d, want %d", got.Lines, want.Lines)
	}
	checkAdults(t, got.Adults, want.Adults)
	checkProblems(t, "error", got.Errors, want.Errors)
	checkProblems(t, "warning", got.Warnings, want.Warnings)
}

func checkAdults(t *testing.T, got, want []importcsv.Adult) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d adults, want %d:\n got  %+v\n want %+v", len(got), len(want), got, want)
		return
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("adult %d:\n got  %+v\n want %+v", i, got[i], want[i])
		}
	}
}

func checkProblems(t *testing.T, what string, got, want []importcsv.RowError) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d %ss, want %d:\n got  %+v\n want %+v", len(got), what, len(want), got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s %d:\n got  %+v\n want %+v", what, i, got[i], want[i])
		}
	}
}

const (
	utf8Enc = importcsv.EncodingUTF8
	cp      = importcsv.EncodingWindows1252
	adults  = importcsv.ShapeAdults
)

// The columns of the usual one-line-per-adult header.
var (
	fiveCols = cols("Identifiant=identifier", "Nom=last name", "Prénom=first name", "E-mail=e-mail", "Langue=language")
	nameCols = cols("Nom=last name", "Prénom=first name", "E-mail=e-mail")
)

func TestParse(t *testing.T) {
	marie := importcsv.Adult{Lines: []int{2}, Identifier: "dupont.marie", LastName: "Dupont", FirstName: "Marie", Email: "marie.dupont@example.com", Lang: "fr"}
	paul := importcsv.Adult{Lines: []int{3}, LastName: "Martin", FirstName: "Paul", Email: "paul@example.org", Lang: "en"}
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
			want: importcsv.Result{Shape: adults, Columns: fiveCols, Lines: 2, Adults: []importcsv.Adult{marie, paul}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "comma, English headers, CRLF, no final newline",
			input: []byte("Identifier,Last Name,First Name,Email,Language\r\n" +
				"Dupont.Marie,Dupont,Marie,Marie.Dupont@Example.com,French\r\n" +
				",Martin,Paul,paul@example.org,English"),
			want: importcsv.Result{Shape: adults, Columns: cols("Identifier=identifier", "Last Name=last name", "First Name=first name",
				"Email=e-mail", "Language=language"), Lines: 2, Adults: []importcsv.Adult{marie, paul}, Encoding: utf8Enc, Delimiter: ','},
		},
		{
			name: "UTF-8 with BOM",
			input: []byte("\uFEFFNom;Prénom;E-mail\n" +
				"Lefèvre;Chloé;chloe@example.com\n"),
			want: importcsv.Result{Shape: adults, Columns: nameCols, Lines: 1, Adults: []importcsv.Adult{
				{Lines: []int{2}, LastName: "Lefèvre", FirstName: "Chloé", Email: "chloe@example.com"},
			}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "Windows-1252 with accents and ligatures",
			input: cp1252(t, "Identifiant;Nom;Prénom;E-mail;Langue\r\n"+
				"loeuillet.gaelle;Lœuillet;Gaëlle;gaelle@example.com;Français\r\n"+
				";Müller;François;f.muller@example.net;ANGLAIS\r\n"+
				";Garçon;Lætitia;l.garcon@example.com;\r\n"),
			want: importcsv.Result{Shape: adults, Columns: fiveCols, Lines: 3, Adults: []importcsv.Adult{
				{Lines: []int{2}, Identifier: "loeuillet.gaelle", LastName: "Lœuillet", FirstName: "Gaëlle", Email: "gaelle@example.com", Lang: "fr"},
				{Lines: []int{3}, LastName: "Müller", FirstName: "François", Email: "f.muller@example.net", Lang: "en"},
				{Lines: []int{4}, LastName: "Garçon", FirstName: "Lætitia", Email: "l.garcon@example.com"},
			}, Encoding: cp, Delimiter: ';'},
		},
		{
			name: "headers in any order, case and accents, unknown columns ignored",
			input: []byte("Classe;E_MAIL;PRÉNOM;nom de famille;LANGUE;Login;Téléphone;Observations\n" +
				"6eB;marie.dupont@example.com;Marie;Dupont;Fr;dupont.marie;01 02  03 04 05 ;rien\n"),
			want: importcsv.Result{Shape: adults,
				Columns: cols("E_MAIL=e-mail", "PRÉNOM=first name", "nom de famille=last name", "LANGUE=language", "Login=identifier", "Téléphone=phone"),
				Lines:   1, Adults: []importcsv.Adult{{Lines: []int{2}, Identifier: "dupont.marie", LastName: "Dupont", FirstName: "Marie",
					Email: "marie.dupont@example.com", Phone: "01 02 03 04 05", Lang: "fr"}},
				IgnoredColumns: []string{"Classe", "Observations"}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "header variants with spaces, hyphens and underscores",
			input: []byte(" Adresse e-mail ; first-name ;SURNAME; lang ;IDENTIFIANT\n" +
				"marie.dupont@example.com;Marie;Dupont;fr;dupont.marie\n"),
			want: importcsv.Result{Shape: adults,
				Columns: cols("Adresse e-mail=e-mail", "first-name=first name", "SURNAME=last name", "lang=language", "IDENTIFIANT=identifier"),
				Lines:   1, Adults: []importcsv.Adult{marie}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "more header variants: courriel, prenom without accent, last_name",
			input: []byte("last_name;prenom;Courriel\n" +
				"Dupont;Marie;marie.dupont@example.com\n"),
			want: importcsv.Result{Shape: adults, Columns: cols("last_name=last name", "prenom=first name", "Courriel=e-mail"), Lines: 1,
				Adults:   []importcsv.Adult{{Lines: []int{2}, LastName: "Dupont", FirstName: "Marie", Email: "marie.dupont@example.com"}},
				Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name:  "mail header, Windows-1252 header with accent",
			input: cp1252(t, "Mail,Nom,Prénom\n"+"marie.dupont@example.com,Dupont,Marie\n"),
			want: importcsv.Result{Shape: adults, Columns: cols("Mail=e-mail", "Nom=last name", "Prénom=first name"), Lines: 1,
				Adults:   []importcsv.Adult{{Lines: []int{2}, LastName: "Dupont", FirstName: "Marie", Email: "marie.dupont@example.com"}},
				Encoding: cp, Delimiter: ','},
		},
		{
			// A doubled quote is read as one, and then refused in a name
			// (see package identity), with the name as the file meant it.
			name: "quoted fields holding the delimiter and quotes",
			input: []byte("Nom;Prénom;E-mail\n" +
				"\"Dupont; de la Tour\";Marie;marie@example.com\n" +
				"Martin; \"Paul;Henri\";paul@example.org\n" +
				"Dupont;\"Marie \"\"Mimi\"\"\";marie@example.com\n"),
			want: importcsv.Result{Shape: adults, Columns: nameCols, Lines: 3, Adults: []importcsv.Adult{
				{Lines: []int{2}, LastName: "Dupont; de la Tour", FirstName: "Marie", Email: "marie@example.com"},
				{Lines: []int{3}, LastName: "Martin", FirstName: "Paul;Henri", Email: "paul@example.org"},
			}, Errors: []importcsv.RowError{
				{Line: 4, Reason: "invalid_first_name", Detail: `first name "Marie \"Mimi\"" contains '"', which has no place in a name`},
			}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "comma file with quoted comma",
			input: []byte("Nom,Prénom,E-mail\n" +
				"\"Martin, Jr\",Paul,paul@example.org\n"),
			want: importcsv.Result{Shape: adults, Columns: nameCols, Lines: 1, Adults: []importcsv.Adult{
				{Lines: []int{2}, LastName: "Martin, Jr", FirstName: "Paul", Email: "paul@example.org"},
			}, Encoding: utf8Enc, Delimiter: ','},
		},
		{
			name: "comma in header cell does not beat semicolons",
			input: []byte("Nom;Prénom;E-mail;\"Remarque, libre\"\n" +
				"Dupont;Marie;marie@example.com;rien, merci\n"),
			want: importcsv.Result{Shape: adults, Columns: nameCols, Lines: 1, Adults: []importcsv.Adult{
				{Lines: []int{2}, LastName: "Dupont", FirstName: "Marie", Email: "marie@example.com"},
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
			want: importcsv.Result{Shape: adults, Columns: nameCols, Lines: 2, Adults: []importcsv.Adult{
				{Lines: []int{6}, LastName: "Dupont", FirstName: "Marie", Email: "marie@example.com"},
				{Lines: []int{9}, LastName: "Martin", FirstName: "Paul", Email: "paul@example.org"},
			}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "Mac CR line endings",
			input: []byte("Nom;Prénom;E-mail\r" +
				"Dupont;Marie;marie@example.com\r\r" +
				"Martin;Paul;paul@example.org\r"),
			want: importcsv.Result{Shape: adults, Columns: nameCols, Lines: 2, Adults: []importcsv.Adult{
				{Lines: []int{2}, LastName: "Dupont", FirstName: "Marie", Email: "marie@example.com"},
				{Lines: []int{4}, LastName: "Martin", FirstName: "Paul", Email: "paul@example.org"},
			}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "names trimmed, spaces collapsed, NFC; e-mail trimmed and lower-cased",
			input: []byte("Nom;Prénom;E-mail;Langue\n" +
				"  Le\u00a0 Goff ;He\u0301le\u0300ne ;  Helene.LeGoff@Example.COM ; \n"),
			want: importcsv.Result{Shape: adults, Columns: cols("Nom=last name", "Prénom=first name", "E-mail=e-mail", "Langue=language"),
				Lines: 1, Adults: []importcsv.Adult{
					{Lines: []int{2}, LastName: "Le Goff", FirstName: "Hélène", Email: "helene.legoff@example.com"},
				}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "two adults sharing one address are two adults",
			input: []byte("Nom;Prénom;E-mail\n" +
				"Dupont;Marie;famille@example.com\n" +
				"Dupont;Jean;Famille@example.com\n"),
			want: importcsv.Result{Shape: adults, Columns: nameCols, Lines: 2, Adults: []importcsv.Adult{
				{Lines: []int{2}, LastName: "Dupont", FirstName: "Marie", Email: "famille@example.com"},
				{Lines: []int{3}, LastName: "Dupont", FirstName: "Jean", Email: "famille@example.com"},
			}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "the same adult on two lines is one adult",
			input: []byte("Nom;Prénom;E-mail\n" +
				"Dupont;Hélène;helene@example.com\n" +
				"Martin;Paul;paul@example.org\n" +
				"DUPONT;HELENE; Helene@Example.com\n"),
			want: importcsv.Result{Shape: adults, Columns: nameCols, Lines: 3, Adults: []importcsv.Adult{
				{Lines: []int{2, 4}, LastName: "Dupont", FirstName: "Hélène", Email: "helene@example.com"},
				{Lines: []int{3}, LastName: "Martin", FirstName: "Paul", Email: "paul@example.org"},
			}, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name:  "header only",
			input: []byte("Nom;Prénom;E-mail\r\n"),
			want:  importcsv.Result{Shape: adults, Columns: nameCols, Encoding: utf8Enc, Delimiter: ';'},
		},
		{
			name: "trailing empty column in header and rows",
			input: []byte("Nom;Prénom;E-mail;\n" +
				"Dupont;Marie;marie@example.com;\n"),
			want: importcsv.Result{Shape: adults, Columns: nameCols, Lines: 1, Adults: []importcsv.Adult{
				{Lines: []int{2}, LastName: "Dupont", FirstName: "Marie", Email: "marie@example.com"},
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
		name       string
		input      []byte
		enc        string
		lines      int
		wantAdults []importcsv.Adult
		want       []importcsv.RowError
	}{
		{
			name:  "missing last name",
			input: []byte(header + "dupont.marie;;Marie;marie@example.com;fr\n"),
			lines: 1,
			want:  []importcsv.RowError{{Line: 2, Reason: "missing_last_name", Detail: "last name is empty"}},
		},
		{
			name:  "missing first name, after a blank line",
			input: []byte(header + "\n;Dupont; ;marie@example.com;fr\n"),
			lines: 1,
			want:  []importcsv.RowError{{Line: 3, Reason: "missing_first_name", Detail: "first name is empty"}},
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
			lines: 9,
			want: []importcsv.RowError{
				{Line: 2, Reason: "invalid_email", Detail: `invalid e-mail "marie.dupont.example.com": not an e-mail address`},
				{Line: 3, Reason: "invalid_email", Detail: `invalid e-mail "Marie Dupont <marie@example.com>": give the bare address, without a name`},
				{Line: 4, Reason: "invalid_email", Detail: `invalid e-mail "<marie@example.com>": give the bare address, without <>, quotes or comments`},
				{Line: 5, Reason: "invalid_email", Detail: `invalid e-mail "marie@gmail": domain has no dot`},
				{Line: 6, Reason: "invalid_email", Detail: `invalid e-mail "marie@@example.com": not an e-mail address`},
				{Line: 7, Reason: "invalid_email", Detail: `invalid e-mail "marie dupont@example.com": contains a space`},
				{Line: 8, Reason: "two_emails", Detail: `two e-mail addresses in one cell "marie@example.com\nBcc: x@example.com": keep one address per cell, and give the other adult a line of their own`},
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
				strings.Repeat("a", 65) + ";Dupont;Marie;marie@example.com;\n" +
				strings.Repeat("b", 90) + ";Dupont;Marie;marie@example.com;\n"),
			lines: 6,
			want: []importcsv.RowError{
				{Line: 2, Reason: "invalid_identifier", Detail: `invalid identifier "é.dupont": must start with a letter or a digit`},
				{Line: 3, Reason: "invalid_identifier", Detail: `invalid identifier "_dupont": must start with a letter or a digit`},
				{Line: 4, Reason: "invalid_identifier", Detail: `invalid identifier "m": shorter than 2 characters`},
				{Line: 5, Reason: "invalid_identifier", Detail: `invalid identifier "dupont marie": only letters a-z, digits, '.', '_' and '-' are allowed`},
				{Line: 6, Reason: "invalid_identifier", Detail: `invalid identifier "` + strings.Repeat("a", 65) + `": longer than 64 characters`},
				{Line: 7, Reason: "invalid_identifier", Detail: `invalid identifier "` + strings.Repeat("b", 80) + `…": longer than 64 characters`},
			},
		},
		{
			name: "the same identifier for a different name is reported, naming both lines",
			input: []byte(header +
				"dupont.marie;Dupont;Marie;marie@example.com;\n" +
				"Dupont.Marie;Dupont;Marie-Claire;mc@example.com;\n"),
			lines:      2,
			wantAdults: []importcsv.Adult{{Lines: []int{2}, Identifier: "dupont.marie", LastName: "Dupont", FirstName: "Marie", Email: "marie@example.com"}},
			want: []importcsv.RowError{
				{Line: 3, Reason: "duplicate_identifier", Detail: `identifier "dupont.marie" already used on line 2 for a different name or e-mail`},
			},
		},
		{
			name: "the same identifier for a different e-mail is reported",
			input: []byte(header +
				"dupont.marie;Dupont;Marie;marie@example.com;\n" +
				"dupont.marie;Dupont;Marie;autre@example.com;\n"),
			lines:      2,
			wantAdults: []importcsv.Adult{{Lines: []int{2}, Identifier: "dupont.marie", LastName: "Dupont", FirstName: "Marie", Email: "marie@example.com"}},
			want: []importcsv.RowError{
				{Line: 3, Reason: "duplicate_identifier", Detail: `identifier "dupont.marie" already used on line 2 for a different name or e-mail`},
			},
		},
		{
			name: "the same identifier for the same person merges, whatever the case and accents",
			input: []byte(header +
				"dupont.marie;Dupont;Hélène;marie@example.com;\n" +
				"DUPONT.MARIE;DUPONT;HELENE;Marie@Example.com;en\n"),
			lines: 2,
			wantAdults: []importcsv.Adult{{Lines: []int{2, 3}, Identifier: "dupont.marie", LastName: "Dupont", FirstName: "Hélène",
				Email: "marie@example.com", Lang: "en"}},
		},
		{
			name: "duplicate of an identifier on a rejected row",
			input: []byte(header +
				"dupont.marie;Dupont;Marie;bad;\n" +
				"dupont.marie;Dupont;Marie;marie@example.com;\n"),
			lines: 2,
			want: []importcsv.RowError{
				{Line: 2, Reason: "invalid_email", Detail: `invalid e-mail "bad": not an e-mail address`},
				{Line: 3, Reason: "duplicate_identifier", Detail: `identifier "dupont.marie" already used on line 2 for a different name or e-mail`},
			},
		},
		{
			name: "control characters in names, line of the record's start",
			input: []byte(header +
				";\"Dupont\nBcc: x@example.com\";Marie;marie@example.com;\n" +
				";Dupont;Ma\x1b[31mrie;marie@example.com;\n" +
				";Du\u202Etnop;Marie;marie@example.com;\n"),
			lines: 3,
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
			lines:      3,
			wantAdults: []importcsv.Adult{{Lines: []int{4}, LastName: strings.Repeat("é", 100), FirstName: "Marie", Email: "marie@example.com"}},
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
			lines:      3,
			wantAdults: []importcsv.Adult{{Lines: []int{4}, LastName: "Martin", FirstName: "Paul", Email: "paul@example.org", Lang: "en"}},
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
			lines:      2,
			wantAdults: []importcsv.Adult{{Lines: []int{3}, LastName: "Martin", FirstName: "Paul", Email: "paul@example.org"}},
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
			lines:      2,
			wantAdults: []importcsv.Adult{{Lines: []int{2}, LastName: "Martin", FirstName: "Paul", Email: "paul@example.org"}},
			want: []importcsv.RowError{
				{Line: 3, Reason: "malformed_row", Detail: `malformed CSV at line 4, column 31: extraneous or missing " in quoted-field; a quote opened on line 3 is never closed, so the lines up to 4 were read as one cell`},
			},
		},
		{
			name:  "several problems on one row are all reported; the language only warns",
			input: []byte(header + "-x;;Ma\trie;nope;klingon\n"),
			lines: 1,
			want: []importcsv.RowError{
				{Line: 2, Reason: "invalid_identifier", Detail: `invalid identifier "-x": must start with a letter or a digit`},
				{Line: 2, Reason: "missing_last_name", Detail: "last name is empty"},
				{Line: 2, Reason: "invalid_first_name", Detail: `first name "Ma\trie" contains a control or invisible character`},
				{Line: 2, Reason: "invalid_email", Detail: `invalid e-mail "nope": not an e-mail address`},
			},
		},
		{
			name: "undefined Windows-1252 byte rejects its line",
			input: append(append(cp1252(t, header+";Lefèvre;Chloé;chloe@example.com;\n;Du"), 0x81),
				[]byte("pont;Marie;marie@example.com;\n")...),
			enc:        cp,
			lines:      2,
			wantAdults: []importcsv.Adult{{Lines: []int{2}, LastName: "Lefèvre", FirstName: "Chloé", Email: "chloe@example.com"}},
			want: []importcsv.RowError{
				{Line: 3, Reason: "invalid_encoding", Detail: "the line holds byte 0x81, which is not Windows-1252 text (was it edited in another program?)"},
			},
		},
		{
			name: "broken UTF-8 behind a BOM rejects its line, not guessed",
			input: append([]byte("\uFEFF"+header+";Lefèvre;Chloé;chloe@example.com;\n;Dupont;Marie;marie"),
				[]byte("\xe9@example.com;\n")...),
			lines:      2,
			wantAdults: []importcsv.Adult{{Lines: []int{2}, LastName: "Lefèvre", FirstName: "Chloé", Email: "chloe@example.com"}},
			want: []importcsv.RowError{
				{Line: 3, Reason: "invalid_encoding", Detail: "the line is not valid UTF-8 (was it edited in another program?)"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, tt.input)
			enc := tt.enc
			if enc == "" {
				enc = utf8Enc
			}
			var warnings []importcsv.RowError
			if strings.Contains(tt.name, "language") {
				warnings = []importcsv.RowError{{Line: 2, Reason: "invalid_language",
					Detail: `unknown language "klingon": the default language is kept (fr or en are understood)`}}
			}
			checkResult(t, res, &importcsv.Result{Shape: adults, Columns: fiveCols, Lines: tt.lines, Adults: tt.wantAdults,
				Errors: tt.want, Warnings: warnings, Encoding: enc, Delimiter: ';'})
		})
	}
}

// TestParseNULAfterStart checks that a NUL byte too far in to mark the file
// as binary is still refused in the row holding it. The 40 lines of one
// person make one adult.
func TestParseNULAfterStart(t *testing.T) {
	var b strings.Builder
	b.WriteString("Nom;Prénom;E-mail\n")
	want := importcsv.Result{Shape: adults, Columns: nameCols, Lines: 41, Encoding: utf8Enc, Delimiter: ';'}
	marie := importcsv.Adult{LastName: "Dupont", FirstName: "Marie", Email: "marie@example.com"}
	for i := range 40 {
		b.WriteString("Dupont;Marie;marie@example.com\n")
		marie.Lines = append(marie.Lines, i+2)
	}
	want.Adults = []importcsv.Adult{marie}
	b.WriteString("Dupont;Ma\x00rie;marie@exa\x00mple.com\n")
	want.Errors = []importcsv.RowError{
		{Line: 42, Reason: "invalid_first_name", Detail: `first name "Ma\x00rie" contains a control or invisible character`},
		{Line: 42, Reason: "invalid_email", Detail: `invalid e-mail "marie@exa\x00mple.com": contains a control or invisible character`},
	}
	checkResult(t, parse(t, []byte(b.String())), &want)
}

func TestRowErrorString(t *testing.T) {
	e := importcsv.RowError{Line: 7, Reason: "invalid_encoding", Detail: "the line is not valid UTF-8 (was it edited in another program?)"}
	if got, want := e.String(), "line 7: the line is not valid UTF-8 (was it edited in another program?)"; got != want {
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

const expected = "; expected one line per adult (Nom;Prénom;E-mail), one line per adult per pupil " +
	"(Nom;Prénom;E-mail;Nom élève;Prénom élève;Classe) or one line per pupil " +
	"(Nom élève;Prénom élève;Classe;Nom resp. 1;Prénom resp. 1;Courriel resp. 1;…resp. 2)"

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
			`importcsv: no header line with column names; found: "Dupont", "Marie", "marie@example.com"` + expected,
		},
		{
			"no header, many cells", strings.NewReader(strings.Repeat("x;", 30) + "\n"), importcsv.ErrNoHeader,
			`importcsv: no header line with column names; found: ` +
				strings.Repeat(`"x", `, 12) + "… and 18 more" + expected,
		},
		{
			"too many columns", strings.NewReader("Nom;Prénom;E-mail" + strings.Repeat(";x", 1000) + "\n"), importcsv.ErrNoHeader,
			`importcsv: no header line with column names: the first line has 1003 cells, more than any school export (at most 1000)`,
		},
		{
			"malformed header", strings.NewReader("Nom;Pré\"nom;E-mail\n"), importcsv.ErrNoHeader,
			`importcsv: no header line with column names (parse error on line 1, column 9: bare " in non-quoted-field)`,
		},
		{
			"missing first name and e-mail columns", strings.NewReader("Identifiant;Nom;Mail2\n"), importcsv.ErrMissingColumn,
			`importcsv: required column missing: Prénom (first name), E-mail; one line per adult needs Nom, Prénom and E-mail (columns found: "Identifiant", "Nom", "Mail2")`,
		},
		{
			"missing last name column", strings.NewReader("Prénom,Email\n"), importcsv.ErrMissingColumn,
			`importcsv: required column missing: Nom (last name); one line per adult needs Nom, Prénom and E-mail (columns found: "Prénom", "Email")`,
		},
		{
			"duplicate column", strings.NewReader("Nom;Prénom;E-mail;Nom de famille\n"), importcsv.ErrDuplicateColumn,
			`importcsv: two columns have the same meaning: "Nom" and "Nom de famille" both mean Nom (last name)`,
		},
		{
			"plain and pupil names with responsible columns", strings.NewReader("Nom;Prénom;Nom élève;Prénom élève;Courriel resp. 1\n"), importcsv.ErrDuplicateColumn,
			`importcsv: two columns have the same meaning: "Nom" and "Nom élève" both mean Nom élève (pupil's last name)`,
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
	tests := []struct {
		header  string
		shape   importcsv.Shape
		missing []string
		found   []string
		msg     string
	}{
		{
			header: "Nom;Courriel;Classe", shape: importcsv.ShapeAdults,
			missing: []string{"Prénom (first name)"}, found: []string{"Nom", "Courriel", "Classe"},
			msg: `importcsv: required column missing: Prénom (first name); one line per adult needs Nom, Prénom and E-mail (columns found: "Nom", "Courriel", "Classe")`,
		},
		{
			header: "Nom;Prénom;Nom élève;Classe", shape: importcsv.ShapeAdultPupil,
			missing: []string{"E-mail", "Prénom élève (pupil's first name)"}, found: []string{"Nom", "Prénom", "Nom élève", "Classe"},
			msg: `importcsv: required column missing: E-mail, Prénom élève (pupil's first name); one line per adult per pupil needs Nom, Prénom and E-mail of the adult, and Nom élève and Prénom élève (columns found: "Nom", "Prénom", "Nom élève", "Classe")`,
		},
		{
			header: "Classe;Nom resp. 1;Prénom resp. 1;Nom resp. 2;Courriel resp. 2", shape: importcsv.ShapePupilResponsibles,
			missing: []string{"Nom élève (pupil's last name)", "Prénom élève (pupil's first name)", "Courriel resp. 1 (e-mail of responsible adult 1)",
				"Prénom resp. 2 (first name of responsible adult 2)"},
			found: []string{"Classe", "Nom resp. 1", "Prénom resp. 1", "Nom resp. 2", "Courriel resp. 2"},
			msg: `importcsv: required column missing: Nom élève (pupil's last name), Prénom élève (pupil's first name), Courriel resp. 1 (e-mail of responsible adult 1), Prénom resp. 2 (first name of responsible adult 2); ` +
				`one line per pupil, with responsible adults 1 and 2 needs Nom élève (or Nom) and Prénom élève (or Prénom), Courriel resp. 1, and for each responsible adult Nom and Prénom together or not at all ` +
				`(columns found: "Classe", "Nom resp. 1", "Prénom resp. 1", "Nom resp. 2", "Courriel resp. 2")`,
		},
	}
	for _, tt := range tests {
		_, err := importcsv.Parse(strings.NewReader(tt.header + "\n"))
		var mce *importcsv.MissingColumnError
		if !errors.As(err, &mce) {
			t.Fatalf("%s: Parse error = %v, want a *MissingColumnError", tt.header, err)
		}
		if mce.Shape != tt.shape || !reflect.DeepEqual(mce.Missing, tt.missing) || !reflect.DeepEqual(mce.Found, tt.found) {
			t.Errorf("%s: got %q, %q, %q; want %q, %q, %q", tt.header, mce.Shape, mce.Missing, mce.Found, tt.shape, tt.missing, tt.found)
		}
		if err.Error() != tt.msg {
			t.Errorf("%s: message\n got  %s\n want %s", tt.header, err, tt.msg)
		}
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
		"lefevre.chloe;Lefèvre;Chloé;chloe2@example.com\n" + // 9
		";Dupont;Marie;marie3@example.com\n" // 10: line 4's adult again
	res := parse(t, []byte(input))
	var asked []string
	res.AssignIdentifiers(func(id string) bool {
		asked = append(asked, id)
		return id == "martin.paul"
	})
	want := &importcsv.Result{
		Shape:   adults,
		Columns: cols("Identifiant=identifier", "Nom=last name", "Prénom=first name", "E-mail=e-mail"),
		Lines:   9,
		Adults: []importcsv.Adult{
			{Lines: []int{2}, Identifier: "dupont.marie", LastName: "Dupont", FirstName: "Marie", Email: "marie@example.com"},
			{Lines: []int{3}, Identifier: "dupont.marie2", LastName: "Dupont", FirstName: "Marie", Email: "marie2@example.com"},
			{Lines: []int{4, 10}, Identifier: "dupont.marie3", LastName: "Dupont", FirstName: "Marie", Email: "marie3@example.com"},
			{Lines: []int{5}, Identifier: "martin.paul2", LastName: "Martin", FirstName: "Paul", Email: "paul@example.org"},
			{Lines: []int{7}, Identifier: "leroy.anne2", LastName: "Leroy", FirstName: "Anne", Email: "anne@example.com"},
			{Lines: []int{8}, Identifier: "lefevre.chloe2", LastName: "Lefèvre", FirstName: "Chloé", Email: "chloe@example.com"},
			{Lines: []int{9}, Identifier: "lefevre.chloe", LastName: "Lefèvre", FirstName: "Chloé", Email: "chloe2@example.com"},
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
	hand := &importcsv.Result{Adults: []importcsv.Adult{{LastName: "Dupont", FirstName: "Marie"}, {LastName: "Dupont", FirstName: "Marie"},
		{Email: "marie.dupont@exemple.fr"}}}
	hand.AssignIdentifiers(nil)
	if got := []string{hand.Adults[0].Identifier, hand.Adults[1].Identifier, hand.Adults[2].Identifier}; !reflect.DeepEqual(got,
		[]string{"dupont.marie", "dupont.marie2", "marie.dupont"}) {
		t.Errorf("AssignIdentifiers(nil) gave %q", got)
	}
}

// TestAssignIdentifiersEmailOnly checks that adults named by e-mail only
// get an identifier from their address, numbered past identifiers in the
// file, in the store or given before.
func TestAssignIdentifiersEmailOnly(t *testing.T) {
	res := parse(t, []byte("NOM;PRENOM;EMAIL RESPONSABLE 1;EMAIL RESPONSABLE 2\n"+
		"DUPONT;Lucas;marie.dupont@exemple.fr;jean.dupont@exemple.fr\n"+
		"MARTIN;Léa;marie.dupont@autre.fr;famille+ecole@exemple.fr\n"+
		"DUPONT;Emma;Marie.Dupont@exemple.fr;\n"))
	res.AssignIdentifiers(func(id string) bool { return id == "jean.dupont" })
	var got []string
	for _, a := range res.Adults {
		got = append(got, fmt.Sprintf("%s %s %v", a.Identifier, a.Email, a.Lines))
	}
	want := []string{"marie.dupont marie.dupont@exemple.fr [2 4]", "jean.dupont2 jean.dupont@exemple.fr [2]",
		"marie.dupont2 marie.dupont@autre.fr [3]", "famille famille+ecole@exemple.fr [3]"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("identifiers:\n got  %q\n want %q", got, want)
	}
}

// TestAssignIdentifiersHomonyms checks that many adults with the same names
// get distinct identifiers without numbering from 2 for each one, which
// would take minutes here.
func TestAssignIdentifiersHomonyms(t *testing.T) {
	const n = 50000
	var b strings.Builder
	b.WriteString("Nom;Prénom;E-mail\n")
	for i := range n {
		fmt.Fprintf(&b, "Dupont;Marie;marie%d@example.com\n", i)
	}
	res := parse(t, []byte(b.String()))
	if len(res.Adults) != n {
		t.Fatalf("got %d adults, want %d", len(res.Adults), n)
	}
	res.AssignIdentifiers(func(id string) bool { return id == "dupont.marie7" })
	for i, want := range map[int]string{0: "dupont.marie", 1: "dupont.marie2", 5: "dupont.marie6", 6: "dupont.marie8", n - 1: fmt.Sprintf("dupont.marie%d", n+1)} {
		if got := res.Adults[i].Identifier; got != want {
			t.Errorf("adult %d identifier = %q, want %q", i, got, want)
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
		Shape:   adults,
		Columns: fiveCols,
		Lines:   6,
		Adults: []importcsv.Adult{
			{Lines: []int{2}, Identifier: "dupont.marie", LastName: "Dupont", FirstName: "Marie", Email: "famille.dupont@example.com", Lang: "fr"},
			{Lines: []int{3}, Identifier: "dupont.jean", LastName: "Dupont", FirstName: "Jean", Email: "famille.dupont@example.com", Lang: "fr"},
			{Lines: []int{4}, LastName: "Lœuillet", FirstName: "Gaëlle", Email: "gaelle.loeuillet@example.com"},
			{Lines: []int{5}, Identifier: "ndiaye.aissatou", LastName: "N'Diaye", FirstName: "Aïssatou", Email: "a.ndiaye@example.org", Lang: "en"},
			{Lines: []int{7}, Identifier: "muller.francois", LastName: "Müller", FirstName: "François", Email: "f.muller@example.net", Lang: "en"},
		},
		Errors: []importcsv.RowError{
			{Line: 6, Reason: "invalid_email", Detail: `invalid e-mail "herve.legoff.example.com": not an e-mail address`},
		},
		Encoding:  cp,
		Delimiter: ';',
	}
	checkResult(t, res, want)
	res.AssignIdentifiers(nil)
	if got := res.Adults[2].Identifier; got != "loeuillet.gaelle" {
		t.Errorf("generated identifier = %q, want %q", got, "loeuillet.gaelle")
	}
}

var (
	lastNames  = []string{"Dupont", "Lefèvre", "Lœuillet", "Müller", "Le Goff", "N'Diaye", "Garçon", "Bénard", "Château", "Noël"}
	firstNames = []string{"Marie", "Chloé", "Gaëlle", "François", "Hélène", "Jérôme", "Aïssatou", "Zoé", "Anaïs", "Cécile"}
	langs      = []string{"", "fr", "en", "Français", "anglais"}
	wantLangs  = []string{"", "fr", "en", "fr", "en"}
)

// bigAdult returns the i-th adult of bigFile as Parse should return it.
func bigAdult(i int) importcsv.Adult {
	a := importcsv.Adult{
		Lines:     []int{i + 2},
		LastName:  lastNames[i%len(lastNames)],
		FirstName: firstNames[i/len(lastNames)%len(firstNames)],
		// Odd rows share the e-mail of the row before, as two parents of
		// one family often do.
		Email: fmt.Sprintf("famille%04d@example.com", i/2),
		Lang:  wantLangs[i%len(wantLangs)],
	}
	if i%3 != 0 {
		a.Identifier = fmt.Sprintf("parent%04d", i)
	}
	return a
}

// bigFile builds an n-row Windows-1252 ";" file as French Excel saves it.
func bigFile(t testing.TB, n int) []byte {
	var b strings.Builder
	b.WriteString("Identifiant;Nom;Prénom;E-mail;Langue\r\n")
	for i := range n {
		a := bigAdult(i)
		id := ""
		if a.Identifier != "" {
			id = strings.ToUpper(a.Identifier[:1]) + a.Identifier[1:]
		}
		fmt.Fprintf(&b, "%s;%s;%s;%s;%s\r\n", id, a.LastName, a.FirstName, strings.ToUpper(a.Email), langs[i%len(langs)])
	}
	return cp1252(t, b.String())
}

func TestParse2000Windows1252(t *testing.T) {
	const n = 2000
	res := parse(t, bigFile(t, n))
	if res.Encoding != cp || res.Delimiter != ';' || res.IgnoredColumns != nil || res.Lines != n {
		t.Errorf("Encoding, Delimiter, IgnoredColumns, Lines = %q, %q, %q, %d", res.Encoding, res.Delimiter, res.IgnoredColumns, res.Lines)
	}
	if len(res.Errors) != 0 || len(res.Warnings) != 0 {
		t.Fatalf("unexpected problems: %+v %+v", res.Errors[:min(len(res.Errors), 5)], res.Warnings[:min(len(res.Warnings), 5)])
	}
	if len(res.Adults) != n {
		t.Fatalf("got %d adults, want %d", len(res.Adults), n)
	}
	for _, i := range []int{0, 1, 2, 3, 4, 5, 997, 1000, n - 1} {
		if want := bigAdult(i); !reflect.DeepEqual(res.Adults[i], want) {
			t.Errorf("adult %d:\n got  %+v\n want %+v", i, res.Adults[i], want)
		}
	}
	res.AssignIdentifiers(nil)
	seen := make(map[string]int)
	for _, a := range res.Adults {
		if prev, ok := seen[a.Identifier]; ok {
			t.Fatalf("identifier %q on lines %d and %d", a.Identifier, prev, a.Lines[0])
		}
		seen[a.Identifier] = a.Lines[0]
	}
	if got := res.Adults[0].Identifier; got != "dupont.marie" {
		t.Errorf("first generated identifier = %q, want dupont.marie", got)
	}
	if got := res.Adults[3].Identifier; got != "muller.marie" {
		t.Errorf("adult 3 generated identifier = %q, want muller.marie", got)
	}
}

func BenchmarkParse2000(b *testing.B) {
	data := bigFile(b, 2000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := importcsv.Parse(bytes.NewReader(data))
		if err != nil || len(res.Adults) != 2000 {
			b.Fatalf("Parse: %d adults, %v", len(res.Adults), err)
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
	f.Add([]byte("Civilité;Nom;Prénom;Courriel;Nom élève;Prénom élève;Classe\nMme;Dupont;Marie;m@x.fr;Dupont;Lucas;6e A\nMme;Dupont;Marie;m@x.fr;Dupont;Emma;CM2\n"))
	f.Add([]byte("NOM;PRENOM;EMAIL RESPONSABLE 1;EMAIL RESPONSABLE 2\nDUPONT;Lucas;a@x.fr;b@x.fr\nDUPONT;Emma;b@x.fr;\nX;Y;;\n"))
	f.Add([]byte("Identifiant resp. 1;Nom resp. 1;Prénom resp. 1;Courriel resp. 1;Nom;Prénom\nab;A;B;a@b.fr;C;D\nab;A;B;a@c.fr;C;E\n"))
	f.Add(append([]byte("Nom;Prénom;E-mail\nHélène;Dupont;h@x.fr\n"), cp1252(f, "Hélène;Dupont;h@x.fr\n")...))
	for _, name := range []string{"testdata/parents-exemple.csv", "testdata/families/pupil-responsibles.csv", "testdata/families/adults.csv"} {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := importcsv.Parse(bytes.NewReader(data))
		if err != nil {
			if res != nil {
				t.Fatalf("result along with error %v", err)
			}
			if len(err.Error()) > 4<<10 {
				t.Fatalf("error message of %d bytes", len(err.Error()))
			}
			return
		}
		size := 0
		for _, list := range [][]importcsv.RowError{res.Errors, res.Warnings} {
			prev := 0
			for _, e := range list {
				if e.Line < 1 || e.Line < prev {
					t.Fatalf("problem line %d (previous %d): %+v", e.Line, prev, e)
				}
				if e.Reason == "" || e.Detail == "" {
					t.Fatalf("problem without reason or detail: %+v", e)
				}
				prev = e.Line
				size += len(e.Detail)
			}
		}
		if size > 16<<10 {
			t.Fatalf("%d bytes of problems", size)
		}
		rejected := make(map[int]bool)
		for _, e := range res.Errors {
			rejected[e.Line] = true
		}
		for _, a := range res.Adults {
			if len(a.Lines) == 0 || a.Lines[0] < 2 {
				t.Fatalf("adult lines %v: %+v", a.Lines, a)
			}
			for i, l := range a.Lines {
				if i > 0 && l <= a.Lines[i-1] || rejected[l] {
					t.Fatalf("adult lines %v (rejected %v): %+v", a.Lines, rejected, a)
				}
			}
			if a.Email != "" {
				if e, err := identity.NormalizeEmail(a.Email); err != nil || e != a.Email {
					t.Fatalf("adult e-mail %q not normalised: %q, %v", a.Email, e, err)
				}
			}
			if (a.LastName == "") != (a.FirstName == "") || a.LastName == "" && a.Email == "" {
				t.Fatalf("adult named by nothing: %+v", a)
			}
			if a.Lang != "" && a.Lang != "fr" && a.Lang != "en" {
				t.Fatalf("adult language %q", a.Lang)
			}
			keys := make(map[string]bool)
			for _, c := range a.Children {
				if keys[c.Key] || c.Key == "" || c.LastName == "" || c.FirstName == "" {
					t.Fatalf("child %+v of %+v", c, a)
				}
				keys[c.Key] = true
			}
		}
		res.AssignIdentifiers(nil)
		seen := make(map[string]bool)
		for _, a := range res.Adults {
			if id, err := identity.NormalizeIdentifier(a.Identifier); err != nil || id != a.Identifier {
				t.Fatalf("identifier %q invalid: %v", a.Identifier, err)
			}
			if seen[a.Identifier] {
				t.Fatalf("identifier %q given twice", a.Identifier)
			}
			seen[a.Identifier] = true
		}
	})
}
