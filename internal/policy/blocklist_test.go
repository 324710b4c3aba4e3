package policy

import (
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestEmbeddedBlocklist checks the generator's output as the loader
// expects it: every line already folded, sorted, unique; and every entry
// of the hand-kept list is in it, so an edit of blocklist.txt without a
// `go run ./internal/policy/gen` fails here.
func TestEmbeddedBlocklist(t *testing.T) {
	b := DefaultBlocklist()
	if !slices.IsSorted(b.keys) {
		t.Fatal("embedded blocklist is not sorted")
	}
	for i, k := range b.keys {
		if k != key(k) || utf8.RuneCountInString(k) < 3 {
			t.Errorf("embedded entry %q is not a folded key of 3 characters or more", k)
		}
		if i > 0 && b.keys[i-1] == k {
			t.Errorf("embedded entry %q is duplicated", k)
		}
	}
	seed, err := os.ReadFile("blocklist.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(seed), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if line != strings.ToLower(line) {
			t.Errorf("blocklist.txt line %q is not lower-case", line)
		}
		if k := key(line); len(k) >= 3 && !b.has(k) {
			t.Errorf("blocklist.txt has %q but blocklist.gz lacks it: run go run ./internal/policy/gen", line)
		}
	}
	// From each source: the common leaks and the French words.
	for _, w := range []string{"dragon", "baseball", "trustno1", "chocolat", "vacances", "papillon", "bisous"} {
		if !b.Contains(w) {
			t.Errorf("embedded blocklist lacks %q", w)
		}
	}
}

// TestWeakPasswordsRefused lists the passwords of issue 11 and others a
// parent could think clever; each must fail at least one rule.
func TestWeakPasswordsRefused(t *testing.T) {
	p := Default()
	for _, pw := range []string{
		"aaaaaaa1", "11111111a", "123456789a", "azertyuiop1", "Chocolat2024", "vacances2025!",
		"Bisous123", "papillon1", "qwertyuiop1", "abcdefgh1", "Motdepasse1",
		"mon chat dort 3 fois par jour", "my cat sleeps 3 times a day",
	} {
		if got := p.Check(pw, Context{}); len(got) == 0 {
			t.Errorf("Check(%q) accepted a weak password", pw)
		}
	}
}

// BenchmarkLoadBlocklist measures what the first password check pays
// once: decompressing and splitting the embedded list.
func BenchmarkLoadBlocklist(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := loadFolded(blocklistGz); err != nil {
			b.Fatal(err)
		}
	}
}
