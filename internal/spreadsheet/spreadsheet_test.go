package spreadsheet

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	rows := [][]string{
		{"identifiant", "nom", "prénom"},
		{"dupont.marie", "Dupont; Martin", "Hélène \"Léna\""},
		{"x", "=HYPERLINK(\"http://evil\")", "+33 1 23"},
		{"y", "-2", "@SUM(A1)"},
	}
	for _, r := range rows {
		if err := w.Write(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	raw := b.String()
	if !strings.HasPrefix(raw, "\uFEFFidentifiant;nom;prénom\r\n") {
		t.Fatalf("no BOM, ; or CRLF: %q", raw[:40])
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(raw, "\uFEFF")))
	r.Comma = ';'
	got, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got[1][1] != "Dupont; Martin" || got[1][2] != `Hélène "Léna"` {
		t.Errorf("quoting lost: %q", got[1])
	}
	for _, cell := range []string{got[2][1], got[2][2], got[3][1], got[3][2]} {
		if !strings.HasPrefix(cell, "'") {
			t.Errorf("formula not guarded: %q", cell)
		}
	}
}
