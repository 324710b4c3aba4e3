package legal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadRefuses(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Error("a missing folder was accepted")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mentions-legale.fr.md"), []byte("x"), 0o600)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "mentions-legales.fr.md") {
		t.Errorf("a misnamed file: %v", err)
	}
	dir = t.TempDir()
	os.Mkdir(filepath.Join(dir, "accessibilite.en.md"), 0o700) // a folder cannot be read as a file
	if _, err := Load(dir); err == nil {
		t.Error("an unreadable file was accepted")
	}
}

func TestLoadRendersSafely(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "accessibilite.en.md"), []byte("# Statement\n\n**Partially** compliant.\n\n<script>x()</script>\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "README.txt"), []byte("ignored"), 0o600)
	texts, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := texts.HTML(Accessibility, "en")
	if !strings.Contains(got, "<h2>Statement</h2>") || !strings.Contains(got, "<strong>Partially</strong>") || strings.Contains(got, "<script") {
		t.Errorf("rendered %q", got)
	}
	if texts.HTML(Accessibility, "fr") != "" || texts.HTML(Notice, "en") != "" {
		t.Error("a text not provided is not empty")
	}
}
