package letters

import (
	"strings"
	"sync"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"
)

// The Go fonts (BSD licence, shipped as a Go module, so nothing to fetch
// at run time) cover Latin with its extensions, Greek and Cyrillic: the
// names French exports hold ("Œdipe", "N'Diaye", "Zoë", "Łukasz") all
// have glyphs. The monospaced one writes the identifier, the code and
// the links, where a parent must tell 0 from O and 1 from l.
const (
	fontText = "go"
	fontMono = "gomono"
)

// glyphs answers whether the fonts can draw a rune. fpdf draws a missing
// glyph as an empty box, which on a letter would misspell a name; the
// regular face stands for all four, whose character sets are the same.
var glyphs = sync.OnceValue(func() *coverage {
	f, err := sfnt.Parse(goregular.TTF)
	if err != nil {
		panic("letters: embedded Go font: " + err.Error())
	}
	return &coverage{font: f, known: map[rune]bool{}}
})

type coverage struct {
	mu    sync.Mutex
	font  *sfnt.Font
	buf   sfnt.Buffer
	known map[rune]bool
}

func (c *coverage) has(r rune) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ok, seen := c.known[r]
	if !seen {
		g, err := c.font.GlyphIndex(&c.buf, r)
		ok = err == nil && g != 0
		c.known[r] = ok
	}
	return ok
}

// printable returns s with every character the fonts cannot draw
// replaced by the nearest one they can: the letter with fewer accents
// ("ễ" in "Nguyễn" becomes "ê", closer to the name than a box), else "?".
// NFC first, so a name typed with combining accents uses the fonts'
// precomposed letters.
func printable(s string) string {
	c := glyphs()
	s = norm.NFC.String(s)
	if !strings.ContainsFunc(s, func(r rune) bool { return !c.has(r) }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if c.has(r) {
			b.WriteRune(r)
			continue
		}
		b.WriteRune(nearest(c, r))
	}
	return b.String()
}

// nearest drops r's accents one at a time, last first, until the fonts
// have the letter left; '?' when even the bare letter is missing.
func nearest(c *coverage, r rune) rune {
	parts := []rune(norm.NFD.String(string(r)))
	for n := len(parts) - 1; n >= 1; n-- {
		if rs := []rune(norm.NFC.String(string(parts[:n]))); len(rs) == 1 && c.has(rs[0]) {
			return rs[0]
		}
	}
	return '?'
}

// fontFaces lists the faces WritePDF registers, by family and style.
var fontFaces = []struct {
	family, style string
	ttf           []byte
}{
	{fontText, "", goregular.TTF},
	{fontText, "B", gobold.TTF},
	{fontMono, "", gomono.TTF},
	{fontMono, "B", gomonobold.TTF},
}
