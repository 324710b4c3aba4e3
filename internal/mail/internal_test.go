package mail

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sesame/locales"
)

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"Marie Dupont":            "Marie Dupont",
		" Marie\r\nBcc: x@y ":     "Marie Bcc: x@y",
		"a\x00b\tc\u2028d\u0085e": "a b c d e",
		"Jean  -  Pierre":         "Jean - Pierre",
		"Zoé Lefèvre-N'Diaye":     "Zoé Lefèvre-N'Diaye",
		"\r\n":                    "",
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTelURL(t *testing.T) {
	for in, want := range map[string]string{
		"01 23 45 67 89":            "tel:0123456789",
		"+33 (0)1.23.45.67.89":      "tel:+33123456789",
		"01 23 45 67 89 (standard)": "",
		"call us":                   "",
		"12":                        "",
	} {
		if got := string(telURL(in)); got != want {
			t.Errorf("telURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCatalog: every sentence a template asks for exists in both
// languages, and both languages define the same mail.* IDs.
func TestCatalog(t *testing.T) {
	used := map[string]bool{}
	re := regexp.MustCompile(`\.[TN] "(mail\.[a-z0-9_.]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, path)
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for k := range templateSets { // every kind's subject, none forgotten
		used["mail."+string(k)+".subject"] = true
	}
	used["mail.from_name"], used["mail.datetime"], used["mail.time"] = true, true, true
	for i := 1; i <= 12; i++ {
		used["mail.month."+itoa(i)] = true
	}
	if len(used) < 30 {
		t.Fatalf("found only %d IDs in the templates; is the pattern right?", len(used))
	}
	for id := range used {
		for _, lang := range []string{"fr", "en"} {
			if !internalLocales.Has(lang, id) {
				t.Errorf("%s: %s is used but not defined", lang, id)
			}
		}
	}
	mailIDs := func(lang string) []string {
		var out []string
		for _, id := range internalLocales.IDs(lang) {
			if strings.HasPrefix(id, "mail.") {
				out = append(out, id)
			}
		}
		return out
	}
	fr, en := mailIDs("fr"), mailIDs("en")
	if !slices.Equal(fr, en) {
		t.Errorf("fr and en define different mail.* IDs:\nfr %v\nen %v", fr, en)
	}
	for _, id := range fr {
		if !used[id] {
			t.Errorf("%s is defined but never used", id)
		}
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return "1" + string(rune('0'+i-10))
}

var internalLocales = locales.Must()
