package recovery_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"sesame/internal/recovery"
)

// FuzzNormalizeCode: whatever a parent pastes, the answer is 8 ASCII
// digits or ErrCodeFormat, and never a panic.
//
//	go test -run '^$' -fuzz FuzzNormalizeCode -fuzztime 30s ./recovery/
func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"12345678", "1234 5678", "1234-5678", "1234\u00a05678", "", "abc", "１２３４５６７８", "\xff\xfe", strings.Repeat("9", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := recovery.NormalizeCode(in)
		if err != nil {
			if got != "" || err != recovery.ErrCodeFormat {
				t.Fatalf("%q: %q, %v", in, got, err)
			}
			return
		}
		if len(got) != 8 || strings.Trim(got, "0123456789") != "" {
			t.Fatalf("%q gave %q", in, got)
		}
		if !utf8.ValidString(in) {
			t.Fatalf("invalid UTF-8 %q accepted", in)
		}
	})
}
