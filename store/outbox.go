package store

import (
	"encoding/binary"
	"encoding/hex"
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/mail"
)

// enqueue adds m to the outbox inside tx, so a message exists exactly
// when the state change that caused it was committed.
func enqueue(tx *bolt.Tx, m *mail.Message) error {
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
		m.Status = mail.StatusPending
	}
	if m.NextAttempt.IsZero() {
		m.NextAttempt = m.Created
	}
	return put(b, k, m)
}

// Enqueue adds a message to the outbox on its own (the test mail).
func (s *Store) Enqueue(m *mail.Message) error {
	return s.db.Update(func(tx *bolt.Tx) error { return enqueue(tx, m) })
}

// Due returns up to max pending messages whose next attempt is due,
// oldest first.
func (s *Store) Due(now time.Time, max int) ([]mail.Message, error) {
	var out []mail.Message
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bOutbox).Cursor()
		for k, v := c.First(); k != nil && len(out) < max; k, v = c.Next() {
			var m mail.Message
			if err := get2(v, &m); err != nil {
				return err
			}
			if m.Status == mail.StatusPending && !m.NextAttempt.After(now) {
				out = append(out, m)
			}
		}
		return nil
	})
	return out, err
}

// Save records a message's new status.
func (s *Store) Save(m mail.Message) error {
	k, err := hex.DecodeString(m.ID)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx.Bucket(bOutbox), k, m) })
}

// Outbox returns every message in the outbox, oldest first, for
// `sesame mail queue`.
func (s *Store) Outbox() ([]mail.Message, error) {
	var out []mail.Message
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bOutbox).ForEach(func(_, v []byte) error {
			var m mail.Message
			if err := get2(v, &m); err != nil {
				return err
			}
			out = append(out, m)
			return nil
		})
	})
	return out, err
}

// SweepOutbox deletes sent and failed messages created before cutoff,
// and returns how many went.
func (s *Store) SweepOutbox(cutoff time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bOutbox)
		var dead [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var m mail.Message
			if err := get2(v, &m); err != nil {
				return err
			}
			if m.Status != mail.StatusPending && m.Created.Before(cutoff) {
				dead = append(dead, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	return n, err
}
