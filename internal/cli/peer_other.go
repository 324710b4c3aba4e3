//go:build !linux

package cli

import "syscall"

// socketPeerPID is unknown outside Linux; the message names the socket.
func socketPeerPID(raw syscall.RawConn) int { return 0 }
