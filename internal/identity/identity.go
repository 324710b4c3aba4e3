// Package identity holds the rules for identifiers, e-mail addresses and
// people's names, shared by every entry point: the CSV import, `sesame
// accounts add`, login, recovery and the secretariat's desk. Each entry
// point calls these functions instead of checking on its own, so that a
// value one of them accepts is accepted, in the same form, by all the
// others.
//
// # Identifiers
//
// 2 to 64 ASCII characters among a-z, 0-9, '.', '_' and '-', starting
// with a letter or a digit; case is ignored (phones capitalise the first
// letter). ASCII only, checked on the bytes before lower-casing: Go's
// lower-casing turns the Kelvin sign (U+212A) into "k", so checking after
// it would let a look-alike through.
//
// # E-mail addresses
//
// One bare address as a parent writes it: no display name, angle brackets,
// comments or quoted local part, no IP-literal domain, a dot in the domain
// (net/mail accepts "marie@gmail", a typo that would only surface when the
// recovery mail bounces), at most 64 bytes before the @ and 254 in all
// (RFC 5321). Control and invisible characters are refused before parsing,
// since net/mail would accept some inside quotes or comments. The result
// is NFC-normalised and lower-cased whole: the RFC lets a server tell
// "Marie@" from "marie@", but no provider a parent uses does. A non-ASCII
// character whose lower case is ASCII (the Kelvin sign, the dotted capital
// İ) is refused rather than folded, so two addresses that look different
// never become the same.
//
// # Names
//
// A person's name is one line of visible text of at most 100 characters,
// NFC-normalised, trimmed, with runs of spaces collapsed. Accents,
// apostrophes (' and ’), hyphens, spaces, ligatures, digits, parentheses
// and every script are kept: "O'Brien", "N’Diaye", "Le Goff", "de La Tour
// d'Auvergne", "Lœuillet", "李". Refused are control characters (a CR or
// LF could reach a mail header), invisible format characters such as
// zero-width spaces and bidirectional overrides (they disguise a name in
// a mail client), line separators, U+FFFD (a byte that did not decode),
// and five ASCII characters that are never part of a name: '"' and '\',
// the quoting characters of a mail header's display name, whose presence
// means a copy-paste slip ("Mimi\""); and '<', '>' and '@', the syntax of
// an address, since a name that holds them is an address or markup pasted
// into the wrong column, and would let a name pose as an address in the
// "To" line of a mail client ("secretariat@ecole.fr <x@y.fr>").
// Mail headers never depend on these rules for their syntax: they are
// built by the mail library's address encoder.
package identity

import (
	"errors"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors: every error this package returns is an *Error that
// matches exactly one of them with errors.Is.
var (
	// ErrInvalidIdentifier means the string is not a valid identifier.
	ErrInvalidIdentifier = errors.New("invalid identifier")
	// ErrInvalidEmail means the string is not one bare e-mail address.
	ErrInvalidEmail = errors.New("invalid e-mail address")
	// ErrInvalidName means the string is not acceptable as a name.
	ErrInvalidName = errors.New("invalid name")
	// ErrInvalidText means the string is not one line of visible text.
	ErrInvalidText = errors.New("invalid text")
)

// Error says why a value was refused.
type Error struct {
	// Kind is ErrInvalidIdentifier, ErrInvalidEmail, ErrInvalidName or
	// ErrInvalidText.
	Kind error
	// Reason is a few English words for messages that quote the value,
	// such as the import's line-numbered report: "domain has no dot".
	Reason string
	// Limit is the length limit the value went over, 0 when the value was
	// refused for another reason; the import reports long names apart.
	Limit int
}

// Error returns "identity: " followed by the kind and the reason.
func (e *Error) Error() string { return "identity: " + e.Kind.Error() + ": " + e.Reason }

// Unwrap returns Kind, for errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

// Reason returns the reason of err when it is an *Error, and err's text
// otherwise.
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return err.Error()
}

// Reasons shared by several kinds of values.
const (
	reasonEmpty     = "empty"
	reasonUTF8      = "not valid UTF-8"
	reasonInvisible = "contains a control or invisible character"
)

// invisible reports runes no value of this package may hold: control
// characters (a CR or LF could reach a mail header), invisible format
// characters such as U+200B, U+FEFF and bidirectional overrides (they
// can disguise a value), other default-ignorable fillers (U+3164 and the
// like), line and paragraph separators, and U+FFFD, the mark of a byte
// that did not decode.
func invisible(r rune) bool {
	if ' ' <= r && r < 0x7f {
		// Printable ASCII, the bulk of any input: skip the table look-ups.
		return false
	}
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Other_Default_Ignorable_Code_Point) ||
		r == utf8.RuneError
}
