package identity

import "testing"

func TestTelURI(t *testing.T) {
	for in, want := range map[string]string{
		"01 23 45 67 89":            "tel:0123456789",
		"01.23.45.67.89":            "tel:0123456789",
		"01\u00a023\u00a045 67-89":  "tel:0123456789",
		"+33 1 23 45 67 89":         "tel:+33123456789",
		"+33 (0)1 23 45 67 89":      "tel:+33123456789",
		"+262 262 12 34 56":         "tel:+262262123456",
		"01 23 45 67 89 (standard)": "",
		"call us":                   "",
		"12":                        "",
		"1+2 3":                     "",
		"":                          "",
	} {
		if got := TelURI(in); got != want {
			t.Errorf("TelURI(%q) = %q, want %q", in, got, want)
		}
	}
}
