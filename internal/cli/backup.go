package cli

import (
	"fmt"
	"io"
	"path/filepath"
)

const backupUsage = `Usage: sesame backup FILE [--data FILE]

Writes a consistent copy of the data file to FILE, while the server keeps
running. To restore: stop the server, replace the data file with the copy,
start the server again.
`

func runBackup(args []string, stdout, stderr io.Writer) int {
	data, config, rest, err := splitData(args)
	if err != nil || len(rest) != 1 || rest[0] == "--help" || rest[0] == "-h" {
		fmt.Fprint(stderr, backupUsage)
		return 2
	}
	// The server may run in another directory: send it an absolute path.
	dst, err := filepath.Abs(rest[0])
	if err != nil {
		fmt.Fprintln(stderr, "sesame backup:", err)
		return 1
	}
	return runAdmin(data, config, adminRequest{Args: []string{"backup", dst}}, stdout, stderr)
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
