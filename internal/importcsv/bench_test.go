package importcsv_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"sesame/internal/importcsv"
)

// Sizes of a large school: 2,500 families of two responsible adults, the
// first 500 with two pupils, so 3,000 pupils and 5,000 adults.
const (
	bigFamilies = 2500
	bigSiblings = 500
	bigPupils   = bigFamilies + bigSiblings
	bigAdults   = 2 * bigFamilies
)

var bigClasses = []string{"6e A", "6e B", "6e C", "5e A", "5e B", "5e C", "4e A", "4e B", "4e C", "3e A", "3e B", "3e C"}

// schoolFile builds the one-line-per-pupil export of that school, as
// school software writes it: UTF-8 with a BOM, ";" and CRLF.
func schoolFile() []byte {
	var b strings.Builder
	b.WriteString("\uFEFFN° élève;Nom élève;Prénom élève;Classe;Civilité resp. 1;Nom resp. 1;Prénom resp. 1;Courriel resp. 1;Tél. resp. 1;" +
		"Civilité resp. 2;Nom resp. 2;Prénom resp. 2;Courriel resp. 2;Tél. resp. 2\r\n")
	pupil := 0
	for f := range bigFamilies {
		last := fmt.Sprintf("%s-%04d", lastNames[f%len(lastNames)], f)
		for c := range 1 + min(1, bigSiblings-min(f, bigSiblings)) {
			fmt.Fprintf(&b, "%09d%s;%s;%s;%s;Mme;%s;%s;mere%04d@exemple.fr;06 12 34 %02d %02d;M.;%s;%s;pere%04d@exemple.fr;\r\n",
				pupil, "AB", strings.ToUpper(last), firstNames[(f+c)%len(firstNames)], bigClasses[pupil%len(bigClasses)],
				strings.ToUpper(last), firstNames[(f+3)%len(firstNames)], f, f%100, pupil%100,
				strings.ToUpper(last), "Jean", f)
			pupil++
		}
	}
	return []byte(b.String())
}

func TestParse5000Adults(t *testing.T) {
	res := parse(t, schoolFile())
	if res.Shape != pupilResp || res.Lines != bigPupils || len(res.Errors) != 0 || len(res.Warnings) != 0 {
		t.Fatalf("shape %s, %d lines, problems %v %v", res.Shape, res.Lines, res.Errors[:min(3, len(res.Errors))], res.Warnings[:min(3, len(res.Warnings))])
	}
	if len(res.Adults) != bigAdults {
		t.Fatalf("%d adults, want %d", len(res.Adults), bigAdults)
	}
	links := 0
	for i, a := range res.Adults {
		links += len(a.Children)
		f := i / 2
		want := 1
		if f < bigSiblings {
			want = 2
		}
		if len(a.Children) != want || len(a.Lines) != want {
			t.Fatalf("adult %d (family %d): %d children on lines %v, want %d", i, f, len(a.Children), a.Lines, want)
		}
	}
	if links != 2*bigPupils {
		t.Errorf("%d links, want %d", links, 2*bigPupils)
	}
	res.AssignIdentifiers(nil)
	if got := res.Adults[1].Identifier; got != "dupont-0000.jean" {
		t.Errorf("identifier of adult 1 = %q", got)
	}
}

// BenchmarkParse5000Adults parses and assigns identifiers for the large
// school's export, which the import reads in one go.
func BenchmarkParse5000Adults(b *testing.B) {
	data := schoolFile()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := importcsv.Parse(bytes.NewReader(data))
		if err != nil || len(res.Adults) != bigAdults {
			b.Fatalf("Parse: %v", err)
		}
		res.AssignIdentifiers(nil)
	}
}
