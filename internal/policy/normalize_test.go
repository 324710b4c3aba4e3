package policy

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"e\u0301te\u0301", "\u00e9t\u00e9"},
		{"\u00e9t\u00e9", "\u00e9t\u00e9"},
		{"  Espaces gardés  ", "  Espaces gardés  "}, // never trimmed
		{"MAJ", "MAJ"},                               // never folded
		{"ﬁlet", "ﬁlet"},                             // no compatibility mapping
		{"\xff", "\xff"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
