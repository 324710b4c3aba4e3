package cli

import (
	"path/filepath"
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
