package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"sesame/internal/store"
)

const compactUsage = `Usage: sesame compact [--data FILE] [--keep]

Gives back to the disk the space that expired records left in the data
file (bbolt reuses freed pages but never shrinks the file).

Server stopped: writes a compacted copy beside FILE, checks it, and swaps
it in; the old file is kept as FILE.before-compact until the swap is done
(--keep: kept afterwards too). Prints the sizes before and after.

Server running: the server holds the file and parents are using it, so it
is compacted at the server's next start, before it opens it; the command
says how much is in use now.
`

func runCompact(args []string, stdout, stderr io.Writer) int {
	data, config, rest, err := splitData(args)
	if err != nil {
		fmt.Fprintln(stderr, "sesame compact:", err)
		return 2
	}
	keep := false
	for _, a := range rest {
		switch a {
		case "--help", "-h":
			fmt.Fprint(stdout, compactUsage)
			return 0
		case "--keep", "-keep":
			keep = true
		default:
			fmt.Fprint(stderr, compactUsage)
			return 2
		}
	}
	data, server, ok := adminRoute(data, []string{"compact"}, stderr)
	if !ok {
		return 1
	}
	if server {
		return runAdmin(data, config, adminRequest{Args: []string{"compact"}}, stdout, stderr)
	}
	dataProvenance(stderr, data, false)
	res, err := store.Compact(data, time.Second, keep)
	if errors.Is(err, store.ErrLocked) {
		fmt.Fprintf(stderr, "sesame compact: %v\n(no admin socket answered at %s)\n", err, socketPath(data))
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "sesame compact:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s compacted: %s\n", data, res)
	if keep {
		fmt.Fprintf(stdout, "the file before compaction is %s\n", store.BeforeCompact(data))
	}
	return 0
}

// compactCmd runs in the server: it asks the next start to compact.
func compactCmd(s *services, out io.Writer) int {
	u, err := s.store.Usage()
	if err != nil {
		fmt.Fprintln(out, "sesame compact:", err)
		return 1
	}
	if err := store.RequestCompact(s.store.Path()); err != nil {
		fmt.Fprintln(out, "sesame compact:", err)
		return 1
	}
	fmt.Fprintf(out, "the server is running: %s will be compacted at its next start\n(now %d bytes on disk, %d in use by records)\n",
		s.store.Path(), u.File, u.Total())
	return 0
}

// compactAtStart runs the compaction a running server was asked for,
// before the server opens the file. A failure is logged, not fatal: the
// file is unchanged and the portal starts on it.
func compactAtStart(data string, log *slog.Logger) {
	res, asked, err := store.CompactIfRequested(data, time.Second)
	switch {
	case !asked:
	case err != nil:
		log.Warn("compaction asked by `sesame compact` failed; starting on the file as it is", "err", err)
	default:
		log.Info("data file compacted", "before_bytes", res.Before, "after_bytes", res.After, "took", res.Took.Round(time.Millisecond))
	}
}
