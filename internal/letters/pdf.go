package letters

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"sesame/locales"
)

// The page, in millimetres: A4 portrait with margins a printer keeps.
const (
	pageW     = 210.0
	pageH     = 297.0
	marginL   = 20.0
	marginR   = 20.0
	marginTop = 14.0
	// bottomLimit is the lowest a line may end; render reports the
	// lowest reached so a test proves crowded letters still fit.
	bottomLimit = pageH - 12
	textW       = pageW - marginL - marginR

	// qrSymbolMM is the printed size of the QR symbol itself, quiet zone
	// excluded (the brief asks at least 35 mm: phones read it from arm's
	// length, and old phones too).
	qrSymbolMM = 38.0
	boxGap     = 6.0  // between the code box and the QR code
	boxPad     = 4.0  // inside the code box
	childLimit = 6    // more children than this are listed on one line
	lineH      = 5.0  // body text line height
	bodySize   = 10.5 // body text size in points
)

// fixedDate is the PDF's creation and modification date. fpdf writes the
// current time otherwise; fixed, the same letters give the same bytes,
// so two runs can be compared. The date that matters is on each page.
var fixedDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// WritePDF writes ls as one PDF, one A4 page per letter in the order
// given (call Sort first for the office's order), each page in its
// letter's language. It returns ErrNoLetters for an empty list, and an
// error naming the letter (never showing its code) when one lacks its
// identifier, code, link or expiry, or holds more text than a page can
// take even in smaller print; nothing is written to w then.
func WritePDF(w io.Writer, s School, ls []Letter) error {
	_, err := render(w, s, ls)
	return err
}

// render is WritePDF, also returning the lowest point (in mm from the
// top) any page's content reached, for the test that proves a crowded
// letter stays on its page.
func render(w io.Writer, s School, ls []Letter) (float64, error) {
	if len(ls) == 0 {
		return 0, ErrNoLetters
	}
	b, err := bundle()
	if err != nil {
		return 0, err
	}
	s = cleanSchool(s)
	f := newDoc()
	// Page contents stay uncompressed: fpdf makes a new compressor (a
	// megabyte of garbage) for every page, which for a thousand letters
	// doubled the peak heap, for a file about 2.5 times smaller (3 MB
	// against 7.4 MB). Fonts and QR codes are compressed all the same.
	f.SetCompression(false)
	f.SetCatalogSort(true)
	f.SetCreationDate(fixedDate)
	f.SetModificationDate(fixedDate)
	f.SetCreator("Sésame", true)
	f.SetTitle(printable(joinNonEmpty(" – ", b.T(locales.Default, "letters.doc_title", nil), s.Name)), true)
	if s.Name != "" {
		f.SetAuthor(printable(s.Name), true)
	}
	// Pages are laid out twice: first measured on a document that is
	// never written (so nothing of the trial lands in the file), then, at
	// the size that fits, drawn.
	p := page{f: f, m: newDoc(), b: b, s: s}
	for i, l := range ls {
		l, err := cleaned(i, l)
		if err != nil {
			return 0, err
		}
		if err := p.letter(i, l); err != nil {
			return 0, fmt.Errorf("letters: letter %d (%s): %w", i+1, l.Identifier, err)
		}
		if f.Err() {
			return 0, fmt.Errorf("letters: letter %d (%s): %w", i+1, l.Identifier, f.Error())
		}
	}
	// fpdf builds the whole file before writing it: a failing writer
	// never receives half a document. The measuring document's fonts can
	// go first.
	p.m = nil
	return p.lowest, f.Output(w)
}

// newDoc is an empty A4 document with the letters' fonts.
func newDoc() *fpdf.Fpdf {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(marginL, marginTop, marginR)
	f.SetAutoPageBreak(false, 0)
	for _, face := range fontFaces {
		// A copy: fpdf writes into the bytes it is given while it cuts
		// the font down to the characters used, so the shared Go font
		// would change under the next document (and under a concurrent
		// one).
		f.AddUTF8FontFromBytes(face.family, face.style, bytes.Clone(face.ttf))
	}
	return f
}

// errTooLong reports a letter whose text does not fit on a page even at
// the smallest scale: clipping it would drop the instructions or the
// secretariat's contacts without anyone noticing.
var errTooLong = errors.New("too much text for one page (names, children or the school's contacts)")

