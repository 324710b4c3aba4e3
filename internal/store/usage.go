package store

import (
	"os"

	bolt "go.etcd.io/bbolt"
)

// Usage is how much of the data file holds records, and how big the
// file is: the difference is free pages bbolt keeps for reuse and never
// gives back to the disk (sesame compact does).
type Usage struct {
	// InUse is the bytes of the pages that hold records, per bucket.
	InUse map[string]int64
	// Records counts the keys per bucket.
	Records map[string]int
	// File is the file's size on disk.
	File int64
}

// Total is the bytes in use over every bucket.
func (u Usage) Total() int64 {
	var n int64
	for _, v := range u.InUse {
		n += v
	}
	return n
}

// Usage measures the data file: what each bucket holds and the file's
// size. It only reads.
func (s *Store) Usage() (Usage, error) {
	u := Usage{InUse: map[string]int64{}, Records: map[string]int{}}
	err := s.view(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			st := b.Stats()
			u.InUse[string(name)] = int64(st.BranchInuse + st.LeafInuse + st.InlineBucketInuse)
			u.Records[string(name)] = st.KeyN
			return nil
		})
	})
	if err != nil {
		return u, err
	}
	fi, err := os.Stat(s.db.Path())
	if err != nil {
		return u, err
	}
	u.File = fi.Size()
	return u, nil
}
