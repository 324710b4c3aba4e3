package audit

import "testing"

func TestMaskDetail(t *testing.T) {
	for in, want := range map[string]string{
		"accounts add --email marie.dupont@exemple.fr --last-name X": "accounts add --email m•••@exemple.fr --last-name X",
		"accounts add --email=marie@exemple.fr":                      "accounts add --email=m•••@exemple.fr",
		"e-mail a@b.fr → c@d.fr; the parent was told":                "e-mail a•••@b.fr → c•••@d.fr; the parent was told",
		"to <paul@exemple.fr>, then (luc@exemple.fr).":               "to <p•••@exemple.fr>, then (l•••@exemple.fr).",
		"no address here": "no address here",
		"":                "",
	} {
		if got := MaskDetail(in); got != want {
			t.Errorf("MaskDetail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct {
		account, id string
		want        bool
	}{
		{"dupont.marie", "dupont.marie", true},
		{"dupont.marie,dupont.paul", "dupont.paul", true},
		{"dupont.marie,dupont.paul", "dupont", false},
		{"dupont.marie2", "dupont.marie", false},
		{"", "dupont.marie", false},
		{"dupont.marie", "", false},
	} {
		if got := (Event{Account: c.account}).Names(c.id); got != c.want {
			t.Errorf("Event{Account: %q}.Names(%q) = %v", c.account, c.id, got)
		}
	}
}
