package store

import (
	"bytes"
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/account"
	"sesame/internal/audit"
)

// CreateSession stores a session under the hash of its token and, in
// the same transaction, the account's LastLogin (the school's « last
// sign-in » costs no disk sync of its own). Concurrent logins are
// coalesced into one disk sync by bbolt's Batch; the function only puts
// fixed keys and values, so running it twice is harmless.
func (s *Store) CreateSession(tokenHash []byte, sess account.Session, ev *audit.Event) error {
	return s.batch(func(tx *bolt.Tx) error {
		if err := put(tx.Bucket(bSessions), tokenHash, sess); err != nil {
			return err
		}
		if err := noteLogin(tx, sess.Account, sess.Created); err != nil {
			return err
		}
		if ev != nil {
			if err := appendAudit(tx, *ev); err != nil {
				return err
			}
		}
		return tx.Bucket(bSessByAcct).Put(append([]byte(sess.Account+"\x00"), tokenHash...), nil)
	})
}

// Session returns the session stored under tokenHash.
func (s *Store) Session(tokenHash []byte) (account.Session, error) {
	var sess account.Session
	err := s.view(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bSessions), tokenHash, &sess)
		if err == nil && !ok {
			err = account.ErrNoSession
		}
		return err
	})
	return sess, err
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(tokenHash []byte) error {
	return s.update(func(tx *bolt.Tx) error {
		var sess account.Session
		ok, err := get(tx.Bucket(bSessions), tokenHash, &sess)
		if err != nil || !ok {
			return err
		}
		if err := tx.Bucket(bSessByAcct).Delete(append([]byte(sess.Account+"\x00"), tokenHash...)); err != nil {
			return err
		}
		return tx.Bucket(bSessions).Delete(tokenHash)
	})
}

// revokeSessions deletes every session of account id, and ends its
// applications' grants with them (revokeOIDC): signed out of the portal
// is signed out of everything.
func revokeSessions(tx *bolt.Tx, id string) error {
	if err := revokeOIDC(tx, id); err != nil {
		return err
	}
	prefix := []byte(id + "\x00")
	idx, sessions := tx.Bucket(bSessByAcct), tx.Bucket(bSessions)
	var keys [][]byte
	c := idx.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := sessions.Delete(k[len(prefix):]); err != nil {
			return err
		}
		if err := idx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// noteLogin sets the account's LastLogin to at, unless it already holds
// a later time (two logins in one batch). An account deleted meanwhile
// is left alone: its session goes with the next sweep.
func noteLogin(tx *bolt.Tx, id string, at time.Time) error {
	accts := tx.Bucket(bAccounts)
	var a account.Account
	ok, err := get(accts, []byte(id), &a)
	if err != nil || !ok || !a.LastLogin.Before(at) {
		return err
	}
	a.LastLogin = at
	return put(accts, []byte(id), a)
}
