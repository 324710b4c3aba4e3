package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"sesame/internal/mail/outbox"
	"sesame/internal/store"
)

const restoreUsage = `Usage: sesame restore BACKUP [--data FILE]

Puts the backup BACKUP (written by sesame backup) in place of the data
file. The server must be stopped first (systemctl stop sesame).

The current data file is kept as FILE.before-restore. The backup's outbox
resumes delivering what was pending when the backup was taken; every such
message that the current file recorded as sent (or failed) is marked so in
the restored file, so no parent receives an e-mail twice. Messages queued
after the backup are not in it: they are lost (their parents ask again).
`

func runRestore(args []string, stdout, stderr io.Writer) int {
	data, _, rest, err := splitData(args)
	if err != nil || len(rest) != 1 || rest[0] == "--help" || rest[0] == "-h" || rest[0] == "help" {
		if err == nil && len(rest) == 1 {
			fmt.Fprint(stdout, restoreUsage)
			return 0
		}
		fmt.Fprint(stderr, restoreUsage)
		return 2
	}
	if err := restore(rest[0], data, stdout); err != nil {
		fmt.Fprintln(stderr, "sesame restore:", err)
		return 1
	}
	return 0
}

// errServerRunning is the refusal when a server holds the data file.
var errServerRunning = errors.New("a Sésame server is running on this data file: stop it first (systemctl stop sesame), then run sesame restore again")

// restore replaces data with a copy of backup, keeping data aside and
// reconciling the copy's outbox with it (store.ReconcileOutbox). The
// current file stays locked until the swap, so no server can start on
// it in between; the copy is written and synced beside it first, so a
// crash leaves either the old file or the restored one in place.
func restore(backup, data string, out io.Writer) error {
	if same(backup, data) {
		return fmt.Errorf("%s is the data file itself", backup)
	}
	if c, err := net.DialTimeout("unix", socketPath(data), 500*time.Millisecond); err == nil {
		c.Close()
		return errServerRunning
	}
	kept := data + ".before-restore"
	if _, err := os.Lstat(kept); err == nil {
		return fmt.Errorf("%s already exists (an earlier restore?): move it away first, it may be the only copy of newer data", kept)
	}

	// The current file: its lock, and what its outbox says has left.
	var newer []outbox.Message
	var cur *store.Store
	_, statErr := os.Stat(data)
	switch {
	case errors.Is(statErr, os.ErrNotExist):
		fmt.Fprintf(out, "no current data file at %s: nothing to keep aside or reconcile\n", data)
	case statErr != nil:
		return statErr
	default:
		st, err := store.Open(data, time.Second)
		switch {
		case errors.Is(err, store.ErrLocked):
			return errServerRunning
		case err != nil:
			// A damaged file is the usual reason to restore: go on, but
			// say what cannot be known.
			fmt.Fprintf(out, "warning: the current data file cannot be opened (%v):\n  pending messages of the backup that it had already sent will be sent again\n", err)
		default:
			cur = st
			defer func() {
				if cur != nil {
					cur.Close()
				}
			}()
			newer, err = st.Outbox()
			if err != nil {
				fmt.Fprintf(out, "warning: part of the current outbox cannot be read (%v): those messages may be sent again\n", err)
			}
		}
	}

	tmp := data + ".restoring"
	os.Remove(tmp)
	if err := copyFile(backup, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	rst, err := store.Open(tmp, time.Second)
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("the backup %s cannot be used: %w", backup, err)
	}
	// A backup from an older release is migrated as it opens; the copy
	// Open keeps of it beside tmp would only duplicate the backup itself.
	if m := rst.Migrated(); m != nil {
		os.Remove(m.Backup)
	}
	rep, err := rst.ReconcileOutbox(newer)
	if cerr := rst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("reconciling the outbox: %w", err)
	}

	if statErr == nil {
		if err := os.Rename(data, kept); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, data); err != nil {
		return fmt.Errorf("%w (the previous file is at %s)", err, kept)
	}
	syncDir(filepath.Dir(data))

	fmt.Fprintf(out, "restored %s to %s\n", backup, data)
	if statErr == nil {
		fmt.Fprintf(out, "the previous data file is kept as %s\n", kept)
	}
	fmt.Fprintf(out, "outbox: %d pending in the backup: %d marked sent and %d marked failed as the previous file recorded them, %d will be delivered at the next start\n",
		rep.Pending, rep.MarkedSent, rep.MarkedFailed, rep.StillPending)
	if rep.Mismatched > 0 {
		fmt.Fprintf(out, "warning: %d messages have the same number in both files but are not the same message: is the backup from this portal?\n", rep.Mismatched)
	}
	if rep.NotInBackup > 0 {
		fmt.Fprintf(out, "%d messages queued after the backup are not in it\n", rep.NotInBackup)
	}
	return nil
}

// same reports whether a and b name the same file.
func same(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(fa, fb)
	}
	aa, _ := filepath.Abs(a)
	bb, _ := filepath.Abs(b)
	return aa == bb
}

// copyFile copies src to a new file dst (owner-only, like the data
// file) and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	o, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(o, in); err != nil {
		o.Close()
		return err
	}
	if err := o.Sync(); err != nil {
		o.Close()
		return err
	}
	return o.Close()
}

// syncDir makes the renames durable; a failure only means a crash right
// now could undo them, which the next restore would redo.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
