//go:build linux

package cli

import "syscall"

// socketPeerPID reads the PID of the process at the other end of a Unix
// socket (SO_PEERCRED), recorded by the kernel when it connected: it is
// known even when that process is frozen.
func socketPeerPID(raw syscall.RawConn) int {
	pid := 0
	raw.Control(func(fd uintptr) {
		if cred, err := syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED); err == nil {
			pid = int(cred.Pid)
		}
	})
	return pid
}
