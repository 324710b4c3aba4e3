package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Stamped by `make build` and `make release`:
//
//	-ldflags "-X sesame/internal/cli.version=v1.2.0 -X sesame/internal/cli.commit=… -X sesame/internal/cli.date=…"
//
// Left empty by a plain `go build`, which the build info then describes.
var version, commit, date string

// buildVersion is what `sesame version` prints.
type buildVersion struct {
	Version, Commit, Date, Go string
}

// currentVersion is this binary's version: the stamped values, else what
// the Go toolchain recorded from the checkout it built (vcs.*), else
// "unknown" — never a guess.
func currentVersion() buildVersion {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return describeBuild(version, commit, date, bi)
}

func describeBuild(version, commit, date string, bi *debug.BuildInfo) buildVersion {
	v := buildVersion{Version: version, Commit: commit, Date: date, Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	if v.Version == "" {
		v.Version = "dev"
	}
	if bi != nil && (v.Commit == "" || v.Date == "") {
		var rev, when string
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if v.Commit == "" && rev != "" {
			v.Commit = rev
			if modified {
				// Built from a checkout with uncommitted changes: the
				// commit alone does not say what is in the binary.
				v.Commit += " (with uncommitted changes)"
			}
		}
		if v.Date == "" && when != "" {
			// Not stamped: the commit's time is the only date known.
			v.Date = when + " (commit time)"
		}
	}
	if v.Commit == "" {
		v.Commit = "unknown"
	}
	if v.Date == "" {
		v.Date = "unknown"
	}
	return v
}

func (v buildVersion) String() string {
	return fmt.Sprintf("sesame %s\ncommit: %s\nbuilt:  %s\ngo:     %s\n", v.Version, v.Commit, v.Date, v.Go)
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "sesame version: unexpected argument %q\n", args[0])
		return 2
	}
	io.WriteString(stdout, currentVersion().String())
	return 0
}
