package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/audit"
)

// ErrCorrupt means a sweep met records it could not read. It keeps them,
// so that someone can look at them, and sweeps the others all the same.
var ErrCorrupt = errors.New("store: unreadable records")

// Sweep deletes what has expired at now: sessions, recovery flows and
// codes, activation flows and refusals (not activation codes: one per
// account, kept so that a late parent's refusal says "expired" in the
// audit log), code histories with no code issued in the last day, and
// hourly audit records older than audit.AggregateRetention. It
// returns how many records went. Records it cannot read are kept and
// reported in an error wrapping ErrCorrupt, after the others are swept.
func (s *Store) Sweep(now time.Time) (int, error) {
	n := 0
	var corrupt []error
	err := s.update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bSessions, bFlows, bCodes, bActFlows, bActTries, bStaffSessions} {
			b := tx.Bucket(name)
			var index [][]byte // sessions_by_account entries of dead sessions
			dead, bad := scan(b, name, func(k, v []byte) (bool, error) {
				var r struct {
					Account string    `json:"account"` // sessions only
					Expires time.Time `json:"expires"`
				}
				if err := json.Unmarshal(v, &r); err != nil {
					return false, err
				}
				// Every session, flow and code is written with an expiry;
				// one without would otherwise stay for ever unnoticed.
				if r.Expires.IsZero() {
					return false, errors.New("no expiry")
				}
				if now.Before(r.Expires) {
					return false, nil
				}
				if bytes.Equal(name, bSessions) {
					index = append(index, append([]byte(r.Account+"\x00"), k...))
				}
				return true, nil
			})
			if bad != nil {
				corrupt = append(corrupt, bad)
			}
			if err := deleteKeys(b, dead); err != nil {
				return err
			}
			if err := deleteKeys(tx.Bucket(bSessByAcct), index); err != nil {
				return err
			}
			n += len(dead)
		}
		// Only the last day of issue times counts towards the limits.
		log := tx.Bucket(bCodeLog)
		dead, bad := scan(log, bCodeLog, func(_, v []byte) (bool, error) {
			var issued []time.Time
			if err := json.Unmarshal(v, &issued); err != nil {
				return false, err
			}
			var last time.Time
			for _, t := range issued {
				if t.After(last) {
					last = t
				}
			}
			return now.Sub(last) >= 24*time.Hour, nil
		})
		if bad != nil {
			corrupt = append(corrupt, bad)
		}
		if err := deleteKeys(log, dead); err != nil {
			return err
		}
		n += len(dead)
		agg, err := sweepAggregates(tx, now.Add(-audit.AggregateRetention))
		n += agg
		return err
	})
	if err != nil {
		// Rolled back: nothing went.
		return 0, errors.Join(append([]error{err}, corrupt...)...)
	}
	return n, errors.Join(corrupt...)
}

// scan returns the keys of b's records that dead says can go. It
// collects them first because bbolt's cursors must not move over a
// bucket being changed. A record dead cannot read is kept and counted
// in the error it returns, which wraps ErrCorrupt; the scan goes on.
func scan(b *bolt.Bucket, name []byte, dead func(k, v []byte) (bool, error)) ([][]byte, error) {
	var keys [][]byte
	bad := 0
	var first error
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		ok, err := dead(k, v)
		if err != nil {
			if bad == 0 {
				first = err
			}
			bad++
			continue
		}
		if ok {
			// k points into the transaction's memory.
			keys = append(keys, bytes.Clone(k))
		}
	}
	if bad > 0 {
		// Keys are not named: some are e-mail addresses.
		return keys, fmt.Errorf("%w: %d in %s, kept (first: %v)", ErrCorrupt, bad, name, first)
	}
	return keys, nil
}

func deleteKeys(b *bolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
