package identity_test

import (
	"errors"
	"strings"
	"testing"

	"sesame/internal/identity"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{in: "marie@example.com", want: "marie@example.com"},
		{in: "  Marie.Dupont+ecole@Example.COM\t", want: "marie.dupont+ecole@example.com"},
		{in: "o'neil@example.co.uk", want: "o'neil@example.co.uk"},
		{in: "", wantErr: "identity: invalid e-mail address: empty"},
		{in: "   ", wantErr: "identity: invalid e-mail address: empty"},
		{in: "marie", wantErr: "identity: invalid e-mail address: not an e-mail address"},
		{in: "Marie <marie@example.com>", wantErr: "identity: invalid e-mail address: give the bare address, without a name"},
		{in: "Marie<marie@example.com>", wantErr: "identity: invalid e-mail address: give the bare address, without a name"},
		{in: "<marie@example.com>", wantErr: "identity: invalid e-mail address: give the bare address, without <>, quotes or comments"},
		{in: "marie @example.com", wantErr: "identity: invalid e-mail address: contains a space"},
		{in: `"marie"@example.com`, wantErr: "identity: invalid e-mail address: give the bare address, without <>, quotes or comments"},
		{in: "marie@example.com\r\nBcc: x@example.com", wantErr: "identity: invalid e-mail address: contains a control or invisible character"},
		{in: "marie@exa\x00mple.com", wantErr: "identity: invalid e-mail address: contains a control or invisible character"},
		{in: "marie\xe9@example.com", wantErr: "identity: invalid e-mail address: not valid UTF-8"},
		{in: "marie@localhost", wantErr: "identity: invalid e-mail address: domain has no dot"},
		{in: "marie@example.com.", wantErr: "identity: invalid e-mail address: not an e-mail address"},
		{in: strings.Repeat("a", 65) + "@example.com", wantErr: "identity: invalid e-mail address: part before @ longer than 64 characters"},
		{in: "a@" + strings.Repeat("b", 250) + ".fr", wantErr: "identity: invalid e-mail address: longer than 254 characters"},
		{in: "a@[1.2.3.4]", wantErr: "identity: invalid e-mail address: IP addresses are not accepted as domain"},
		{in: "marie\u200b@exemple.fr", wantErr: "identity: invalid e-mail address: contains a control or invisible character"},
		{in: "\ufeffmarie@exemple.fr", wantErr: "identity: invalid e-mail address: contains a control or invisible character"},
		{in: "marie@exemple.fr\u202e", wantErr: "identity: invalid e-mail address: contains a control or invisible character"},
		{in: "marie\ufffd@exemple.fr", wantErr: "identity: invalid e-mail address: contains a control or invisible character"},
		{in: "\u212Aaren@exemple.fr", wantErr: "identity: invalid e-mail address: contains a look-alike of a Latin letter"},
		{in: "\u0130nes@exemple.fr", wantErr: "identity: invalid e-mail address: contains a look-alike of a Latin letter"},
		// Non-ASCII addresses (RFC 6531) are kept, in one normal form.
		{in: "Jose\u0301@Exemple.fr", want: "josé@exemple.fr"},
		{in: "JOSÉ@exemple.fr", want: "josé@exemple.fr"},
	}
	for _, tt := range tests {
		got, err := identity.NormalizeEmail(tt.in)
		if tt.wantErr != "" {
			if !errors.Is(err, identity.ErrInvalidEmail) || err.Error() != tt.wantErr {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			if got != "" {
				t.Errorf("NormalizeEmail(%q) returned %q along with an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeIdentifier(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{in: "dupont.marie", want: "dupont.marie"},
		{in: " Dupont.Marie ", want: "dupont.marie"},
		{in: "m2", want: "m2"},
		{in: "0-a_b.c", want: "0-a_b.c"},
		{in: strings.Repeat("A", 64), want: strings.Repeat("a", 64)},
		{in: "", wantErr: "identity: invalid identifier: empty"},
		{in: "m", wantErr: "identity: invalid identifier: shorter than 2 characters"},
		{in: strings.Repeat("a", 65), wantErr: "identity: invalid identifier: longer than 64 characters"},
		{in: ".dupont", wantErr: "identity: invalid identifier: must start with a letter or a digit"},
		{in: "dupont@marie", wantErr: "identity: invalid identifier: only letters a-z, digits, '.', '_' and '-' are allowed"},
		{in: "lefèvre", wantErr: "identity: invalid identifier: only letters a-z, digits, '.', '_' and '-' are allowed"},
		{in: "\u212Aelvin", wantErr: "identity: invalid identifier: must start with a letter or a digit"},
		{in: "\u212Aaren", wantErr: "identity: invalid identifier: must start with a letter or a digit"},
		{in: "ma\u212Aaren", wantErr: "identity: invalid identifier: only letters a-z, digits, '.', '_' and '-' are allowed"},
		{in: "ab\u200b", wantErr: "identity: invalid identifier: only letters a-z, digits, '.', '_' and '-' are allowed"},
		{in: "ab\xff", wantErr: "identity: invalid identifier: only letters a-z, digits, '.', '_' and '-' are allowed"},
	}
	for _, tt := range tests {
		got, err := identity.NormalizeIdentifier(tt.in)
		if tt.wantErr != "" {
			if !errors.Is(err, identity.ErrInvalidIdentifier) || err.Error() != tt.wantErr || got != "" {
				t.Errorf("NormalizeIdentifier(%q) = %q, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeIdentifier(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// takenSet returns a taken function for GenerateIdentifier.
func takenSet(ids ...string) func(string) bool {
	m := make(map[string]bool)
	for _, id := range ids {
		m[id] = true
	}
	return func(id string) bool { return m[id] }
}

func TestGenerateIdentifier(t *testing.T) {
	long := strings.Repeat("abcdefghij", 5)
	tests := []struct {
		last, first string
		taken       func(string) bool
		want        string
	}{
		{"Dupont", "Marie", nil, "dupont.marie"},
		{"Lefèvre", "Chloé", nil, "lefevre.chloe"},
		{"Garçon", "François", nil, "garcon.francois"},
		{"Lœuillet", "Lætitia", nil, "loeuillet.laetitia"},
		{"ŒUVRARD", "ÆLIS", nil, "oeuvrard.aelis"},
		{"Le Goff", "Hervé", nil, "le-goff.herve"},
		{"N'Diaye", "Aïssatou", nil, "n-diaye.aissatou"},
		{"N’Diaye", "Aïssatou", nil, "n-diaye.aissatou"},
		{"de la  Tour", "Jean-Pierre", nil, "de-la-tour.jean-pierre"},
		{" --Martin-- ", "Marie--Claire", nil, "martin.marie-claire"},
		{"O' Brien", "Seán", nil, "o-brien.sean"},
		{"Dupont (née Martin)", "Marie", nil, "dupont-nee-martin.marie"},
		{"Müller", "Jürgen", nil, "muller.jurgen"},
		{"Straße", "Łukasz", nil, "strasse.lukasz"},
		{"Louis XIV", "Henri 4", nil, "louis-xiv.henri-4"},
		{"李", "Wei", nil, "wei"},
		{"Wang", "伟", nil, "wang"},
		{"李", "伟", nil, "parent"},
		{"李", "伟", takenSet("parent"), "parent2"},
		{"O", "伟", nil, "o2"},
		{"Dupont", "Marie", takenSet("dupont.marie"), "dupont.marie2"},
		{"Dupont", "Marie", takenSet("dupont.marie", "dupont.marie2"), "dupont.marie3"},
		{"Dupont", "Marie", takenSet("dupont.marie", "dupont.marie3"), "dupont.marie2"},
		// Cut to 64 characters, number included, without a dangling
		// separator before the number.
		{long, long, nil, long + ".abcdefghijabc"},
		{long, long, takenSet(long + ".abcdefghijabc"), long + ".abcdefghijab2"},
		{long + "abcdefghijabc", "Marie", nil, long + "abcdefghijabc"},
		{long + "abcdefghijabc", "Marie", takenSet(long + "abcdefghijabc"), long + "abcdefghijabc2"},
		{long + "abcdefghijab-c", "Marie", takenSet(long + "abcdefghijab-c"), long + "abcdefghijab2"},
		{long + "abcdefghijab", "Marie", takenSet(long + "abcdefghijab.m"), long + "abcdefghijab2"},
	}
	for _, tt := range tests {
		got := identity.GenerateIdentifier(tt.last, tt.first, tt.taken)
		if got != tt.want {
			t.Errorf("GenerateIdentifier(%q, %q) = %q, want %q", tt.last, tt.first, got, tt.want)
		}
		if n, err := identity.NormalizeIdentifier(got); err != nil || n != got {
			t.Errorf("GenerateIdentifier(%q, %q) = %q, not a valid identifier: %v", tt.last, tt.first, got, err)
		}
	}
}

func FuzzGenerateIdentifier(f *testing.F) {
	f.Add("Dupont", "Marie")
	f.Add("N'Diaye", "Aïssatou")
	f.Add("李", "")
	f.Add(strings.Repeat("Œ", 40), "x")
	f.Fuzz(func(t *testing.T, last, first string) {
		id := identity.GenerateIdentifier(last, first, nil)
		if n, err := identity.NormalizeIdentifier(id); err != nil || n != id {
			t.Fatalf("GenerateIdentifier(%q, %q) = %q, invalid: %v", last, first, id, err)
		}
		other := identity.GenerateIdentifier(last, first, takenSet(id))
		if other == id {
			t.Fatalf("GenerateIdentifier ignored taken: %q", id)
		}
		if n, err := identity.NormalizeIdentifier(other); err != nil || n != other {
			t.Fatalf("GenerateIdentifier(%q, %q) with %q taken = %q, invalid: %v", last, first, id, other, err)
		}
	})
}

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{in: "Dupont", want: "Dupont"},
		{in: "  Le   Goff\u00a0 ", want: "Le Goff"},
		{in: "O'Brien", want: "O'Brien"},
		{in: "N’Diaye", want: "N’Diaye"},
		{in: "de La Tour d'Auvergne", want: "de La Tour d'Auvergne"},
		{in: "Jean-Pierre", want: "Jean-Pierre"},
		{in: "Lœuillet", want: "Lœuillet"},
		{in: "Lefe\u0300vre", want: "Lefèvre"},
		{in: "Dupont (née Martin)", want: "Dupont (née Martin)"},
		{in: "李", want: "李"},
		{in: "Ἀλέξανδρος", want: "Ἀλέξανδρος"},
		{in: "محمد", want: "محمد"},
		{in: "Françoise0", want: "Françoise0"},
		{in: strings.Repeat("é", 100), want: strings.Repeat("é", 100)},
		{in: "", wantErr: "identity: invalid name: empty"},
		{in: " \t", wantErr: "identity: invalid name: empty"},
		{in: "Mimi\"", wantErr: `identity: invalid name: contains '"', which has no place in a name`},
		{in: "Marie <m@exemple.fr>", wantErr: "identity: invalid name: contains '<', which has no place in a name"},
		{in: "m@exemple.fr", wantErr: "identity: invalid name: contains '@', which has no place in a name"},
		{in: "Du\\pont", wantErr: `identity: invalid name: contains '\\', which has no place in a name`},
		{in: "Dupont\r\nBcc: x@exemple.fr", wantErr: "identity: invalid name: contains a control or invisible character"},
		{in: "Ma\x00rie", wantErr: "identity: invalid name: contains a control or invisible character"},
		{in: "Ma\trie", wantErr: "identity: invalid name: contains a control or invisible character"},
		{in: "Du\u202etnop", wantErr: "identity: invalid name: contains a control or invisible character"},
		{in: "Ma\u200brie", wantErr: "identity: invalid name: contains a control or invisible character"},
		{in: "\u3164", wantErr: "identity: invalid name: contains a control or invisible character"},
		{in: "Du\u2028pont", wantErr: "identity: invalid name: contains a control or invisible character"},
		{in: "Du\ufffdpont", wantErr: "identity: invalid name: contains a control or invisible character"},
		{in: "Du\xe9pont", wantErr: "identity: invalid name: not valid UTF-8"},
		{in: strings.Repeat("e\u0301", 101), wantErr: "identity: invalid name: 101 characters long, over 100"},
	}
	for _, tt := range tests {
		got, err := identity.NormalizeName(tt.in)
		if tt.wantErr != "" {
			if !errors.Is(err, identity.ErrInvalidName) || err.Error() != tt.wantErr || got != "" {
				t.Errorf("NormalizeName(%q) = %q, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// The import reports values over a length limit apart, with the limit.
func TestErrorLimit(t *testing.T) {
	tests := []struct {
		err   error
		limit int
	}{
		{second(identity.NormalizeName(strings.Repeat("a", 101))), identity.MaxNameLength},
		{second(identity.NormalizeName("a\x00")), 0},
		{second(identity.NormalizeIdentifier(strings.Repeat("a", 65))), identity.MaxIdentifierLength},
		{second(identity.NormalizeIdentifier("a")), 0},
		{second(identity.NormalizeEmail(strings.Repeat("a", 65) + "@b.fr")), identity.MaxLocalLength},
		{second(identity.NormalizeEmail("a@" + strings.Repeat("b", 260) + ".fr")), identity.MaxEmailLength},
		{second(identity.CleanText(strings.Repeat("a", 11), 10)), 10},
	}
	for _, tt := range tests {
		var e *identity.Error
		if !errors.As(tt.err, &e) || e.Limit != tt.limit {
			t.Errorf("%v: Limit = %+v, want %d", tt.err, e, tt.limit)
		}
	}
	if got := identity.Reason(second(identity.NormalizeEmail("a@b"))); got != "domain has no dot" {
		t.Errorf("Reason = %q", got)
	}
	if got := identity.Reason(errors.New("other")); got != "other" {
		t.Errorf("Reason of a foreign error = %q", got)
	}
}

func second(_ string, err error) error { return err }

func TestCleanText(t *testing.T) {
	if got, err := identity.CleanText(` Lycée "Victor  Hugo" <Paris> `, 100); err != nil || got != `Lycée "Victor Hugo" <Paris>` {
		t.Errorf("CleanText = %q, %v", got, err)
	}
	if _, err := identity.CleanText("a\nb", 100); !errors.Is(err, identity.ErrInvalidText) {
		t.Errorf("CleanText with a line feed: %v", err)
	}
}

// A Generator numbers on from where it stopped for the same names, and
// starts again for other names.
func TestGenerator(t *testing.T) {
	used := map[string]bool{}
	g := identity.Generator{Taken: func(id string) bool { return used[id] }}
	var got []string
	for _, n := range [][2]string{{"Dupont", "Marie"}, {"Dupont", "Marie"}, {"Martin", "Luc"}, {"Dupont", "Marie"}} {
		id := g.Next(n[0], n[1])
		used[id] = true
		got = append(got, id)
	}
	if want := "dupont.marie dupont.marie2 martin.luc dupont.marie3"; strings.Join(got, " ") != want {
		t.Errorf("Next gave %q, want %q", got, want)
	}
}
