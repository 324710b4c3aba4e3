// Package letters renders the activation letters a school hands to
// parents: one A4 page per adult, printed in black and white, with the
// adult's identifier, their one-time activation code, a QR code of the
// activation link and the secretariat's contacts, in the adult's
// language (WritePDF); and the same fields as a CSV file for a mail merge
// in the school's word processor (WriteCSV).
//
// It is pure: the caller (the `sesame letters` command) has already
// chosen the accounts, generated and stored their codes, and passes them
// in. Nothing here touches the store or HTTP, and the same input always
// gives the same bytes, so tests and the office can compare two runs.
//
// One page per adult, never per family: each adult has their own
// identifier and their own code, so two adults sharing an address get
// two pages (one letter must never carry someone else's code).
package letters

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"sesame/internal/account"
	"sesame/internal/identity"
	"sesame/locales"
)

// Letter is what one page says to one adult. The caller fills it from the
// account and the activation code it has just generated.
type Letter struct {
	// Identifier is the adult's sign-in identifier.
	Identifier string
	// Civility is the civility as the school's export wrote it ("M.",
	// "Mme", "Madame"…); known forms are written out in the letter's
	// language, others as given, and an empty one is left out.
	Civility            string
	LastName, FirstName string
	// Children are the pupils the adult is responsible for. The first
	// one files the letter under its class (Sort) and is named at the top
	// of the page as the pupil to hand it to, so a caller printing one
	// class puts that class's child first.
	Children []account.Child
	// Code is the activation code as printed, e.g. "K7QM-4RXP-9TDW".
	Code string
	// Link is the activation URL: the QR code holds it and the letter
	// writes it out, so a parent without a camera can type it.
	Link string
	// Expires is when the code stops working. The letter names the last
	// day on which it works all day (see ExpiryDate).
	Expires time.Time
	// Lang is the letter's language, "fr" or "en"; anything else is
	// French.
	Lang string
}

// School is what every page says about the school.
type School struct {
	// Name heads every page: "École Jules Ferry". May be empty.
	Name string
	// PortalURL is the portal's address, written out on the page.
	PortalURL string
	// Phone, Email and Hours are the secretariat's contacts; any may be
	// empty and is then left out.
	Phone, Email, Hours string
	// Zone is the school's time zone, in which the expiry date is given;
	// nil leaves each Expires in its own zone.
	Zone *time.Location
}

// ErrNoLetters is returned by WritePDF for an empty list: a PDF needs at
// least one page, and an empty document would look like a failed print.
var ErrNoLetters = errors.New("letters: no letter to write")

// For is the letter of account a with its new code and that code's
// link: the one place that says which of an account's fields a letter
// prints, for `sesame letters` and the desk alike.
func For(a account.Account, code, link string, expires time.Time) Letter {
	return Letter{Identifier: a.ID, Civility: a.Civility, LastName: a.LastName, FirstName: a.FirstName,
		Children: a.Children, Code: code, Link: link, Expires: expires, Lang: a.Lang}
}

// Sort orders letters the way the office hands them out: by the class of
// each adult's first child, then by the adult's last and first names
// (compared without case or accents, digits by their value so "2nde 9"
// comes before "2nde 10"), adults without children last. The identifier
// breaks ties, so the order never depends on the input's.
func Sort(ls []Letter) {
	slices.SortStableFunc(ls, compareLetters)
}

func compareLetters(a, b Letter) int {
	if c := cmp.Compare(childless(a), childless(b)); c != 0 {
		return c
	}
	if len(a.Children) > 0 {
		if c := naturalCompare(identity.FoldName(a.Children[0].Class), identity.FoldName(b.Children[0].Class)); c != 0 {
			return c
		}
	}
	if c := naturalCompare(identity.FoldName(a.LastName), identity.FoldName(b.LastName)); c != 0 {
		return c
	}
	if c := naturalCompare(identity.FoldName(a.FirstName), identity.FoldName(b.FirstName)); c != 0 {
		return c
	}
	return strings.Compare(a.Identifier, b.Identifier)
}

// childless is 1 for an adult without children, who comes last.
func childless(l Letter) int {
	if len(l.Children) == 0 {
		return 1
	}
	return 0
}

