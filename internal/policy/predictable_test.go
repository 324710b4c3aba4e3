package policy

import (
	"slices"
	"strings"
	"testing"
)

func TestPredictable(t *testing.T) {
	refused := []string{
		// Issue 11.
		"aaaaaaa1", "11111111a", "123456789a", "azertyuiop1",
		// One character repeated, a character or two around it.
		"bbbbbbbb7", "7zzzzzzzz", "x!!!!!!!!!1", "ÉÉÉÉÉÉÉ1", "        a1",
		strings.Repeat("k", 31) + "1", "🔑🔑🔑🔑🔑🔑🔑🔑",
		// Runs: digits, alphabet, keyboard rows, forwards and backwards.
		"987654321b", "a234567890", "1abcdefgh", "ABCDEFGHIJ1", "poiuytreza9", "qsdfghjklm1",
		"QWERTYUIOP1", "asdfghjkl12", "qwertzuiop1", "1azertyuiopqsd", "&é\"'(-è_ç7x", "zyxwvuts1",
	}
	accepted := []string{
		"vélo rouge 42 au jardin", "Tr0mbone&Violon", "aaab1234x", "abcd1234", "azerty mon jardin 7",
		"12345 rue des lilas", "aa11aa11", "abc-def-7", "1a2b3c4d", "abcdefg12X3", "le train de 8h12",
		"", "a1", "zèbre lune 7",
	}
	for _, pw := range refused {
		if !predictable(Normalize(pw)) {
			t.Errorf("predictable(%q) = false, want true", pw)
		}
		if got := Default().Check(pw, Context{}); !slices.Contains(got, Predictable) {
			t.Errorf("Check(%q) = %v, want %s among them", pw, got, Predictable)
		}
	}
	for _, pw := range accepted {
		if predictable(Normalize(pw)) {
			t.Errorf("predictable(%q) = true, want false", pw)
		}
	}
}
