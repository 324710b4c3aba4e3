// Command pack writes a release archive of a directory, for `make release`:
//
//	go run ./tools/pack dist/sesame-v1.2.0-linux-amd64.tar.gz dist/.stage/sesame-v1.2.0-linux-amd64
//
// The archive holds the directory itself (one top-level folder, so
// unpacking never scatters files), as .tar.gz or .zip by the output's
// name. Written in Go rather than with tar and zip so a release needs no
// other tool on the machine, and the same on every machine: entries in
// name order, owner root, one fixed time (SOURCE_DATE_EPOCH, else the
// newest file's), modes 0755 for executables and 0644 for the rest.
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type entry struct {
	name string // slash-separated, under the top-level folder
	src  string // "" for a directory
	exec bool
	size int64
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: pack OUT.tar.gz|OUT.zip DIR")
		os.Exit(2)
	}
	if err := pack(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "pack:", err)
		os.Exit(1)
	}
}

func pack(out, dir string) error {
	entries, newest, err := walk(dir)
	if err != nil {
		return err
	}
	mtime := newest
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH=%q: %w", s, err)
		}
		mtime = time.Unix(n, 0)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	switch {
	case strings.HasSuffix(out, ".zip"):
		err = writeZip(f, entries, mtime.UTC())
	case strings.HasSuffix(out, ".tar.gz"):
		err = writeTarGz(f, entries, mtime.UTC())
	default:
		err = fmt.Errorf("%s: the name must end in .tar.gz or .zip", out)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out)
	}
	return err
}

// walk lists dir and everything under it, in name order (WalkDir's).
func walk(dir string) ([]entry, time.Time, error) {
	top := filepath.Base(filepath.Clean(dir))
	var entries []entry
	var newest time.Time
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := path.Join(top, filepath.ToSlash(rel))
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.ModTime().After(newest) {
			newest = info.ModTime()
		}
		switch {
		case d.IsDir():
			entries = append(entries, entry{name: name + "/"})
		case info.Mode().IsRegular():
			entries = append(entries, entry{name: name, src: p, exec: info.Mode()&0o111 != 0, size: info.Size()})
		default:
			return fmt.Errorf("%s: not a file or a directory", p)
		}
		return nil
	})
	return entries, newest, err
}

func (e entry) mode() int64 {
	if e.src == "" || e.exec {
		return 0o755
	}
	return 0o644
}

func writeTarGz(w io.Writer, entries []entry, mtime time.Time) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode(), ModTime: mtime, Uname: "root", Gname: "root", Format: tar.FormatPAX}
		h.Typeflag = tar.TypeDir
		if e.src != "" {
			h.Typeflag, h.Size = tar.TypeReg, e.size
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if e.src != "" {
			if err := copyFile(tw, e.src); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, entries []entry, mtime time.Time) error {
	zw := zip.NewWriter(w)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Modified: mtime, Method: zip.Deflate}
		h.SetMode(fs.FileMode(e.mode()))
		if e.src == "" {
			h.Method = zip.Store
			h.SetMode(fs.ModeDir | 0o755)
		}
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if e.src != "" {
			if err := copyFile(fw, e.src); err != nil {
				return err
			}
		}
	}
	return zw.Close()
}

func copyFile(w io.Writer, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
