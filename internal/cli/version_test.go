package cli

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// `sesame version` and `--version` print the version, the commit, the
// build date and the Go version, one per line.
func TestVersionCommand(t *testing.T) {
	defer func(v, c, d string) { version, commit, date = v, c, d }(version, commit, date)
	version, commit, date = "v1.2.0", "0123abcd", "2026-11-30T05:00:00Z"
	for _, arg := range []string{"version", "--version"} {
		out, code := run(t, "", arg)
		want := "sesame v1.2.0\ncommit: 0123abcd\nbuilt:  2026-11-30T05:00:00Z\ngo:     " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
		if code != 0 || out != want {
			t.Errorf("sesame %s: %d\n%s\nwant\n%s", arg, code, out, want)
		}
	}
	if _, code := run(t, "", "version", "extra"); code != 2 {
		t.Errorf("sesame version extra: exit %d, want 2", code)
	}
	if out, _ := run(t, "", "help"); !strings.Contains(out, "sesame version") {
		t.Errorf("the usage does not list `sesame version`:\n%s", out)
	}
}

// A plain `go build` (nothing stamped) says "dev" and what the toolchain
// recorded of the checkout; with nothing recorded, "unknown".
func TestVersionFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "fedcba98"},
		{Key: "vcs.time", Value: "2026-11-29T18:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	v := describeBuild("", "", "", bi)
	if v.Version != "dev" || v.Commit != "fedcba98 (with uncommitted changes)" || v.Date != "2026-11-29T18:00:00Z (commit time)" {
		t.Errorf("from build info: %+v", v)
	}
	// Stamped values win over the build info.
	v = describeBuild("v1.2.0", "0123abcd", "2026-11-30T05:00:00Z", bi)
	if v.Version != "v1.2.0" || v.Commit != "0123abcd" || v.Date != "2026-11-30T05:00:00Z" {
		t.Errorf("stamped: %+v", v)
	}
	v = describeBuild("", "", "", nil)
	if v.Version != "dev" || v.Commit != "unknown" || v.Date != "unknown" {
		t.Errorf("nothing known: %+v", v)
	}
}
