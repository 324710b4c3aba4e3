//go:build !windows

package cli

import (
	"fmt"
	"io"
)

// serviceOnlyWindows is what `sesame service …` says elsewhere: the
// service manager of other systems is driven by its own files.
const serviceOnlyWindows = "sesame service: Windows only; on Linux use the systemd unit in packaging/systemd (see README)"

func runService(_ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, serviceOnlyWindows)
	return 2
}
