package letters

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"

	"sesame/internal/account"
)

const mmPerPt = 25.4 / 72

// family is the test set: French and English letters, names that need
// more than Latin-1, and an adult without children.
func family() []Letter {
	return []Letter{
		letter("lukasz.ndiaye", "M.", "N'Diaye", "Łukasz", "en",
			child("N'Diaye", "Zoë", "CM2")),
		letter("marie.ndiaye", "Mme", "N'Diaye", "Marie", "fr",
			child("N'Diaye", "Œdipe", "6e A"), child("N'Diaye", "Zoë", "CM2")),
		letter("sam.nochild", "", "Martin", "Sam", "fr"),
		letter("anne.brun", "Mme", "Brun", "Anne", "en",
			child("Brun", "Léo", "6e A")),
	}
}

func render1(t *testing.T, s School, ls []Letter) ([]byte, []pdfPage) {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePDF(&buf, s, ls); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), parsePDF(t, buf.Bytes()).pages(t)
}

// Each page carries its own letter's identifier, code, link, children,
// expiry, school and secretariat, in its letter's language, and the
// pages come out in the office's order.
func TestPDFText(t *testing.T) {
	ls := family()
	Sort(ls)
	_, pages := render1(t, testSchool(), ls)
	if len(pages) != len(ls) {
		t.Fatalf("%d pages for %d letters", len(pages), len(ls))
	}
	// The order: 6e A (Brun, N'Diaye), CM2 (N'Diaye Łukasz), no child.
	wantOrder := []string{"anne.brun", "marie.ndiaye", "lukasz.ndiaye", "sam.nochild"}
	if got := ids(ls); strings.Join(got, ",") != strings.Join(wantOrder, ",") {
		t.Fatalf("sorted %v, want %v", got, wantOrder)
	}
	common := map[string][]string{
		"fr": {
			"Personnel et confidentiel", "École Jules Ferry", "Espace Parents — votre accès",
			"Votre identifiant", "Votre code d'activation",
			"Ce code est valable jusqu'au 28 janvier 2027 inclus.",
			"Adresse de l'Espace Parents\u00a0:", "https://parents.ecole.fr/",
			"Pour activer votre accès\u00a0:",
			"Téléphone\u00a0: 01 23 45 67 89", "Adresse e-mail\u00a0: secretariat@ecole.fr",
			"Horaires\u00a0: lundi–vendredi, 8 h 30 – 12 h",
		},
		"en": {
			"Private and confidential", "École Jules Ferry", "Parents' area — your access",
			"Your username", "Your activation code",
			"This code is valid until 28 January 2027 inclusive.",
			"Parents' area address:", "https://parents.ecole.fr/",
			"To activate your access:",
			"Phone: 01 23 45 67 89", "E-mail address: secretariat@ecole.fr",
			"Opening hours: lundi–vendredi, 8 h 30 – 12 h",
		},
	}
	own := map[string][]string{
		"anne.brun":     {"Ms Anne BRUN", "Your child:", "Léo BRUN – class 6e A", "To be handed to Léo BRUN (6e A)"},
		"marie.ndiaye":  {"Madame N'DIAYE Marie", "Vos enfants\u00a0:", "Œdipe N'DIAYE – classe 6e A", "Zoë N'DIAYE – classe CM2", "À remettre à Œdipe N'DIAYE (6e A)"},
		"lukasz.ndiaye": {"Mr Łukasz N'DIAYE", "Your child:", "Zoë N'DIAYE – class CM2"},
		"sam.nochild":   {"MARTIN Sam"},
	}
	for i, l := range ls {
		text := pages[i].Text
		lines := strings.Split(text, "\n")
		has := func(s string) bool {
			for _, line := range lines {
				if strings.TrimSpace(line) == s {
					return true
				}
			}
			return false
		}
		for _, s := range append(append([]string{l.Identifier, l.Code, l.Link}, common[l.Lang]...), own[l.Identifier]...) {
			if !has(s) {
				t.Errorf("page %d (%s): no line %q in\n%s", i+1, l.Identifier, s, text)
			}
		}
		for j, other := range ls {
			if j != i && strings.Contains(text, other.Code) {
				t.Errorf("page %d (%s) shows %s's code", i+1, l.Identifier, other.Identifier)
			}
		}
		for _, lang := range []string{"fr", "en"} {
			if lang != l.Lang && strings.Contains(text, common[lang][2]) {
				t.Errorf("page %d (%s, %s) has the %s title", i+1, l.Identifier, l.Lang, lang)
			}
		}
	}
	// The adult without children is told nothing about children.
	last := pages[3].Text
	for _, s := range []string{"enfant", "remettre"} {
		if strings.Contains(last, s) {
			t.Errorf("childless letter mentions %q:\n%s", s, last)
		}
	}
}

