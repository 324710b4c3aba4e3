package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sesame/internal/activation"
	"sesame/internal/store"
)

// readLetters reads the CSV letters file: header, then one row per letter.
func readLetters(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\uFEFF")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// verify tries a code on the data file, as the activation page does.
func verify(t *testing.T, data, id, code string) error {
	t.Helper()
	st, err := store.Open(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := newServices(st, serviceConfig{}, nil)
	_, _, err = s.activation.Verify(context.Background(), "", id, code, "fr")
	return err
}

// The letters of one class from a real import: chosen by class, sorted,
// each with a working code that the next letter revokes; the file is
// the operator's alone; refusals are clear.
func TestLettersCommand(t *testing.T) {
	dir := t.TempDir()
	data := newDataFile(t, dir)
	fixture := filepath.Join("..", "importcsv", "testdata", "families", "adult-pupil.csv")
	if out, code := run(t, "", "accounts", "--data", data, "import", fixture); code != 0 {
		t.Fatalf("import: %s", out)
	}
	if out, code := run(t, "Lune-bleue-42\n", "accounts", "--data", data, "set-password", "durand.thomas"); code != 0 {
		t.Fatalf("set-password: %s", out)
	}
	file := filepath.Join(dir, "lettres-6a.csv")
	out, code := run(t, "", "letters", "--data", data, "--class", "6E A", "-o", file)
	if code != 0 {
		t.Fatalf("letters: %d %s", code, out)
	}
	for _, want := range []string{"4 letter(s)", "6e A         4", "durand.thomas: already has a password", "written to " + file} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("letters file: %v %v", fi, err)
	}
	rows := readLetters(t, file)
	if strings.Join(rows[0], ";") != "identifiant;nom;prénom;enfants;code;lien;expire" || len(rows) != 5 {
		t.Fatalf("letters csv: %q", rows)
	}
	var ids []string
	codes := map[string]string{}
	for _, r := range rows[1:] {
		ids = append(ids, r[0])
		codes[r[0]] = r[4]
		if !strings.Contains(r[5], "/activation?") || !strings.Contains(r[5], r[0]) {
			t.Errorf("link %q", r[5])
		}
	}
	// Sorted by class, then name: all four are parents of a 6e A pupil,
	// the Duponts' 4e B daughter notwithstanding.
	if got := strings.Join(ids, " "); got != "dupont.jean dupont.marie durand.julie nguyen.thi-mai" {
		t.Errorf("letters order: %s", got)
	}
	if err := verify(t, data, "durand.julie", codes["durand.julie"]); err != nil {
		t.Fatalf("a printed code does not work: %v", err)
	}

	// A second letter for Marie revokes the first one's code.
	again := filepath.Join(dir, "marie.pdf")
	if out, code := run(t, "", "letters", "--data", data, "--account", "dupont.marie", "-o", again); code != 0 {
		t.Fatalf("second letter: %s", out)
	}
	if b, _ := os.ReadFile(again); !strings.HasPrefix(string(b), "%PDF-") {
		t.Fatal("not a PDF")
	}
	if err := verify(t, data, "dupont.marie", codes["dupont.marie"]); !errors.Is(err, activation.ErrRefused) {
		t.Fatalf("the first letter's code still works after a new letter: %v", err)
	}
	out, _ = run(t, "", "audit", "--data", data, "--account", "dupont.marie")
	if strings.Count(out, "activation.issued") != 2 || strings.Contains(out, codes["dupont.marie"]) {
		t.Fatalf("audit of the letters:\n%s", out)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--class", "6e Z"}, "no account has a child in class 6e Z; classes: 4e A, 4e B, 5e A, 5e B, 6e A, 6e B"},
		{[]string{"--account", "personne"}, "no such account: personne"},
		{[]string{"--account", "durand.thomas", "--not-activated"}, "no adult to write to"},
		{[]string{"--format", "docx"}, `--format "docx": use pdf or csv`},
	} {
		out, code := run(t, "", append([]string{"letters", "--data", data, "-o", filepath.Join(dir, "x.pdf")}, c.args...)...)
		if code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("letters %v: %d %s", c.args, code, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.pdf")); err == nil {
		t.Error("a refused run wrote its file")
	}
	if out, code := run(t, "", "letters", "--data", data); code != 2 || !strings.Contains(out, "-o FILE") {
		t.Errorf("letters without -o: %d %s", code, out)
	}
}
