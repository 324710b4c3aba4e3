package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"sesame/internal/store"
)

const checkUsage = `Usage: sesame check [--data FILE] [--repair-to NEW_FILE]

Checks the data file: bbolt's consistency check of every page, then every
record decoded. It never changes the file. Exit status 0: no problem
found; 1: problems, listed (record keys only: e-mail addresses and tokens
are shown as hashes).

  --repair-to NEW_FILE   copy every readable record to NEW_FILE (which must
                         not exist) and list what could not be read. Then
                         stop the server, keep the damaged file aside, and
                         put NEW_FILE in its place.

While the server runs, the check goes through its admin socket and reads
one consistent state of the file without stopping it. A file the server
refuses to open (empty, truncated, damaged) is checked directly.
`

// problemLimit bounds the report: past a few dozen lines, the advice is
// the same (restore or repair).
const problemLimit = 50

func runCheck(args []string, stdout, stderr io.Writer) int {
	data, config, rest, err := splitData(args)
	if err != nil {
		fmt.Fprintln(stderr, "sesame check:", err)
		return 2
	}
	repairTo := ""
	for i := 0; i < len(rest); i++ {
		switch a := rest[i]; {
		case a == "--repair-to" || a == "-repair-to":
			if i+1 >= len(rest) {
				fmt.Fprint(stderr, checkUsage)
				return 2
			}
			repairTo = rest[i+1]
			i++
		case strings.HasPrefix(a, "--repair-to="):
			repairTo = strings.TrimPrefix(a, "--repair-to=")
		case a == "--help" || a == "-h" || a == "help":
			fmt.Fprint(stdout, checkUsage)
			return 0
		default:
			fmt.Fprint(stderr, checkUsage)
			return 2
		}
	}
	req := adminRequest{Args: []string{"check"}}
	if repairTo != "" {
		// The server may run in another directory: send it an absolute path.
		if repairTo, err = filepath.Abs(repairTo); err != nil {
			fmt.Fprintln(stderr, "sesame check:", err)
			return 1
		}
		req.Args = append(req.Args, "--repair-to", repairTo)
	}
	// A running server holds bbolt's lock: ask it. Otherwise read the file
	// here, read-only, without store.Open, which refuses damaged files.
	data, server, ok := adminRoute(data, req.Args, stderr)
	if !ok {
		return 1
	}
	if server {
		return runAdmin(data, config, req, stdout, stderr)
	}
	dataProvenance(stderr, data, false)
	if repairTo != "" {
		if abs, _ := filepath.Abs(data); abs == repairTo {
			fmt.Fprintln(stderr, "sesame check: --repair-to needs a new file, not the data file itself")
			return 2
		}
		rep, err := store.RepairFile(data, repairTo, time.Second)
		return repairReport(stdout, data, repairTo, rep, err)
	}
	start := time.Now()
	problems, err := store.CheckFile(data, time.Second, problemLimit)
	return checkReport(stdout, data, problems, err, time.Since(start))
}

// checkCmd is `sesame check` executed by the server, on its open store.
func checkCmd(s *services, args []string, out io.Writer) int {
	if len(args) == 2 && args[0] == "--repair-to" {
		if abs, _ := filepath.Abs(s.store.Path()); abs == args[1] {
			fmt.Fprintln(out, "sesame check: --repair-to needs a new file, not the data file itself")
			return 2
		}
		rep, err := s.store.RepairTo(args[1])
		return repairReport(out, s.store.Path(), args[1], rep, err)
	}
	if len(args) != 0 {
		fmt.Fprint(out, checkUsage)
		return 2
	}
	start := time.Now()
	problems, err := s.store.Check(problemLimit)
	return checkReport(out, s.store.Path(), problems, err, time.Since(start))
}

func checkReport(out io.Writer, data string, problems []string, err error, took time.Duration) int {
	if err != nil {
		fmt.Fprintln(out, "sesame check:", err)
		return 1
	}
	if len(problems) == 0 {
		fmt.Fprintf(out, "%s: no problem found (checked in %s)\n", data, took.Round(time.Millisecond))
		return 0
	}
	fmt.Fprintf(out, "%s: PROBLEMS FOUND (checked in %s):\n", data, took.Round(time.Millisecond))
	for _, p := range problems {
		fmt.Fprintln(out, "  "+p)
	}
	fmt.Fprintf(out, "Restore the last backup, or save what can be read with:\n  sesame check --data %s --repair-to NEW_FILE\n", data)
	return 1
}

func repairReport(out io.Writer, data, dst string, rep store.RepairReport, err error) int {
	if err != nil {
		fmt.Fprintln(out, "sesame check --repair-to:", err)
		return 1
	}
	fmt.Fprintf(out, "copied %d record(s) from %s to %s\n", rep.Copied, data, dst)
	if len(rep.Skipped) == 0 {
		fmt.Fprintln(out, "every record was readable")
	} else {
		fmt.Fprintf(out, "could not read (%d):\n", len(rep.Skipped))
		for _, s := range rep.Skipped {
			fmt.Fprintln(out, "  "+s)
		}
	}
	fmt.Fprintf(out, "To use it: stop the server, keep %s aside, and move %s in its place.\n", data, dst)
	return 0
}