// Contacts left empty are left out, and the help sentence then ends
// with a full stop rather than a colon announcing nothing.
func TestPDFNoContacts(t *testing.T) {
	s := testSchool()
	s.Phone, s.Email, s.Hours, s.PortalURL = "", "", "", ""
	// A language Sésame does not speak gets the French letter.
	_, pages := render1(t, s, []Letter{letter("a.b", "", "B", "A", "de")})
	text := pages[0].Text
	prose := strings.ReplaceAll(text, "\n", " ")
	if !strings.Contains(prose, "vous pouvez contacter le secrétariat de l'établissement.") || strings.Contains(prose, "l'établissement\u00a0:") {
		t.Errorf("help sentence missing or announcing contacts:\n%s", text)
	}
	if !strings.Contains(text, "Espace Parents — votre accès") {
		t.Errorf("not the French letter:\n%s", text)
	}
	for _, s := range []string{"Téléphone", "Adresse e-mail", "Horaires", "Adresse de l'Espace Parents"} {
		if strings.Contains(text, s) {
			t.Errorf("empty contact %q printed:\n%s", s, text)
		}
	}
}

// decodeQR reads a QR code the way a phone does, from the image alone.
func decodeQR(t *testing.T, img image.Image) *gozxing.Result {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("QR code unreadable: %v", err)
	}
	return res
}

// The QR code on each page, taken from the PDF, decodes to that page's
// link, with error correction Q, printed at least 35 mm wide with its
// quiet zone around it.
func TestPDFQRCode(t *testing.T) {
	ls := family()
	_, pages := render1(t, testSchool(), ls)
	for i, p := range pages {
		if len(p.Images) != 1 {
			t.Fatalf("page %d: %d images, want the QR code alone", i+1, len(p.Images))
		}
		im := p.Images[0]
		res := decodeQR(t, im.Img)
		if got := res.GetText(); got != ls[i].Link {
			t.Errorf("page %d: QR code holds %q, want %q", i+1, got, ls[i].Link)
		}
		if lvl := fmt.Sprint(res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL]); lvl != "Q" {
			t.Errorf("page %d: error correction %s, want Q", i+1, lvl)
		}
		// The symbol's size on paper and its quiet zone, measured on the
		// image: the dark pixels' box is the symbol (finder patterns sit
		// in three corners), and a finder pattern is 7 modules wide.
		box, module := symbolBox(im.Img)
		mmPerPixel := im.Width * mmPerPt / float64(im.Img.Bounds().Dx())
		symbolMM := float64(box.Dx()) * mmPerPixel
		if symbolMM < 35 || im.Width != im.Height || box.Dx() != box.Dy() {
			t.Errorf("page %d: QR symbol printed %.1f mm (box %v, image %.1f×%.1f pt), want a square ≥ 35 mm", i+1, symbolMM, box, im.Width, im.Height)
		}
		b := im.Img.Bounds()
		for _, margin := range []int{box.Min.X - b.Min.X, box.Min.Y - b.Min.Y, b.Max.X - box.Max.X, b.Max.Y - box.Max.Y} {
			if float64(margin) < qrQuietModules*module {
				t.Errorf("page %d: quiet zone %d px, want ≥ 4 modules of %.1f px", i+1, margin, module)
			}
		}
	}
}

