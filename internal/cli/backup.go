package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"
)

const backupUsage = `Usage: sesame backup FILE [--data FILE]

Writes a consistent copy of the data file to FILE, while the server keeps
running. FILE is written by this command, as the user running it
(owner-only, 0600), never by the server. To restore: stop the server,
replace the data file with the copy, start the server again.
`

// backupStream is the request for a backup sent back over the socket.
const backupStream = "--to-client"

func isBackupStream(req adminRequest) bool {
	return len(req.Args) == 2 && req.Args[0] == "backup" && req.Args[1] == backupStream
}

func runBackup(args []string, stdout, stderr io.Writer) int {
	data, config, rest, err := splitData(args)
	if err != nil || len(rest) != 1 || rest[0] == "--help" || rest[0] == "-h" {
		fmt.Fprint(stderr, backupUsage)
		return 2
	}
	dst, err := filepath.Abs(rest[0])
	if err != nil {
		fmt.Fprintln(stderr, "sesame backup:", err)
		return 1
	}
	data, server, ok := adminRoute(data, []string{"backup", dst}, stderr)
	if !ok {
		return 1
	}
	if !server {
		return runAdmin(data, config, adminRequest{Args: []string{"backup", dst}}, stdout, stderr)
	}
	if data == dst {
		fmt.Fprintln(stderr, "sesame backup: the copy cannot replace the data file itself")
		return 2
	}
	dataProvenance(stderr, data, true)
	return fetchBackup(data, dst, stdout, stderr)
}

// fetchBackup asks the running server for the data file's bytes and
// writes them here: the copy belongs to the caller, in a folder the
// server's user may not even be able to enter. Like store.Backup, it
// writes beside dst and renames at the end, so dst is never half-written.
func fetchBackup(data, dst string, stdout, stderr io.Writer) int {
	conn, err := net.DialTimeout("unix", socketPath(data), time.Second)
	if err != nil {
		fmt.Fprintln(stderr, "sesame backup: admin socket:", err)
		return 1
	}
	defer conn.Close()
	// Same bound as the server's side of a command.
	conn.SetDeadline(time.Now().Add(5 * time.Minute))
	if err := json.NewEncoder(conn).Encode(adminRequest{Args: []string{"backup", backupStream}}); err != nil {
		fmt.Fprintln(stderr, "sesame backup: admin socket:", err)
		return 1
	}
	r := bufio.NewReader(conn)
	dec := json.NewDecoder(r)
	var resp adminResponse
	if err := dec.Decode(&resp); err != nil {
		fmt.Fprintln(stderr, "sesame backup: admin socket:", err)
		return 1
	}
	if resp.Code != 0 {
		io.WriteString(stdout, resp.Output)
		return resp.Code
	}
	body := bufio.NewReader(io.MultiReader(dec.Buffered(), r))
	// The encoder ended the response with a newline; the bytes follow it.
	if b, err := body.ReadByte(); err != nil || b != '\n' {
		fmt.Fprintln(stderr, "sesame backup: admin socket: unexpected answer from the server")
		return 1
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".sesame-backup-*")
	if err != nil {
		fmt.Fprintln(stderr, "sesame backup:", err)
		return 1
	}
	defer os.Remove(tmp.Name())
	n, err := io.CopyN(tmp, body, resp.Size)
	if err != nil {
		err = fmt.Errorf("the server sent %d of %d bytes: %w", n, resp.Size, err)
	}
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		fmt.Fprintln(stderr, "sesame backup:", err)
		return 1
	}
	fmt.Fprintf(stdout, "backup written to %s (%d bytes)\n", dst, n)
	return 0
}

// streamBackup is the server's side of fetchBackup: the size, then the
// bytes of one consistent state of the file. A damaged page fails the
// backup with a message, never the server.
func (a *adminServer) streamBackup(conn net.Conn) {
	headerSent := false
	fail := func(msg string) {
		if !headerSent {
			json.NewEncoder(conn).Encode(adminResponse{Output: msg, Code: 1})
		}
		// After the header, the client sees the stream end short.
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			a.s.log.Error("backup failed: the data file may be damaged; run `sesame check`", "panic", fmt.Sprint(r))
			fail(fmt.Sprintf("sesame backup: reading the data file failed (%v): it may be damaged; run `sesame check`\n", r))
		}
	}()
	w := bufio.NewWriterSize(conn, 1<<20)
	_, err := a.s.store.BackupTo(w, func(size int64) error {
		headerSent = true
		return json.NewEncoder(w).Encode(adminResponse{Size: size})
	})
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		a.s.log.Warn("backup through the admin socket failed", "err", err)
		fail("sesame backup: " + err.Error() + "\n")
	}
}

func backupCmd(s *services, dst string, out io.Writer) int {
	if abs, _ := filepath.Abs(s.store.Path()); abs == dst {
		fmt.Fprintln(out, "sesame backup: the copy cannot replace the data file itself")
		return 2
	}
	n, err := s.store.Backup(dst)
	if err != nil {
		fmt.Fprintln(out, "sesame backup:", err)
		return 1
	}
	fmt.Fprintf(out, "backup written to %s (%d bytes)\n", dst, n)
	return 0
}
