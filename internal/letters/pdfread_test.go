package letters

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"image"
	"image/png"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// This file reads back the PDFs WritePDF writes, compressed as shipped:
// no test hook changes the output. It knows only what fpdf writes
// (numbered objects, Flate streams, text as UTF-16 in "(…) Tj", PNG
// data copied into image objects), which is enough to prove what a
// parent would see on each page.

// pdfFile is a parsed PDF: its objects' dictionaries and streams.
type pdfFile struct {
	dicts   map[int]string
	streams map[int][]byte
}

// pdfPage is one page: the text of its text operators, one per line, and
// the images it draws with their placement in points.
type pdfPage struct {
	Text   string
	Images []pdfImage
}

type pdfImage struct {
	Img           image.Image
	Width, Height float64 // as drawn on the page, in points
}

var (
	objRe      = regexp.MustCompile(`(\d+) 0 obj\s*(<<)`)
	lengthRe   = regexp.MustCompile(`/Length (\d+)`)
	refRe      = regexp.MustCompile(`(\d+) 0 R`)
	kidsRe     = regexp.MustCompile(`/Kids \[([^\]]*)\]`)
	contentsRe = regexp.MustCompile(`/Contents (\d+) 0 R`)
	resRe      = regexp.MustCompile(`/Resources (\d+) 0 R`)
	xobjRe     = regexp.MustCompile(`(?s)/XObject\s*<<(.*?)>>`)
	nameRefRe  = regexp.MustCompile(`/(\S+) (\d+) 0 R`)
	drawRe     = regexp.MustCompile(`q ([\d.]+) 0 0 ([\d.]+) [\d.-]+ [\d.-]+ cm /(\S+) Do Q`)
	widthRe    = regexp.MustCompile(`/Width (\d+)`)
	heightRe   = regexp.MustCompile(`/Height (\d+)`)
)

func parsePDF(t *testing.T, data []byte) *pdfFile {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("%PDF-")) || !bytes.HasSuffix(bytes.TrimSpace(data), []byte("%%EOF")) {
		t.Fatalf("not a complete PDF: starts %q", data[:min(len(data), 16)])
	}
	f := &pdfFile{dicts: map[int]string{}, streams: map[int][]byte{}}
	for _, m := range objRe.FindAllSubmatchIndex(data, -1) {
		n, _ := strconv.Atoi(string(data[m[2]:m[3]]))
		end := dictEnd(data, m[4])
		if end < 0 {
			t.Fatalf("object %d: unterminated dictionary", n)
		}
		dict := string(data[m[4]:end])
		f.dicts[n] = dict
		rest := bytes.TrimLeft(data[end:], " \r\n")
		if !bytes.HasPrefix(rest, []byte("stream")) {
			continue
		}
		rest = bytes.TrimPrefix(bytes.TrimPrefix(rest[len("stream"):], []byte("\r")), []byte("\n"))
		lm := lengthRe.FindStringSubmatch(dict)
		if lm == nil {
			t.Fatalf("object %d: stream without /Length", n)
		}
		l, _ := strconv.Atoi(lm[1])
		raw := rest[:l]
		if strings.Contains(dict, "/Filter /FlateDecode") && !strings.Contains(dict, "/Subtype /Image") {
			zr, err := zlib.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("object %d: %v", n, err)
			}
			if raw, err = io.ReadAll(zr); err != nil {
				t.Fatalf("object %d: %v", n, err)
			}
		}
		f.streams[n] = raw
	}
	return f
}

