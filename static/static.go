// Package static holds the stylesheet and scripts, embedded in the
// binary so the portal needs no network beyond the school's server.
//
// htmx is vendored at version 2.0.11 (htmx-2.0.11.min.js, licence in
// htmx-LICENSE.txt), taken from the npm package htmx.org@2.0.11.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sort"
)

//go:embed *.css *.js *.txt
var FS embed.FS

// Version is a digest of every embedded file. Asset URLs carry it, so
// browsers may cache them for a year and still get a new file the moment
// a new binary ships.
var Version = func() string {
	names, _ := fs.Glob(FS, "*")
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, _ := FS.ReadFile(n)
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}()
