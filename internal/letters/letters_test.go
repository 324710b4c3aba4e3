package letters

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/locales"
)

var paris = mustZone("Europe/Paris")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}

// testSchool is a school with every contact filled in.
func testSchool() School {
	return School{
		Name:      "École Jules Ferry",
		PortalURL: "https://parents.ecole.fr/",
		Phone:     "01 23 45 67 89",
		Email:     "secretariat@ecole.fr",
		Hours:     "lundi–vendredi, 8 h 30 – 12 h",
		Zone:      paris,
	}
}

// endOfDay is when the activation codes of the tests expire: the last
// minute of 28 January 2027 in Paris, so the date printed is that day.
var endOfDay = time.Date(2027, 1, 28, 23, 59, 59, 0, paris)

// letter builds a letter whose code and link derive from id, so each
// page's own values can be told from its neighbours'.
func letter(id, civ, last, first, lang string, children ...account.Child) Letter {
	code := strings.ToUpper(strings.ReplaceAll(id, ".", ""))
	for len(code) < 12 {
		code += "X"
	}
	code = code[:4] + "-" + code[4:8] + "-" + code[8:12]
	return Letter{
		Identifier: id, Civility: civ, LastName: last, FirstName: first,
		Children: children,
		Code:     code,
		Link:     "https://parents.ecole.fr/activation?id=" + id + "&code=" + strings.ReplaceAll(code, "-", ""),
		Expires:  endOfDay,
		Lang:     lang,
	}
}

func child(last, first, class string) account.Child {
	return account.Child{Key: "name:" + last + "|" + first, LastName: last, FirstName: first, Class: class}
}

func ids(ls []Letter) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Identifier
	}
	return out
}

func TestSort(t *testing.T) {
	in := []Letter{
		letter("z.none", "", "Aaron", "Zed", "fr"),                                                      // no child: last
		letter("b.fabre", "", "Fabre", "Luc", "fr", child("Fabre", "Léa", "6e A")),                      // 6e A, Fabre
		letter("a.emile", "", "Émile", "Anne", "fr", child("Émile", "Jo", "6e A")),                      // 6e A, Émile (accent ignored: before Fabre)
		letter("c.durand", "", "Durand", "Paul", "fr", child("Durand", "Max", "6e A")),                  // 6e A, Durand
		letter("d.petit", "", "Petit", "Ana", "fr", child("Petit", "Eve", "2nde 10")),                   // 2nde 10 after 2nde 9
		letter("e.grand", "", "Grand", "Ben", "fr", child("Grand", "Ivy", "2nde 9")),                    // 2nde 9
		letter("f.dupont2", "", "Dupont", "Marie", "fr", child("Dupont", "Al", "CM2")),                  // same name: identifier decides
		letter("f.dupont1", "", "DUPONT", "marie", "fr", child("Dupont", "Bo", "cm2")),                  // class compared without case
		letter("g.adult", "", "Adult", "Two", "fr", child("X", "Y", "6e A"), child("X", "Z", "2nde 9")), // first child's class
		letter("a.none", "", "Aaron", "Yves", "fr"),                                                     // no child, before Zed
	}
	want := []string{"e.grand", "d.petit", "g.adult", "c.durand", "a.emile", "b.fabre", "f.dupont1", "f.dupont2", "a.none", "z.none"}
	for round := range 5 {
		ls := slices.Clone(in)
		rand.New(rand.NewPCG(uint64(round), 7)).Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i] })
		Sort(ls)
		if got := ids(ls); !slices.Equal(got, want) {
			t.Errorf("round %d: order\n got %v\nwant %v", round, got, want)
		}
	}
}

