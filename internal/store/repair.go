package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/account"
	"sesame/internal/mail/outbox"
)

// RepairReport is what a repair copied and what it could not read.
type RepairReport struct {
	Copied  int
	Skipped []string // one line per record or key range left behind; keys shown with ShowKey
}

// indexes are rebuilt from the records they index, so that none points
// at a record the repair left behind.
var indexes = [][]byte{bByEmail, bSessByAcct, bPending}

// RepairFile copies every readable record of the data file at src into
// a new file dst (which must not exist), the way bbolt's compaction
// does, and rebuilds the indexes. It opens src read-only and never
// changes it, so it works on a file Open refuses. Records that do not
// decode are skipped; a damaged page that stops a bucket's walk is
// walked around from the bucket's other end.
func RepairFile(src, dst string, timeout time.Duration) (RepairReport, error) {
	if _, err := os.Stat(src); err != nil {
		return RepairReport{}, err
	}
	db, err := openRO(src, timeout)
	if err != nil {
		return RepairReport{}, err
	}
	defer db.Close()
	return repair(db, dst)
}

// RepairTo is RepairFile on the open store, for the admin socket.
func (s *Store) RepairTo(dst string) (RepairReport, error) { return repair(s.db, dst) }

func repair(src *bolt.DB, dst string) (RepairReport, error) {
	var rep RepairReport
	if _, err := os.Stat(dst); err == nil {
		return rep, fmt.Errorf("%s already exists: give a new file", dst)
	}
	out, err := bolt.Open(dst, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return rep, err
	}
	err = out.Update(func(otx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := otx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		for _, name := range allBuckets {
			if isIndex(name) {
				continue
			}
			if err := copyBucket(src, otx, name, &rep); err != nil {
				return err
			}
		}
		// The copy is closed cleanly: no running marker.
		if err := otx.Bucket(bMeta).Delete(kRunning); err != nil {
			return err
		}
		return rebuildIndexes(otx, &rep)
	})
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return rep, err
	}
	return rep, nil
}

func isIndex(name []byte) bool {
	for _, ix := range indexes {
		if bytes.Equal(ix, name) {
			return true
		}
	}
	return false
}

// copyBucket copies name's readable records from src into otx: forward
// from the first key until a damaged page stops the cursor, then
// backward from the last key down to where the forward walk stopped.
func copyBucket(src *bolt.DB, otx *bolt.Tx, name []byte, rep *RepairReport) error {
	ob := otx.Bucket(name)
	isJSON := false
	for _, j := range jsonBuckets {
		isJSON = isJSON || bytes.Equal(j, name)
	}
	var werr error
	keep := func(k, v []byte) {
		if werr != nil {
			return
		}
		if isJSON && !json.Valid(v) {
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s %s: unreadable record", name, ShowKey(string(name), k)))
			return
		}
		if err := ob.Put(bytes.Clone(k), bytes.Clone(v)); err != nil {
			werr = err
			return
		}
		rep.Copied++
	}
	var last []byte // last key the forward walk copied or skipped
	missing := false
	ferr := guard(func() error {
		return src.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(name)
			if b == nil {
				missing = true
				return nil
			}
			// Sequences make outbox ids: never hand one out twice.
			if err := ob.SetSequence(b.Sequence()); err != nil {
				return err
			}
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				keep(k, v)
				last = bytes.Clone(k)
			}
			return nil
		})
	})
	if werr != nil {
		return werr
	}
	if missing {
		rep.Skipped = append(rep.Skipped, fmt.Sprintf("bucket %s: missing or unreadable", name))
		return nil
	}
	if ferr == nil {
		return nil
	}
	if !errors.Is(ferr, ErrCorrupt) {
		return ferr
	}
	var stop []byte // first key the backward walk copied
	berr := guard(func() error {
		return src.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(name).Cursor()
			for k, v := c.Last(); k != nil && (last == nil || bytes.Compare(k, last) > 0); k, v = c.Prev() {
				keep(k, v)
				stop = bytes.Clone(k)
			}
			return nil
		})
	})
	if werr != nil {
		return werr
	}
	if berr != nil && !errors.Is(berr, ErrCorrupt) {
		return berr
	}
	from, to := "the start", "the end"
	if last != nil {
		from = ShowKey(string(name), last)
	}
	if stop != nil {
		to = ShowKey(string(name), stop)
	}
	rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s: records after %s and before %s are on a damaged page", name, from, to))
	return nil
}

// rebuildIndexes recomputes the indexes from the copied records.
func rebuildIndexes(tx *bolt.Tx, rep *RepairReport) error {
	err := tx.Bucket(bAccounts).ForEach(func(k, v []byte) error {
		var a account.Account
		if json.Unmarshal(v, &a) != nil {
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s %s: copied but not indexed (not an account)", bAccounts, ShowKey(string(bAccounts), k)))
			return nil
		}
		if a.Email == "" {
			return nil
		}
		return tx.Bucket(bByEmail).Put(join(a.Email, a.ID), nil)
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bSessions).ForEach(func(k, v []byte) error {
		var r struct {
			Account string `json:"account"`
		}
		if json.Unmarshal(v, &r) != nil || r.Account == "" {
			return nil // swept at its expiry, or never
		}
		return tx.Bucket(bSessByAcct).Put(append([]byte(r.Account+"\x00"), k...), nil)
	})
	if err != nil {
		return err
	}
	return tx.Bucket(bOutbox).ForEach(func(k, v []byte) error {
		var m outbox.Message
		if json.Unmarshal(v, &m) == nil && m.Status == outbox.StatusPending {
			return tx.Bucket(bPending).Put(k, nil)
		}
		return nil
	})
}
