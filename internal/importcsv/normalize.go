package importcsv

import (
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Errors returned by NormalizeEmail and NormalizeIdentifier, wrapped with
// the reason; compare with errors.Is.
var (
	// ErrInvalidEmail means the string is not a bare e-mail address.
	ErrInvalidEmail = errors.New("importcsv: invalid e-mail address")
	// ErrInvalidIdentifier means the string is not a valid identifier.
	ErrInvalidIdentifier = errors.New("importcsv: invalid identifier")
)

// MaxIdentifierLength is the longest identifier, in bytes (identifiers are
// ASCII).
const MaxIdentifierLength = 64

// NormalizeEmail checks that s is a bare e-mail address (no display name,
// no angle brackets, no comments) and returns it trimmed and lower-cased.
// The whole address is lower-cased, local part included: the RFC lets a
// server tell "Marie@" from "marie@", but no mail provider a parent uses
// does, and parents type their address in any case when recovering a
// password.
func NormalizeEmail(s string) (string, error) {
	e, why := checkEmail(s)
	if why != "" {
		return "", fmt.Errorf("%w: %s", ErrInvalidEmail, why)
	}
	return e, nil
}

// checkEmail is NormalizeEmail returning a short reason for Detail messages.
func checkEmail(s string) (addr, why string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", "empty"
	case !utf8.ValidString(s):
		return "", "not valid UTF-8"
	case len(s) > 254:
		// The longest address SMTP can carry (RFC 5321 path limit).
		return "", "longer than 254 characters"
	}
	for _, r := range s {
		// Checked before net/mail, which would accept some of these
		// inside quotes or comments; a CR or LF here could inject mail
		// headers.
		if badNameRune(r) {
			return "", "contains a control or invisible character"
		}
	}
	a, err := mail.ParseAddress(s)
	switch {
	case err == nil && a.Name != "":
		return "", "give the bare address, without a name"
	case err == nil && a.Address != s:
		// ParseAddress also accepts "<a@b>", "a@b (comment)" and quoted
		// local parts, which are legal but in a parents' file only ever
		// mean a copy-paste from a mail client.
		return "", "give the bare address, without <>, quotes or comments"
	case strings.IndexFunc(s, unicode.IsSpace) >= 0:
		// Said plainly, since "not an e-mail address" would leave the
		// reader hunting for a space they cannot see.
		return "", "contains a space"
	case err != nil:
		return "", "not an e-mail address"
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	switch {
	case len(local) > 64:
		return "", "part before @ longer than 64 characters"
	case strings.HasPrefix(domain, "["):
		return "", "IP addresses are not accepted as domain"
	case !strings.Contains(domain, "."):
		// net/mail accepts "marie@gmail", a frequent typo that would
		// only fail later, when the password reset mail bounces.
		return "", "domain has no dot"
	}
	return strings.ToLower(s), ""
}

// NormalizeIdentifier lower-cases s and checks that it is a valid sign-in
// identifier: 2 to 64 ASCII characters among a-z, 0-9, '.', '_' and '-',
// starting with a letter or digit. ASCII only, so that two identifiers
// that look the same are the same.
func NormalizeIdentifier(s string) (string, error) {
	id, why := checkIdentifier(s)
	if why != "" {
		return "", fmt.Errorf("%w: %s", ErrInvalidIdentifier, why)
	}
	return id, nil
}

// checkIdentifier is NormalizeIdentifier returning a short reason for Detail
// messages.
func checkIdentifier(s string) (id, why string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", "empty"
	case len(s) < 2:
		return "", "shorter than 2 characters"
	case len(s) > MaxIdentifierLength:
		return "", "longer than 64 characters"
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
			return "", "must start with a letter or a digit"
		case c == '.', c == '_', c == '-':
		default:
			return "", "only letters a-z, digits, '.', '_' and '-' are allowed"
		}
	}
	return string(b), ""
}

// GenerateIdentifier makes an identifier "last.first" from a parent's
// names, as the school would write it by hand: accents and ligatures
// flattened, lower case, spaces and apostrophes turned into '-' ("Le Goff"
// gives "le-goff", "N'Diaye" gives "n-diaye"), other characters dropped.
// If taken reports the identifier as used, it tries "last.first2",
// "last.first3" and so on, so taken must eventually return false; nil means
// nothing is taken. The result always passes NormalizeIdentifier, even for
// names with no Latin letters, which give "parent".
func GenerateIdentifier(last, first string, taken func(string) bool) string {
	id, _ := generate(identifierBase(last, first), 0, taken)
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
// returns the number used, 0 for base itself, so that AssignIdentifiers can
// resume after it: restarting at 2 for every row would make a file with
// many identical names quadratic.
func generate(base string, from int, taken func(string) bool) (string, int) {
	// A one-letter name ("O") is too short alone, so it goes straight to
	// the numbered form.
	if from == 0 && len(base) >= 2 && (taken == nil || !taken(base)) {
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

// AssignIdentifiers gives a generated identifier to every row that has
// none, using GenerateIdentifier. taken reports identifiers already used
// in the caller's store; identifiers written in the file, including on
// rejected rows, and those generated for earlier rows count as taken too,
// so that every identifier in r.Rows ends up distinct.
func (r *Result) AssignIdentifiers(taken func(string) bool) {
	used := make(map[string]bool, len(r.Rows)+len(r.reserved))
	for id := range r.reserved {
		used[id] = true
	}
	for _, row := range r.Rows {
		if row.Identifier != "" {
			used[row.Identifier] = true
		}
	}
	isTaken := func(id string) bool {
		return used[id] || (taken != nil && taken(id))
	}
	// next remembers, for each base, where the numbering stopped: every
	// candidate before it is already taken.
	next := make(map[string]int)
	for i := range r.Rows {
		row := &r.Rows[i]
		if row.Identifier != "" {
			continue
		}
		base := identifierBase(row.LastName, row.FirstName)
		id, n := generate(base, next[base], isTaken)
		next[base] = max(n, 1) + 1
		row.Identifier = id
		used[id] = true
	}
}
