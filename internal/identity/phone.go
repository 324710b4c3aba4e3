package identity

import "strings"

// TelURI is the tel: link (RFC 3966) for a phone number as people write
// it: "01 23 45 67 89" → "tel:0123456789", "+33 (0)1 23 45 67 89" →
// "tel:+33123456789". Spaces, dots, dashes and brackets go; a "(0)"
// after an international prefix is the national trunk digit, which
// is not dialled from abroad, so it goes too. A national number stays
// national: Sésame does not know the school's country, and a French
// phone dials 0123456789 as is. Anything else in the text (words,
// letters, a second number) gives "", and the number is then shown
// without a link. It is the one function that makes tel: links, for
// the pages and the e-mails.
func TelURI(phone string) string {
	phone = strings.TrimSpace(phone)
	if strings.HasPrefix(phone, "+") {
		phone = strings.Replace(phone, "(0)", "", 1)
	}
	var b strings.Builder
	for i, r := range phone {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')' || r == '\u00a0' || r == '\u202f':
		default:
			return ""
		}
	}
	digits := strings.TrimPrefix(b.String(), "+")
	if len(digits) < 3 || len(digits) > 15 {
		return ""
	}
	return "tel:" + b.String()
}
