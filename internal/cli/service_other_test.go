//go:build !windows

package cli

import (
	"strings"
	"testing"
)

func TestServiceElsewhere(t *testing.T) {
	for _, args := range [][]string{{"service", "install"}, {"service"}, {"service", "--help"}} {
		var stdout, stderr strings.Builder
		if code := Main(args, strings.NewReader(""), &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if got := stderr.String(); !strings.Contains(got, "Windows only; on Linux use the systemd unit in packaging/systemd (see README)") {
			t.Errorf("%q: said %q", args, got)
		}
	}
}
