package importcsv

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// badLine is a line of the file that is not valid in the file's encoding.
type badLine struct {
	line   int
	detail string
}

// decoded is the file as valid UTF-8 text, with its lines ending in "\n"
// only, and the lines that were not valid in its encoding.
type decoded struct {
	text string
	enc  string
	// bad is sorted by line.
	bad []badLine
}

// What a line that is not valid in the file's encoding is told. Most
// often the file was saved by one program and a line pasted or edited in
// another, which saved it in its own encoding.
const (
	detailNotUTF8    = "the line is not valid UTF-8 (was it edited in another program?)"
	detailUTF8In1252 = "the line holds UTF-8 text in a file read as Windows-1252 (was it edited in another program?)"
	detailUndefined  = "the line holds byte 0x%02X, which is not Windows-1252 text (was it edited in another program?)"
)

// decode turns the file into valid UTF-8 text, guessing its encoding for
// the whole file and checking each line against it, so that one line
// saved by another program is rejected alone, naming its line, instead
// of importing "HÃ©lÃ¨ne".
//
// A file with a BOM is UTF-8. Otherwise the non-ASCII bytes decide: a
// file whose valid UTF-8 multi-byte sequences are at least as many as its
// bytes that are not valid UTF-8 is UTF-8; any other file (in particular
// one with no valid sequence) is Windows-1252, as French Excel writes it.
// In a UTF-8 file, a line that is not valid UTF-8 is bad (and read as
// Windows-1252, so that a bad header can still be read). In a
// Windows-1252 file, a line holding one of the five bytes the code page
// leaves undefined is bad, and so is a line holding UTF-8 sequences of
// accented letters or typographic punctuation, which Windows-1252 would
// read as "Ã©" or "â€™".
func decode(data []byte) (decoded, error) {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) ||
		bytes.IndexByte(data[:min(len(data), 1024)], 0) >= 0 {
		return decoded{}, ErrNotText
	}
	data, bom := bytes.CutPrefix(data, []byte("\uFEFF"))
	// Excel for Mac's "CSV (Macintosh)" ends lines with a lone CR, which
	// encoding/csv would keep inside the last field of one huge line.
	// Done on the bytes, so that the line numbers of bad lines are the
	// ones encoding/csv counts.
	if bytes.IndexByte(data, '\r') >= 0 {
		data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
		data = bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
	}
	valid, invalid := countUTF8(data)
	var d decoded
	switch {
	case invalid == 0:
		d = decoded{text: string(data), enc: EncodingUTF8}
	case bom || valid > 0 && valid >= invalid:
		d = decodeUTF8Lines(data)
	default:
		text, err := charmap.Windows1252.NewDecoder().Bytes(data)
		if err != nil {
			return decoded{}, fmt.Errorf("%w: %w", ErrUnreadable, err)
		}
		d = decoded{text: string(text), enc: EncodingWindows1252, bad: check1252Lines(data)}
		if len(d.bad) > 0 {
			d.text = keepUTF8Lines(data, d)
		}
	}
	if strings.TrimSpace(d.text) == "" {
		return decoded{}, ErrEmpty
	}
	return d, nil
}

// countUTF8 counts the valid multi-byte UTF-8 sequences in data and the
// bytes that are not part of a valid sequence.
func countUTF8(data []byte) (valid, invalid int) {
	for i := 0; i < len(data); {
		if data[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			invalid++
		} else {
			valid++
		}
		i += n
	}
	return valid, invalid
}

// decodeUTF8Lines keeps the valid lines of a UTF-8 file as they are and
// reads the others as Windows-1252, marking them bad.
func decodeUTF8Lines(data []byte) decoded {
	d := decoded{enc: EncodingUTF8}
	var b strings.Builder
	b.Grow(len(data) + len(data)/8)
	dec := charmap.Windows1252.NewDecoder()
	for line := 1; len(data) > 0; line++ {
		l, rest, nl := bytes.Cut(data, []byte("\n"))
		if utf8.Valid(l) {
			b.Write(l)
		} else {
			// Windows-1252 decodes every byte, undefined ones to U+FFFD.
			t, _ := dec.Bytes(l)
			b.Write(t)
			d.bad = append(d.bad, badLine{line, detailNotUTF8})
		}
		if nl {
			b.WriteByte('\n')
		}
		data = rest
	}
	d.text = b.String()
	return d
}

// check1252Lines finds the lines of a Windows-1252 file that hold an
// undefined byte or UTF-8 text.
func check1252Lines(data []byte) []badLine {
	var bad []badLine
	line := 1
	reported := 0 // the last line added to bad
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '\n':
			line++
			i++
			continue
		case c < utf8.RuneSelf || line == reported:
			i++
			continue
		}
		switch c {
		case 0x81, 0x8D, 0x8F, 0x90, 0x9D:
			bad = append(bad, badLine{line, fmt.Sprintf(detailUndefined, c)})
			reported = line
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if n > 1 && (r >= 0x80 && r <= 0x24F || r >= 0x2000 && r <= 0x20CF) {
			// Accented Latin letters, typographic quotes, dashes and the
			// euro sign: what a UTF-8 program writes in a French name,
			// and what Windows-1252 would turn into "Ã©" or "â€™".
			// Other sequences are far more likely two real Windows-1252
			// letters, such as "É" before a no-break space.
			bad = append(bad, badLine{line, detailUTF8In1252})
			reported = line
		}
		i += max(n, 1)
	}
	return bad
}

// keepUTF8Lines rebuilds the text of a Windows-1252 file keeping as
// they are the bad lines that are valid UTF-8: they are rejected all the
// same, but a header typed in another program is then read right.
func keepUTF8Lines(data []byte, d decoded) string {
	var b strings.Builder
	b.Grow(len(d.text))
	dec := charmap.Windows1252.NewDecoder()
	next := 0 // index in d.bad
	for line := 1; len(data) > 0; line++ {
		l, rest, nl := bytes.Cut(data, []byte("\n"))
		bad := next < len(d.bad) && d.bad[next].line == line
		if bad {
			next++
		}
		if bad && utf8.Valid(l) {
			b.Write(l)
		} else {
			t, _ := dec.Bytes(l)
			b.Write(t)
		}
		if nl {
			b.WriteByte('\n')
		}
		data = rest
	}
	return b.String()
}

// firstBad returns the first bad line in [from, to].
func (d *decoded) firstBad(from, to int) (badLine, bool) {
	i := sort.Search(len(d.bad), func(i int) bool { return d.bad[i].line >= from })
	if i < len(d.bad) && d.bad[i].line <= to {
		return d.bad[i], true
	}
	return badLine{}, false
}
