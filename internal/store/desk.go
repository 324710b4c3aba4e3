package store

import (
	"bytes"
	"encoding/hex"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/audit"
	"sesame/internal/mail/outbox"
)

// What the school office's desk reads and writes (package desk): one
// parent's records at a glance, and its actions, each in one
// transaction with its audit record.

// ActivationState returns an account's live activation code (nil when
// none), its history and its recent refusals, in one read.
func (s *Store) ActivationState(id string) (activation.Record, activation.Tries, error) {
	var r activation.Record
	var tries activation.Tries
	err := s.view(func(tx *bolt.Tx) error {
		var c activation.Code
		if ok, err := get(tx.Bucket(bActCodes), []byte(id), &c); err != nil {
			return err
		} else if ok {
			r.Code = &c
		}
		if _, err := get(tx.Bucket(bActHistory), []byte(id), &r.History); err != nil {
			return err
		}
		_, err := get(tx.Bucket(bActTries), []byte(id), &tries)
		return err
	})
	return r, tries, err
}

// OutboxFor returns the messages created since since that were sent to
// email or name the identifier id, newest first. Only records whose raw
// bytes hold one of them are decoded: a month of outbox costs a byte
// scan.
func (s *Store) OutboxFor(id, email string, since time.Time) ([]outbox.Message, error) {
	var out []outbox.Message
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bOutbox).ForEach(func(_, v []byte) error {
			if !bytes.Contains(v, []byte(id)) && (email == "" || !bytes.Contains(v, []byte(email))) {
				return nil
			}
			var m outbox.Message
			if err := get2(v, &m); err != nil {
				return nil // unreadable: `sesame check` names it
			}
			if m.Created.Before(since) || (m.To != email && !contains(m.Identifiers, id)) {
				return nil
			}
			out = append(out, m)
			return nil
		})
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ChangeEmail stores a with its new address (the e-mail index follows),
// queues msgs (the parent told at the old and the new address) and
// records ev, in one transaction.
func (s *Store) ChangeEmail(a account.Account, msgs []outbox.Message, ev audit.Event) error {
	return s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bAccounts).Get([]byte(a.ID)) == nil {
			return account.ErrNotFound
		}
		if err := putAccount(tx, a); err != nil {
			return err
		}
		for i := range msgs {
			m := msgs[i]
			if err := enqueue(tx, &m); err != nil {
				return err
			}
		}
		return appendAudit(tx, ev)
	})
}

// LiftLimits forgets what holds back an account's next code: the
// refusals that lock its identifier's activation, and the times codes
// were issued to its address (the cooldown and the hourly and daily
// limits). The pending codes stay as they are. ev is recorded with it.
func (s *Store) LiftLimits(id, email string, ev audit.Event) error {
	return s.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bActTries).Delete([]byte(id)); err != nil {
			return err
		}
		if email != "" {
			if err := tx.Bucket(bCodeLog).Delete([]byte(email)); err != nil {
				return err
			}
		}
		return appendAudit(tx, ev)
	})
}

// EndSessions ends every session of the account and records ev.
func (s *Store) EndSessions(id string, ev audit.Event) error {
	return s.update(func(tx *bolt.Tx) error {
		if err := revokeSessions(tx, id); err != nil {
			return err
		}
		return appendAudit(tx, ev)
	})
}

// CountSessions counts the account's sessions that have not expired at
// now.
func (s *Store) CountSessions(id string, now time.Time) (int, error) {
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		prefix := []byte(id + "\x00")
		c := tx.Bucket(bSessByAcct).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var sess account.Session
			if ok, err := get(tx.Bucket(bSessions), k[len(prefix):], &sess); err == nil && ok && now.Before(sess.Expires) {
				n++
			}
		}
		return nil
	})
	return n, err
}

// RetryMessage makes message id due now: a pending one waiting for its
// next attempt, or a failed one that still has everything it needs to
// be sent (not a code or a link: those are scrubbed once given up).
// ev is recorded with it. It returns the message as it was.
func (s *Store) RetryMessage(id string, now time.Time, ev audit.Event) (outbox.Message, error) {
	var m outbox.Message
	k, err := hex.DecodeString(id)
	if err != nil || len(k) != 8 {
		return m, outbox.ErrNoMessage
	}
	err = s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bOutbox)
		ok, err := get(b, k, &m)
		if err != nil || !ok {
			return outbox.ErrNoMessage
		}
		if err := outbox.Retryable(m, now); err != nil {
			return err
		}
		r := outbox.NewPending(m, now)
		r.Created, r.NextAttempt = m.Created, now
		if m.Status == outbox.StatusFailed {
			// Given up: it gets a new day to be delivered in.
			r.ExpiresAt = now.Add(outbox.DefaultExpiry)
		}
		if err := tx.Bucket(bPending).Put(k, nil); err != nil {
			return err
		}
		if err := put(b, k, r); err != nil {
			return err
		}
		if ev.Account == "" {
			ev.Account = strings.Join(m.Identifiers, ",")
		}
		return appendAudit(tx, ev)
	})
	return m, err
}

// LastLogins returns when each account last signed in, from the audit
// log: only the records of sign-ins are decoded.
func (s *Store) LastLogins() (map[string]time.Time, error) {
	out := map[string]time.Time{}
	needle := []byte(`"kind":"` + string(audit.LoginOK) + `"`)
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bAudit).ForEach(func(_, v []byte) error {
			if !bytes.Contains(v, needle) {
				return nil
			}
			var e audit.Event
			if err := get2(v, &e); err != nil || e.Account == "" {
				return nil
			}
			if e.Time.After(out[e.Account]) {
				out[e.Account] = e.Time
			}
			return nil
		})
	})
	return out, err
}
