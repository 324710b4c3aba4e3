package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

// Both formats hold one top-level folder, every file with its content,
// executables 0755 and the rest 0644.
func TestPack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sesame-v1-linux-amd64")
	for name, mode := range map[string]os.FileMode{"sesame": 0o700, "README.md": 0o600, "packaging/sesame.service": 0o600} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("content of "+name), mode); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{
		"sesame-v1-linux-amd64/":                         "dir 755",
		"sesame-v1-linux-amd64/README.md":                "644 content of README.md",
		"sesame-v1-linux-amd64/packaging/":               "dir 755",
		"sesame-v1-linux-amd64/packaging/sesame.service": "644 content of packaging/sesame.service",
		"sesame-v1-linux-amd64/sesame":                   "755 content of sesame",
	}
	out := filepath.Join(t.TempDir(), "a.tar.gz")
	if err := pack(out, dir); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got[h.Name] = describe(h.FileInfo().Mode(), b)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tar.gz:\n%v\nwant\n%v", got, want)
	}

	out = filepath.Join(t.TempDir(), "a.zip")
	if err := pack(out, dir); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	got = map[string]string{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		got[zf.Name] = describe(zf.Mode(), b)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("zip:\n%v\nwant\n%v", got, want)
	}
	if err := pack(filepath.Join(t.TempDir(), "a.rar"), dir); err == nil {
		t.Error("an unknown archive type was accepted")
	}
}

func describe(m os.FileMode, b []byte) string {
	if m.IsDir() {
		return "dir " + strconv.FormatUint(uint64(m.Perm()), 8)
	}
	return strconv.FormatUint(uint64(m.Perm()), 8) + " " + string(b)
}
