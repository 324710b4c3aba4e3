// Package policy decides whether a parent may choose a password.
//
// The rules are the ones parents already know from the seed portal (length,
// a digit, a letter, not their name or identifier) plus a blocklist of
// common passwords and context words, which is what places Sésame in the
// CNIL's "password + access restriction" case. Each rule is named by the
// message ID the pages and e-mails translate, so the domain never holds a
// sentence and the web layer never re-implements a rule.
//
// Characters are counted as Unicode code points after NFC normalisation,
// so "é" is one character whether the browser sent it composed or not.
// Comparisons with names, identifiers and the blocklist ignore case,
// accents, spaces and punctuation, because "Dupont", "DUPONT" and
// "du-pont" are the same guess for an attacker. The package has no HTTP
// and no storage, so it is safe for concurrent use and cheap to test.
package policy

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Rule names one requirement. Its value is the stable i18n message ID of
// the sentence that states the requirement ("contenir au moins une
// lettre"), so a failed rule can be shown to the parent as it is.
type Rule string

// The rules, each with its message ID. The IDs are stored in locale files
// and may be referenced by templates, so they never change.
const (
	// Length requires between MinLen and MaxLen characters; its message
	// takes TemplateData.
	Length Rule = "policy.length"
	// Digit requires at least one decimal digit, in any script.
	Digit Rule = "policy.digit"
	// Letter requires at least one letter, accented or not, in any script.
	Letter Rule = "policy.letter"
	// Personal forbids containing the identifier, the last name or the
	// first name.
	Personal Rule = "policy.personal"
	// Common forbids blocklisted passwords and context words such as the
	// school's name.
	Common Rule = "policy.common"
	// Predictable forbids one repeated character or a run of the
	// alphabet, the digits or a keyboard row, with up to two characters
	// added ("aaaaaaa1", "123456789a", "azertyuiop1").
	Predictable Rule = "policy.predictable"
)

// Rules returns every rule in the order the seed lists them, for the live
// checklist under the password field. The slice is new on each call so a
// caller may keep or change it.
func Rules() []Rule {
	return []Rule{Length, Digit, Letter, Personal, Common, Predictable}
}

// Default limits: the seed's, which parents already know.
const (
	DefaultMinLen = 8
	DefaultMaxLen = 32
)

// ErrLimits is wrapped by the error New returns for limits no password
// could meet, so configuration code can recognise it with errors.Is.
var ErrLimits = errors.New("policy: invalid length limits")

// Policy holds the limits and the blocklist. It is read-only once built
// and safe for concurrent use; build one at start-up and share it.
type Policy struct {
	// MinLen and MaxLen bound the length in characters (code points after
	// NFC), both inclusive.
	MinLen, MaxLen int
	// Blocklist holds the common passwords to refuse. Nil disables the
	// list; context words (Context.Extra) are still refused.
	Blocklist *Blocklist
}

// Default returns the seed's policy, 8 to 32 characters, with the embedded
// blocklist. Each call returns a new Policy so changing one does not
// change another; the blocklist itself is shared and immutable.
func Default() *Policy {
	return &Policy{MinLen: DefaultMinLen, MaxLen: DefaultMaxLen, Blocklist: DefaultBlocklist()}
}