// page lays out one letter at a time. Every position is its own (y), not
// fpdf's cursor, so the same code measures and draws.
type page struct {
	f      *fpdf.Fpdf // the document written
	m      *fpdf.Fpdf // the one measured on
	draw   bool       // drawing on f, or only measuring on m
	k      float64    // scale of text and gaps: 1, less for a crowded letter
	y      float64
	b      *locales.Bundle
	s      School
	lang   string
	lowest float64
}

// minScale is the smallest print a crowded letter may get, 70 %: body
// text at 7.4 points is still readable on paper.
const minScale = 0.7

func (p *page) doc() *fpdf.Fpdf {
	if p.draw {
		return p.f
	}
	return p.m
}

func (p *page) t(id string, data any) string { return printable(p.b.T(p.lang, id, data)) }

func (p *page) font(family, style string, size float64) {
	p.doc().SetFont(family, style, size*p.k)
}

// gap moves down by mm, scaled.
func (p *page) gap(mm float64) { p.y += mm * p.k }

// cell writes text on one line at y, without moving down.
func (p *page) cell(x, w, h float64, align, text string) {
	if p.draw && text != "" {
		p.f.SetXY(x, p.y)
		p.f.CellFormat(w, h*p.k, text, "", 0, align, false, 0, "")
	}
}

// para writes text from x over w (to the right margin when 0), wrapped
// at spaces, lines h apart, and moves below it.
func (p *page) para(x, w, h float64, text string) { p.paraAlign(x, w, h, "L", text) }

// paraAlign is para with each line aligned: "L", "C" or "R".
func (p *page) paraAlign(x, w, h float64, align, text string) {
	if w == 0 {
		w = pageW - marginR - x
	}
	for _, line := range p.wrap(text, w-2*p.doc().GetCellMargin()) {
		p.cell(x, w, h, align, line)
		p.gap(h)
	}
}

// wrap breaks text into lines no wider than w at spaces (a no-break
// space holds "Téléphone :" together), and a word wider than a line —
// a long link — between characters.
func (p *page) wrap(text string, w float64) []string {
	f := p.doc()
	width := func(s string) float64 { return f.GetStringWidth(s) }
	var lines []string
	line, lineW := "", 0.0
	space := width(" ")
	const slack = 1e-6
	for _, word := range strings.Split(text, " ") {
		ww := width(word)
		switch {
		case line != "" && lineW+space+ww <= w+slack:
			line += " " + word
			lineW += space + ww
			continue
		case line != "":
			lines = append(lines, line)
		}
		line, lineW = word, ww
		for lineW > w+slack {
			// Cut the longest head that fits, at least one character.
			rs := []rune(line)
			n, hw := 0, 0.0
			for n < len(rs) {
				cw := width(string(rs[n]))
				if n > 0 && hw+cw > w+slack {
					break
				}
				hw += cw
				n++
			}
			lines = append(lines, string(rs[:n]))
			line = string(rs[n:])
			lineW = width(line)
		}
	}
	return append(lines, line)
}

// fit sets the largest size from size down to min (both before scaling)
// at which text fits in w on one line, and reports whether it does; when
// it does not, the caller wraps it at min.
func (p *page) fit(family, style string, size, min, w float64, text string) bool {
	for ; size >= min; size -= 0.5 {
		p.font(family, style, size)
		if p.doc().GetStringWidth(text)+2*p.doc().GetCellMargin() <= w {
			return true
		}
	}
	p.font(family, style, min)
	return false
}

// qrImage is a letter's QR code, made once for both passes.
type qrImage struct {
	qrCode
	name string
}

func (p *page) letter(i int, l Letter) error {
	p.lang = l.Lang
	code, err := qrPNG(l.Link)
	if err != nil {
		return fmt.Errorf("QR code of the activation link: %w", err)
	}
	qr := qrImage{qrCode: code, name: "qr" + strconv.Itoa(i)}

	// Measure at full size, then smaller until the letter fits.
	p.draw = false
	for step := 0; ; step++ {
		p.k = 1 - 0.05*float64(step)
		if p.layout(l, qr) <= bottomLimit {
			break
		}
		if p.k <= minScale+1e-9 {
			return errTooLong
		}
	}

	f := p.f
	f.AddPage()
	// The outline lets the office find a class or a parent in a
	// thousand-page file. fpdf encodes it for the current font: a UTF-8
	// one must be set first, or the first title comes out garbled.
	f.SetFont(fontText, "", bodySize)
	outline := printable(addressee(p.b, locales.Default, Letter{LastName: l.LastName, FirstName: l.FirstName}))
	if len(l.Children) > 0 && l.Children[0].Class != "" {
		outline = printable(l.Children[0].Class) + " – " + outline
	}
	f.Bookmark(outline, 0, 0)
	info := f.RegisterImageOptionsReader(qr.name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qr.png))
	if f.Err() {
		return f.Error()
	}
	if err := pinImageOrder(info, i); err != nil {
		return err
	}
	p.draw = true
	p.lowest = max(p.lowest, p.layout(l, qr))
	return nil
}

