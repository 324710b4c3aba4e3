package letters

import (
	"bytes"
	"encoding/csv"
	"sesame/internal/spreadsheet"
	"slices"
	"strings"
	"testing"
)

func writeCSV(t *testing.T, ls []Letter) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, testSchool(), ls); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The file starts with a BOM and the exact header, ends lines with CRLF,
// separates with ";", and reads back to the letters' fields.
func TestCSVLayout(t *testing.T) {
	ls := family()
	Sort(ls)
	out := writeCSV(t, ls)
	const head = "\uFEFFidentifiant;nom;prénom;enfants;code;lien;expire\r\n"
	if !bytes.HasPrefix(out, []byte(head)) {
		t.Fatalf("file starts %q, want %q", out[:min(len(out), len(head))], head)
	}
	if n := bytes.Count(out, []byte("\r\n")); n != len(ls)+1 {
		t.Errorf("%d CRLF line ends, want %d", n, len(ls)+1)
	}
	if n := bytes.Count(out, []byte("\n")); n != len(ls)+1 {
		t.Errorf("%d LF, want %d (every line ends CRLF)", n, len(ls)+1)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out, []byte("\uFEFF"))))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"identifiant", "nom", "prénom", "enfants", "code", "lien", "expire"},
		{"anne.brun", "Brun", "Anne", "Léo BRUN (6e A)", ls[0].Code, ls[0].Link, "28 January 2027"},
		{"marie.ndiaye", "N'Diaye", "Marie", "Œdipe N'DIAYE (6e A), Zoë N'DIAYE (CM2)", ls[1].Code, ls[1].Link, "28 janvier 2027"},
		{"lukasz.ndiaye", "N'Diaye", "Łukasz", "Zoë N'DIAYE (CM2)", ls[2].Code, ls[2].Link, "28 January 2027"},
		{"sam.nochild", "Martin", "Sam", "", ls[3].Code, ls[3].Link, "28 janvier 2027"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("row %d:\n got %q\nwant %q", i, rows[i], want[i])
		}
	}
}

// Separators and quotes inside a field are quoted, so a name with ";" or
// a children cell with a quote stays one cell.
func TestCSVQuoting(t *testing.T) {
	l := letter("a.b", "", "Dupont;Martin", "Anne", "fr",
		child("Dupont", `Jo "Jojo"`, "6e A"), child("Martin", "Léa", "CM2"))
	out := string(writeCSV(t, []Letter{l}))
	row := strings.SplitN(out, "\r\n", 2)[1]
	wantRow := `a.b;"Dupont;Martin";Anne;"Jo ""Jojo"" DUPONT (6e A), Léa MARTIN (CM2)";` + l.Code + ";" + l.Link + ";28 janvier 2027\r\n"
	if row != wantRow {
		t.Errorf("row\n got %q\nwant %q", row, wantRow)
	}
	// And a plain multi-child cell needs no quotes: "," is not the separator.
	l2 := letter("c.d", "", "Durand", "Paul", "fr", child("Durand", "Max", "6e A"), child("Durand", "Eve", "CM2"))
	out = string(writeCSV(t, []Letter{l2}))
	if !strings.Contains(out, ";Max DURAND (6e A), Eve DURAND (CM2);") {
		t.Errorf("multi-child cell quoted or changed:\n%s", out)
	}
}

// A cell a spreadsheet would run as a formula gets a leading apostrophe.
func TestCSVFormulaInjection(t *testing.T) {
	for _, c := range []struct{ last, want string }{
		{"=HYPERLINK(\"http://x\")", `"'=HYPERLINK(""http://x"")"`},
		{"+33 1 23", "'+33 1 23"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"Dupont=Martin", "Dupont=Martin"},
		{"Dupont-Martin", "Dupont-Martin"},
	} {
		l := letter("a.b", "", c.last, "Anne", "fr", child("X", "Jo", "6A"))
		row := strings.SplitN(string(writeCSV(t, []Letter{l})), "\r\n", 2)[1]
		if !strings.HasPrefix(row, "a.b;"+c.want+";Anne;Jo X (6A);") {
			t.Errorf("last name %q: row %q, want the cell %s", c.last, row, c.want)
		}
	}
	// The children cell starts with a child's first name, which may be a
	// formula too; a class in the middle of the cell runs nothing.
	l := letter("a.b", "", "Durand", "Anne", "fr", child("X", "=1+1", "6A"))
	row := strings.SplitN(string(writeCSV(t, []Letter{l})), "\r\n", 2)[1]
	if !strings.Contains(row, ";'=1+1 X (6A);") {
		t.Errorf("children cell not defused: %q", row)
	}
	if spreadsheet.Cell("\tx") != "'\tx" || spreadsheet.Cell("") != "" || spreadsheet.Cell("x=1") != "x=1" {
		t.Error("spreadsheet.Cell: tab, empty or inner '=' mishandled")
	}
}

func TestCSVEmptyAndInvalid(t *testing.T) {
	if got := string(writeCSV(t, nil)); got != "\uFEFFidentifiant;nom;prénom;enfants;code;lien;expire\r\n" {
		t.Errorf("no letters: %q, want the header alone", got)
	}
	ls := family()
	ls[2].Code = ""
	var buf bytes.Buffer
	err := WriteCSV(&buf, testSchool(), ls)
	if err == nil || !strings.Contains(err.Error(), "letter 3 (sam.nochild) has no activation code") {
		t.Errorf("missing code: %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("%d bytes written despite the error", buf.Len())
	}
}
