// Package store keeps Sésame's data in one bbolt file: accounts,
// sessions, recovery flows and codes, activation codes and flows, the
// mail outbox and the audit log.
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
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

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
	bAuditAgg   = []byte("audit_hourly")
	allBuckets  = [][]byte{bMeta, bAccounts, bByEmail, bSessions, bSessByAcct, bFlows, bCodes, bCodeLog, bOutbox, bPending, bAudit, bAuditAgg, bActCodes, bActHistory, bActTries, bActFlows, bOIDCClients, bOIDCKeys, bOIDCSubjects, bOIDCSubs, bOIDCRefresh, bOIDCRefreshBy, bStaff, bStaffSessions}
	kSchema     = []byte("schema_version")
	kSecret     = []byte("hmac_secret")
)

// A migration brings a file from the schema before it to its own: the
// nth entry of migrations (counting from 1) produces schema n. Open has
// created every bucket of the current layout before any migration runs.
type migration struct {
	name string
	run  func(*bolt.Tx) error
}

// migrations lists every layout change in order. Append to it, never
// edit or reorder it: the schema version is its length, so a new step
// and its version number cannot drift apart.
var migrations = []migration{
	{"first layout", func(*bolt.Tx) error { return nil }},
	// So the mail worker's poll does not decode a month of sent e-mails.
	{"index pending e-mails", indexPending},
	// Open creates the bucket; nothing to move: older events stay alone.
	{"hourly audit records", func(*bolt.Tx) error { return nil }},
	// Open creates the four activation buckets; no account has a code yet.
	{"activation codes", func(*bolt.Tx) error { return nil }},
	// Open creates the OpenID Connect buckets (store/oidc.go); subjects
	// are given to accounts at their first sign-in to an application.
	{"OpenID Connect provider", func(*bolt.Tx) error { return nil }},
	// Open creates the two staff buckets; the office starts with none.
	{"staff accounts", func(*bolt.Tx) error { return nil }},
}

// schemaVersion is the layout this code reads and writes.
func schemaVersion() int { return len(migrations) }

// ErrLocked means another process holds the data file.
var ErrLocked = errors.New("the data file is in use by another Sésame process (is the server running? admin commands reach it through its socket)")

// ErrNewerSchema means the file was written by a newer Sésame.
var ErrNewerSchema = errors.New("the data file was written by a newer version of Sésame")

// ErrNoFile means Open found no data file: only Create makes one, so a
// mistyped path never becomes a new, empty portal.
var ErrNoFile = errors.New("no data file")

// Migration says that Open brought an older file to the current schema,
// and where it kept the file as it was.
type Migration struct {
	From, To int
	// Backup is the consistent copy of the file at schema From, written
	// beside it before the migration (see BeforeSchema).
	Backup string
}

// BeforeSchema is the copy Open keeps of a file at schema from before
// migrating it: path.before-schema-N. It is named after the schema it
// holds, so it is the file the release that wrote it can read again.
func BeforeSchema(path string, from int) string {
	return path + ".before-schema-" + strconv.Itoa(from)
}

// Store is an open data file.
type Store struct {
	db       *bolt.DB
	secret   []byte
	recovery *Recovery // set when the previous process stopped uncleanly
	migrated *Migration
	markErr  error // why the running marker could not be written
}

// Open opens the existing data file at path; a missing file is refused
// with an error wrapping ErrNoFile, and nothing is created (Create is the
// server's). If another process holds it, Open gives up after timeout
// with ErrLocked instead of waiting forever. An existing file that is
// empty, truncated or unreadable is refused with an error wrapping
// ErrDamaged, untouched. After an unclean stop (see Recovery) Open runs
// the consistency check first. A file at an older schema is copied to
// BeforeSchema, then migrated (see Migrated).
func Open(path string, timeout time.Duration) (*Store, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNoFile, path)
	}
	return openFile(path, timeout)
}

// Create opens the data file at path, creating it (0600) and its folder
// (0700: the file holds parents' addresses and password hashes) when
// missing. Only `sesame serve` calls it. On Windows, where the mode means
// nothing, a folder it creates gets an access list of its own instead
// (see restrictFolder); an existing folder is left as it is.
func Create(path string, timeout time.Duration) (*Store, error) {
	dir := filepath.Dir(path)
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the data folder: %w", err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		if err := restrictFolder(dir); err != nil {
			return nil, fmt.Errorf("cannot restrict the new data folder %s to its owner: %w", dir, err)
		}
	}
	return openFile(path, timeout)
}

