package policy

import (
	"bufio"
	"io"
	"strings"
	"sync"
	"unicode"

	_ "embed" // for the default blocklist
)

// blocklistTxt is the default list: passwords found at the top of public
// leak statistics, French and English, one per line.
//
//go:embed blocklist.txt
var blocklistTxt string

// Blocklist is a set of common passwords. Entries and candidates are
// compared by key (case, accents, spaces and punctuation removed), so one
// entry "motdepasse" also refuses "Mot de passe" and "MOT-DE-PASSE".
// A Blocklist is immutable and safe for concurrent use.
type Blocklist struct {
	set map[string]struct{}
}

var defaultBlocklist = sync.OnceValue(func() *Blocklist {
	return parseBlocklist(strings.Split(blocklistTxt, "\n"))
})

// DefaultBlocklist returns the embedded list. It is parsed once, on first
// use and shared by every policy, which is safe since a Blocklist never
// changes after it is built.
func DefaultBlocklist() *Blocklist { return defaultBlocklist() }

// NewBlocklist builds a list from words, for tests and for schools that
// add their own. Words are keyed like passwords; empty ones are skipped.
func NewBlocklist(words ...string) *Blocklist {
	return parseBlocklist(words)
}

// ReadBlocklist reads a list in the format of the embedded one: one
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
	b := &Blocklist{set: make(map[string]struct{}, len(lines))}
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k := key(line); k != "" {
			b.set[k] = struct{}{}
		}
	}
	return b
}

// Len returns the number of distinct keys, so configuration can log the
// size of the list it loaded.
func (b *Blocklist) Len() int {
	if b == nil {
		return 0
	}
	return len(b.set)
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

func (b *Blocklist) containsKey(k string) bool {
	if b == nil || k == "" {
		return false
	}
	if _, ok := b.set[k]; ok {
		return true
	}
	core := strings.TrimFunc(k, unicode.IsDigit)
	if core == "" || core == k {
		return false
	}
	_, ok := b.set[core]
	return ok
}