// naturalCompare compares folded strings, runs of digits by their numeric
// value: class names number their divisions ("2nde 9", "2nde 10").
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na := strings.TrimLeft(a[:da], "0")
			nb := strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		ra, sa := utf8.DecodeRuneInString(a)
		rb, sb := utf8.DecodeRuneInString(b)
		if c := cmp.Compare(ra, rb); c != 0 {
			return c
		}
		a, b = a[sa:], b[sb:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// bundle is the locale catalogue, parsed once: the API takes no bundle,
// and the letters' sentences are embedded like every other.
var bundle = sync.OnceValues(locales.Load)

// lang returns a supported language for l.
func lang(l string) string {
	if locales.Valid(l) {
		return l
	}
	return locales.Default
}

// ExpiryDate is the expiry as the letter and the CSV write it: the last
// day, in the school's zone, on which the code works all day. A code
// expiring at 23:59 or later is valid through that day; one expiring
// earlier (say at 14:32, eight weeks after it was made) is announced as
// valid until the day before, so a parent is never promised more time
// than they have. Callers that want the exact day printed make codes
// expire at the end of a day in the school's zone.
func ExpiryDate(b *locales.Bundle, lang string, zone *time.Location, expires time.Time) string {
	t := expires
	if zone != nil {
		t = t.In(zone)
	}
	if t.Hour() != 23 || t.Minute() != 59 {
		// Noon on the 28th: the 28th is not a whole day; midnight
		// starting the 29th: the 28th was the last whole one.
		t = t.AddDate(0, 0, -1)
	}
	return b.Time(lang, "letters.date", t)
}

// civility writes the export's civility in the letter's language; a form
// it does not know is kept as written.
func civility(b *locales.Bundle, lang, c string) string {
	switch strings.TrimRight(strings.ToLower(strings.TrimSpace(c)), ".") {
	case "":
		return ""
	case "m", "mr", "monsieur", "mister":
		return b.T(lang, "letters.civility.mr", nil)
	case "mme", "mrs", "ms", "madame", "mlle", "mademoiselle", "miss":
		// Mademoiselle left French administrative letters in 2012.
		return b.T(lang, "letters.civility.mrs", nil)
	}
	return c
}

// addressee is "Madame DUPONT Marie" (French order) or "Ms Marie DUPONT".
func addressee(b *locales.Bundle, lang string, l Letter) string {
	return b.T(lang, "letters.addressee", map[string]any{
		"Civility":  civility(b, lang, l.Civility),
		"LastName":  upper(l.LastName),
		"FirstName": l.FirstName,
	})
}

// childShort is "Lucas DUPONT (6A)": the same in both languages, for the
// CSV cell, the hand-out line and the outline.
func childShort(c account.Child) string {
	s := strings.TrimSpace(c.FirstName + " " + upper(c.LastName))
	if c.Class != "" {
		s += " (" + c.Class + ")"
	}
	return s
}

// upper writes a last name in capitals, as French letters do; it is a
// no-op on a name already in capitals.
func upper(s string) string { return strings.ToUpper(s) }

// clean makes a field safe to print on one line: invalid UTF-8 replaced,
// control characters (line breaks from a hand-edited export) turned into
// spaces, runs of spaces collapsed.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) && r != '\u00a0' || unicode.IsControl(r)
	}), " ")
}

// cleaned returns a copy of l whose fields are safe to print, or an error
// naming the letter (never its code) when something the page cannot do
// without is missing.
func cleaned(i int, l Letter) (Letter, error) {
	c := Letter{
		Identifier: clean(l.Identifier),
		Civility:   clean(l.Civility),
		LastName:   clean(l.LastName),
		FirstName:  clean(l.FirstName),
		Code:       clean(l.Code),
		Link:       clean(l.Link),
		Expires:    l.Expires,
		Lang:       lang(l.Lang),
	}
	for _, ch := range l.Children {
		c.Children = append(c.Children, account.Child{
			Key:       ch.Key,
			LastName:  clean(ch.LastName),
			FirstName: clean(ch.FirstName),
			Class:     clean(ch.Class),
		})
	}
	switch {
	case c.Identifier == "":
		return c, fmt.Errorf("letters: letter %d has no identifier", i+1)
	case c.Code == "":
		return c, fmt.Errorf("letters: letter %d (%s) has no activation code", i+1, c.Identifier)
	case c.Link == "" || strings.ContainsRune(c.Link, ' '):
		return c, fmt.Errorf("letters: letter %d (%s) has no usable activation link", i+1, c.Identifier)
	case c.Expires.IsZero():
		return c, fmt.Errorf("letters: letter %d (%s) has no expiry", i+1, c.Identifier)
	}
	return c, nil
}

func cleanSchool(s School) School {
	return School{
		Name:      clean(s.Name),
		PortalURL: clean(s.PortalURL),
		Phone:     clean(s.Phone),
		Email:     clean(s.Email),
		Hours:     clean(s.Hours),
		Zone:      s.Zone,
	}
}
