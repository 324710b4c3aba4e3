//go:build unix

package cli

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// ownerOf names the user owning path or, when path cannot be seen (a
// folder of another user's), its nearest visible parent: the user admin
// commands must run as.
func ownerOf(path string) (string, bool) {
	for p := path; ; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil {
			st, ok := fi.Sys().(*syscall.Stat_t)
			if !ok {
				return "", false
			}
			uid := strconv.FormatUint(uint64(st.Uid), 10)
			if u, err := user.LookupId(uid); err == nil {
				return u.Username, true
			}
			// A user without a name here (a container's): sudo takes #uid.
			return "#" + uid, true
		}
		if filepath.Dir(p) == p {
			return "", false
		}
	}
}
