package policy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// TestLocales fails on a missing translation, and checks that the rule
// messages read exactly as the seed's (copy.md) once filled.
func TestLocales(t *testing.T) {
	bundle := i18n.NewBundle(language.French)
	files := map[string]map[string]bool{}
	for _, lang := range []string{"fr", "en"} {
		path := filepath.Join("..", "..", "locales", "policy."+lang+".json")
		buf, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		mf, err := bundle.ParseMessageFileBytes(buf, path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		files[lang] = map[string]bool{}
		for _, m := range mf.Messages {
			files[lang][m.ID] = true
		}
	}
	want := MessageIDs()
	for lang, ids := range files {
		for _, id := range want {
			if !ids[id] {
				t.Errorf("policy.%s.json lacks %q", lang, id)
			}
		}
		for id := range ids {
			if !slices.Contains(want, id) {
				t.Errorf("policy.%s.json has %q, which MessageIDs does not list", lang, id)
			}
		}
	}

	data := Default().TemplateData()
	tests := []struct {
		lang, id, want string
	}{
		{"fr", Heading, "Le mot de passe doit :"},
		{"fr", string(Length), "contenir entre 8 et 32 caractères"},
		{"fr", string(Digit), "contenir au moins un caractère numérique"},
		{"fr", string(Letter), "contenir au moins une lettre"},
		{"fr", string(Personal), "être différent du nom et de l'identifiant"},
		{"fr", string(Common), "ne pas être un mot de passe trop courant"},
		{"fr", string(Predictable), "ne pas être un même caractère répété ni une suite comme 123456 ou azerty"},
		{"en", Heading, "The password must:"},
		{"en", string(Length), "be between 8 and 32 characters long"},
		{"en", string(Digit), "contain at least one number"},
		{"en", string(Letter), "contain at least one letter"},
		{"en", string(Personal), "be different from your name and your username"},
		{"en", string(Common), "not be a common password"},
		{"en", string(Predictable), "not be one character repeated or a sequence like 123456 or qwerty"},
	}
	for _, tt := range tests {
		got := localize(t, bundle, tt.lang, tt.id, data)
		if got != tt.want {
			t.Errorf("%s %s = %q, want %q", tt.lang, tt.id, got, tt.want)
		}
	}

	// The page: every text renders, the length paragraph shows the limits,
	// and the points the page promises are there.
	mentions := map[string][]string{
		"fr": {"phrase", "gestionnaire", "coller", "argon2id", "fermées", "32"},
		"en": {"sentence", "password manager", "paste", "argon2id", "signed out", "32"},
	}
	for lang, words := range mentions {
		var page strings.Builder
		for _, id := range append([]string{PageTitle, PageIntro}, PageParagraphs()...) {
			s := localize(t, bundle, lang, id, data)
			if strings.Contains(s, "{{") || strings.Contains(s, "<no value>") {
				t.Errorf("%s %s not filled: %q", lang, id, s)
			}
			page.WriteString(s + "\n")
		}
		for _, w := range words {
			if !strings.Contains(page.String(), w) {
				t.Errorf("%s page does not mention %q", lang, w)
			}
		}
	}
}

func localize(t *testing.T, bundle *i18n.Bundle, lang, id string, data any) string {
	t.Helper()
	s, err := i18n.NewLocalizer(bundle, lang).Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		t.Errorf("%s %s: %v", lang, id, err)
	}
	return s
}

// quoted matches what the policy page quotes: « … » in French, “ … ” in
// English.
var quoted = regexp.MustCompile(`«\s*([^»]+?)\s*»|“([^”]+)”`)

// TestPageExamplesRefused renders the policy page's texts and runs the
// policy on every example they quote: a published example is the first
// password an attacker tries, so none may be accepted (issue 11, defect
// 11). It also fails if a page loses all its examples of what is refused.
func TestPageExamplesRefused(t *testing.T) {
	bundle := i18n.NewBundle(language.French)
	for _, lang := range []string{"fr", "en"} {
		path := filepath.Join("..", "..", "locales", "policy."+lang+".json")
		if _, err := bundle.LoadMessageFile(path); err != nil {
			t.Fatal(err)
		}
	}
	p := Default()
	for _, lang := range []string{"fr", "en"} {
		var n int
		for _, id := range MessageIDs() {
			text := localize(t, bundle, lang, id, p.TemplateData())
			for _, m := range quoted.FindAllStringSubmatch(text, -1) {
				ex := m[1] + m[2]
				n++
				if got := p.Check(ex, Context{}); len(got) == 0 {
					t.Errorf("%s %s quotes %q, which the policy accepts as a password", lang, id, ex)
				}
			}
		}
		if n < 5 {
			t.Errorf("%s: %d quoted examples found on the page, want the refused ones at least", lang, n)
		}
	}
}