func TestNaturalCompare(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"2nde9", "2nde10", -1},
		{"2nde10", "2nde9", 1},
		{"6ea", "6eb", -1},
		{"cm2", "cm2", 0},
		{"ce1", "cm1", -1},
		{"a007", "a7", 0},
		{"a", "ab", -1},
		{"10", "9b", 1},
	} {
		if got := naturalCompare(c.a, c.b); got != c.want {
			t.Errorf("naturalCompare(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestExpiryDate(t *testing.T) {
	b := locales.Must()
	utc := time.UTC
	for _, c := range []struct {
		name    string
		lang    string
		zone    *time.Location
		expires time.Time
		want    string
	}{
		{"last minute of the day", "fr", paris, time.Date(2027, 1, 28, 23, 59, 59, 0, paris), "28 janvier 2027"},
		{"exactly 23:59", "en", paris, time.Date(2027, 1, 28, 23, 59, 0, 0, paris), "28 January 2027"},
		{"midnight starting the next day", "fr", paris, time.Date(2027, 1, 29, 0, 0, 0, 0, paris), "28 janvier 2027"},
		{"mid-afternoon: that day is not whole", "fr", paris, time.Date(2027, 1, 28, 14, 32, 0, 0, paris), "27 janvier 2027"},
		{"given in UTC, shown in Paris", "fr", paris, time.Date(2027, 1, 28, 22, 59, 30, 0, utc), "28 janvier 2027"},
		{"the zone moves the day", "en", paris, time.Date(2027, 1, 28, 23, 59, 30, 0, utc), "28 January 2027"},
		{"no zone: its own", "en", nil, time.Date(2027, 1, 28, 23, 59, 30, 0, utc), "28 January 2027"},
		{"first of the month in French", "fr", paris, time.Date(2027, 2, 1, 23, 59, 59, 0, paris), "1er février 2027"},
		{"first of the month in English", "en", paris, time.Date(2027, 3, 2, 0, 0, 0, 0, paris), "1 March 2027"},
		{"across a year", "fr", paris, time.Date(2027, 1, 1, 8, 0, 0, 0, paris), "31 décembre 2026"},
	} {
		if got := ExpiryDate(b, c.lang, c.zone, c.expires); got != c.want {
			t.Errorf("%s: ExpiryDate = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestAddressee(t *testing.T) {
	b := locales.Must()
	for _, c := range []struct{ lang, civ, want string }{
		{"fr", "Mme", "Madame N'DIAYE Zoë"},
		{"fr", "M.", "Monsieur N'DIAYE Zoë"},
		{"fr", "Mlle", "Madame N'DIAYE Zoë"},
		{"fr", "MADAME", "Madame N'DIAYE Zoë"},
		{"en", "Mme", "Ms Zoë N'DIAYE"},
		{"en", "M", "Mr Zoë N'DIAYE"},
		{"fr", "Dr", "Dr N'DIAYE Zoë"},
		{"fr", "", "N'DIAYE Zoë"},
		{"en", "", "Zoë N'DIAYE"},
	} {
		got := addressee(b, c.lang, Letter{Civility: c.civ, LastName: "N'Diaye", FirstName: "Zoë"})
		if got != c.want {
			t.Errorf("%s %q: addressee = %q, want %q", c.lang, c.civ, got, c.want)
		}
	}
}

// Names from French exports print as written; a letter the fonts lack
// loses an accent rather than turning into a box.
func TestPrintable(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Œdipe", "Œdipe"},
		{"N'Diaye", "N'Diaye"},
		{"Zoë", "Zoë"},
		{"Łukasz", "Łukasz"},
		{"Zoe\u0308", "Zoë"}, // combining diaeresis composed
		{"Nguyễn", "Nguyên"}, // ễ is missing: its circumflex is kept
		{"Trạm", "Tram"},     // ạ is missing, a is not
		{"Ana 🙂", "Ana ?"},   // nothing near an emoji
		{"李", "?"},
	} {
		if got := printable(c.in); got != c.want {
			t.Errorf("printable(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// The guard is real: every face WritePDF embeds has these letters.
	for _, r := range "ŒœŁłŻżÉÈÊËÀÂÄÎÏÔÖÙÛÜŸÇÑØÅßÆæçéèêëàâäîïôöùûüÿñ«»—–’€" {
		if !glyphs().has(r) {
			t.Errorf("%q missing from the Go fonts", r)
		}
	}
}

func TestClean(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"  Marie\r\nClaire  ", "Marie Claire"},
		{"a\tb\x00c", "a b c"},
		{"bad\xffbyte", "bad\uFFFDbyte"},
		{"Jean\u00a0Paul", "Jean\u00a0Paul"},
	} {
		if got := clean(c.in); got != c.want {
			t.Errorf("clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