// New returns a policy with other length limits and the embedded
// blocklist, for schools whose rules differ from the seed's. It refuses
// limits that no password could meet or that would accept the empty
// password.
func New(minLen, maxLen int) (*Policy, error) {
	p := &Policy{MinLen: minLen, MaxLen: maxLen, Blocklist: DefaultBlocklist()}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// Validate reports whether the limits make sense, for policies built as
// struct literals from configuration.
func (p *Policy) Validate() error {
	if p.MinLen < 1 || p.MaxLen < p.MinLen {
		return fmt.Errorf("%w: min %d, max %d (want 1 <= min <= max)", ErrLimits, p.MinLen, p.MaxLen)
	}
	return nil
}

// TemplateData returns the values the rule messages need ({{.Min}} and
// {{.Max}} in policy.length and the explanation page), so a template never
// hard-codes the limits. The map is new on each call because localizers
// may add keys to it.
func (p *Policy) TemplateData() map[string]any {
	return map[string]any{"Min": p.MinLen, "Max": p.MaxLen}
}

// Context is what is known about the account, so the password can be
// compared with what an attacker would try first. Empty fields are
// ignored.
type Context struct {
	// Identifier is the username. The whole of it is refused once it has
	// three letters or digits, since a numeric identifier is as
	// guessable as a name; so is each part of three letters or more
	// ("dupont" and "marie" in "dupont.marie").
	Identifier string
	// LastName and FirstName are refused when they have three letters or
	// more; shorter names would forbid too many passwords.
	LastName, FirstName string
	// Extra holds context words such as the school's name or town; each
	// word of four letters or more is refused.
	Extra []string
}

// Result is one rule and whether the password meets it, for ticking the
// checklist as the parent types. ID is the rule's message ID as a plain
// string so templates can pass it straight to the localizer.
type Result struct {
	ID string
	OK bool
}

// Check returns the rules the password fails, in display order, or nil
// when it may be used. Callers show each failed rule's message; nothing
// is truncated or trimmed, and any Unicode, spaces included, is accepted.
// Invalid UTF-8 never panics: each invalid byte counts as one character
// and is otherwise ignored, but the web layer should refuse it earlier.
func (p *Policy) Check(password string, c Context) []Rule {
	var failed []Rule
	for _, r := range p.Evaluate(password, c) {
		if !r.OK {
			failed = append(failed, Rule(r.ID))
		}
	}
	return failed
}

// Evaluate returns every rule, in display order, with whether the
// password meets it, so the page can tick the ones already met. A rule's
// result does not depend on the others: an empty password meets Personal,
// Common and Predictable, and only Length, Digit and Letter fail.
func (p *Policy) Evaluate(password string, c Context) []Result {
	nfc := Normalize(password)
	n := utf8.RuneCountInString(nfc)
	var hasDigit, hasLetter bool
	for _, r := range nfc {
		hasDigit = hasDigit || unicode.IsDigit(r)
		hasLetter = hasLetter || unicode.IsLetter(r)
		if hasDigit && hasLetter {
			break
		}
	}
	k := key(password)
	return []Result{
		{ID: string(Length), OK: n >= p.MinLen && n <= p.MaxLen},
		{ID: string(Digit), OK: hasDigit},
		{ID: string(Letter), OK: hasLetter},
		{ID: string(Personal), OK: !containsPersonal(k, c)},
		{ID: string(Common), OK: !p.Blocklist.containsKey(k) && !containsExtra(k, c.Extra)},
		{ID: string(Predictable), OK: !predictable(nfc)},
	}
}

// Minimum letters a name or context word needs before it is refused.
// Shorter ones ("Li", "Ng", "Lou") appear inside too many good passwords.
const (
	minNameLetters  = 3
	minExtraLetters = 4
)

// containsPersonal reports whether the password key contains the
// identifier, a name, or a long enough part of one.
func containsPersonal(k string, c Context) bool {
	if k == "" {
		return false
	}
	// A numeric identifier ("20231234") is as guessable as a name, so
	// the whole identifier counts digits as well as letters.
	if whole := nfcCount(c.Identifier, isAlnum); whole >= minNameLetters && containsKey(k, c.Identifier) {
		return true
	}
	if containsParts(k, c.Identifier, minNameLetters) {
		return true
	}
	for _, name := range []string{c.LastName, c.FirstName} {
		if nfcCount(name, unicode.IsLetter) >= minNameLetters && containsKey(k, name) {
			return true
		}
		if containsParts(k, name, minNameLetters) {
			return true
		}
	}
	return false
}

// containsExtra reports whether the password key contains a context word,
// whole or any of its parts, of minExtraLetters letters or more.
func containsExtra(k string, extra []string) bool {
	if k == "" {
		return false
	}
	for _, w := range extra {
		if nfcCount(w, unicode.IsLetter) >= minExtraLetters && containsKey(k, w) {
			return true
		}
		if containsParts(k, w, minExtraLetters) {
			return true
		}
	}
	return false
}
