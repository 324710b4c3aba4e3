package handlers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sesame/internal/legal"
)

// The three pages a public school must publish answer in both languages
// with the built-in texts, and every page's footer links to them.
func TestLegalPagesDefaults(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	for _, c := range []struct{ path, lang, want string }{
		{"/mentions-legales", "fr", "Directeur ou directrice de la publication"},
		{"/mentions-legales", "en", "Director of publication"},
		{"/donnees-personnelles", "fr", "argon2id"},
		{"/donnees-personnelles", "en", "kept for a year"},
		{"/accessibilite", "fr", "WCAG 2.2"},
		{"/accessibilite", "en", "Défenseur des droits"},
	} {
		resp, body := b.get(c.path + "?lang=" + c.lang)
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d", c.path, c.lang, resp.StatusCode)
		}
		for _, want := range []string{c.want, `<html lang="` + c.lang + `">`, "École Jules Ferry", "secretariat@ecole.test",
			`href="` + c.path + `?lang=fr"`, `href="` + c.path + `?lang=en"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s %s lacks %q", c.path, c.lang, want)
			}
		}
		if strings.Count(body, "<h1") != 1 {
			t.Errorf("%s %s: %d h1", c.path, c.lang, strings.Count(body, "<h1"))
		}
	}
	_, body := b.get("/recuperation")
	for _, p := range legal.Pages {
		if !strings.Contains(body, `href="/`+p+`"`) {
			t.Errorf("the footer lacks a link to /%s", p)
		}
	}
}

// A school's own text from --legal-dir replaces the built-in one, and
// the HTML it may hold is not rendered: no script reaches the page.
func TestLegalPagesSchoolText(t *testing.T) {
	dir := t.TempDir()
	src := "# Mentions légales du collège\n\nDirectrice de la publication : Mme Martin.\n\n" +
		"<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[piège](javascript:alert(3))\n"
	if err := os.WriteFile(filepath.Join(dir, "mentions-legales.fr.md"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	texts, err := legal.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(d *Deps) { d.Config.Legal = texts })
	b := e.browser(t)
	resp, body := b.get("/mentions-legales")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{"<h2>Mentions légales du collège</h2>", "Directrice de la publication : Mme Martin."} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>alert", "onerror", "javascript:", "Le portail fonctionne avec Sésame"} {
		if strings.Contains(body, bad) {
			t.Errorf("page holds %q", bad)
		}
	}
	// English was not provided: the built-in text.
	if _, body := b.get("/mentions-legales?lang=en"); !strings.Contains(body, "The portal runs Sésame") {
		t.Error("English page lacks the built-in text")
	}
}
