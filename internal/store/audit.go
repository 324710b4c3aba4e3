package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"log/slog"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/audit"
	"sesame/internal/mail/outbox"
)

// AuditLog appends audit events to the data file. Appends go through
// bbolt's Batch, so a burst of failed logins shares disk syncs.
type AuditLog struct {
	Store *Store
	Log   *slog.Logger
}

// Append records e; a write error is logged, never returned: the action
// being recorded has already happened.
func (a AuditLog) Append(e audit.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	err := a.Store.db.Batch(func(tx *bolt.Tx) error { return appendAudit(tx, e) })
	if err != nil && a.Log != nil {
		a.Log.Error("audit log write failed", "kind", e.Kind, "err", err)
	}
}

// appendAudit writes e under a key that sorts by time. Batch may rerun
// it; the rerun writes under another sequence number in a fresh
// transaction, the first having been rolled back.
func appendAudit(tx *bolt.Tx, e audit.Event) error {
	// The one door into the log: no address gets through in clear,
	// whoever wrote the event (a command line names one, a refusal may).
	e.Detail = audit.MaskDetail(e.Detail)
	if strings.Contains(e.Email, "@") && !strings.Contains(e.Email, "•••") {
		e.Email = outbox.MaskAddress(e.Email)
	}
	if e.Aggregated() {
		return addAggregate(tx, e)
	}
	b := tx.Bucket(bAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	k := binary.BigEndian.AppendUint64(nil, uint64(e.Time.UnixNano()))
	k = binary.BigEndian.AppendUint64(k, seq)
	return put(b, k, e)
}

// aggregateKey is the hour e falls in, then a hash of its group: keys
// sort by time like the audit bucket's, and the hour's events of one
// group meet under one key.
func aggregateKey(e audit.Event) []byte {
	hour := e.Time.Truncate(time.Hour)
	h := sha256.Sum256([]byte(e.Group()))
	return append(binary.BigEndian.AppendUint64(nil, uint64(max(hour.UnixNano(), 0))), h[:8]...)
}

// addAggregate counts e in its group's record for the hour, creating it
// at the first event. The record keeps the first event's time, e-mail
// and detail, and the last one's time. A Batch rerun starts again from
// the rolled-back record, so nothing is counted twice.
func addAggregate(tx *bolt.Tx, e audit.Event) error {
	b := tx.Bucket(bAuditAgg)
	k := aggregateKey(e)
	var r audit.Event
	ok, err := get(b, k, &r)
	if err != nil || !ok {
		// An unreadable record is replaced: it only counted requests.
		r = e
		r.Count = 0
	}
	r.Count += e.Count
	if e.Time.After(r.Last) {
		r.Last = e.Time
	}
	return put(b, k, r)
}

// Audit returns events since since (zero: all), for account when not
// empty — the events that name it alone or among the accounts of its
// address (audit.Event.Names) — oldest first. An hourly record counts when its last event is
// since or later.
func (s *Store) Audit(since time.Time, account string) ([]audit.Event, error) {
	var out []audit.Event
	err := s.view(func(tx *bolt.Tx) error {
		start := binary.BigEndian.AppendUint64(nil, uint64(max(since.UnixNano(), 0)))
		c := tx.Bucket(bAudit).Cursor()
		for k, v := c.Seek(start); k != nil; k, v = c.Next() {
			if account != "" && !bytes.Contains(v, []byte(account)) {
				continue // cannot name it: not decoded
			}
			var e audit.Event
			if err := get2(v, &e); err != nil {
				return err
			}
			if account == "" || e.Names(account) {
				out = append(out, e)
			}
		}
		// An hour's record is keyed by the hour's start, which may be
		// before since.
		hour := binary.BigEndian.AppendUint64(nil, uint64(max(since.Truncate(time.Hour).UnixNano(), 0)))
		c = tx.Bucket(bAuditAgg).Cursor()
		for k, v := c.Seek(hour); k != nil; k, v = c.Next() {
			var e audit.Event
			if err := get2(v, &e); err != nil {
				return err
			}
			if e.Last.Before(since) || (account != "" && !e.Names(account)) {
				continue
			}
			out = append(out, e)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b audit.Event) int { return a.Time.Compare(b.Time) })
	return out, err
}

// SweepAudit deletes events older than cutoff.
func (s *Store) SweepAudit(cutoff time.Time) (int, error) {
	n := 0
	end := binary.BigEndian.AppendUint64(nil, uint64(max(cutoff.UnixNano(), 0)))
	err := s.update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bAudit).Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, end) < 0; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// sweepAggregates deletes hourly audit records of hours before cutoff.
func sweepAggregates(tx *bolt.Tx, cutoff time.Time) (int, error) {
	end := binary.BigEndian.AppendUint64(nil, uint64(max(cutoff.UnixNano(), 0)))
	n := 0
	c := tx.Bucket(bAuditAgg).Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k, end) < 0; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// deletedAccount stands for a deleted account's identifier in the
// events that named it.
const deletedAccount = "[deleted account]"

// anonymise rewrites the audit events that name one of ids, in either
// audit bucket: the account, the masked address and the client address
// go, and the identifier in a detail or an outcome becomes deletedAccount. What
// happened and when stays, so the log still answers "how many sign-ins
// failed that week", not "who". Only records whose raw bytes hold an
// identifier are decoded, so a purge costs a byte scan of the log.
func anonymise(tx *bolt.Tx, ids []string) error {
	for _, name := range [][]byte{bAudit, bAuditAgg} {
		b := tx.Bucket(name)
		type rewrite struct {
			k []byte
			e audit.Event
		}
		var todo []rewrite
		err := b.ForEach(func(k, v []byte) error {
			var e audit.Event
			decoded, changed := false, false
			for _, id := range ids {
				if !bytes.Contains(v, []byte(id)) {
					continue
				}
				if !decoded {
					if err := get2(v, &e); err != nil {
						return err
					}
					decoded = true
				}
				if e.Account == id {
					e.Account, e.Email, e.IP = deletedAccount, "", ""
					changed = true
				}
				if d := replaceWord(e.Detail, id, deletedAccount); d != e.Detail {
					e.Detail, changed = d, true
				}
				if o := replaceWord(e.Outcome, id, deletedAccount); o != e.Outcome {
					e.Outcome, changed = o, true
				}
			}
			if changed {
				todo = append(todo, rewrite{append([]byte(nil), k...), e})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range todo {
			if err := put(b, r.k, r.e); err != nil {
				return err
			}
		}
	}
	return nil
}

// replaceWord replaces id in s where it stands as a whole identifier,
// not inside a longer one ("dupont.marie" in "dupont.marie2" stays).
func replaceWord(s, id, with string) string {
	var out strings.Builder
	for {
		i := strings.Index(s, id)
		if i < 0 {
			out.WriteString(s)
			return out.String()
		}
		end := i + len(id)
		if (i > 0 && identChar(s[i-1])) || (end < len(s) && identChar(s[end])) {
			out.WriteString(s[:end])
			s = s[end:]
			continue
		}
		out.WriteString(s[:i])
		out.WriteString(with)
		s = s[end:]
	}
}

func identChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
}
