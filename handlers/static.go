package handlers

import (
	"bytes"
	"compress/gzip"
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"sesame/static"
)

var staticVersion = static.Version

// asset is one embedded file, compressed on its first request: doing it
// for every file at start-up cost 20 ms before the server could answer.
type asset struct {
	raw   []byte
	gz    func() []byte
	ctype string
}

var assets = func() map[string]asset {
	out := map[string]asset{}
	entries, _ := static.FS.ReadDir(".")
	for _, e := range entries {
		raw, _ := static.FS.ReadFile(e.Name())
		gz := sync.OnceValue(func() []byte {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(raw)
			zw.Close()
			return buf.Bytes()
		})
		ctype := mime.TypeByExtension(path.Ext(e.Name()))
		if strings.HasPrefix(ctype, "text/") && !strings.Contains(ctype, "charset") {
			ctype += "; charset=utf-8"
		}
		if path.Ext(e.Name()) == ".js" {
			ctype = "text/javascript; charset=utf-8"
		}
		out[e.Name()] = asset{raw: raw, gz: gz, ctype: ctype}
	}
	return out
}()

// static serves an embedded file. The URL carries the files' digest, so
// a response can be cached for a year: a new binary changes the URL.
func (h *handler) static(c *fiber.Ctx) error {
	a, ok := assets[c.Params("name")]
	if !ok || c.Params("version") != staticVersion {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, a.ctype)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Vary(fiber.HeaderAcceptEncoding)
	if strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(a.gz())
	}
	return c.Send(a.raw)
}
