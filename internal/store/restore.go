package store

import (
	"encoding/hex"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/mail/outbox"
)

// OutboxReconciled is what ReconcileOutbox did to a restored file.
type OutboxReconciled struct {
	Pending      int // messages pending in the restored file before
	MarkedSent   int // of those, marked sent as the newer file recorded
	MarkedFailed int // of those, marked failed as the newer file recorded
	StillPending int // left pending: the newer file had them pending too, or not at all
	Mismatched   int // same ID in both files but not the same message (another file's history)
	NotInBackup  int // messages of the newer file queued after the backup: they are lost
}

// ReconcileOutbox makes a restored backup s agree with newer, the file
// it replaces, about what has already left: every message pending in s
// that newer recorded as sent or failed gets newer's record (status,
// attempts, sent time, code cleared), so the restored file never sends
// it again. Messages are matched by ID — the outbox sequence, which a
// backup copies — and, in case the backup comes from another file's
// history, by recipient and creation time too.
func (s *Store) ReconcileOutbox(newer []outbox.Message) (OutboxReconciled, error) {
	var r OutboxReconciled
	byID := make(map[string]outbox.Message, len(newer))
	for _, m := range newer {
		byID[m.ID] = m
	}
	err := s.update(func(tx *bolt.Tx) error {
		msgs, idx := tx.Bucket(bOutbox), tx.Bucket(bPending)
		seen := map[string]bool{}
		if err := msgs.ForEach(func(k, _ []byte) error {
			seen[hex.EncodeToString(k)] = true
			return nil
		}); err != nil {
			return err
		}
		for _, m := range newer {
			if !seen[m.ID] {
				r.NotInBackup++
			}
		}
		var keys [][]byte
		c := idx.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			keys = append(keys, append([]byte(nil), k...))
		}
		for _, k := range keys {
			var m outbox.Message
			if ok, err := get(msgs, k, &m); err != nil {
				return err
			} else if !ok || m.Status != outbox.StatusPending {
				continue
			}
			r.Pending++
			n, ok := byID[m.ID]
			switch {
			case !ok || n.Status == outbox.StatusPending:
				r.StillPending++
				continue
			case n.To != m.To || !n.Created.Equal(m.Created):
				r.Mismatched++
				r.StillPending++
				continue
			case n.Status == outbox.StatusSent:
				r.MarkedSent++
			case n.Status == outbox.StatusFailed:
				r.MarkedFailed++
			default:
				r.StillPending++
				continue
			}
			if err := idx.Delete(k); err != nil {
				return err
			}
			if err := put(msgs, k, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return OutboxReconciled{}, err
	}
	return r, nil
}
