// Package store keeps Sésame's data in one bbolt file: accounts,
// sessions, recovery flows and codes, the mail outbox and the audit log.
//
// It is the only package that imports bbolt. Its *Store satisfies the
// small interfaces the domain packages declare. Values are JSON, copied
// out of transactions before use; keys that must sort by time are
// big-endian timestamps.
package store

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout this code reads and writes. Open migrates
// older files forward with the steps in migrations.
const SchemaVersion = 2

var (
	bMeta       = []byte("meta")
	bAccounts   = []byte("accounts")
	bByEmail    = []byte("accounts_by_email")
	bSessions   = []byte("sessions")
	bSessByAcct = []byte("sessions_by_account")
	bFlows      = []byte("recovery_flows")
	bCodes      = []byte("recovery_codes")
	bCodeLog    = []byte("recovery_code_log")
	bOutbox     = []byte("outbox")
	bPending    = []byte("outbox_pending")
	bAudit      = []byte("audit")
	allBuckets  = [][]byte{bMeta, bAccounts, bByEmail, bSessions, bSessByAcct, bFlows, bCodes, bCodeLog, bOutbox, bPending, bAudit}
	kSchema     = []byte("schema_version")
	kSecret     = []byte("hmac_secret")
	migrations  = map[int]func(*bolt.Tx) error{
		// 1: the first layout; buckets are created by Open.
		// 2: an index of pending e-mails, so the mail worker's poll does
		// not decode a month of sent ones.
		2: indexPending,
	}
)

// ErrLocked means another process holds the data file.
var ErrLocked = errors.New("the data file is in use by another Sésame process (is the server running? admin commands reach it through its socket)")

// ErrNewerSchema means the file was written by a newer Sésame.
var ErrNewerSchema = errors.New("the data file was written by a newer version of Sésame")

// Store is an open data file.
type Store struct {
	db     *bolt.DB
	secret []byte
}

// Open opens (or creates) the data file at path. If another process
// holds it, Open gives up after timeout with ErrLocked instead of waiting
// forever.
func Open(path string, timeout time.Duration) (*Store, error) {
	if timeout <= 0 {
		timeout = time.Second
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, ErrLocked
	}
	if errors.Is(err, os.ErrPermission) {
		return nil, fmt.Errorf("cannot open the data file %s for writing: check its permissions and that its disk is not read-only (%w)", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot open the data file: %w", err)
	}
	// Batch waits this long for other writers to join a disk sync: short
	// enough that a lone parent does not notice, long enough that a rush
	// of parents shares syncs.
	db.MaxBatchDelay = 2 * time.Millisecond
	s := &Store{db: db}
	// A file already at this layout opens with a read: no disk sync at
	// every start.
	if s.ready() {
		return s, nil
	}
	if err := db.Update(s.init); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// ready reports whether the file has every bucket, the current schema and
// its secret, and loads the secret.
func (s *Store) ready() bool {
	ok := false
	s.db.View(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return nil
			}
		}
		meta := tx.Bucket(bMeta)
		sec := meta.Get(kSecret)
		if string(meta.Get(kSchema)) != strconv.Itoa(SchemaVersion) || len(sec) != 32 {
			return nil
		}
		s.secret = append([]byte(nil), sec...)
		ok = true
		return nil
	})
	return ok
}

func (s *Store) init(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bMeta)
	v := 0
	if raw := meta.Get(kSchema); raw != nil {
		v, _ = strconv.Atoi(string(raw))
	} else {
		v = SchemaVersion // a new file starts at the current layout
	}
	if v > SchemaVersion {
		return fmt.Errorf("%w (file: %d, this program: %d)", ErrNewerSchema, v, SchemaVersion)
	}
	for ; v < SchemaVersion; v++ {
		if m := migrations[v+1]; m != nil {
			if err := m(tx); err != nil {
				return fmt.Errorf("migrate to schema %d: %w", v+1, err)
			}
		}
	}
	if err := meta.Put(kSchema, []byte(strconv.Itoa(SchemaVersion))); err != nil {
		return err
	}
	// The HMAC key for recovery codes lives in the file: it never leaves
	// it, and a stolen backup alone still needs the key and the code.
	if sec := meta.Get(kSecret); sec != nil {
		s.secret = append([]byte(nil), sec...)
		return nil
	}
	s.secret = make([]byte, 32)
	if _, err := rand.Read(s.secret); err != nil {
		return err
	}
	return meta.Put(kSecret, s.secret)
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Secret is the server's HMAC key for recovery codes.
func (s *Store) Secret() []byte { return s.secret }

// Schema returns the schema version recorded in the file.
func (s *Store) Schema() (int, error) {
	var v int
	err := s.db.View(func(tx *bolt.Tx) error {
		v, _ = strconv.Atoi(string(tx.Bucket(bMeta).Get(kSchema)))
		return nil
	})
	return v, err
}

// Path returns the data file's path.
func (s *Store) Path() string { return s.db.Path() }

func get(b *bolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	// json.Unmarshal copies what it keeps, so nothing points into the
	// transaction's memory afterwards.
	return true, json.Unmarshal(raw, v)
}

func put(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

func join(a, b string) []byte { return []byte(a + "\x00" + b) }
