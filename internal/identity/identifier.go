package identity

import "strings"

// Length limits of an identifier, in bytes (identifiers are ASCII).
const (
	MinIdentifierLength = 2
	MaxIdentifierLength = 64
)

// NormalizeIdentifier checks that s is a valid sign-in identifier (see
// the package comment) and returns it trimmed and lower-cased. Errors are
// *Error matching ErrInvalidIdentifier.
func NormalizeIdentifier(s string) (string, error) {
	fail := func(why string, limit int) (string, error) {
		return "", &Error{Kind: ErrInvalidIdentifier, Reason: why, Limit: limit}
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return fail(reasonEmpty, 0)
	case len(s) < MinIdentifierLength:
		return fail("shorter than 2 characters", 0)
	case len(s) > MaxIdentifierLength:
		return fail("longer than 64 characters", MaxIdentifierLength)
	}
	// Checked on the bytes before lower-casing, since strings.ToLower
	// would turn the Kelvin sign into "k" and let a look-alike through.
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
			b[i] = c
		}
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i == 0:
			return fail("must start with a letter or a digit", 0)
		case c == '.', c == '_', c == '-':
		default:
			return fail("only letters a-z, digits, '.', '_' and '-' are allowed", 0)
		}
	}
	return string(b), nil
}
