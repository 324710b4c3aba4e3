package store

import (
	"bytes"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/mail/outbox"
)

// Account returns the account with identifier id (already normalised).
func (s *Store) Account(id string) (account.Account, error) {
	var a account.Account
	err := s.view(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bAccounts), []byte(id), &a)
		if err == nil && !ok {
			err = account.ErrNotFound
		}
		return err
	})
	return a, err
}

// AccountsByEmail returns every account sharing the address (a family
// address may have several).
func (s *Store) AccountsByEmail(email string) ([]account.Account, error) {
	var out []account.Account
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		out, err = accountsByEmail(tx, email)
		return err
	})
	return out, err
}

func accountsByEmail(tx *bolt.Tx, email string) ([]account.Account, error) {
	var out []account.Account
	prefix := []byte(email + "\x00")
	c := tx.Bucket(bByEmail).Cursor()
	accts := tx.Bucket(bAccounts)
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var a account.Account
		if ok, err := get(accts, k[len(prefix):], &a); err != nil {
			return nil, err
		} else if ok {
			out = append(out, a)
		}
	}
	return out, nil
}

// Accounts returns every account, in identifier order. Accounts it
// cannot read are left out and named in an error wrapping ErrCorrupt;
// the others are returned all the same.
func (s *Store) Accounts() ([]account.Account, error) {
	var out []account.Account
	err := s.eachRecord(bAccounts, func(_, v []byte) error {
		var a account.Account
		if err := get2(v, &a); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// CreateAccount stores a new account; ErrExists if the identifier is taken.
func (s *Store) CreateAccount(a account.Account) error {
	return s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bAccounts).Get([]byte(a.ID)) != nil {
			return account.ErrExists
		}
		return putAccount(tx, a)
	})
}

// UpdateAccount replaces an existing account.
func (s *Store) UpdateAccount(a account.Account) error {
	return s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bAccounts).Get([]byte(a.ID)) == nil {
			return account.ErrNotFound
		}
		return putAccount(tx, a)
	})
}

// ApplyImport writes an import in one transaction, so that it is all or
// nothing: it creates or replaces the accounts in put, deletes those in
// purge (their sessions too, and their audit trail anonymised: see
// anonymise) and records events.
func (s *Store) ApplyImport(put []account.Account, purge []string, events []audit.Event) error {
	return s.update(func(tx *bolt.Tx) error {
		for _, a := range put {
			if err := putAccount(tx, a); err != nil {
				return err
			}
		}
		if err := deleteAccounts(tx, purge); err != nil {
			return err
		}
		for _, e := range events {
			if err := appendAudit(tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteAccount deletes one account, its sessions and index entries, and
// anonymises its audit trail, then records ev; ErrNotFound if there is no
// such account.
func (s *Store) DeleteAccount(id string, ev audit.Event) error {
	return s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bAccounts).Get([]byte(id)) == nil {
			return account.ErrNotFound
		}
		if err := deleteAccounts(tx, []string{id}); err != nil {
			return err
		}
		return appendAudit(tx, ev)
	})
}

// deleteAccounts removes the accounts ids with everything keyed by them,
// and anonymises the audit events that name them.
func deleteAccounts(tx *bolt.Tx, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	accts, idx := tx.Bucket(bAccounts), tx.Bucket(bByEmail)
	if _, err := accts.NextSequence(); err != nil {
		return err
	}
	for _, id := range ids {
		var a account.Account
		ok, err := get(accts, []byte(id), &a)
		if err != nil || !ok {
			return err
		}
		if a.Email != "" {
			if err := idx.Delete(join(a.Email, a.ID)); err != nil {
				return err
			}
		}
		if err := revokeSessions(tx, id); err != nil {
			return err
		}
		if err := deleteActivation(tx, id); err != nil {
			return err
		}
		if err := deleteOIDCSubject(tx, id); err != nil {
			return err
		}
		if err := accts.Delete([]byte(id)); err != nil {
			return err
		}
	}
	return anonymise(tx, ids)
}

// putAccount writes a and keeps the e-mail index in step with it. An
// account without an address has no index entry.
//
// Invited and LastLogin only move forward and are written by their own
// transactions (an invitation, a sign-in): a caller that read the
// account earlier (an import, an edit) must not put an older one back,
// so the later of the stored and the given time is kept.
func putAccount(tx *bolt.Tx, a account.Account) error {
	accts, idx := tx.Bucket(bAccounts), tx.Bucket(bByEmail)
	if _, err := accts.NextSequence(); err != nil {
		return err
	}
	var old account.Account
	ok, err := get(accts, []byte(a.ID), &old)
	if err != nil {
		return err
	}
	if ok {
		a.Invited, a.LastLogin = later(a.Invited, old.Invited), later(a.LastLogin, old.LastLogin)
	}
	if ok && old.Email != a.Email && old.Email != "" {
		if err := idx.Delete(join(old.Email, old.ID)); err != nil {
			return err
		}
	}
	if a.Email != "" {
		if err := idx.Put(join(a.Email, a.ID), nil); err != nil {
			return err
		}
	}
	return put(accts, []byte(a.ID), a)
}

// UpdateHash replaces an account's password hash (a parameter upgrade).
func (s *Store) UpdateHash(id, hash string) error {
	return s.update(func(tx *bolt.Tx) error {
		var a account.Account
		ok, err := get(tx.Bucket(bAccounts), []byte(id), &a)
		if err != nil || !ok {
			return account.ErrNotFound
		}
		a.PasswordHash = hash
		if _, err := tx.Bucket(bAccounts).NextSequence(); err != nil {
			return err
		}
		return put(tx.Bucket(bAccounts), []byte(id), a)
	})
}

// SetPassword stores the new hash, revokes every session of the account,
// deletes its pending recovery codes and its activation code (a letter
// must not set a password once the parent has one) and queues notice, in
// one transaction.
func (s *Store) SetPassword(id, hash string, at time.Time, notice *outbox.Message, ev *audit.Event) error {
	return s.update(func(tx *bolt.Tx) error {
		var a account.Account
		ok, err := get(tx.Bucket(bAccounts), []byte(id), &a)
		if err != nil {
			return err
		}
		if !ok {
			return account.ErrNotFound
		}
		a.PasswordHash, a.PasswordChanged, a.Updated = hash, at, at
		if _, err := tx.Bucket(bAccounts).NextSequence(); err != nil {
			return err
		}
		if err := put(tx.Bucket(bAccounts), []byte(id), a); err != nil {
			return err
		}
		if err := revokeSessions(tx, id); err != nil {
			return err
		}
		if err := deleteCodesFor(tx, a.Email); err != nil {
			return err
		}
		if err := deleteActivationCode(tx, id); err != nil {
			return err
		}
		if notice != nil {
			if err := enqueue(tx, notice); err != nil {
				return err
			}
		}
		if ev != nil {
			return appendAudit(tx, *ev)
		}
		return nil
	})
}

// AccountsVersion changes whenever an account is created, changed,
// deleted or given a password (it is the accounts bucket's sequence,
// moved in the same transaction as the write), so an in-memory copy of
// the accounts — the desk's search index — knows with one small read
// whether it is stale. The times of the last sign-in and invitation do
// not move it: nothing is searched by them, and a morning of sign-ins
// must not rebuild the index at every search.
func (s *Store) AccountsVersion() (uint64, error) {
	var v uint64
	err := s.view(func(tx *bolt.Tx) error {
		v = tx.Bucket(bAccounts).Sequence()
		return nil
	})
	return v, err
}

func get2(raw []byte, v any) error { return json.Unmarshal(raw, v) }

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
