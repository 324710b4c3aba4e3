package cli

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"sesame/internal/store"
)

// newDataFile makes an empty data file in dir, as `serve` does at its
// first start: admin commands never create one.
func newDataFile(t *testing.T, dir string) string {
	t.Helper()
	data := filepath.Join(dir, "s.db")
	st, err := store.Create(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return data
}

// permissionDenied names the file's owner and the command to run as
// that user (issue 12).
func TestPermissionDeniedNamesOwner(t *testing.T) {
	if os.Geteuid() != 0 || runtime.GOOS != "linux" {
		t.Skip("needs root on Linux to give a file to nobody")
	}
	data := newDataFile(t, t.TempDir())
	if err := os.Chown(data, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	permissionDenied(&b, data, data, []string{"accounts", "list"})
	want := "sesame: permission denied on " + data + ": admin commands run as the user the server runs as: it belongs to the user nobody; run the command as that user:\n  sudo -u nobody sesame accounts list --data " + data + "\n"
	if b.String() != want {
		t.Fatalf("got %q\nwant %q", b.String(), want)
	}
}
