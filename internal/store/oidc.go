package store

import (
	"bytes"
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/audit"
	"sesame/internal/oidc"
)

// The OpenID Connect provider's buckets (internal/oidc): registered
// applications, signing keys, each account's subject and its reverse
// index, refresh tokens (under their hash) and their index by account.
// Authorization requests and codes live in memory only (see
// internal/oidc/provider); access tokens are sealed, not stored.
var (
	bOIDCClients   = []byte("oidc_clients")
	bOIDCKeys      = []byte("oidc_keys")
	bOIDCSubjects  = []byte("oidc_subjects")
	bOIDCSubs      = []byte("oidc_subs")
	bOIDCRefresh   = []byte("oidc_refresh")
	bOIDCRefreshBy = []byte("oidc_refresh_by_account")
)

// OIDCClient returns a registered application.
func (s *Store) OIDCClient(id string) (oidc.Client, error) {
	var c oidc.Client
	err := s.view(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bOIDCClients), []byte(id), &c)
		if err == nil && !ok {
			err = oidc.ErrNotFound
		}
		return err
	})
	return c, err
}

// OIDCClients returns every registered application, by id.
func (s *Store) OIDCClients() ([]oidc.Client, error) {
	var out []oidc.Client
	err := s.eachRecord(bOIDCClients, func(_, v []byte) error {
		var c oidc.Client
		if err := get2(v, &c); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// CreateOIDCClient stores a new application and records ev.
func (s *Store) CreateOIDCClient(c oidc.Client, ev *audit.Event) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bOIDCClients)
		if b.Get([]byte(c.ID)) != nil {
			return oidc.ErrExists
		}
		if err := put(b, []byte(c.ID), c); err != nil {
			return err
		}
		return appendEvent(tx, ev)
	})
}

// DeleteOIDCClient deletes an application with every refresh token it
// holds, and records ev.
func (s *Store) DeleteOIDCClient(id string, ev *audit.Event) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bOIDCClients)
		if b.Get([]byte(id)) == nil {
			return oidc.ErrNotFound
		}
		if err := b.Delete([]byte(id)); err != nil {
			return err
		}
		if err := deleteRefreshWhere(tx, func(t oidc.RefreshToken) bool { return t.Client == id }); err != nil {
			return err
		}
		return appendEvent(tx, ev)
	})
}

// OIDCKeys returns every stored signing key.
func (s *Store) OIDCKeys() ([]oidc.Key, error) {
	var out []oidc.Key
	err := s.eachRecord(bOIDCKeys, func(_, v []byte) error {
		var k oidc.Key
		if err := get2(v, &k); err != nil {
			return err
		}
		out = append(out, k)
		return nil
	})
	return out, err
}

// AddOIDCKey makes k the signing key: the current one is retired at
// k.Created, and keys retired before drop are deleted, in one
// transaction.
func (s *Store) AddOIDCKey(k oidc.Key, drop time.Time) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bOIDCKeys)
		var gone [][]byte
		var retire []oidc.Key // written after the walk: no Put under a moving cursor
		c := b.Cursor()
		for key, v := c.First(); key != nil; key, v = c.Next() {
			var old oidc.Key
			if err := get2(v, &old); err != nil {
				return err
			}
			switch {
			case old.Retired.IsZero():
				old.Retired = k.Created
				retire = append(retire, old)
			case old.Retired.Before(drop):
				gone = append(gone, bytes.Clone(key))
			}
		}
		if err := deleteKeys(b, gone); err != nil {
			return err
		}
		for _, old := range retire {
			if err := put(b, []byte(old.ID), old); err != nil {
				return err
			}
		}
		return put(b, []byte(k.ID), k)
	})
}

// OIDCSubject returns the subject of an account.
func (s *Store) OIDCSubject(account string) (oidc.Subject, error) {
	var subj oidc.Subject
	err := s.view(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bOIDCSubjects), []byte(account), &subj)
		if err == nil && !ok {
			err = oidc.ErrNotFound
		}
		return err
	})
	return subj, err
}

// EnsureOIDCSubject stores subj unless its account has one, and returns
// the stored one. Through Batch: the first sign-ins of many parents at
// once share disk syncs, and running it twice changes nothing.
func (s *Store) EnsureOIDCSubject(subj oidc.Subject) (oidc.Subject, error) {
	var out oidc.Subject
	err := s.batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bOIDCSubjects)
		ok, err := get(b, []byte(subj.Account), &out)
		if err != nil || ok {
			return err
		}
		if tx.Bucket(bOIDCSubs).Get([]byte(subj.Sub)) != nil {
			return oidc.ErrExists // 128 random bits: never in practice
		}
		out = subj
		if err := put(b, []byte(subj.Account), subj); err != nil {
			return err
		}
		return tx.Bucket(bOIDCSubs).Put([]byte(subj.Sub), []byte(subj.Account))
	})
	return out, err
}

// OIDCAccountBySub returns the account whose subject is sub.
func (s *Store) OIDCAccountBySub(sub string) (string, error) {
	var id string
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bOIDCSubs).Get([]byte(sub))
		if v == nil {
			return oidc.ErrNotFound
		}
		// The index is checked against the record it points at: a copy
		// repaired by `sesame check` keeps indexes as they were.
		var subj oidc.Subject
		if ok, err := get(tx.Bucket(bOIDCSubjects), v, &subj); err != nil || !ok || subj.Sub != sub {
			return oidc.ErrNotFound
		}
		id = string(v)
		return nil
	})
	return id, err
}