// layout places (or, when measuring, only sizes) one letter and returns
// how far down the page it reaches.
func (p *page) layout(l Letter, qr qrImage) float64 {
	p.y = marginTop

	// The top line: the confidentiality notice and, for the teacher who
	// hands letters to pupils, the child to give it to.
	p.font(fontText, "B", 8)
	p.cell(marginL, textW/2, 4, "L", p.t("letters.confidential", nil))
	if len(l.Children) > 0 {
		p.font(fontText, "", 8)
		p.cell(marginL+textW/2, textW/2, 4, "R",
			p.t("letters.handout", map[string]any{"Child": printable(childShort(l.Children[0]))}))
	}
	p.gap(4 + 3)

	// The school's name and the title.
	if p.s.Name != "" {
		p.font(fontText, "B", 15)
		p.para(marginL, 0, 7, printable(p.s.Name))
	}
	p.gap(1.5)
	if p.draw {
		p.f.SetLineWidth(0.3)
		p.f.Line(marginL, p.y, pageW-marginR, p.y)
	}
	p.gap(4)
	p.font(fontText, "B", 19)
	p.para(marginL, 0, 9, p.t("letters.title", nil))

	// Whom it is for, and why.
	p.gap(3)
	p.font(fontText, "B", 12.5)
	p.para(marginL, 0, 6.5, printable(addressee(p.b, p.lang, l)))
	p.gap(1.5)
	p.font(fontText, "", bodySize)
	p.para(marginL, 0, lineH, p.t("letters.intro", map[string]any{"School": printable(p.s.Name)}))
	if n := len(l.Children); n > 0 {
		p.gap(2)
		p.font(fontText, "B", bodySize)
		p.para(marginL, 0, lineH, printable(p.b.N(p.lang, "letters.children", n, nil)))
		p.font(fontText, "", bodySize)
		lines := make([]string, n)
		for j, c := range l.Children {
			lines[j] = p.t("letters.child", map[string]any{
				"FirstName": printable(c.FirstName),
				"LastName":  printable(upper(c.LastName)),
				"Class":     printable(c.Class),
			})
		}
		if n > childLimit {
			// A large family stays on one page: names follow each other.
			p.para(marginL+5, 0, lineH, strings.Join(lines, " · "))
		} else {
			for _, line := range lines {
				p.para(marginL+5, 0, lineH, line)
			}
		}
	}

	// The code box and, beside it, the QR code.
	p.gap(5)
	p.codeBox(l, qr)

	// The addresses written out, for a parent without a camera.
	p.gap(5)
	if p.s.PortalURL != "" {
		p.font(fontText, "", bodySize)
		p.para(marginL, 0, lineH, p.t("letters.portal", nil))
		p.monoLine(printable(p.s.PortalURL))
		p.gap(1.5)
	}
	p.font(fontText, "", bodySize)
	p.para(marginL, 0, lineH, p.t("letters.link", nil))
	p.monoLine(printable(l.Link))

	// What to do, in order.
	p.gap(5)
	p.font(fontText, "B", bodySize+0.5)
	p.para(marginL, 0, 6, p.t("letters.steps", nil))
	for n, id := range []string{"letters.step1", "letters.step2", "letters.step3", "letters.step4"} {
		p.gap(1)
		p.font(fontText, "B", bodySize)
		p.cell(marginL, 6, lineH, "L", strconv.Itoa(n+1)+".")
		p.font(fontText, "", bodySize)
		p.para(marginL+6, 0, lineH, p.t(id, nil))
	}

	// Whom to ask.
	p.gap(5)
	p.font(fontText, "", bodySize)
	var contacts []string
	for _, c := range []struct{ id, key, value string }{
		{"letters.help.phone", "Phone", p.s.Phone},
		{"letters.help.email", "Email", p.s.Email},
		{"letters.help.hours", "Hours", p.s.Hours},
	} {
		if c.value != "" {
			contacts = append(contacts, p.t(c.id, map[string]any{c.key: printable(c.value)}))
		}
	}
	if len(contacts) == 0 {
		p.para(marginL, 0, lineH, p.t("letters.help", nil))
	} else {
		p.para(marginL, 0, lineH, p.t("letters.help_contacts", nil))
		for _, c := range contacts {
			p.para(marginL+5, 0, lineH, c)
		}
	}
	return p.y
}

