package policy

import (
	"strings"
	"unicode/utf8"
)

// Predictable passwords: one character repeated, or a run along the
// alphabet, the digits or a keyboard row, give or take maxExtra
// characters at the ends. "aaaaaaa1", "11111111a", "123456789a" and
// "azertyuiop1" meet the length, digit and letter rules and may be
// missing from any list, yet a guessing program tries them in its first
// seconds: one such pattern, padded to satisfy the rules, is still one
// guess among a few thousand.
const (
	// maxExtra is how many characters, at the start, the end or both,
	// may surround the pattern: "a character or two".
	maxExtra = 2
	// minCore is the shortest pattern refused. The length rule already
	// refuses short passwords; this only keeps the rule from judging
	// three-character passwords allowed by a custom minimum.
	minCore = 4
)

// sequences are the runs people type, lower-case; each is also matched
// backwards ("987654321", "poiuytreza"). Keyboard rows are concatenated
// top to bottom because people continue on the next row ("azertyuiopqsd").
var sequences = func() []string {
	s := []string{
		"abcdefghijklmnopqrstuvwxyz",
		"01234567890",
		"azertyuiopqsdfghjklmwxcvbn", // AZERTY, the French keyboard
		"&é\"'(-è_çà)=",              // AZERTY's number row, unshifted
		"qwertyuiopasdfghjklzxcvbnm", // QWERTY
		"qwertzuiopasdfghjklyxcvbnm", // QWERTZ (Swiss and German)
	}
	for _, q := range s[:len(s):len(s)] {
		s = append(s, reverse(q))
	}
	return s
}()

// predictable reports whether nfc, an NFC-normalised password, is one
// character repeated or a run of a sequence, once up to maxExtra
// characters are removed from its ends. Case is ignored ("AZERTY" is a
// row); accents are not ("ééééé" is one repeated character, "é" is not
// "e" on a keyboard row).
func predictable(nfc string) bool {
	if utf8.RuneCountInString(nfc) < minCore {
		return false
	}
	rs := []rune(strings.ToLower(nfc))
	n := len(rs)
	for head := 0; head <= maxExtra; head++ {
		for tail := 0; head+tail <= maxExtra; tail++ {
			if n-head-tail < minCore {
				continue
			}
			core := rs[head : n-tail]
			if repeated(core) || inSequence(string(core)) {
				return true
			}
		}
	}
	return false
}

func repeated(rs []rune) bool {
	for _, r := range rs[1:] {
		if r != rs[0] {
			return false
		}
	}
	return true
}

func inSequence(s string) bool {
	for _, q := range sequences {
		if strings.Contains(q, s) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	rs := []rune(s)
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return string(rs)
}
