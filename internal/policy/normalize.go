package policy

import "golang.org/x/text/unicode/norm"

// Normalize returns the form of a password that is checked, hashed and
// compared: its Unicode NFC composition, as NIST SP 800-63B (5.1.1.2)
// asks. Keyboards and operating systems send "é" either as one code
// point or as "e" followed by a combining accent (U+0301); both are the
// same password for the parent, so every place a password enters the
// domain (setting one, signing in, confirming the current one) calls this
// one function before anything else. Nothing else is changed: no
// trimming, no case folding, no compatibility mapping, so a password is
// never weakened. Invalid UTF-8 is kept as it is.
func Normalize(pw string) string {
	return norm.NFC.String(pw)
}
