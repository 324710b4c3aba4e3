package store

import (
	"testing"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/staff"
)

// The staff migration's entry in migrationTests, found by name so that
// another migration appended before it keeps it right.
func init() {
	for i, m := range migrations {
		if m.name == "staff accounts" {
			migrationTests[i+1] = struct {
				undo  func(*boltTx) error
				check func(*testing.T, *Store)
			}{
				undo: func(tx *bolt.Tx) error {
					for _, b := range [][]byte{bStaff, bStaffSessions} {
						if err := tx.DeleteBucket(b); err != nil {
							return err
						}
					}
					return nil
				},
				// Staff members can be created and read back.
				check: func(t *testing.T, s *Store) {
					m := staff.Member{Email: "admin@ecole.fr", Name: "Admin", Role: staff.Admin, State: staff.Pending, Created: t0}
					if err := s.CreateStaff(m, staff.Change{}); err != nil {
						t.Fatalf("create staff after migration: %v", err)
					}
					if got, err := s.StaffMember("admin@ecole.fr"); err != nil || got.Role != staff.Admin {
						t.Errorf("staff member after migration: %+v, %v", got, err)
					}
				},
			}
		}
	}
}
