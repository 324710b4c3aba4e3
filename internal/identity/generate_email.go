package identity

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// NextFromEmail returns the first identifier Taken does not report for an
// adult the school names by e-mail address only (an export with nothing
// but "EMAIL RESPONSABLE 1" columns): the part before the @ is the base,
// as the parent already knows it ("marie.dupont@exemple.fr" gives
// "marie.dupont", then "marie.dupont2"…), so that the identifier means
// something to them. A "+tag" is dropped, accents are flattened, and any
// character an identifier may not hold is dropped; a base with nothing
// left is "parent". The numbering is shared with Next for equal bases.
func (g *Generator) NextFromEmail(email string) string {
	base := emailBase(email)
	id, n := generate(base, g.next[base], g.Taken)
	if g.next == nil {
		g.next = make(map[string]int)
	}
	g.next[base] = max(n, 1) + 1
	return id
}

// emailBase turns an address's local part into a valid identifier
// before any number is added.
func emailBase(email string) string {
	local := email
	if at := strings.LastIndexByte(local, '@'); at >= 0 {
		local = local[:at]
	}
	// Sub-addressing ("marie+ecole") is a filter the parent set up, not
	// part of how they think of themselves.
	if plus := strings.IndexByte(local, '+'); plus >= 0 {
		local = local[:plus]
	}
	var b strings.Builder
	sep := byte(0) // a separator is pending, written only before the next letter
	for _, r := range norm.NFD.String(local) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		r = unicode.ToLower(r)
		var s string
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			s = string(r)
		case r == '.' || r == '_' || r == '-':
			if sep == 0 {
				sep = byte(r)
			}
			continue
		default:
			s = ligatures[r]
			if s == "" {
				continue
			}
		}
		if sep != 0 && b.Len() > 0 {
			b.WriteByte(sep)
		}
		sep = 0
		b.WriteString(s)
	}
	base := b.String()
	if len(base) > MaxIdentifierLength {
		base = strings.TrimRight(base[:MaxIdentifierLength], "._-")
	}
	if base == "" {
		base = "parent"
	}
	return base
}