// CreateRefreshToken stores a refresh token under its hash and records
// ev, through Batch (applications refresh in bursts).
func (s *Store) CreateRefreshToken(hash []byte, t oidc.RefreshToken, ev *audit.Event) error {
	return s.batch(func(tx *bolt.Tx) error {
		if err := putRefresh(tx, hash, t); err != nil {
			return err
		}
		return appendEvent(tx, ev)
	})
}

// RefreshToken returns the refresh token stored under hash.
func (s *Store) RefreshToken(hash []byte) (oidc.RefreshToken, error) {
	var t oidc.RefreshToken
	err := s.view(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bOIDCRefresh), hash, &t)
		if err == nil && !ok {
			err = oidc.ErrNotFound
		}
		return err
	})
	return t, err
}

// ReplaceRefreshToken deletes old and stores t under new in one
// transaction; ErrNotFound if old is gone, so of two requests racing
// with one token only one gets a new one. Not through Batch: a rerun
// would find old gone and fail the first request.
func (s *Store) ReplaceRefreshToken(old, new []byte, t oidc.RefreshToken, ev *audit.Event) error {
	return s.update(func(tx *bolt.Tx) error {
		var prev oidc.RefreshToken
		ok, err := get(tx.Bucket(bOIDCRefresh), old, &prev)
		if err != nil {
			return err
		}
		if !ok {
			return oidc.ErrNotFound
		}
		if err := deleteRefresh(tx, old, prev.Account); err != nil {
			return err
		}
		if err := putRefresh(tx, new, t); err != nil {
			return err
		}
		return appendEvent(tx, ev)
	})
}

// DeleteRefreshToken deletes one refresh token.
func (s *Store) DeleteRefreshToken(hash []byte) error {
	return s.update(func(tx *bolt.Tx) error {
		var t oidc.RefreshToken
		ok, err := get(tx.Bucket(bOIDCRefresh), hash, &t)
		if err != nil || !ok {
			return err
		}
		return deleteRefresh(tx, hash, t.Account)
	})
}

// SweepOIDC deletes expired refresh tokens and returns how many went.
func (s *Store) SweepOIDC(now time.Time) (int, error) {
	n := 0
	err := s.update(func(tx *bolt.Tx) error {
		var dead [][]byte
		var accts []string
		c := tx.Bucket(bOIDCRefresh).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var t oidc.RefreshToken
			if err := get2(v, &t); err != nil {
				continue // kept for `sesame check` to name
			}
			if !now.Before(t.Expires) {
				dead, accts = append(dead, bytes.Clone(k)), append(accts, t.Account)
			}
		}
		for i, k := range dead {
			if err := deleteRefresh(tx, k, accts[i]); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	return n, err
}

func putRefresh(tx *bolt.Tx, hash []byte, t oidc.RefreshToken) error {
	if err := put(tx.Bucket(bOIDCRefresh), hash, t); err != nil {
		return err
	}
	return tx.Bucket(bOIDCRefreshBy).Put(append([]byte(t.Account+"\x00"), hash...), nil)
}

func deleteRefresh(tx *bolt.Tx, hash []byte, account string) error {
	if err := tx.Bucket(bOIDCRefreshBy).Delete(append([]byte(account+"\x00"), hash...)); err != nil {
		return err
	}
	return tx.Bucket(bOIDCRefresh).Delete(hash)
}

// deleteRefreshWhere deletes the refresh tokens match selects; there
// are few (one per parent and application that asked offline access).
func deleteRefreshWhere(tx *bolt.Tx, match func(oidc.RefreshToken) bool) error {
	var dead [][]byte
	var accts []string
	c := tx.Bucket(bOIDCRefresh).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var t oidc.RefreshToken
		if err := get2(v, &t); err == nil && match(t) {
			dead, accts = append(dead, bytes.Clone(k)), append(accts, t.Account)
		}
	}
	for i, k := range dead {
		if err := deleteRefresh(tx, k, accts[i]); err != nil {
			return err
		}
	}
	return nil
}

// revokeOIDC ends every grant of account id: its refresh tokens are
// deleted and its subject marked, so access tokens issued until now are
// refused. revokeSessions calls it, so a password change and the end of
// every session do it in their own transaction. The mark is the wall
// clock's: it is compared with tokens issued by this process's clock.
func revokeOIDC(tx *bolt.Tx, id string) error {
	prefix := []byte(id + "\x00")
	var hashes [][]byte
	c := tx.Bucket(bOIDCRefreshBy).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		hashes = append(hashes, bytes.Clone(k[len(prefix):]))
	}
	for _, h := range hashes {
		if err := deleteRefresh(tx, h, id); err != nil {
			return err
		}
	}
	b := tx.Bucket(bOIDCSubjects)
	var subj oidc.Subject
	ok, err := get(b, []byte(id), &subj)
	if err != nil || !ok {
		return nil // no subject: no application ever received a token
	}
	subj.Revoked = time.Now()
	return put(b, []byte(id), subj)
}

// deleteOIDCSubject forgets an account's subject when the account is
// deleted: an identifier given again later starts with a new one, and
// applications never link the new parent to the old one's data.
func deleteOIDCSubject(tx *bolt.Tx, id string) error {
	b := tx.Bucket(bOIDCSubjects)
	var subj oidc.Subject
	ok, err := get(b, []byte(id), &subj)
	if err != nil || !ok {
		return err
	}
	if err := tx.Bucket(bOIDCSubs).Delete([]byte(subj.Sub)); err != nil {
		return err
	}
	return b.Delete([]byte(id))
}

func appendEvent(tx *bolt.Tx, ev *audit.Event) error {
	if ev == nil {
		return nil
	}
	return appendAudit(tx, *ev)
}
