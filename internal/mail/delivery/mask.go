package delivery

import (
	"strings"
	"unicode/utf8"

	"sesame/internal/mail"
	"sesame/internal/mail/outbox"
)

// scrub removes from a server's answer what must not be stored in clear
// next to the message or written to a log: the recipient's address
// (servers often echo it) and the code (in case one echoes the subject).
func scrub(m outbox.Message, s string) string {
	if s == "" {
		return s
	}
	if m.To != "" {
		s = replaceFold(s, m.To, outbox.MaskAddress(m.To))
	}
	if m.Code != "" {
		s = strings.ReplaceAll(s, mail.GroupCode(m.Code), "••••")
		s = strings.ReplaceAll(s, m.Code, "••••")
	}
	return s
}

// replaceFold is strings.ReplaceAll ignoring ASCII case, since servers
// may echo an address in another case than it was given.
func replaceFold(s, old, repl string) string {
	if !isASCII(s) || !isASCII(old) {
		return strings.ReplaceAll(s, old, repl)
	}
	lower, lowerOld := strings.ToLower(s), strings.ToLower(old)
	var b strings.Builder
	for {
		i := strings.Index(lower, lowerOld)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s, lower = s[i+len(old):], lower[i+len(old):]
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