// dictEnd returns the offset just past the dictionary opening at start,
// skipping nested dictionaries and (escaped) literal strings, which in
// UTF-16 may hold any byte; -1 when it does not close.
func dictEnd(data []byte, start int) int {
	depth := 0
	for i := start; i+1 < len(data); i++ {
		switch {
		case data[i] == '(':
			for i++; i < len(data) && data[i] != ')'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case data[i] == '<' && data[i+1] == '<':
			depth++
			i++
		case data[i] == '>' && data[i+1] == '>':
			depth--
			i++
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// pages returns the pages in the document's order.
func (f *pdfFile) pages(t *testing.T) []pdfPage {
	t.Helper()
	var kids string
	for _, d := range f.dicts {
		if strings.Contains(d, "/Type /Pages") {
			kids = kidsRe.FindStringSubmatch(d)[1]
		}
	}
	var out []pdfPage
	for _, ref := range refRe.FindAllStringSubmatch(kids, -1) {
		n, _ := strconv.Atoi(ref[1])
		d := f.dicts[n]
		cm := contentsRe.FindStringSubmatch(d)
		if cm == nil {
			t.Fatalf("page object %d has no contents", n)
		}
		c, _ := strconv.Atoi(cm[1])
		content := string(f.streams[c])
		p := pdfPage{Text: textOf(t, content)}
		xobjects := map[string]int{}
		if rm := resRe.FindStringSubmatch(d); rm != nil {
			r, _ := strconv.Atoi(rm[1])
			if xm := xobjRe.FindStringSubmatch(f.dicts[r]); xm != nil {
				for _, nr := range nameRefRe.FindAllStringSubmatch(xm[1], -1) {
					xobjects[nr[1]], _ = strconv.Atoi(nr[2])
				}
			}
		}
		for _, dm := range drawRe.FindAllStringSubmatch(content, -1) {
			w, _ := strconv.ParseFloat(dm[1], 64)
			h, _ := strconv.ParseFloat(dm[2], 64)
			obj, ok := xobjects[dm[3]]
			if !ok {
				t.Fatalf("page %d draws unknown image %s", len(out)+1, dm[3])
			}
			p.Images = append(p.Images, pdfImage{Img: f.image(t, obj), Width: w, Height: h})
		}
		out = append(out, p)
	}
	return out
}

// textOf joins the strings of a content stream's Tj operators, one per
// line; fpdf writes UTF-8 fonts' text as escaped UTF-16BE.
func textOf(t *testing.T, content string) string {
	t.Helper()
	var lines []string
	for i := 0; i < len(content); i++ {
		if content[i] != '(' {
			continue
		}
		var raw []byte
		j := i + 1
		for ; j < len(content) && content[j] != ')'; j++ {
			c := content[j]
			if c == '\\' {
				j++
				switch content[j] {
				case 'n':
					c = '\n'
				case 'r':
					c = '\r'
				case 't':
					c = '\t'
				default:
					c = content[j]
				}
			}
			raw = append(raw, c)
		}
		i = j
		if !strings.HasPrefix(strings.TrimLeft(content[j+1:], " "), "Tj") {
			continue
		}
		if len(raw)%2 != 0 {
			t.Fatalf("text string of odd length %d: not UTF-16", len(raw))
		}
		u := make([]uint16, len(raw)/2)
		for k := range u {
			u[k] = binary.BigEndian.Uint16(raw[2*k:])
		}
		lines = append(lines, string(utf16.Decode(u)))
	}
	return strings.Join(lines, "\n")
}

// image rebuilds a PNG from an image object (fpdf copies a PNG's
// compressed rows into it untouched) and decodes it.
func (f *pdfFile) image(t *testing.T, obj int) image.Image {
	t.Helper()
	d := f.dicts[obj]
	wm, hm := widthRe.FindStringSubmatch(d), heightRe.FindStringSubmatch(d)
	if wm == nil || hm == nil || !strings.Contains(d, "/ColorSpace /DeviceGray") || !strings.Contains(d, "/BitsPerComponent 1") ||
		!strings.Contains(d, "/Filter /FlateDecode") || !strings.Contains(d, "/Predictor 15") {
		t.Fatalf("image object %d is not the 1-bit gray PNG data expected: %s", obj, d)
	}
	w, _ := strconv.Atoi(wm[1])
	h, _ := strconv.Atoi(hm[1])
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = 1 // 1 bit, gray
	pngChunk(&buf, "IHDR", ihdr)
	pngChunk(&buf, "IDAT", f.streams[obj])
	pngChunk(&buf, "IEND", nil)
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("image object %d: %v", obj, err)
	}
	return img
}
