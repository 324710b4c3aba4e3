package policy

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// keyers pools the folding chain: a transform.Chain keeps buffers and
// state, so it cannot be shared between goroutines, and building one per
// call would cost several kilobytes.
var keyers = sync.Pool{New: func() any {
	return transform.Chain(
		// Compatibility decomposition first, so "ﬁ", fullwidth letters and
		// the like fold to plain letters, and accents become separate marks.
		norm.NFKD,
		// Full case folding ("ß" and "ss" match, as do "É" and "é").
		cases.Fold(),
		// Folding may produce composed or marked characters again ("İ").
		norm.NFKD,
		// Drop everything that is not a letter or a digit: accents
		// (nonspacing marks), spaces, punctuation, symbols, and invalid
		// bytes (seen as U+FFFD).
		runes.Remove(runes.Predicate(func(r rune) bool { return !isAlnum(r) })),
	)
}}

// unligature spells out the letters that Unicode does not decompose but
// a French speaker types either way: "Lætitia" is "Laetitia", "cœur" is
// "coeur". Applied after folding, so only lower-case forms are needed.
var unligature = strings.NewReplacer("œ", "oe", "æ", "ae", "ø", "o", "ł", "l", "đ", "d", "ı", "i")

// key reduces s to what a guesser would consider the same word: case,
// accents, spaces, punctuation and symbols removed, letters and digits
// kept. Both sides of every comparison go through it.
func key(s string) string {
	if s == "" {
		return ""
	}
	t := keyers.Get().(transform.Transformer)
	out, _, err := transform.String(t, s)
	keyers.Put(t)
	if err != nil {
		// Not expected from these transformers; fall back to something
		// deterministic rather than failing a password check.
		return strings.Map(func(r rune) rune {
			if !isAlnum(r) {
				return -1
			}
			return unicode.ToLower(r)
		}, s)
	}
	if strings.ContainsAny(out, "œæøłđı") {
		// Checked first because the replacer allocates even when it has
		// nothing to replace.
		out = unligature.Replace(out)
	}
	return out
}

// containsKey reports whether the key k contains the key of s.
func containsKey(k, s string) bool {
	ks := key(s)
	return ks != "" && strings.Contains(k, ks)
}

// containsParts reports whether k contains the key of a part of s with at
// least minLetters letters. Parts are split on anything that is not a
// letter, digit or mark, which covers ".", "-", "_", spaces and
// apostrophes ("dupont.marie", "Le Gall", "O'Neil").
func containsParts(k, s string, minLetters int) bool {
	if s == "" {
		return false
	}
	parts := strings.FieldsFunc(norm.NFC.String(s), isSeparator)
	if len(parts) < 2 {
		// A single part is the whole value, already compared.
		return false
	}
	for _, part := range parts {
		if count(part, unicode.IsLetter) >= minLetters && containsKey(k, part) {
			return true
		}
	}
	return false
}

// nfcCount counts the runes of s, once composed, for which f holds, so
// "Éléonore" has eight letters whether typed composed or not.
func nfcCount(s string, f func(rune) bool) int {
	if s == "" {
		return 0
	}
	return count(norm.NFC.String(s), f)
}

func count(s string, f func(rune) bool) int {
	n := 0
	for _, r := range s {
		if f(r) {
			n++
		}
	}
	return n
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func isSeparator(r rune) bool { return !isAlnum(r) && !unicode.IsMark(r) }

// Key is the folded form in which the blocklist stores its entries and
// compares passwords with them: case, accents, spaces, punctuation and
// symbols removed, ligatures spelt out ("Mot de Passe!" is "motdepasse").
// It is exported for the generator of the embedded list (./gen), whose
// output must be folded exactly as candidates are.
func Key(s string) string { return key(s) }
