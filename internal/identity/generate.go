package identity

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// GenerateIdentifier makes an identifier "last.first" from a parent's
// names, as the school would write it by hand: accents and ligatures
// flattened, lower case, spaces and apostrophes turned into '-' ("Le Goff"
// gives "le-goff", "N'Diaye" gives "n-diaye"), other characters dropped.
// If taken reports the identifier as used, it tries "last.first2",
// "last.first3" and so on, so taken must eventually return false; nil means
// nothing is taken. The result always passes NormalizeIdentifier, even for
// names with no Latin letters, which give "parent".
func GenerateIdentifier(last, first string, taken func(string) bool) string {
	g := Generator{Taken: taken}
	return g.Next(last, first)
}

// Generator gives identifiers to many people in turn, as
// GenerateIdentifier does for one. It remembers, for each name, where
// the numbering stopped, so that a file with many identical names does
// not try "dupont.marie2", "dupont.marie3"… again for every row. The
// zero value is ready to use.
type Generator struct {
	// Taken reports identifiers already used; nil means none. The
	// identifiers Next returns are not added to it: the caller does that
	// if they must not be given twice.
	Taken func(string) bool

	next map[string]int // per base, the number to try first
}

// Next returns the first identifier for these names that Taken does not
// report.
func (g *Generator) Next(last, first string) string {
	base := identifierBase(last, first)
	id, n := generate(base, g.next[base], g.Taken)
	if g.next == nil {
		g.next = make(map[string]int)
	}
	g.next[base] = max(n, 1) + 1
	return id
}

// identifierBase is the identifier GenerateIdentifier returns when nothing
// is taken, before any number is added.
func identifierBase(last, first string) string {
	l, f := slug(last), slug(first)
	var base string
	switch {
	case l != "" && f != "":
		base = l + "." + f
	case l != "":
		base = l
	case f != "":
		base = f
	default:
		base = "parent"
	}
	if len(base) > MaxIdentifierLength {
		base = strings.TrimRight(base[:MaxIdentifierLength], ".-")
	}
	return base
}

// generate returns the first identifier not taken among base (only when
// from is 0) and base followed by a number, from max(from, 2) on. It also
// returns the number used, 0 for base itself.
func generate(base string, from int, taken func(string) bool) (string, int) {
	// A one-letter name ("O") is too short alone, so it goes straight to
	// the numbered form.
	if from == 0 && len(base) >= MinIdentifierLength && (taken == nil || !taken(base)) {
		return base, 0
	}
	for n := max(from, 2); ; n++ {
		suffix := strconv.Itoa(n)
		c := base[:min(len(base), MaxIdentifierLength-len(suffix))]
		// A cut may leave "dupont." or "le-": drop the dangling separator
		// so the number does not look like part of another word.
		c = strings.TrimRight(c, ".-") + suffix
		if taken == nil || !taken(c) {
			return c, n
		}
	}
}

// slug turns one name into the lower-case a-z, 0-9 and '-' form used in
// generated identifiers.
func slug(name string) string {
	var b strings.Builder
	dash := false // a '-' is pending, written only before the next letter
	for _, r := range norm.NFD.String(name) {
		if unicode.Is(unicode.Mn, r) {
			// The accents split off by NFD.
			continue
		}
		r = unicode.ToLower(r)
		var s string
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			s = string(r)
		case unicode.IsSpace(r), r == '-', r == '\'', r == '’', r == '‘', r == 'ʼ', r == '`', r == '´':
			dash = true
			continue
		default:
			// Letters that NFD does not split, mostly ligatures.
			s = ligatures[r]
			if s == "" {
				continue
			}
		}
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteString(s)
	}
	return b.String()
}

// ligatures spells out the lower-case letters of Latin-script names that
// have no decomposition into a base letter and an accent.
var ligatures = map[rune]string{
	'œ': "oe", 'æ': "ae", 'ß': "ss", 'ø': "o", 'đ': "d", 'ð': "d",
	'ł': "l", 'þ': "th", 'ı': "i", 'ħ': "h", 'ŀ': "l",
}
