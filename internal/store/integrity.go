package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrDamaged means the data file is empty, truncated or damaged: Sésame
// refuses to serve it rather than start an empty portal or crash later.
var ErrDamaged = errors.New("the data file is damaged")

// kRunning is set in the meta bucket while a process has the file open
// for writing, and cleared when it closes it cleanly: found set at open,
// it means the previous process stopped without closing (kill -9, power
// cut, a backup copied while serving).
var kRunning = []byte("running")

// damaged is the message for a file Sésame will not open: it names the
// file and says what to do, since the reader is a school's technician at
// a moment of stress.
func damaged(path, what string) error {
	return fmt.Errorf("%w: %s %s.\n"+
		"Sésame has not changed it. Restore the last backup (sesame backup FILE makes them),\n"+
		"or see what can be saved with: sesame check --data %s --repair-to NEW_FILE",
		ErrDamaged, path, what, path)
}

// bbolt's meta page, as laid out on disk by bbolt v1.5 (internal/common
// Meta, after the 16-byte page header). Read here so that a truncated
// file is refused before bbolt maps it: a read past the end of a mapped
// file is a SIGBUS no recover can catch.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16
	metaSumLen     = 56 // magic … txid: what the checksum covers
	metaLen        = metaSumLen + 8
	minBoltPages   = 4 // two meta pages, a freelist, the root leaf
)

type boltMeta struct {
	pageSize uint32
	pgid     uint64 // high-water mark: pages below it are in use
	txid     uint64
}

// parseMeta reads the meta page whose bytes start at p, or reports why
// it is not one.
func parseMeta(p []byte) (boltMeta, bool) {
	if len(p) < pageHeaderSize+metaLen {
		return boltMeta{}, false
	}
	m := p[pageHeaderSize : pageHeaderSize+metaLen]
	ne := binary.NativeEndian
	h := fnv.New64a()
	h.Write(m[:metaSumLen])
	if ne.Uint32(m[0:]) != boltMagic || ne.Uint32(m[4:]) != boltVersion || ne.Uint64(m[metaSumLen:]) != h.Sum64() {
		return boltMeta{}, false
	}
	return boltMeta{pageSize: ne.Uint32(m[8:]), pgid: ne.Uint64(m[40:]), txid: ne.Uint64(m[48:])}, true
}

// precheck refuses, before bbolt sees it, a file that exists but cannot
// be a whole data file: empty (bbolt would silently initialise it: a new
// secret, no accounts), shorter than its own high-water mark (truncated),
// or with neither meta page readable. A missing file is fine: Open
// creates it.
func precheck(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		// bbolt's own open reports it, with the usual advice.
		return nil
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	size := info.Size()
	if !info.Mode().IsRegular() {
		return fmt.Errorf("the data file %s is not a regular file", path)
	}
	if size == 0 {
		return damaged(path, "is empty (0 bytes): a failed copy or a full disk? An empty file is never taken for a new portal")
	}
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	var metas []boltMeta
	m0, ok := parseMeta(head)
	if ok {
		metas = append(metas, m0)
	}
	// The second meta page follows the first, one page further; with the
	// first unreadable, try the usual page sizes.
	offsets := []uint32{4096, 8192, 16384, 65536}
	if ok {
		offsets = []uint32{m0.pageSize}
	}
	for _, off := range offsets {
		if int(off) >= len(head) {
			if _, err := f.ReadAt(head[:pageHeaderSize+metaLen], int64(off)); err != nil {
				continue
			}
			if m1, ok := parseMeta(head[:pageHeaderSize+metaLen]); ok {
				metas = append(metas, m1)
				break
			}
			continue
		}
		if m1, ok := parseMeta(head[off:]); ok {
			metas = append(metas, m1)
			break
		}
	}
	if len(metas) == 0 {
		return damaged(path, fmt.Sprintf("is not a readable Sésame data file (%d bytes, no valid bbolt meta page)", size))
	}
	var need int64
	for _, m := range metas {
		if m.pageSize < 512 || m.pageSize > 1<<20 {
			return damaged(path, fmt.Sprintf("records an impossible page size (%d)", m.pageSize))
		}
		need = max(need, int64(m.pgid)*int64(m.pageSize), minBoltPages*int64(m.pageSize))
	}
	if size < need {
		return damaged(path, fmt.Sprintf("is truncated: %d bytes where its own header says at least %d", size, need))
	}
	return nil
}

