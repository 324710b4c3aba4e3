package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sesame/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestImportFamilies")

// TestImportFamilies imports each shape of the school's export
// (internal/importcsv/testdata/families: CRLF, Windows-1252 and UTF-8
// with BOM, N'DIAYE, hyphenated names, siblings in different classes,
// two adults sharing an address, adults without e-mail), then next
// year's version in sync mode (a changed e-mail, a new sibling, a family
// that left, renamed classes), through the command line on a real data
// file. The reports printed and the accounts stored after each step,
// children included, must be exactly those of testdata/import/*.golden,
// which were read line by line against the fixtures' README (go test
// -run TestImportFamilies -update rewrites them after a deliberate
// change, to be read again in the diff).
func TestImportFamilies(t *testing.T) {
	dir := filepath.Join("..", "importcsv", "testdata", "families")
	for _, shape := range []string{"adults", "adult-pupil", "pupil-responsibles", "pupil-responsibles-emails-only"} {
		t.Run(shape, func(t *testing.T) {
			data := newDataFile(t, t.TempDir())
			var b strings.Builder
			step := func(title string, args ...string) {
				out, code := run(t, "", append([]string{"accounts", "--data", data}, args...)...)
				fmt.Fprintf(&b, "$ sesame accounts %s   (exit %d)\n%s\n", strings.Join(args, " "), code, scrub(out))
				if title != "" {
					fmt.Fprintf(&b, "--- accounts after %s\n%s\n", title, dump(t, data))
				}
			}
			step("the first import", "import", filepath.Join(dir, shape+".csv"))
			step("", "import", "--sync", "--dry-run", filepath.Join(dir, shape+"-2027.csv"))
			step("the sync", "import", "--sync", filepath.Join(dir, shape+"-2027.csv"))
			step("the same file again", "import", "--sync", filepath.Join(dir, shape+"-2027.csv"))
			step("", "list", "--class", "5E-A") // "5e A", folded
			step("", "list", "--not-activated", "--class", "6e b")

			golden := filepath.Join("testdata", "import", shape+".golden")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("the import of %s differs from %s:\n%s", shape, golden, firstDiff(string(want), got))
			}
		})
	}
}

// scrub takes out what changes from run to run: the data file's path.
func scrub(out string) string {
	return regexp.MustCompile(`(?m)^data: .*\n`).ReplaceAllString(out, "")
}

// dump lists the stored accounts, one per line, with every field the
// import sets.
func dump(t *testing.T, data string) string {
	t.Helper()
	st, err := store.Open(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	as, err := st.Accounts()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "%s | %s | %s | %s | %s | %s | %s | %s", a.ID, a.Civility, a.LastName, a.FirstName, a.Email, a.Phone, a.Lang, a.State)
		if a.DisabledBy != "" {
			fmt.Fprintf(&b, " (by %s)", a.DisabledBy)
		}
		for _, c := range a.Children {
			fmt.Fprintf(&b, "\n    child %s | %s | %s | %s", c.Key, c.LastName, c.FirstName, c.Class)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// firstDiff shows where two texts part, with a little context.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant %q\ngot  %q", i+1, wl, gl)
		}
	}
	return "(same lines)"
}

// A wrong file of 10 MB (here: a header of sorts, then random text with
// separators) gets a report of a few kilobytes, not megabytes: every
// list the command prints is bounded, as the parser's are.
func TestImportOfGarbageIsShort(t *testing.T) {
	dir := t.TempDir()
	data := newDataFile(t, dir)
	var b strings.Builder
	b.WriteString("Nom;Prénom;Courriel\n")
	seed := uint32(1)
	for b.Len() < 10<<20-200 {
		seed = seed*1664525 + 1013904223
		switch seed >> 29 {
		case 0:
			b.WriteString(";")
		case 1:
			b.WriteString("\n")
		case 2:
			b.WriteString("@x")
		default:
			b.WriteString(string(rune('a' + seed%26)))
		}
	}
	file := filepath.Join(dir, "garbage.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := run(t, "", "accounts", "--data", data, "import", file)
	if code != 1 || len(out) > 32<<10 {
		t.Fatalf("exit %d, %d bytes of report:\n%s", code, len(out), out[:min(len(out), 2000)])
	}
	if !strings.Contains(out, "Nothing was written") {
		t.Fatalf("report:\n%s", out[:min(len(out), 2000)])
	}
	t.Logf("10 MB of garbage: %d bytes of report", len(out))
}
