package store

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/audit"
)

// AuditLog appends audit events to the data file. Appends go through
// bbolt's Batch, so a burst of failed logins shares disk syncs.
type AuditLog struct {
	Store *Store
	Log   *slog.Logger
}

// Append records e; a write error is logged, never returned: the action
// being recorded has already happened.
func (a AuditLog) Append(e audit.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	err := a.Store.db.Batch(func(tx *bolt.Tx) error { return appendAudit(tx, e) })
	if err != nil && a.Log != nil {
		a.Log.Error("audit log write failed", "kind", e.Kind, "err", err)
	}
}

// appendAudit writes e under a key that sorts by time. Batch may rerun
// it; the rerun writes under another sequence number in a fresh
// transaction, the first having been rolled back.
func appendAudit(tx *bolt.Tx, e audit.Event) error {
	b := tx.Bucket(bAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	k := binary.BigEndian.AppendUint64(nil, uint64(e.Time.UnixNano()))
	k = binary.BigEndian.AppendUint64(k, seq)
	return put(b, k, e)
}

// Audit returns events since since (zero: all), for account when not
// empty, oldest first.
func (s *Store) Audit(since time.Time, account string) ([]audit.Event, error) {
	var out []audit.Event
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bAudit).Cursor()
		start := binary.BigEndian.AppendUint64(nil, uint64(max(since.UnixNano(), 0)))
		for k, v := c.Seek(start); k != nil; k, v = c.Next() {
			var e audit.Event
			if err := get2(v, &e); err != nil {
				return err
			}
			if account == "" || e.Account == account {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}

// SweepAudit deletes events older than cutoff.
func (s *Store) SweepAudit(cutoff time.Time) (int, error) {
	n := 0
	end := binary.BigEndian.AppendUint64(nil, uint64(max(cutoff.UnixNano(), 0)))
	err := s.update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bAudit).Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, end) < 0; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