// guard runs fn and turns a panic, or a memory fault on the mapped file,
// into an error wrapping ErrCorrupt: bbolt panics on a damaged page, and
// one bad page must not take down the process that touched it.
func guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: reading the data file failed (%v)", ErrCorrupt, r)
		}
	}()
	return fn()
}

// view, update and batch are db.View, Update and Batch under guard:
// every transaction of the store turns a damaged page into an error
// wrapping ErrCorrupt for its caller (a 5xx page, a failed command), not
// a panic that ends the server.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	return guard(func() error { return s.db.View(fn) })
}

func (s *Store) update(fn func(*bolt.Tx) error) error {
	return guard(func() error { return s.db.Update(fn) })
}

func (s *Store) batch(fn func(*bolt.Tx) error) error {
	return guard(func() error { return s.db.Batch(fn) })
}

// Recovery is what Open found and did after an unclean stop.
type Recovery struct {
	Took    time.Duration // the consistency check
	Pending int           // e-mails waiting in the outbox, which the worker resumes
}

// Recovery returns what Open did because the previous process did not
// close the file, or nil after a clean stop.
func (s *Store) Recovery() *Recovery { return s.recovery }

// MarkErr is why Open could not record that the file is in use (a full
// or read-only disk), or nil. Serving goes on: the marker only decides
// whether the next start checks the file.
func (s *Store) MarkErr() error { return s.markErr }

// markRunning records that the file is open, and runs the consistency
// check first if the previous process never cleared its own mark. A
// clean start costs one small write; only an unclean one reads the
// whole file.
func (s *Store) markRunning() error {
	unclean := false
	if err := s.view(func(tx *bolt.Tx) error {
		unclean = tx.Bucket(bMeta).Get(kRunning) != nil
		return nil
	}); err != nil {
		return err
	}
	if unclean {
		start := time.Now()
		problems, err := s.check(20)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return damaged(s.Path(), fmt.Sprintf("was not closed cleanly and fails its consistency check:\n  %s\n", strings.Join(problems, "\n  ")))
		}
		r := &Recovery{Took: time.Since(start)}
		if err := s.view(func(tx *bolt.Tx) error {
			r.Pending = tx.Bucket(bPending).Stats().KeyN
			return nil
		}); err != nil {
			return err
		}
		s.recovery = r
	}
	s.markErr = guard(func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bMeta).Put(kRunning, []byte(time.Now().UTC().Format(time.RFC3339)))
		})
	})
	return nil
}

// clearRunning is the last write of a clean close.
func (s *Store) clearRunning() error {
	if s.markErr != nil {
		return nil
	}
	return guard(func() error {
		return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Delete(kRunning) })
	})
}

// jsonBuckets hold one JSON value per key; the others are indexes
// (empty values) or the meta bucket.
var jsonBuckets = [][]byte{bAccounts, bSessions, bFlows, bCodes, bCodeLog, bOutbox, bAudit,
	bActCodes, bActHistory, bActTries, bActFlows, bOIDCClients, bOIDCKeys, bOIDCSubjects, bOIDCRefresh, bStaff, bStaffSessions}

// ShowKey names a record in a report without giving away what its key
// holds: account identifiers are shown (the admin lists them anyway),
// outbox and audit keys are sequence numbers and times, shown in hex;
// every other key (e-mail addresses, token hashes) is replaced by the
// start of its SHA-256.
func ShowKey(bucket string, k []byte) string {
	switch bucket {
	case string(bAccounts):
		return fmt.Sprintf("%q", k)
	case string(bOutbox), string(bAudit), string(bPending):
		return hex.EncodeToString(k)
	}
	return hashedKey(k)
}

