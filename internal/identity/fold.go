package identity

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// FoldName reduces a name to what two spellings of it by two offices
// share, for matching one person across lines and years, never for
// display: lower case, accents removed, ligatures expanded, and every
// character that is not a letter or a digit dropped, so that "N'Diaye",
// "NDIAYE" and "n diaye" fold alike, as do "Hélène" and "HELENE". It is
// the one rule the import uses to tell whether two lines or two exports
// name the same adult or pupil.
func FoldName(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		switch {
		case r == 'ß':
			b.WriteString("ss")
		case r == 'æ' || r == 'Æ':
			b.WriteString("ae")
		case r == 'œ' || r == 'Œ':
			b.WriteString("oe")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