// symbolBox returns the box of img's dark pixels and the width of a
// module, from the top-left finder pattern's first row (7 modules).
func symbolBox(img image.Image) (image.Rectangle, float64) {
	b := img.Bounds()
	box := image.Rectangle{Min: b.Max, Max: b.Min}
	dark := func(x, y int) bool { r, _, _, _ := img.At(x, y).RGBA(); return r < 0x8000 }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if dark(x, y) {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	run := 0
	for x := box.Min.X; x < box.Max.X && dark(x, box.Min.Y); x++ {
		run++
	}
	return box, float64(run) / 7
}

// Links of every length a deployment may produce encode and decode back
// exactly, path, query and all.
func TestQRRoundTrip(t *testing.T) {
	base := "https://parents.college-exemple.fr/sesame/activation?id=marie-christine.dupont-lefebvre&code="
	for n := 0; n <= 200; n += 25 {
		link := base + strings.Repeat("K7QM4RXP9TDW", n/12+1)[:n]
		qr, err := qrPNG(link)
		if err != nil {
			t.Fatalf("len %d: %v", len(link), err)
		}
		img, _, err := image.Decode(bytes.NewReader(qr.png))
		if err != nil {
			t.Fatal(err)
		}
		box, module := symbolBox(img)
		if px := img.Bounds().Dx(); px != qr.pixels || px%8 != 0 || box.Dx() != qr.modules*qrPixelsPerModule || module != qrPixelsPerModule {
			t.Errorf("len %d: image %d px (want %d, whole bytes), symbol %d px for %d modules, module %.1f px",
				len(link), px, qr.pixels, box.Dx(), qr.modules, module)
		}
		if got := decodeQR(t, img).GetText(); got != link {
			t.Errorf("QR code holds %q, want %q", got, link)
		}
	}
}

// The same letters give the same bytes; different letters do not. Thirty
// QR codes of one size: fpdf alone would order them at random.
func TestPDFDeterministic(t *testing.T) {
	var many []Letter
	for i := range 30 {
		many = append(many, letter(fmt.Sprintf("parent%02d.x", i), "", "Parent", "X", "fr", child("P", "C", "6e A")))
	}
	first, _ := render1(t, testSchool(), many)
	for range 3 {
		again, _ := render1(t, testSchool(), many)
		if !bytes.Equal(first, again) {
			t.Fatal("two renders of the same letters differ")
		}
	}
	a, _ := render1(t, testSchool(), family())
	other := family()
	other[0].Code = "ZZZZ-ZZZZ-ZZZZ"
	c, _ := render1(t, testSchool(), other)
	if bytes.Equal(a, c) {
		t.Fatal("a different code gave the same bytes")
	}
	if !bytes.Contains(a, []byte("/CreationDate (D:20000101000000)")) {
		t.Error("creation date is not the fixed one")
	}
}

// fpdf writes into the font bytes it is given: WritePDF hands it copies,
// so the shared fonts stay as embedded and two documents can be made at
// once (run with -race).
func TestPDFLeavesFontsAlone(t *testing.T) {
	before := make([][]byte, len(fontFaces))
	for i, face := range fontFaces {
		before[i] = bytes.Clone(face.ttf)
	}
	var wg sync.WaitGroup
	outs := make([][]byte, 4)
	for i := range outs {
		wg.Go(func() {
			var buf bytes.Buffer
			if err := WritePDF(&buf, testSchool(), family()); err != nil {
				t.Error(err)
			}
			outs[i] = buf.Bytes()
		})
	}
	wg.Wait()
	for i, face := range fontFaces {
		if !bytes.Equal(before[i], face.ttf) {
			t.Errorf("font %s %q changed by rendering", face.family, face.style)
		}
	}
	for i := range outs {
		if !bytes.Equal(outs[0], outs[i]) {
			t.Errorf("concurrent render %d differs from the first", i)
		}
	}
}

// A crowded letter — long names, many children, long contacts, a long
// link — still fits on its one page.
func TestPDFCrowdedLetterFits(t *testing.T) {
	long := strings.Repeat("Marie-Christine ", 4)
	var kids []account.Child
	for i := range 12 {
		kids = append(kids, child("Dupont-Lefebvre de la Tour", fmt.Sprintf("Jean-Baptiste-%d", i), fmt.Sprintf("2nde %d", i)))
	}
	l := letter("marie-christine.dupont-lefebvre-de-la-tour42", "Mme", "Dupont-Lefebvre de la Tour d'Auvergne", long, "fr", kids...)
	l.Link = "https://parents.lycee-international-de-saint-germain-en-laye.fr/espace-parents/activation?id=" + l.Identifier + "&code=K7QM4RXP9TDW"
	s := testSchool()
	s.Name = "Lycée polyvalent international Jean-Baptiste Poquelin de Saint-Germain-en-Laye"
	s.Hours = "du lundi au vendredi de 8 h à 12 h et de 13 h 30 à 17 h 30, le mercredi de 8 h à 12 h, fermé pendant les vacances scolaires"
	s.Email = "secretariat.eleves.lycee-international@ac-versailles.fr"
	var buf bytes.Buffer
	lowest, err := render(&buf, s, []Letter{l})
	if err != nil {
		t.Fatal(err)
	}
	if lowest > bottomLimit {
		t.Errorf("content reaches %.1f mm, below the %.1f mm limit", lowest, bottomLimit)
	}
	pages := parsePDF(t, buf.Bytes()).pages(t)
	if len(pages) != 1 {
		t.Fatalf("%d pages", len(pages))
	}
	// Prose wraps at spaces, a link between characters.
	prose := strings.ReplaceAll(pages[0].Text, "\n", " ")
	for _, s := range []string{"Jean-Baptiste-11 DUPONT-LEFEBVRE DE LA TOUR – classe 2nde 11", "Horaires\u00a0: " + s.Hours, s.Email} {
		if !strings.Contains(prose, s) {
			t.Errorf("%q missing from the crowded page:\n%s", s, pages[0].Text)
		}
	}
	glued := strings.ReplaceAll(pages[0].Text, "\n", "")
	for _, s := range []string{l.Code, l.Identifier, l.Link} {
		if !strings.Contains(glued, s) {
			t.Errorf("%q missing from the crowded page:\n%s", s, pages[0].Text)
		}
	}
	if os.Getenv("LETTERS_CROWDED_PDF") != "" {
		os.WriteFile(os.Getenv("LETTERS_CROWDED_PDF"), buf.Bytes(), 0o644)
	}
}

// A letter that cannot fit even in smaller print is refused rather than
// cut off at the bottom of the page.
func TestPDFRefusesWhatCannotFit(t *testing.T) {
	var kids []account.Child
	for i := range 80 {
		kids = append(kids, child(strings.Repeat("Lefebvre-Dupont ", 6), fmt.Sprintf("Jean-Baptiste %d", i), "2nde 1"))
	}
	ls := []Letter{letter("a.b", "", "B", "A", "fr"), letter("big.family", "", "B", "A", "fr", kids...)}
	var buf bytes.Buffer
	err := WritePDF(&buf, testSchool(), ls)
	if !errors.Is(err, errTooLong) || !strings.Contains(err.Error(), "letter 2 (big.family)") {
		t.Errorf("error %v, want errTooLong naming letter 2", err)
	}
	if buf.Len() != 0 {
		t.Errorf("%d bytes written despite the error", buf.Len())
	}
}

// Bad input is refused with a message that names the letter and never
// its code, and nothing is written.
func TestPDFRefusesIncompleteLetters(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePDF(&buf, testSchool(), nil); !errors.Is(err, ErrNoLetters) {
		t.Errorf("no letters: %v, want ErrNoLetters", err)
	}
	for _, c := range []struct {
		name   string
		change func(*Letter)
		want   string
	}{
		{"no identifier", func(l *Letter) { l.Identifier = " " }, "letter 2 has no identifier"},
		{"no code", func(l *Letter) { l.Code = "" }, "letter 2 (marie.ndiaye) has no activation code"},
		{"no link", func(l *Letter) { l.Link = "" }, "letter 2 (marie.ndiaye) has no usable activation link"},
		{"link with a space", func(l *Letter) { l.Link = "https://x/ a" }, "has no usable activation link"},
		{"link too long for a QR code", func(l *Letter) { l.Link = "https://x/" + strings.Repeat("a", 3000) }, "letter 2 (marie.ndiaye): QR code"},
		{"no expiry", func(l *Letter) { l.Expires = time.Time{} }, "has no expiry"},
	} {
		ls := family()
		c.change(&ls[1])
		buf.Reset()
		err := WritePDF(&buf, testSchool(), ls)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), family()[1].Code) {
			t.Errorf("%s: error shows a code: %v", c.name, err)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: %d bytes written despite the error", c.name, buf.Len())
		}
	}
}
