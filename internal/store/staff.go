package store

import (
	"encoding/hex"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/audit"
	"sesame/internal/staff"
)

// The staff buckets: the school office's members by address, and their
// sessions by the hash of the token. Apart from the parents' accounts
// and sessions, so that nothing written for one can be read as the
// other.
var (
	bStaff         = []byte("staff")
	bStaffSessions = []byte("staff_sessions")
)

// StaffMember returns the member with this address, or staff.ErrNotFound.
func (s *Store) StaffMember(email string) (staff.Member, error) {
	var m staff.Member
	err := s.view(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bStaff), []byte(email), &m)
		if err == nil && !ok {
			err = staff.ErrNotFound
		}
		return err
	})
	return m, err
}

// StaffMembers returns every member, by address.
func (s *Store) StaffMembers() ([]staff.Member, error) {
	var out []staff.Member
	err := s.eachRecord(bStaff, func(_, v []byte) error {
		var m staff.Member
		if err := get2(v, &m); err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// CreateStaff stores a new member with ch; staff.ErrExists if the
// address is taken.
func (s *Store) CreateStaff(m staff.Member, ch staff.Change) error {
	return s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bStaff).Get([]byte(m.Email)) != nil {
			return staff.ErrExists
		}
		if err := put(tx.Bucket(bStaff), []byte(m.Email), m); err != nil {
			return err
		}
		return applyStaffChange(tx, m.Email, ch)
	})
}

// ChangeStaff runs fn on the member and writes what it left, and its
// Change, in one transaction, whatever fn returns: a refused sign-in is
// counted although the sign-in fails. fn's error is returned once
// committed.
func (s *Store) ChangeStaff(email string, fn func(*staff.Member) (staff.Change, error)) error {
	var ferr error
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bStaff)
		var m staff.Member
		ok, err := get(b, []byte(email), &m)
		if err != nil {
			return err
		}
		if !ok {
			return staff.ErrNotFound
		}
		var ch staff.Change
		ch, ferr = fn(&m)
		if err := put(b, []byte(email), m); err != nil {
			return err
		}
		return applyStaffChange(tx, email, ch)
	})
	if err != nil {
		return err
	}
	return ferr
}

func applyStaffChange(tx *bolt.Tx, email string, ch staff.Change) error {
	sb := tx.Bucket(bStaffSessions)
	if ch.EndSessions {
		var dead [][]byte
		err := sb.ForEach(func(k, v []byte) error {
			var sess staff.Session
			if err := get2(v, &sess); err == nil && sess.Member == email {
				dead = append(dead, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := deleteKeys(sb, dead); err != nil {
			return err
		}
	}
	if ch.Session != nil {
		if err := put(sb, ch.Session.Hash, ch.Session.Session); err != nil {
			return err
		}
	}
	if ch.Mail != nil {
		m := *ch.Mail
		if err := enqueue(tx, &m); err != nil {
			return err
		}
	}
	for _, e := range ch.Events {
		if err := appendAudit(tx, e); err != nil {
			return err
		}
	}
	return nil
}

// StaffSession returns the session under hash, or staff.ErrNoSession.
func (s *Store) StaffSession(hash []byte) (staff.Session, error) {
	var sess staff.Session
	err := s.view(func(tx *bolt.Tx) error {
		ok, err := get(tx.Bucket(bStaffSessions), hash, &sess)
		if err == nil && !ok {
			err = staff.ErrNoSession
		}
		return err
	})
	return sess, err
}

// StaffSessions returns every stored staff session by the hex of its
// hash (the office has a handful: no index).
func (s *Store) StaffSessions() (map[string]staff.Session, error) {
	out := map[string]staff.Session{}
	err := s.eachRecord(bStaffSessions, func(k, v []byte) error {
		var sess staff.Session
		if err := get2(v, &sess); err != nil {
			return err
		}
		out[hex.EncodeToString(k)] = sess
		return nil
	})
	return out, err
}

// DeleteStaffSession ends one session and records ev when not nil.
func (s *Store) DeleteStaffSession(hash []byte, ev *audit.Event) error {
	return s.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bStaffSessions).Delete(hash); err != nil {
			return err
		}
		if ev != nil {
			return appendAudit(tx, *ev)
		}
		return nil
	})
}
