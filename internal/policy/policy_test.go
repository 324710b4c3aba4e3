package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

var marie = Context{
	Identifier: "dupont.marie",
	LastName:   "Dupont",
	FirstName:  "Marie",
	Extra:      []string{"Collège Saint-Exupéry", "Lou"},
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		password string
		ctx      Context
		want     []Rule
	}{
		{"valid phrase", "vélo rouge 42 au jardin", marie, nil},
		{"valid with symbols", "Tr0mbone&Violon", marie, nil},
		{"empty", "", marie, []Rule{Length, Digit, Letter}},
		{"7 runes", "tulipe7", Context{}, []Rule{Length}},
		{"8 runes", "tulipe7x", Context{}, nil},
		{"é is one rune: 7", "éàèùê1a", Context{}, []Rule{Length}},
		{"é is one rune: 8 (14 bytes)", "éàèùêô1a", Context{}, nil},
		{"NFD 8 runes after NFC (14 before)", strings.Repeat("e\u0301a\u0300", 3) + "1a", Context{}, nil},
		{"NFD 7 runes after NFC", strings.Repeat("e\u0301a\u0300", 2) + "u\u03001a", Context{}, []Rule{Length}},
		{"NFD 32 runes after NFC (62 before)", strings.Repeat("e\u0301a\u0300", 15) + "1a", Context{}, nil},
		{"32 runes", strings.Repeat("éà", 15) + "1a", Context{}, nil},
		{"33 runes", strings.Repeat("éà", 15) + "è1a", Context{}, []Rule{Length}},
		{"33 runes, everything else wrong too", strings.Repeat("1", 33), Context{}, []Rule{Length, Letter, Predictable}},
		{"emoji count one each", "🐱🐶🐭🦊 zèbre lune 7", Context{}, nil},
		{"emoji only", "🔑🐱🔑🐱🔑🐱🔑🐱", Context{}, []Rule{Digit, Letter}},
		{"spaces accepted and counted", "   1a    ", Context{}, nil},
		{"digits only", "20240815", Context{}, []Rule{Letter}},
		{"digits only, common and a run", "12345678", Context{}, []Rule{Letter, Common, Predictable}},
		{"one character repeated", "aaaaaaa1", Context{}, []Rule{Common, Predictable}},
		{"one character repeated, not listed", "qqqqqqqqq7", Context{}, []Rule{Predictable}},
		{"digit run, not listed", "a234567890", Context{}, []Rule{Predictable}},
		{"keyboard row backwards, not listed", "poiuytreza9", Context{}, []Rule{Predictable}},
		{"letters only", "tournesolbleu", Context{}, []Rule{Digit}},
		{"accented letters are letters", "ééééé123", Context{}, nil},
		{"non-Latin letters", "日本語のパスワード7", Context{}, nil},
		{"non-ASCII digit", "jardin٣bleu", Context{}, nil},
		{"identifier equal", "dupont.marie", Context{Identifier: "dupont.marie"}, []Rule{Digit, Personal}},
		{"identifier contained, other case", "xDUPONT.MARIE9", Context{Identifier: "dupont.marie"}, []Rule{Personal}},
		{"identifier without separator", "DupontMarie!7", Context{Identifier: "dupont.marie"}, []Rule{Personal}},
		{"identifier part", "jardin-dupont-7", Context{Identifier: "dupont.marie"}, []Rule{Personal}},
		{"identifier part with _", "7 fois marie", Context{Identifier: "dupont_marie"}, []Rule{Personal}},
		{"numeric identifier", "ab20231234", Context{Identifier: "20231234"}, []Rule{Personal}},
		{"identifier short part ignored", "le tulipe 77", Context{Identifier: "le.gall"}, nil},
		{"identifier long part", "gall-tulipe 77", Context{Identifier: "le.gall"}, []Rule{Personal}},
		{"last name", "mon-dupont-42", Context{LastName: "Dupont"}, []Rule{Personal}},
		{"first name accents: Éléonore vs eleonore2024x", "eleonore2024x", Context{FirstName: "Éléonore"}, []Rule{Personal}},
		{"first name NFD vs upper case", "ÉLÉONORE 7", Context{FirstName: "E\u0301le\u0301onore"}, []Rule{Personal}},
		{"compound first name part", "Claire2024!", Context{FirstName: "Marie-Claire"}, []Rule{Personal, Common}},
		{"short first name ignored", "li-chemin-42", Context{FirstName: "Li"}, nil},
		{"short last name ignored", "ngorongoro 5", Context{LastName: "Ng"}, nil},
		{"ligature in name", "laetitia 2024", Context{FirstName: "Lætitia"}, []Rule{Personal, Common}},
		{"ligature in password", "mon cœur 7", Context{Extra: []string{"coeur"}}, []Rule{Common}},
		{"3-letter name counts", "eva-chemin-42", Context{FirstName: "Éva"}, []Rule{Personal}},
		{"blocklist azerty123", "azerty123", Context{}, []Rule{Common}},
		{"blocklist Motdepasse1", "Motdepasse1", Context{}, []Rule{Common}},
		{"blocklist Soleil2024", "Soleil2024", Context{}, []Rule{Common}},
		{"blocklist Soleil2024!", "Soleil2024!", Context{}, []Rule{Common}},
		{"blocklist digits before", "2024marseille", Context{}, []Rule{Common}},
		{"blocklist spaced", "mot de passe 1", Context{}, []Rule{Common}},
		{"blocklist leet as listed", "P@ssw0rd!", Context{}, []Rule{Common}},
		{"blocklist word inside a phrase is fine", "soleil sur la plage 7", Context{}, nil},
		{"school name part", "exupery-2024!", marie, []Rule{Common}},
		{"school name whole", "CollegeSaintExupery1", marie, []Rule{Common}},
		{"short extra word ignored", "lou-tulipe-88", marie, nil},
		{"several failures in display order", "marie", marie, []Rule{Length, Digit, Personal, Common}},
	}
	p := Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Check(tt.password, tt.ctx)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Check(%q, %+v) = %v, want %v", tt.password, tt.ctx, got, tt.want)
			}
			res := p.Evaluate(tt.password, tt.ctx)
			if len(res) != len(Rules()) {
				t.Fatalf("Evaluate returned %d results, want %d", len(res), len(Rules()))
			}
			for i, r := range Rules() {
				if res[i].ID != string(r) {
					t.Errorf("Evaluate[%d].ID = %q, want %q", i, res[i].ID, r)
				}
				if wantOK := !slices.Contains(tt.want, r); res[i].OK != wantOK {
					t.Errorf("Evaluate[%d] (%s).OK = %v, want %v", i, r, res[i].OK, wantOK)
				}
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name     string
		min, max int
		wantErr  bool
	}{
		{"seed", 8, 32, false},
		{"equal", 12, 12, false},
		{"one", 1, 1, false},
		{"long", 15, 128, false},
		{"zero min", 0, 32, true},
		{"negative min", -1, 32, true},
		{"max below min", 12, 8, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.min, tt.max)
			if tt.wantErr {
				if !errors.Is(err, ErrLimits) {
					t.Errorf("New(%d, %d) error = %v, want ErrLimits", tt.min, tt.max, err)
				}
				if p != nil {
					t.Errorf("New(%d, %d) = %+v, want nil", tt.min, tt.max, p)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%d, %d) error = %v", tt.min, tt.max, err)
			}
			if p.MinLen != tt.min || p.MaxLen != tt.max || p.Blocklist != DefaultBlocklist() {
				t.Errorf("New(%d, %d) = %+v", tt.min, tt.max, p)
			}
		})
	}
}