// monoLine writes an address in the monospaced face, on one line when it
// fits at a readable size (a link cut in two is easy to mistype), else
// wrapped.
func (p *page) monoLine(s string) {
	x := marginL + 5
	p.fit(fontMono, "", bodySize, 7.5, pageW-marginR-x, s)
	p.para(x, 0, lineH, s)
}

// codeBox draws the framed identifier, code and expiry, and the QR code
// of the link to its right. The QR code keeps its size at every scale.
func (p *page) codeBox(l Letter, qr qrImage) {
	// The image carries its quiet zone: the symbol proper is qrSymbolMM.
	qrW := qrSymbolMM * float64(qr.pixels) / float64(qr.modules*qrPixelsPerModule)
	boxW := textW - qrW - boxGap
	inner := boxW - 2*boxPad
	top := p.y
	x := marginL + boxPad

	p.y = top + boxPad
	p.font(fontText, "", 9)
	p.para(x, inner, 4.5, p.t("letters.identifier", nil))
	ident := printable(l.Identifier)
	if p.fit(fontMono, "B", 16, 9, inner, ident) {
		p.cell(x, inner, 8, "L", ident)
		p.gap(8)
	} else {
		p.para(x, inner, 6, ident)
	}
	p.gap(2.5)
	p.font(fontText, "", 9)
	p.para(x, inner, 4.5, p.t("letters.code", nil))
	code := printable(l.Code)
	if p.fit(fontMono, "B", 24, 10, inner, code) {
		p.cell(x, inner, 11, "L", code)
		p.gap(11)
	} else {
		p.para(x, inner, 7, code)
	}
	p.gap(2)
	p.font(fontText, "B", bodySize)
	p.para(x, inner, lineH, p.t("letters.expires", map[string]any{
		"Date": ExpiryDate(p.b, p.lang, p.s.Zone, l.Expires),
	}))
	textBottom := p.y + boxPad

	qrX := pageW - marginR - qrW
	if p.draw {
		p.f.ImageOptions(qr.name, qrX, top, qrW, qrW, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	}
	p.y = top + qrW
	p.font(fontText, "", 7.5)
	p.paraAlign(qrX, qrW, 3.5, "C", p.t("letters.scan", nil))
	captionBottom := p.y

	bottom := max(textBottom, top+qrW)
	if p.draw {
		p.f.SetLineWidth(0.6)
		p.f.Rect(marginL, top, boxW, bottom-top, "D")
	}
	p.y = max(bottom, captionBottom)
}

// pinImageOrder makes the order of the images in the file, hence its
// bytes, depend on the letters alone. fpdf numbers images as it walks a
// map, sorted by pixel width only (SetCatalogSort), so QR codes of equal
// width — nearly all of them — come out in a random order. The width is
// nudged by a millionth of a pixel per letter, through the image's
// exported gob round trip: the sort then follows the letters' order,
// and nothing visible changes (the file states the width as a whole
// number, and the drawn size is given explicitly).
func pinImageOrder(info *fpdf.ImageInfoType, i int) error {
	buf, err := info.GobEncode()
	if err != nil {
		return err
	}
	// The fields, in fpdf's order: data, smask, n, w, h, cs, pal, bpc,
	// f, dp, trns, scale, dpi.
	var (
		data, smask, pal []byte
		n, bpc           int
		w, h, scale, dpi float64
		cs, filter, dp   string
		trns             []int
	)
	fields := []any{&data, &smask, &n, &w, &h, &cs, &pal, &bpc, &filter, &dp, &trns, &scale, &dpi}
	dec := gob.NewDecoder(bytes.NewReader(buf))
	for _, v := range fields {
		if err := dec.Decode(v); err != nil {
			return fmt.Errorf("image order: %w", err)
		}
	}
	w += float64(i+1) * 1e-6
	var out bytes.Buffer
	enc := gob.NewEncoder(&out)
	for _, v := range fields {
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("image order: %w", err)
		}
	}
	return info.GobDecode(out.Bytes())
}

func joinNonEmpty(sep string, parts ...string) string {
	var kept []string
	for _, s := range parts {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return strings.Join(kept, sep)
}
