package store

import (
	"bytes"
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/audit"
)

// The activation buckets: the live code of each account (kept past its
// expiry, so a late parent is told the truth in the audit log; one per
// account, replaced by the next), each account's history of codes, the
// recent refusals of each identifier typed (known or not), and the
// browsers' flows.
var (
	bActCodes   = []byte("activation_codes")
	bActHistory = []byte("activation_history")
	bActTries   = []byte("activation_tries")
	bActFlows   = []byte("activation_flows")
)

// IssueActivation stores the codes, each replacing its account's
// previous one and counted in its history, and the events, in one
// transaction: the letters of a whole school cost one disk sync.
func (s *Store) IssueActivation(codes []activation.Code, events []audit.Event) error {
	return s.update(func(tx *bolt.Tx) error {
		cb, hb := tx.Bucket(bActCodes), tx.Bucket(bActHistory)
		for _, c := range codes {
			if err := put(cb, []byte(c.Account), c); err != nil {
				return err
			}
			var h activation.History
			if _, err := get(hb, []byte(c.Account), &h); err != nil {
				h = activation.History{} // an unreadable history only counted codes
			}
			if err := put(hb, []byte(c.Account), h.With(c)); err != nil {
				return err
			}
		}
		for _, e := range events {
			if err := appendAudit(tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// TryActivation reads the attempt for identifier id, runs try on it and
// writes what try left — the code, the refusals, the event, the new
// flow — in one transaction, whatever try returns: a refusal is counted
// before the answer is known, and committed although try fails.
func (s *Store) TryActivation(id string, try func(*activation.Attempt) error) error {
	var terr error
	err := s.update(func(tx *bolt.Tx) error {
		var at activation.Attempt
		var a account.Account
		if ok, err := get(tx.Bucket(bAccounts), []byte(id), &a); err != nil {
			return err
		} else if ok {
			at.Account = &a
		}
		cb := tx.Bucket(bActCodes)
		var c activation.Code
		if ok, err := get(cb, []byte(id), &c); err != nil {
			return err
		} else if ok {
			at.Code = &c
		}
		tb := tx.Bucket(bActTries)
		if _, err := get(tb, []byte(id), &at.Tries); err != nil {
			return err
		}
		terr = try(&at)
		if at.Code != nil {
			if err := put(cb, []byte(id), at.Code); err != nil {
				return err
			}
		}
		if len(at.Tries.Failed) == 0 {
			if err := tb.Delete([]byte(id)); err != nil {
				return err
			}
		} else if err := put(tb, []byte(id), at.Tries); err != nil {
			return err
		}
		if at.Event != nil {
			if err := appendAudit(tx, *at.Event); err != nil {
				return err
			}
		}
		if at.Flow != nil {
			return put(tx.Bucket(bActFlows), at.FlowKey, at.Flow)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return terr
}

// ActivationCode returns the account's code, or activation.ErrNoCode.
func (s *Store) ActivationCode(id string) (activation.Code, error) {
	var c activation.Code
	err := s.view(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bActCodes), []byte(id), &c)
		if err == nil && !ok {
			err = activation.ErrNoCode
		}
		return err
	})
	return c, err
}

// ActivationFlow returns the activation flow stored under key.
func (s *Store) ActivationFlow(key []byte) (activation.Flow, error) {
	var f activation.Flow
	err := s.view(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bActFlows), key, &f)
		if err == nil && !ok {
			err = activation.ErrNoFlow
		}
		return err
	})
	return f, err
}

// SaveActivationFlow stores a flow. Batched: it only puts one key, so a
// rerun is harmless.
func (s *Store) SaveActivationFlow(key []byte, f activation.Flow) error {
	return s.batch(func(tx *bolt.Tx) error { return put(tx.Bucket(bActFlows), key, f) })
}

// DeleteActivationFlow forgets the flow under key and, in the same
// transaction, takes its claim off its account's code.
func (s *Store) DeleteActivationFlow(key []byte) error {
	return s.update(func(tx *bolt.Tx) error {
		fb := tx.Bucket(bActFlows)
		var f activation.Flow
		ok, err := get(fb, key, &f)
		if err != nil || !ok {
			return fb.Delete(key) // an unreadable flow claims nothing it can use
		}
		cb := tx.Bucket(bActCodes)
		var c activation.Code
		if ok, err := get(cb, []byte(f.Account), &c); err != nil {
			return err
		} else if ok && bytes.Equal(c.Claim, key) {
			c.Claim, c.ClaimExpires = nil, time.Time{}
			if err := put(cb, []byte(f.Account), c); err != nil {
				return err
			}
		}
		return fb.Delete(key)
	})
}

// ActivationRecords returns every account's live code and history, by
// identifier, in one read.
func (s *Store) ActivationRecords() (map[string]activation.Record, error) {
	out := map[string]activation.Record{}
	err := s.view(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bActHistory).ForEach(func(k, v []byte) error {
			var h activation.History
			if err := get2(v, &h); err != nil {
				return err
			}
			out[string(k)] = activation.Record{History: h}
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bActCodes).ForEach(func(k, v []byte) error {
			var c activation.Code
			if err := get2(v, &c); err != nil {
				return err
			}
			r := out[string(k)]
			r.Code = &c
			out[string(k)] = r
			return nil
		})
	})
	return out, err
}

// deleteActivationCode deletes the account's code: its password is set,
// by whatever way, so the letter must not set another.
func deleteActivationCode(tx *bolt.Tx, id string) error {
	return tx.Bucket(bActCodes).Delete([]byte(id))
}

// deleteActivation forgets everything activation keeps under a deleted
// account's identifier: its code, its history and its refusals.
func deleteActivation(tx *bolt.Tx, id string) error {
	for _, b := range [][]byte{bActCodes, bActHistory, bActTries} {
		if err := tx.Bucket(b).Delete([]byte(id)); err != nil {
			return err
		}
	}
	return nil
}

// EmailStep runs the e-mail step's try on the flow under key and its
// account in one transaction: the flow and the events are written
// whatever try returns (a wrong code stays counted), the account (its
// new address, indexed) and the mail only when it succeeds.
func (s *Store) EmailStep(key []byte, try func(*activation.EmailAttempt) error) error {
	var terr error
	err := s.update(func(tx *bolt.Tx) error {
		fb := tx.Bucket(bActFlows)
		var at activation.EmailAttempt
		ok, err := get(fb, key, &at.Flow)
		if err != nil {
			return err
		}
		if !ok {
			terr = activation.ErrNoFlow
			return nil
		}
		var a account.Account
		if ok, err := get(tx.Bucket(bAccounts), []byte(at.Flow.Account), &a); err != nil {
			return err
		} else if ok {
			at.Account = &a
		}
		terr = try(&at)
		if err := put(fb, key, at.Flow); err != nil {
			return err
		}
		for _, e := range at.Events {
			if err := appendAudit(tx, e); err != nil {
				return err
			}
		}
		if terr != nil {
			return nil
		}
		if at.SaveAccount && at.Account != nil {
			if err := putAccount(tx, *at.Account); err != nil {
				return err
			}
		}
		for i := range at.Mail {
			if err := enqueue(tx, &at.Mail[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return terr
}