func TestCustomLimits(t *testing.T) {
	p, err := New(12, 64)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		password string
		want     []Rule
	}{
		{"tulipe7xtul", []Rule{Length}},
		{"tulipe7xtuli", nil},
		{strings.Repeat("ab", 31) + "c1", nil},
		{strings.Repeat("ab", 32) + "1", []Rule{Length}},
	}
	for _, tt := range tests {
		if got := p.Check(tt.password, Context{}); !slices.Equal(got, tt.want) {
			t.Errorf("Check(%q) = %v, want %v", tt.password, got, tt.want)
		}
	}
	data := p.TemplateData()
	if data["Min"] != 12 || data["Max"] != 64 || len(data) != 2 {
		t.Errorf("TemplateData() = %v, want Min 12, Max 64", data)
	}
	data["Count"] = 1 // a localizer may add keys
	if _, ok := p.TemplateData()["Count"]; ok {
		t.Error("TemplateData returned a shared map")
	}
}

func TestDefault(t *testing.T) {
	p := Default()
	if p.MinLen != 8 || p.MaxLen != 32 || p.Blocklist == nil {
		t.Fatalf("Default() = %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	p.MinLen = 3
	if Default().MinLen != 8 {
		t.Error("Default() returns a shared policy")
	}
}

func TestNilBlocklist(t *testing.T) {
	p := &Policy{MinLen: 8, MaxLen: 32}
	if got := p.Check("azerty123", Context{}); got != nil {
		t.Errorf("Check without blocklist = %v, want nil", got)
	}
	if got := p.Check("exupery-2024", marie); !slices.Equal(got, []Rule{Common}) {
		t.Errorf("context words without blocklist = %v, want [%s]", got, Common)
	}
}

func TestInvalidUTF8(t *testing.T) {
	// Each invalid byte counts as one character (9 here) and is ignored
	// when matching words.
	pw := "\xff\xfe" + "azerty" + "\xff"
	got := Default().Check(pw, Context{})
	if !slices.Equal(got, []Rule{Digit, Common}) {
		t.Errorf("Check(%q) = %v", pw, got)
	}
	pw = "\xffx\xff" + "tulipe7"
	if got := Default().Check(pw, Context{}); got != nil {
		t.Errorf("Check(%q) = %v, want nil", pw, got)
	}
}

func TestKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Éléonore", "eleonore"},
		{"E\u0301le\u0301onore", "eleonore"},
		{"dupont.marie", "dupontmarie"},
		{"Mot de passe !", "motdepasse"},
		{"Straße", "strasse"},
		{"ＡＺＥＲＴＹ", "azerty"},
		{"ﬁlet", "filet"},
		{"İstanbul", "istanbul"},
		{"Œuvre", "oeuvre"},
		{"Lætitia", "laetitia"},
		{"Søren Łukasz", "sorenlukasz"},
		{"🐱7", "7"},
		{"a\xffb", "ab"},
	}
	for _, tt := range tests {
		if got := key(tt.in); got != tt.want {
			t.Errorf("key(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBlocklist(t *testing.T) {
	b := DefaultBlocklist()
	if b != DefaultBlocklist() {
		t.Error("DefaultBlocklist is parsed more than once")
	}
	if b.Len() < 60000 {
		t.Errorf("default blocklist has %d entries, want tens of thousands", b.Len())
	}
	for _, w := range []string{
		"azerty", "motdepasse", "soleil", "bonjour", "doudou", "marseille", "loulou",
		"chouchou", "jetaime", "nicolas", "password", "qwerty", "letmein", "iloveyou", "123456",
	} {
		if !b.Contains(w) {
			t.Errorf("default blocklist lacks %q", w)
		}
	}

	tests := []struct {
		password string
		want     bool
	}{
		{"azerty", true},
		{"AZERTY", true},
		{"Azerty123", true},
		{"123azerty!", true},
		{"a-z-e-r-t-y", true},
		{"azertyuiop", true},
		{"azertyuiopx", false},
		{"1qaz2wsx", true},
		{"123456", true},
		{"1234567", true},
		{"20240815", false},
		{"soleil de juin", false},
		{"", false},
		{"!!!", false},
	}
	for _, tt := range tests {
		if got := b.Contains(tt.password); got != tt.want {
			t.Errorf("Contains(%q) = %v, want %v", tt.password, got, tt.want)
		}
	}
}

func TestReadBlocklist(t *testing.T) {
	b, err := ReadBlocklist(strings.NewReader("# comment\n\n  Sésame \r\nOuvre-toi\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		password string
		want     bool
	}{
		{"sesame", true},
		{"SÉSAME2024", true},
		{"ouvretoi", true},
		{"comment", false},
		{"#comment", false},
		{"azerty", false},
	}
	if b.Len() != 2 {
		t.Errorf("Len() = %d, want 2", b.Len())
	}
	for _, tt := range tests {
		if got := b.Contains(tt.password); got != tt.want {
			t.Errorf("Contains(%q) = %v, want %v", tt.password, got, tt.want)
		}
	}
	if n := NewBlocklist("", " ", "!!", "Chat").Len(); n != 1 {
		t.Errorf("NewBlocklist kept %d entries, want 1", n)
	}
	var nilList *Blocklist
	if nilList.Contains("azerty") || nilList.Len() != 0 {
		t.Error("a nil Blocklist is not empty")
	}
}

func TestRulesOrder(t *testing.T) {
	want := []Rule{"policy.length", "policy.digit", "policy.letter", "policy.personal", "policy.common", "policy.predictable"}
	got := Rules()
	if !slices.Equal(got, want) {
		t.Fatalf("Rules() = %v, want %v", got, want)
	}
	got[0] = "changed"
	if Rules()[0] != Length {
		t.Error("Rules returns a shared slice")
	}
}

// TestConcurrent lets -race see the shared blocklist and folding pool.
func TestConcurrent(t *testing.T) {
	p := Default()
	done := make(chan []Rule)
	for range 8 {
		go func() { done <- p.Check("Dupont-Éléonore 7", marie) }()
	}
	for range 8 {
		if got := <-done; !slices.Equal(got, []Rule{Personal}) {
			t.Errorf("Check = %v, want [%s]", got, Personal)
		}
	}
}

func FuzzCheck(f *testing.F) {
	seeds := []struct{ pw, id, last, first, extra string }{
		{"vélo rouge 42 au jardin", "dupont.marie", "Dupont", "Marie", "Collège Saint-Exupéry"},
		{"azerty123", "", "", "", ""},
		{"", "", "", "", ""},
		{strings.Repeat("e\u0301", 20) + "1", "éé", "É", "e\u0301", "éééé"},
		{"🐱🐶🐭🦊 zèbre 7", "🐱", "chat", "", "🦊"},
		{"\xff\xfe\xfd", "\xff", "\xc3", "\xe2\x82", "\xf0\x9f"},
		{"İstanbul1ß", "STRASSE", "ǅemal", "ﬁlet", "ＡＺＥＲＴＹ"},
		{strings.Repeat("a1", 500), strings.Repeat("a", 100), "a.b.c", "-_- .", "    "},
	}
	for _, s := range seeds {
		f.Add(s.pw, s.id, s.last, s.first, s.extra)
	}
	p := Default()
	f.Fuzz(func(t *testing.T, pw, id, last, first, extra string) {
		c := Context{Identifier: id, LastName: last, FirstName: first, Extra: []string{extra}}
		got := p.Check(pw, c)
		if again := p.Check(pw, c); !slices.Equal(got, again) {
			t.Fatalf("Check not deterministic: %v then %v", got, again)
		}
		res := p.Evaluate(pw, c)
		var failed []Rule
		for i, r := range Rules() {
			if res[i].ID != string(r) {
				t.Fatalf("Evaluate[%d].ID = %q, want %q", i, res[i].ID, r)
			}
			if !res[i].OK {
				failed = append(failed, r)
			}
		}
		if !slices.Equal(got, failed) {
			t.Fatalf("Check = %v, Evaluate failed = %v", got, failed)
		}
		n := utf8.RuneCountInString(norm.NFC.String(pw))
		if tooShortOrLong := n < p.MinLen || n > p.MaxLen; tooShortOrLong != slices.Contains(got, Length) {
			t.Fatalf("%d runes, Length failed = %v", n, !tooShortOrLong)
		}
		if len(got) == 0 && Default().Blocklist.Contains(pw) {
			t.Fatalf("accepted blocklisted %q", pw)
		}
		// The same password composed or decomposed gets the same answer.
		if utf8.ValidString(pw) {
			if nfd := p.Check(norm.NFD.String(pw), c); !slices.Equal(got, nfd) {
				t.Fatalf("NFC %v, NFD %v", got, nfd)
			}
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	p := Default()
	b.ReportAllocs()
	for b.Loop() {
		p.Check("Vélo rouge 42 au jardin", marie)
	}
}
