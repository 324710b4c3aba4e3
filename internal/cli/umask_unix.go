//go:build unix

package cli

import (
	"os"
	"syscall"
)

// umask sets the process's file mode mask so the admin socket is born
// owner-only, with no window where others could connect.
func umask(m int) int { return syscall.Umask(m) }

// restrictSocket makes the admin socket owner-only (the umask already
// did; this says so to anyone reading the mode).
func restrictSocket(path string) error { return os.Chmod(path, 0o600) }
