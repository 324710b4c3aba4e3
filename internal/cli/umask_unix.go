//go:build unix

package cli

import "syscall"

// umask sets the process's file mode mask so the admin socket is born
// owner-only, with no window where others could connect.
func umask(m int) int { return syscall.Umask(m) }
