package policy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode"

	_ "embed" // for the default blocklist
)

// blocklistGz is the default list: about 70,000 common passwords and
// French words, already folded by Key, sorted and deduplicated, one per
// line, gzip'ed. It is built by `go run ./internal/policy/gen` from the
// hand-kept blocklist.txt and the zxcvbn-ts frequency lists; see
// blocklist.md for the sources and their licences.
//
//go:embed blocklist.gz
var blocklistGz []byte

// Blocklist is a set of common passwords. Entries and candidates are
// compared by key (case, accents, spaces and punctuation removed), so one
// entry "motdepasse" also refuses "Mot de passe" and "MOT-DE-PASSE".
// A Blocklist is immutable and safe for concurrent use.
type Blocklist struct {
	// keys is sorted and holds no duplicates. A sorted slice of
	// substrings of one string costs about a third of the memory of a map
	// for 70,000 short keys, and a lookup is 17 comparisons.
	keys []string
}

var defaultBlocklist = sync.OnceValue(func() *Blocklist {
	b, err := loadFolded(blocklistGz)
	if err != nil {
		// The embedded file is checked by the tests; a build that
		// cannot read it must not start refusing nothing.
		panic("policy: embedded blocklist: " + err.Error())
	}
	return b
})

// loadFolded reads the generator's output: keys already folded and
// sorted, so loading is only a decompression and a split, with no
// folding.
func loadFolded(gz []byte) (*Blocklist, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	keys := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if !slices.IsSorted(keys) {
		// Not expected from the generator; sort rather than miss entries.
		slices.Sort(keys)
		keys = slices.Compact(keys)
	}
	return &Blocklist{keys: keys}, nil
}

// DefaultBlocklist returns the embedded list. It is loaded once, on first
// use (about 10 ms), and shared by every policy, which is safe since a
// Blocklist never changes after it is built.
func DefaultBlocklist() *Blocklist { return defaultBlocklist() }

// NewBlocklist builds a list from words, for tests and for schools that
// add their own. Words are keyed like passwords; empty ones are skipped.
func NewBlocklist(words ...string) *Blocklist {
	return parseBlocklist(words)
}

// ReadBlocklist reads a list in the format of blocklist.txt: one
// password per line; blank lines and lines starting with "#" are
// skipped. It fails only if r does, or if a line exceeds 64 KiB.
func ReadBlocklist(r io.Reader) (*Blocklist, error) {
	var lines []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return parseBlocklist(lines), nil
}

func parseBlocklist(lines []string) *Blocklist {
	keys := make([]string, 0, len(lines))
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k := key(line); k != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return &Blocklist{keys: slices.Compact(keys)}
}

// Len returns the number of distinct keys, so configuration can log the
// size of the list it loaded.
func (b *Blocklist) Len() int {
	if b == nil {
		return 0
	}
	return len(b.keys)
}

// Contains reports whether password is on the list, by the same rule the
// Common check uses: its key matches an entry, either exactly or once the
// digits at its start and end are removed. People satisfy a digit rule by
// adding a year or "123" around a word, which adds no strength, so
// "azerty123", "Soleil2024!" and "2024marseille" are all refused. Digits
// inside the word are kept ("1qaz2wsx" must be listed as such); matching
// only whole words keeps a listed word from refusing a long phrase that
// happens to contain it.
func (b *Blocklist) Contains(password string) bool {
	return b.containsKey(key(password))
}

func (b *Blocklist) has(k string) bool {
	_, ok := slices.BinarySearch(b.keys, k)
	return ok
}

func (b *Blocklist) containsKey(k string) bool {
	if b == nil || k == "" {
		return false
	}
	if b.has(k) {
		return true
	}
	core := strings.TrimFunc(k, unicode.IsDigit)
	if core == "" || core == k {
		return false
	}
	return b.has(core)
}
