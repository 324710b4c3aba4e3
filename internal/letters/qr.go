package letters

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"sync"

	qrcode "github.com/skip2/go-qrcode"
)

// QR codes come from github.com/skip2/go-qrcode rather than
// yeqown/go-qrcode/v2: it is one module without dependencies (yeqown's
// image writer is a second module that pulls in a drawing library), and
// it hands out the module matrix itself, which is all a PDF needs and
// what the tests compare against. The QR standard does not move, so its
// age is no drawback.

// qrLevel is the error correction: skip2's High is the standard's Q,
// which recovers 25 % of the symbol. A letter travels folded in a school
// bag; M (15 %) would give slightly bigger modules, but at the size
// printed (qrSymbolMM) they are about a millimetre either way.
const qrLevel = qrcode.High

// qrPixelsPerModule is the image's resolution. The PDF scales the image
// to its printed size whatever its pixels, but a reader that extracts it
// (the browser test's jsqr) wants a few pixels per module; more would
// cost memory, as fpdf sets aside a byte per 8 pixels of every image.
const qrPixelsPerModule = 4

// qrQuietModules is the white margin the standard requires around the
// symbol.
const qrQuietModules = 4

// zlibWriters are reused from one QR code to the next: a new compressor
// is a megabyte of garbage, a thousand letters a gigabyte.
var zlibWriters = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.DefaultCompression)
	return w
}}

// qrCode is a link's QR code as a PNG, with what placing it needs.
type qrCode struct {
	png []byte
	// modules is the symbol's width in modules, quiet zone excluded.
	modules int
	// pixels is the image's width (and height), quiet zone included.
	pixels int
}

// qrPNG draws link as a PNG with its quiet zone. The PNG is 1-bit
// grayscale, written here rather than by image/png, which has no 1-bit
// gray: fpdf copies such data into the PDF as it is, where a palette
// image would cost it one more compressor per letter. The image's width
// is a whole number of bytes (pdf-parse 2.4.5 misreads 1-bit rows that
// end mid-byte): the quiet zone grows by up to 7 pixels to get there.
func qrPNG(link string) (qrCode, error) {
	q, err := qrcode.New(link, qrLevel)
	if err != nil {
		return qrCode{}, err
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	n := len(bits)
	quiet := qrQuietModules * qrPixelsPerModule
	size := n*qrPixelsPerModule + 2*quiet
	extra := (8 - size%8) % 8
	before := quiet + extra/2 // pixels of quiet zone left of and above the symbol
	size += extra
	stride := size / 8
	row := make([]byte, 1+stride) // the filter byte (0: none), then pixels
	white := make([]byte, 1+stride)
	for i := 1; i < len(white); i++ {
		white[i] = 0xff // 1 is white
	}
	var idat bytes.Buffer
	zw := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(zw)
	zw.Reset(&idat)
	write := func(r []byte, times int) error {
		for range times {
			if _, err := zw.Write(r); err != nil {
				return err
			}
		}
		return nil
	}
	if err := write(white, before); err != nil {
		return qrCode{}, err
	}
	for _, modules := range bits {
		copy(row, white)
		for x, dark := range modules {
			if !dark {
				continue
			}
			for px := before + x*qrPixelsPerModule; px < before+(x+1)*qrPixelsPerModule; px++ {
				row[1+px/8] &^= 0x80 >> (px % 8)
			}
		}
		if err := write(row, qrPixelsPerModule); err != nil {
			return qrCode{}, err
		}
	}
	if err := write(white, size-before-n*qrPixelsPerModule); err != nil {
		return qrCode{}, err
	}
	if err := zw.Close(); err != nil {
		return qrCode{}, err
	}
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(size))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(size))
	ihdr[8] = 1 // bit depth; colour type 0 (gray), no interlace
	pngChunk(&out, "IHDR", ihdr)
	pngChunk(&out, "IDAT", idat.Bytes())
	pngChunk(&out, "IEND", nil)
	return qrCode{png: out.Bytes(), modules: n, pixels: size}, nil
}

// pngChunk appends a PNG chunk: length, type, data, CRC of type and data.
func pngChunk(out *bytes.Buffer, kind string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	out.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(kind))
	crc.Write(data)
	out.WriteString(kind)
	out.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	out.Write(n[:])
}