func openFile(path string, timeout time.Duration) (*Store, error) {
	if timeout <= 0 {
		timeout = time.Second
	}
	if err := precheck(path); err != nil {
		return nil, err
	}
	var db *bolt.DB
	err := guard(func() error {
		var err error
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
		return err
	})
	if errors.Is(err, ErrCorrupt) {
		return nil, damaged(path, "cannot be read ("+err.Error()+")")
	}
	if isTimeout(err) {
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
	ok, err := s.ready()
	if err == nil && !ok {
		err = s.backupBeforeMigration(path)
	}
	if err == nil && !ok {
		err = guard(func() error { return db.Update(s.init) })
	}
	if err == nil {
		err = s.markRunning()
	}
	if errors.Is(err, ErrCorrupt) {
		err = damaged(path, "cannot be read ("+err.Error()+")")
	}
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return s, nil
}

// backupBeforeMigration copies a file at an older schema to
// BeforeSchema before init migrates it: a migration cannot be undone,
// and rolling back to the previous release needs the file it can read.
// A new file or one at a newer schema (refused by init) is not copied.
func (s *Store) backupBeforeMigration(path string) error {
	from := 0
	err := s.view(func(tx *bolt.Tx) error {
		if meta := tx.Bucket(bMeta); meta != nil {
			if raw := meta.Get(kSchema); raw != nil {
				var err error
				from, err = parseSchema(raw)
				return err
			}
		}
		return nil
	})
	if err != nil || from == 0 || from >= schemaVersion() {
		return err
	}
	dst := BeforeSchema(path, from)
	if _, err := s.Backup(dst); err != nil {
		return fmt.Errorf("before migrating the data file from schema %d to %d, cannot write its copy %s (nothing was changed): %w", from, schemaVersion(), dst, err)
	}
	s.migrated = &Migration{From: from, To: schemaVersion(), Backup: dst}
	return nil
}

// Migrated says whether Open migrated the file, and where the copy of
// the file as it was is; nil when it did not.
func (s *Store) Migrated() *Migration { return s.migrated }

func isTimeout(err error) bool { return errors.Is(err, bolterrors.ErrTimeout) }

// ready reports whether the file has every bucket, the current schema and
// its secret, and loads the secret.
func (s *Store) ready() (bool, error) {
	ok := false
	err := s.view(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return nil
			}
		}
		meta := tx.Bucket(bMeta)
		sec := meta.Get(kSecret)
		if string(meta.Get(kSchema)) != strconv.Itoa(schemaVersion()) || len(sec) != 32 {
			return nil
		}
		s.secret = append([]byte(nil), sec...)
		ok = true
		return nil
	})
	return ok, err
}

func (s *Store) init(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bMeta)
	v := schemaVersion() // a new file starts at the current layout
	if raw := meta.Get(kSchema); raw != nil {
		var err error
		if v, err = parseSchema(raw); err != nil {
			return err
		}
	}
	if v > schemaVersion() {
		return newerSchema(s.db.Path(), v)
	}
	for ; v < schemaVersion(); v++ {
		// migrations[v] produces schema v+1.
		if err := migrations[v].run(tx); err != nil {
			return fmt.Errorf("migrate to schema %d (%s): %w", v+1, migrations[v].name, err)
		}
	}
	if err := meta.Put(kSchema, []byte(strconv.Itoa(schemaVersion()))); err != nil {
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

// Close clears the running marker, so the next start knows this stop
// was clean, and closes the file.
func (s *Store) Close() error { return errors.Join(s.clearRunning(), s.db.Close()) }

// Secret is the server's HMAC key for recovery codes.
func (s *Store) Secret() []byte { return s.secret }

// Schema returns the schema version recorded in the file.
func (s *Store) Schema() (int, error) {
	var v int
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		v, err = parseSchema(tx.Bucket(bMeta).Get(kSchema))
		return err
	})
	return v, err
}

// parseSchema reads a recorded schema version. A value that is not a
// positive number is refused rather than read as 0: migrating a file
// from a guessed version could damage it.
func parseSchema(raw []byte) (int, error) {
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 1 {
		return 0, fmt.Errorf("the data file records an unreadable schema version %q", raw)
	}
	return v, nil
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

// newerSchema explains a file this program cannot read: which schema it
// needs and the way back. Schemas, not release numbers: the file records
// only its schema, and each release's notes say which schema it writes.
func newerSchema(path string, v int) error {
	hint := "run the newer release of Sésame that wrote it (its release notes name schema " + strconv.Itoa(v) + ")"
	if old := BeforeSchema(path, schemaVersion()); exists(old) {
		hint += ", or, to go back to this release, stop the server and put " + old + " (the copy kept at the upgrade) in its place"
	}
	return fmt.Errorf("%w: the file is at schema %d, this program reads schema %d and older: %s", ErrNewerSchema, v, schemaVersion(), hint)
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }
