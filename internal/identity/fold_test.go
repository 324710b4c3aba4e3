package identity

import "testing"

func TestFoldName(t *testing.T) {
	same := [][]string{
		{"N'Diaye", "NDIAYE", "n diaye", "N’DIAYE", "N-Diaye"},
		{"Hélène", "HELENE", "helene", "Hélène"}, // the last one decomposed
		{"Lætitia", "Laetitia", "LAETITIA"},
		{"Œdipe", "oedipe"},
		{"Martin-Dubois", "MARTIN DUBOIS", "martin.dubois"},
	}
	for _, group := range same {
		for _, s := range group[1:] {
			if FoldName(s) != FoldName(group[0]) {
				t.Errorf("FoldName(%q) = %q, FoldName(%q) = %q: want the same", s, FoldName(s), group[0], FoldName(group[0]))
			}
		}
	}
	differ := [][2]string{{"Martin", "Martine"}, {"Léa", "Lea2"}, {"李", "王"}}
	for _, p := range differ {
		if FoldName(p[0]) == FoldName(p[1]) {
			t.Errorf("FoldName(%q) = FoldName(%q) = %q: want different", p[0], p[1], FoldName(p[0]))
		}
	}
	if got := FoldName("  -'. "); got != "" {
		t.Errorf("FoldName of punctuation = %q, want empty", got)
	}
}
