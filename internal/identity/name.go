package identity

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxNameLength is the longest name accepted, in characters (runes, after
// NFC). Real names are far shorter; a longer value is almost always a
// misplaced column or pasted text, and names end up in e-mails and page
// titles.
const MaxNameLength = 100

// NormalizeName checks a person's last or first name (see the package
// comment) and returns it trimmed, NFC-normalised, with runs of spaces
// (no-break spaces included) collapsed to one. Errors are *Error matching
// ErrInvalidName.
func NormalizeName(s string) (string, error) {
	v, err := clean(s, MaxNameLength, ErrInvalidName)
	if err != nil {
		return "", err
	}
	if i := strings.IndexAny(v, `"\<>@`); i >= 0 {
		return "", &Error{Kind: ErrInvalidName, Reason: fmt.Sprintf("contains %q, which has no place in a name", v[i])}
	}
	return v, nil
}

// CleanText checks that s is one line of visible text of at most max
// characters, such as the school's name or the secretariat's opening
// hours, and returns it as NormalizeName would, but with every printable
// character allowed. Errors are *Error matching ErrInvalidText.
func CleanText(s string, max int) (string, error) {
	return clean(s, max, ErrInvalidText)
}

func clean(s string, max int, kind error) (string, error) {
	fail := func(why string, limit int) (string, error) {
		return "", &Error{Kind: kind, Reason: why, Limit: limit}
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return fail(reasonEmpty, 0)
	case !utf8.ValidString(s):
		return fail(reasonUTF8, 0)
	}
	if strings.IndexFunc(s, invisible) >= 0 {
		return fail(reasonInvisible, 0)
	}
	// Mac exports and keyboards write accents decomposed; NFC makes "é"
	// one rune whatever the source, so that names compare and count the
	// same. Collapsing spaces (including Excel's no-break spaces) undoes
	// alignment padding.
	s = strings.Join(strings.Fields(norm.NFC.String(s)), " ")
	if n := utf8.RuneCountInString(s); n > max {
		return fail(fmt.Sprintf("%d characters long, over %d", n, max), max)
	}
	return s, nil
}
