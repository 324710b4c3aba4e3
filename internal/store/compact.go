package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Compacted reports a compaction: the file's size before and after.
type Compacted struct {
	Before, After int64
	Took          time.Duration
}

func (c Compacted) String() string {
	return fmt.Sprintf("%d bytes before, %d after (%.0f%% returned to the disk) in %v",
		c.Before, c.After, 100*float64(c.Before-c.After)/float64(max(c.Before, 1)), c.Took.Round(time.Millisecond))
}

// compactTxMax bounds each transaction of the copy, so a large file is
// not held in memory at once.
const compactTxMax = 64 << 20

// BeforeCompact is where Compact keeps the file being replaced until the
// compacted copy is in place.
func BeforeCompact(path string) string { return path + ".before-compact" }

// Compact rewrites the data file at path without its free pages: bbolt
// reuses the pages that deleted records leave, but never gives them back
// to the disk. The file must not be in use (ErrLocked otherwise). The
// copy is written beside it, checked (same records in every bucket),
// synced, and swapped in by rename; the old file is kept as
// BeforeCompact(path) until the swap is done, then removed — unless
// keep, for whoever wants to compare.
func Compact(path string, timeout time.Duration, keep bool) (Compacted, error) {
	start := time.Now()
	var res Compacted
	fi, err := os.Stat(path)
	if err != nil {
		return res, err
	}
	res.Before = fi.Size()
	// An empty or truncated file is refused, as at start.
	if err := precheck(path); err != nil {
		return res, err
	}
	// Read-only: a shared lock, which a server opening the file waits for.
	src, err := openRO(path, max(timeout, time.Millisecond))
	if err != nil {
		return res, err
	}
	defer src.Close()
	tmp := path + ".compacting"
	os.Remove(tmp) // left by an interrupted compaction: never the data
	dst, err := bolt.Open(tmp, fi.Mode().Perm(), nil)
	if err != nil {
		return res, err
	}
	// bbolt grows a file in 16 MiB steps past 16 MiB; the copy grows by
	// 1 MiB so that it ends near the size of its records.
	dst.AllocSize = 1 << 20
	// A damaged page is an error, not a panic; the file stays as it is
	// (sesame check --repair-to saves what can be read).
	err = guard(func() error { return bolt.Compact(dst, src, compactTxMax) })
	if err == nil {
		err = guard(func() error { return sameRecords(src, dst) })
	}
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return res, fmt.Errorf("compacting: %w (the data file is unchanged)", err)
	}
	old := BeforeCompact(path)
	if err := os.Rename(path, old); err != nil {
		os.Remove(tmp)
		return res, err
	}
	if err := os.Rename(tmp, path); err != nil {
		// Put the original back: the file must be where the server looks.
		return res, errors.Join(err, os.Rename(old, path))
	}
	syncDir(filepath.Dir(path))
	if !keep {
		os.Remove(old)
	}
	if fi, err := os.Stat(path); err == nil {
		res.After = fi.Size()
	}
	res.Took = time.Since(start)
	return res, nil
}

// sameRecords checks that every bucket of src has as many records in
// dst, and no bucket is missing.
func sameRecords(src, dst *bolt.DB) error {
	counts := map[string]int{}
	err := src.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			counts[string(name)] = b.Stats().KeyN
			return nil
		})
	})
	if err != nil {
		return err
	}
	return dst.View(func(tx *bolt.Tx) error {
		for name, n := range counts {
			b := tx.Bucket([]byte(name))
			if b == nil || b.Stats().KeyN != n {
				return fmt.Errorf("the copy of bucket %s differs", name)
			}
		}
		return nil
	})
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// compactRequest is the file asking the next start to compact path.
func compactRequest(path string) string { return path + ".compact-at-start" }

// RequestCompact asks the next start (CompactIfRequested) to compact the
// file: the running server holds it, and swapping the file under
// handlers that use it is not worth the risk when a restart does it.
func RequestCompact(path string) error {
	return os.WriteFile(compactRequest(path), []byte(time.Now().Format(time.RFC3339)+"\n"), 0o600)
}

// CompactIfRequested compacts the file at path when RequestCompact asked
// for it, before the server opens it. It reports false when nothing was
// asked. The request is dropped whatever happens: a compaction that
// failed once is not retried at every start.
func CompactIfRequested(path string, timeout time.Duration) (Compacted, bool, error) {
	if _, err := os.Stat(compactRequest(path)); err != nil {
		return Compacted{}, false, nil
	}
	defer os.Remove(compactRequest(path))
	res, err := Compact(path, timeout, false)
	return res, true, err
}
