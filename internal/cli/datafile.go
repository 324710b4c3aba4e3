package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// adminDataFile resolves the data file an admin command works on: its
// absolute path, so every message names the file that was looked for
// whatever the working directory. A missing file is refused here, before
// anything could create it (a file, its folder, a lock): only `serve`
// creates the data file, so a mistyped --data never becomes a new, empty
// portal. It reports false after telling stderr why.
func adminDataFile(data string, args []string, stderr io.Writer) (string, bool) {
	abs, err := filepath.Abs(data)
	if err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return "", false
	}
	_, err = os.Stat(abs)
	switch {
	case err == nil:
		return abs, true
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(stderr, "sesame: no data file at %s: check --data or SESAME_DATA; the server creates it at its first start\n", abs)
	case errors.Is(err, os.ErrPermission):
		permissionDenied(stderr, abs, abs, args)
	default:
		fmt.Fprintln(stderr, "sesame:", err)
	}
	return "", false
}

// dataProvenance is the line every admin command writes on stderr: which
// file it used and how, so "I imported them but the portal does not see
// them" is answered at once. Stderr, so stdout stays the command's own
// output, identical either way.
func dataProvenance(stderr io.Writer, abs string, throughServer bool) {
	how := "file opened directly; the server is not running"
	if throughServer {
		how = "through the running server"
	}
	fmt.Fprintf(stderr, "data: %s (%s)\n", abs, how)
}

// isPermission reports whether err is a refusal of access (EACCES or
// EPERM): connecting to the server's socket or opening its file as
// another user.
func isPermission(err error) bool {
	return errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM)
}

// permissionDenied explains a refused socket or file: who owns it and
// the command to run as that user, when the platform says who.
func permissionDenied(stderr io.Writer, what, abs string, args []string) {
	fmt.Fprintf(stderr, "sesame: permission denied on %s: admin commands run as the user the server runs as", what)
	owner, ok := ownerOf(what)
	if !ok {
		fmt.Fprintln(stderr, ".")
		return
	}
	cmd := append([]string{"sesame"}, args...)
	cmd = append(cmd, "--data", abs)
	fmt.Fprintf(stderr, ": it belongs to the user %s; run the command as that user:\n  sudo -u %s %s\n", owner, owner, strings.Join(cmd, " "))
}

// adminRoute is for the commands that work on the file themselves when
// no server runs (check, compact, backup): the data file's absolute path
// and whether a server answers on its socket. It reports ok false, after
// saying why, for a missing file or a socket of another user's.
func adminRoute(data string, args []string, stderr io.Writer) (abs string, server, ok bool) {
	abs, ok = adminDataFile(data, args, stderr)
	if !ok {
		return "", false, false
	}
	c, err := net.DialTimeout("unix", socketPath(abs), time.Second)
	if isPermission(err) {
		permissionDenied(stderr, socketPath(abs), abs, args)
		return "", false, false
	}
	if err != nil {
		return abs, false, true
	}
	c.Close()
	return abs, true, true
}
