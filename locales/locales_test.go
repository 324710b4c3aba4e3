package locales

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every ID defined in one language is defined in the other.
func TestCatalogueComplete(t *testing.T) {
	b := Must()
	for _, a := range Supported {
		for _, other := range Supported {
			for _, id := range b.IDs(a) {
				if !b.Has(other, id) {
					t.Errorf("%q is defined in %s but missing in %s", id, a, other)
				}
			}
		}
	}
	if len(b.IDs("fr")) < 50 {
		t.Errorf("only %d French messages: the catalogue did not load", len(b.IDs("fr")))
	}
}

// idPattern finds message IDs written as string literals in the code
// and templates: "area.something".
var idPattern = regexp.MustCompile(`"((?:app|layout|help|mailbox|login|pw|espace|change|rules|policy|recovery|activation|error|mail|step[0-9]?|flow|code|confirm|legal|letters|desk|staff)\.[a-z0-9_.]+)"`)

// Every ID the code names exists in both languages, so no page shows a
// raw ID.
func TestCodeUsesKnownIDs(t *testing.T) {
	b := Must()
	root := ".."
	seen := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "audit") {
			return filepath.SkipDir
		}
		if d.IsDir() || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "_templ.go") {
			return nil
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".templ") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range idPattern.FindAllStringSubmatch(string(src), -1) {
			id := m[1]
			if strings.HasSuffix(id, ".") || strings.HasSuffix(id, ".go") || strings.HasSuffix(id, ".json") || strings.HasSuffix(id, ".templ") || strings.HasSuffix(id, ".css") || strings.HasSuffix(id, ".js") {
				continue
			}
			seen++
			for _, l := range Supported {
				if !b.Has(l, id) {
					t.Errorf("%s: message %q missing in %s", path, id, l)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 30 {
		t.Errorf("found only %d message IDs in the code: the scan is broken", seen)
	}
}

func TestTAndMatch(t *testing.T) {
	b := Must()
	if got := b.T("en", "login.identifier", nil); got != "Username" {
		t.Errorf("en login.identifier = %q", got)
	}
	if got := b.T("fr", "login.identifier", nil); got != "Identifiant" {
		t.Errorf("fr login.identifier = %q", got)
	}
	if got := b.T("de", "login.identifier", nil); got != "Identifiant" {
		t.Errorf("unknown language should fall back to French, got %q", got)
	}
	if got := b.T("fr", "no.such.id", nil); got != "no.such.id" {
		t.Errorf("unknown id = %q", got)
	}
	for _, c := range []struct{ header, want string }{
		{"en-GB,en;q=0.9", "en"},
		{"fr-FR,fr;q=0.9,en;q=0.5", "fr"},
		{"de-DE", ""},
		{"", ""},
		{"garbage;;;q=x", ""},
		{"es, en;q=0.3", "en"},
	} {
		if got := b.Match(c.header); got != c.want {
			t.Errorf("Match(%q) = %q, want %q", c.header, got, c.want)
		}
	}
}
