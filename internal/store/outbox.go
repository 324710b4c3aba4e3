package store

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/mail/outbox"
)

// enqueue adds m to the outbox inside tx, so a message exists exactly
// when the state change that caused it was committed.
func enqueue(tx *bolt.Tx, m *outbox.Message) error {
	// Keys are a sequence, so the outbox is in the order messages were
	// queued, even when two share a timestamp.
	b := tx.Bucket(bOutbox)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	k := binary.BigEndian.AppendUint64(nil, seq)
	m.ID = hex.EncodeToString(k)
	if m.Status == "" {
		m.Status = outbox.StatusPending
	}
	if m.NextAttempt.IsZero() {
		m.NextAttempt = m.Created
	}
	if m.Status == outbox.StatusPending {
		if err := tx.Bucket(bPending).Put(k, nil); err != nil {
			return err
		}
	}
	return put(b, k, m)
}

// indexPending is migration 2: index the pending messages of an older
// file.
func indexPending(tx *bolt.Tx) error {
	idx := tx.Bucket(bPending)
	return tx.Bucket(bOutbox).ForEach(func(k, v []byte) error {
		var m outbox.Message
		if err := get2(v, &m); err != nil {
			return err
		}
		if m.Status == outbox.StatusPending {
			return idx.Put(k, nil)
		}
		return nil
	})
}

// Enqueue adds a message to the outbox on its own (the test mail).
func (s *Store) Enqueue(m *outbox.Message) error {
	return s.update(func(tx *bolt.Tx) error { return enqueue(tx, m) })
}

// Due returns up to max pending messages whose next attempt is due,
// oldest first. It walks the index of pending messages, not the whole
// outbox: sent messages stay listed for a month and must not be decoded
// at every poll.
func (s *Store) Due(now time.Time, max int) ([]outbox.Message, error) {
	var out []outbox.Message
	err := s.view(func(tx *bolt.Tx) error {
		msgs := tx.Bucket(bOutbox)
		c := tx.Bucket(bPending).Cursor()
		for k, _ := c.First(); k != nil && len(out) < max; k, _ = c.Next() {
			var m outbox.Message
			if ok, err := get(msgs, k, &m); err != nil {
				return err
			} else if !ok {
				continue
			}
			if m.Status == outbox.StatusPending && !m.NextAttempt.After(now) {
				out = append(out, m)
			}
		}
		return nil
	})
	return out, err
}

// Save records a message's new status. It goes through Batch, so under
// load the worker's writes share disk syncs with the requests' writes;
// it only puts and deletes fixed keys, so a rerun is harmless.
func (s *Store) Save(m outbox.Message) error {
	k, err := hex.DecodeString(m.ID)
	if err != nil || len(k) != 8 {
		return fmt.Errorf("store: bad message id %q", m.ID)
	}
	return s.batch(func(tx *bolt.Tx) error {
		if m.Status == outbox.StatusPending {
			if err := tx.Bucket(bPending).Put(k, nil); err != nil {
				return err
			}
		} else if err := tx.Bucket(bPending).Delete(k); err != nil {
			return err
		}
		return put(tx.Bucket(bOutbox), k, m)
	})
}

// Outbox returns every message in the outbox, oldest first, for
// `sesame mail queue`. Messages it cannot read are left out and named
// in an error wrapping ErrCorrupt; the others are returned all the same.
func (s *Store) Outbox() ([]outbox.Message, error) {
	var out []outbox.Message
	err := s.eachRecord(bOutbox, func(_, v []byte) error {
		var m outbox.Message
		if err := get2(v, &m); err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// SweepOutbox deletes sent and failed messages created before cutoff,
// and returns how many went; pending ones stay whatever their age.
// Messages it cannot read are kept and reported in an error wrapping
// ErrCorrupt, after the others are swept.
func (s *Store) SweepOutbox(cutoff time.Time) (int, error) {
	n := 0
	var corrupt error
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bOutbox)
		var dead [][]byte
		dead, corrupt = scan(b, bOutbox, func(_, v []byte) (bool, error) {
			var m outbox.Message
			if err := get2(v, &m); err != nil {
				return false, err
			}
			return m.Status != outbox.StatusPending && m.Created.Before(cutoff), nil
		})
		if err := deleteKeys(b, dead); err != nil {
			return err
		}
		// Save took them out of the index already; this makes sure no
		// entry is left pointing at nothing.
		if err := deleteKeys(tx.Bucket(bPending), dead); err != nil {
			return err
		}
		n = len(dead)
		return nil
	})
	if err != nil {
		return 0, errors.Join(err, corrupt)
	}
	return n, corrupt
}

// OutboxCounts is what /metrics and /readyz need of the outbox.
type OutboxCounts struct {
	// Pending are the messages not yet sent nor given up.
	Pending int
	// OverdueCodes are pending security-code e-mails whose code has
	// expired: they were stuck longer than the code is valid.
	OverdueCodes int
}

// CountOutbox counts the pending messages in one read transaction,
// walking the index of pending messages only (sent ones stay listed for
// a month and are not read). It never writes.
func (s *Store) CountOutbox(now time.Time) (OutboxCounts, error) {
	var n OutboxCounts
	err := s.view(func(tx *bolt.Tx) error {
		msgs := tx.Bucket(bOutbox)
		c := tx.Bucket(bPending).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			var m outbox.Message
			if ok, err := get(msgs, k, &m); err != nil {
				return err
			} else if !ok || m.Status != outbox.StatusPending {
				continue
			}
			n.Pending++
			if m.Kind == outbox.KindRecoveryCode && !m.ExpiresAt.IsZero() && now.After(m.ExpiresAt) {
				n.OverdueCodes++
			}
		}
		return nil
	})
	return n, err
}
