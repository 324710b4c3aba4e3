package identity

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Length limits of an address, in bytes (RFC 5321).
const (
	MaxEmailLength = 254
	MaxLocalLength = 64
)

// NormalizeEmail checks that s is one bare e-mail address (see the
// package comment) and returns it trimmed, NFC-normalised and lower-cased.
// Errors are *Error matching ErrInvalidEmail.
func NormalizeEmail(s string) (string, error) {
	fail := func(why string, limit int) (string, error) {
		return "", &Error{Kind: ErrInvalidEmail, Reason: why, Limit: limit}
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return fail(reasonEmpty, 0)
	case !utf8.ValidString(s):
		return fail(reasonUTF8, 0)
	}
	for _, r := range s {
		// Checked before net/mail, which would accept some of these
		// inside quotes or comments.
		if invisible(r) {
			return fail(reasonInvisible, 0)
		}
		if r >= utf8.RuneSelf && unicode.ToLower(r) < utf8.RuneSelf {
			return fail("contains a look-alike of a Latin letter", 0)
		}
	}
	s = norm.NFC.String(s)
	if len(s) > MaxEmailLength {
		return fail("longer than 254 characters", MaxEmailLength)
	}
	a, err := mail.ParseAddress(s)
	switch {
	case err == nil && a.Name != "":
		return fail("give the bare address, without a name", 0)
	case err == nil && a.Address != s:
		// ParseAddress also accepts "<a@b>", "a@b (comment)" and quoted
		// local parts, which are legal but from a parent or a school's
		// file only ever mean a copy-paste from a mail client.
		return fail("give the bare address, without <>, quotes or comments", 0)
	case strings.IndexFunc(s, unicode.IsSpace) >= 0:
		// Said plainly, since "not an e-mail address" would leave the
		// reader hunting for a space they cannot see.
		return fail("contains a space", 0)
	case err != nil:
		return fail("not an e-mail address", 0)
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	switch {
	case len(local) > MaxLocalLength:
		return fail("part before @ longer than 64 characters", MaxLocalLength)
	case strings.HasPrefix(domain, "["):
		return fail("IP addresses are not accepted as domain", 0)
	case !strings.Contains(domain, "."):
		return fail("domain has no dot", 0)
	}
	return strings.ToLower(s), nil
}
