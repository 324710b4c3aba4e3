// Command gen rebuilds internal/policy/blocklist.gz, the embedded list of
// common passwords, from its sources:
//
//   - internal/policy/blocklist.txt, the hand-kept French list;
//   - passwords.json of the npm package @zxcvbn-ts/language-common 4.1.3
//     (MIT), the most frequent passwords of public leaks;
//   - commonWords.json of @zxcvbn-ts/language-fr 4.1.2 (MIT package; the
//     word frequencies come from OpenSubtitles 2024 via OPUS, ODC-BY),
//     the French words people use most, which people use as passwords.
//
// Each entry is folded with policy.Key (case, accents, spaces and
// punctuation removed), entries shorter than three characters once folded
// are dropped (a letter or two followed by digits is not a word anyone
// guesses first), and the rest is sorted, deduplicated and gzip'ed, so
// the output depends only on the inputs. See internal/policy/blocklist.md.
//
// Run from the module root:
//
//	go run ./internal/policy/gen
//
// It runs `npm pack` for both packages in a temporary directory (npm
// checks the registry's integrity hashes); -common and -fr take tarballs
// already downloaded instead.
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"sesame/internal/policy"
)

// The pinned packages; change the versions here and in blocklist.md.
const (
	commonPkg = "@zxcvbn-ts/language-common@4.1.3"
	frPkg     = "@zxcvbn-ts/language-fr@4.1.2"
)

// minRunes drops folded entries shorter than this.
const minRunes = 3

func main() {
	common := flag.String("common", "", "tarball of "+commonPkg+" (default: npm pack it)")
	fr := flag.String("fr", "", "tarball of "+frPkg+" (default: npm pack it)")
	seed := flag.String("seed", "internal/policy/blocklist.txt", "hand-kept list, one password per line")
	out := flag.String("o", "internal/policy/blocklist.gz", "output file")
	flag.Parse()
	if err := run(*common, *fr, *seed, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(commonTgz, frTgz, seedPath, outPath string) error {
	if commonTgz == "" || frTgz == "" {
		dir, err := os.MkdirTemp("", "blocklist-gen")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if commonTgz == "" {
			if commonTgz, err = npmPack(dir, commonPkg); err != nil {
				return err
			}
		}
		if frTgz == "" {
			if frTgz, err = npmPack(dir, frPkg); err != nil {
				return err
			}
		}
	}
	keys := map[string]struct{}{}
	var report []string
	addAll := func(src string, words []string) {
		n := 0
		defer func() { report = append(report, fmt.Sprintf("%-60s %6d entries, %6d new keys", src, len(words), n)) }()
		for _, w := range words {
			k := policy.Key(w)
			if utf8.RuneCountInString(k) < minRunes {
				continue
			}
			if _, dup := keys[k]; !dup {
				n++
			}
			keys[k] = struct{}{}
		}
	}

	seed, err := readSeed(seedPath)
	if err != nil {
		return err
	}
	addAll("seed", seed)
	for _, src := range []struct{ tgz, file string }{
		{commonTgz, "package/src/passwords.json"},
		{frTgz, "package/src/commonWords.json"},
	} {
		words, err := jsonList(src.tgz, src.file)
		if err != nil {
			return err
		}
		addAll(filepath.Base(src.tgz)+":"+src.file, words)
	}

	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	// No name and no time in the header, so the same inputs give the
	// same bytes.
	if _, err := io.WriteString(zw, strings.Join(sorted, "\n")+"\n"); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(outPath, buf.Bytes(), 0o644); err != nil {
		return err
	}
	for _, line := range report {
		fmt.Println(line)
	}
	fmt.Printf("%s: %d keys, %d bytes gzip'ed\n", outPath, len(sorted), buf.Len())
	return nil
}

func npmPack(dir, pkg string) (string, error) {
	cmd := exec.Command("npm", "pack", "--silent", pkg)
	cmd.Dir, cmd.Stderr = dir, os.Stderr
	name, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npm pack %s: %w", pkg, err)
	}
	return filepath.Join(dir, strings.TrimSpace(string(name))), nil
}

func readSeed(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var words []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			words = append(words, line)
		}
	}
	return words, sc.Err()
}

// jsonList reads one JSON array of strings from a file inside an npm
// tarball.
func jsonList(tgz, name string) ([]string, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tgz, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s: no %s", tgz, name)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tgz, err)
		}
		if h.Name != name {
			continue
		}
		var words []string
		if err := json.NewDecoder(tr).Decode(&words); err != nil {
			return nil, fmt.Errorf("%s %s: %w", tgz, name, err)
		}
		return words, nil
	}
}
