package store

import (
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/audit"
	"sesame/internal/recovery"
)

// deleteCodesFor deletes the pending recovery code of an address.
func deleteCodesFor(tx *bolt.Tx, email string) error {
	return tx.Bucket(bCodes).Delete([]byte(email))
}

// Flow returns the recovery flow stored under key.
func (s *Store) Flow(key []byte) (recovery.Flow, error) {
	var f recovery.Flow
	err := s.view(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bFlows), key, &f)
		if err == nil && !ok {
			err = recovery.ErrNoFlow
		}
		return err
	})
	return f, err
}

// SaveFlow stores a flow. Batched: many parents at once share one disk
// sync, and the function only puts one key, so a retry is harmless.
func (s *Store) SaveFlow(key []byte, f recovery.Flow) error {
	return s.batch(func(tx *bolt.Tx) error { return put(tx.Bucket(bFlows), key, f) })
}

// DeleteFlow forgets a flow.
func (s *Store) DeleteFlow(key []byte) error {
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket(bFlows).Delete(key) })
}

// History returns an address's pending code and recent issue times.
func (s *Store) History(email string) (recovery.History, error) {
	var h recovery.History
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		h, err = history(tx, email)
		return err
	})
	return h, err
}

func history(tx *bolt.Tx, email string) (recovery.History, error) {
	var h recovery.History
	var c recovery.Code
	ok, err := get(tx.Bucket(bCodes), []byte(email), &c)
	if err != nil {
		return h, err
	}
	if ok {
		h.Code = &c
	}
	_, err = get(tx.Bucket(bCodeLog), []byte(email), &h.Issued)
	return h, err
}

// Issue runs decide on the address's history and stores its choice, all
// in one transaction. It goes through bbolt's Batch so that a rush of
// parents at step 1 shares disk syncs. Batch may run the function twice
// when another in the batch fails; decide then runs again on the
// unchanged history, so the outcome is the same.
func (s *Store) Issue(email string, key []byte, f *recovery.Flow, decide func(recovery.History) recovery.Issued, ev *audit.Event) error {
	return s.batch(func(tx *bolt.Tx) error {
		h, err := history(tx, email)
		if err != nil {
			return err
		}
		is := decide(h)
		if is.Code != nil {
			if err := put(tx.Bucket(bCodes), []byte(email), is.Code); err != nil {
				return err
			}
			// Only the last day matters for the limits.
			issued := []time.Time{is.Code.Created}
			for _, t := range h.Issued {
				if is.Code.Created.Sub(t) < 24*time.Hour {
					issued = append(issued, t)
				}
			}
			if err := put(tx.Bucket(bCodeLog), []byte(email), issued); err != nil {
				return err
			}
		}
		if is.Mail != nil {
			m := *is.Mail // enqueue sets the ID; a rerun must not see it
			if err := enqueue(tx, &m); err != nil {
				return err
			}
		}
		if ev != nil {
			if err := appendAudit(tx, *ev); err != nil {
				return err
			}
		}
		if key != nil && f != nil {
			return put(tx.Bucket(bFlows), key, f)
		}
		return nil
	})
}

// TryCode runs try on the address's code and saves the code as try left
// it, whatever try returns: a wrong guess is counted before the answer
// is known, and the count is committed even though try fails.
func (s *Store) TryCode(email string, try func(*recovery.Code) error) error {
	var terr error
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bCodes)
		var c recovery.Code
		ok, err := get(b, []byte(email), &c)
		if err != nil {
			return err
		}
		if !ok {
			terr = try(nil)
			return nil
		}
		terr = try(&c)
		return put(b, []byte(email), c)
	})
	if err != nil {
		return err
	}
	return terr
}
