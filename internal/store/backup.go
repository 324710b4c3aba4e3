package store

import (
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the data file to path while the
// store stays in use: a read transaction sees one state and bbolt copies
// it page by page. The copy is written beside path and renamed at the
// end, so path is never a half-written file.
func (s *Store) Backup(path string) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sesame-backup-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	var n int64
	err = s.view(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(tmp)
		return err
	})
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return n, os.Rename(tmp.Name(), path)
}

// BackupTo streams a consistent copy of the data file to w: header is
// told its exact size first, then the bytes follow. The server uses it to
// hand a backup to the admin client, which writes the file itself, as
// the user who asked for it.
func (s *Store) BackupTo(w io.Writer, header func(size int64) error) (int64, error) {
	var n int64
	err := s.view(func(tx *bolt.Tx) error {
		if err := header(tx.Size()); err != nil {
			return err
		}
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}
