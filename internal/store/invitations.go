package store

import (
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/account"
	"sesame/internal/invitation"
)

// QueueInvitations records, in one transaction (one disk sync for a
// whole school), each account's Invited time, its e-mail in the outbox
// and its audit event. An account gone, activated or invited since the
// command read it refuses the whole batch with invitation.ErrChanged,
// so two runs at once never mail an adult twice.
func (s *Store) QueueInvitations(at time.Time, invs []invitation.Invitation) error {
	return s.update(func(tx *bolt.Tx) error {
		accts := tx.Bucket(bAccounts)
		for i := range invs {
			inv := &invs[i]
			var a account.Account
			ok, err := get(accts, []byte(inv.Account), &a)
			if err != nil {
				return err
			}
			if !ok || a.Activated() || !a.Invited.Equal(inv.Seen) {
				return invitation.ErrChanged
			}
			a.Invited = at
			// The address is unchanged: the e-mail index stays as it is.
			if err := put(accts, []byte(a.ID), a); err != nil {
				return err
			}
			if err := enqueue(tx, &inv.Message); err != nil {
				return err
			}
			if err := appendAudit(tx, inv.Event); err != nil {
				return err
			}
		}
		return nil
	})
}
