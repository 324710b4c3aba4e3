package identity_test

import (
	"strings"
	"testing"

	"sesame/internal/identity"
)

func TestNextFromEmail(t *testing.T) {
	tests := []struct {
		email string
		taken []string
		want  string
	}{
		{"marie.dupont@exemple.fr", nil, "marie.dupont"},
		{"Marie.Dupont@Exemple.fr", []string{"marie.dupont"}, "marie.dupont2"},
		{"marie.dupont+ecole@exemple.fr", nil, "marie.dupont"},
		{"_marie__dupont-@exemple.fr", nil, "marie_dupont"},
		{"josé.lœuillet@exemple.fr", nil, "jose.loeuillet"},
		{"o'neil@exemple.co.uk", nil, "oneil"},
		{"m@exemple.fr", nil, "m2"}, // one letter is too short alone
		{"李@exemple.cn", nil, "parent"},
		{strings.Repeat("a", 63) + ".b@exemple.fr", nil, strings.Repeat("a", 63)},
	}
	for _, tt := range tests {
		g := identity.Generator{Taken: func(id string) bool {
			for _, x := range tt.taken {
				if x == id {
					return true
				}
			}
			return false
		}}
		got := g.NextFromEmail(tt.email)
		if got != tt.want {
			t.Errorf("NextFromEmail(%q) = %q, want %q", tt.email, got, tt.want)
		}
		if id, err := identity.NormalizeIdentifier(got); err != nil || id != got {
			t.Errorf("NextFromEmail(%q) = %q, not a valid identifier: %v", tt.email, got, err)
		}
	}
	// The numbering goes on where it stopped, as Next's does.
	var g identity.Generator
	used := map[string]bool{}
	g.Taken = func(id string) bool { return used[id] }
	for _, want := range []string{"famille", "famille2", "famille3"} {
		got := g.NextFromEmail("famille@exemple.fr")
		if got != want {
			t.Errorf("NextFromEmail in turn = %q, want %q", got, want)
		}
		used[got] = true
	}
}
