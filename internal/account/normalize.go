package account

import (
	"errors"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// ErrBadIdentifier and ErrBadEmail report input that cannot be an
// identifier or an e-mail address.
var (
	ErrBadIdentifier = errors.New("account: invalid identifier")
	ErrBadEmail      = errors.New("account: invalid e-mail address")
)

// NormalizeIdentifier returns the canonical (lower-case) form of an
// identifier: identifiers are unique without regard to case, since
// parents type them on phones that capitalise the first letter.
func NormalizeIdentifier(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) < 2 || len(s) > 64 || !utf8.ValidString(s) {
		return "", ErrBadIdentifier
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (i > 0 && (r == '.' || r == '-' || r == '_'))
		if !ok {
			return "", ErrBadIdentifier
		}
	}
	return s, nil
}

// NormalizeEmail returns the canonical form of an address: trimmed and
// lower-cased whole (schools' records mix cases, and no real mailbox of a
// parent depends on the local part's case).
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > 254 || !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n\x00 <>,") {
		return "", ErrBadEmail
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "", ErrBadEmail
	}
	return s, nil
}

// CleanName validates a person's name: no control characters (a CR or LF
// in a name could end up in a mail header), at most 100 runes.
func CleanName(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > 100 {
		return "", false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "", false
		}
	}
	return s, true
}