// hashedKey is a key shown only as the start of its SHA-256: enough to
// tell two records apart in a report, nothing of an address or token.
func hashedKey(k []byte) string {
	sum := sha256.Sum256(k)
	return "sha256:" + hex.EncodeToString(sum[:6])
}

// keyStringer makes bbolt's own check messages follow ShowKey's rule.
type keyStringer struct{}

func (keyStringer) KeyToString(k []byte) string { return hashedKey(k) }

func (keyStringer) ValueToString(v []byte) string { return fmt.Sprintf("<%d bytes>", len(v)) }

// Check runs bbolt's consistency check on the whole file and decodes
// every record, and returns what is wrong (at most limit lines; none if
// the file is sound). Keys are shown with ShowKey, never values.
func (s *Store) Check(limit int) ([]string, error) { return s.check(limit) }

func (s *Store) check(limit int) ([]string, error) {
	var problems []string
	add := func(p string) bool {
		if len(problems) < limit {
			problems = append(problems, p)
		} else if len(problems) == limit {
			problems = append(problems, "… (more)")
		}
		return len(problems) <= limit
	}
	err := s.view(func(tx *bolt.Tx) error {
		for err := range tx.Check(bolt.WithKVStringer(keyStringer{})) {
			// bbolt reports a page it could not walk as "panic: …".
			add("bbolt: " + strings.Replace(err.Error(), "panic: ", "damaged page: ", 1))
		}
		if len(problems) > 0 {
			// The tree itself is damaged: walking it could fault.
			return nil
		}
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				add(fmt.Sprintf("bucket %s is missing", name))
			}
		}
		for _, name := range jsonBuckets {
			b := tx.Bucket(name)
			if b == nil {
				continue
			}
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if !json.Valid(v) {
					add(fmt.Sprintf("%s %s: unreadable record (%d bytes)", name, ShowKey(string(name), k), len(v)))
				}
			}
		}
		return nil
	})
	if err != nil {
		add(err.Error())
	}
	return problems, nil
}

// CheckFile checks the file at path without changing it, for `sesame
// check` while no server runs. It opens the file read-only, after the
// same refusal of empty and truncated files as Open.
func CheckFile(path string, timeout time.Duration, limit int) ([]string, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	if err := precheck(path); err != nil {
		return []string{err.Error()}, nil
	}
	db, err := openRO(path, timeout)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return (&Store{db: db}).check(limit)
}

func openRO(path string, timeout time.Duration) (*bolt.DB, error) {
	var db *bolt.DB
	err := guard(func() error {
		var err error
		db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
		return err
	})
	if isTimeout(err) {
		return nil, ErrLocked
	}
	if err != nil {
		return nil, fmt.Errorf("cannot open the data file %s: %w", path, err)
	}
	return db, nil
}

// eachRecord calls fn on every record of the bucket name, and returns an
// error wrapping ErrCorrupt naming (with ShowKey) the records fn could
// not read, after reading all the others: a listing shows what is good
// and reports what is not, rather than failing as a whole. A damaged
// page that stops the walk is reported with the last key read.
func (s *Store) eachRecord(name []byte, fn func(k, v []byte) error) error {
	var bad []string
	var first error
	last := "(start)"
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(name).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := fn(k, v); err != nil {
				if first == nil {
					first = err
				}
				bad = append(bad, ShowKey(string(name), k))
			}
			last = ShowKey(string(name), k)
		}
		return nil
	})
	var errs []error
	if len(bad) > 0 {
		shown := bad
		if len(shown) > 20 {
			shown = append(shown[:20:20], "…")
		}
		errs = append(errs, fmt.Errorf("%w: %d unreadable record(s) in %s: %s (first: %v)",
			ErrCorrupt, len(bad), name, strings.Join(shown, ", "), first))
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: the listing stopped after %s: %w", name, last, err))
	}
	return errors.Join(errs...)
}
