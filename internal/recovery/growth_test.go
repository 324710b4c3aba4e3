package recovery_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"sesame/internal/audit"
	"sesame/internal/store"
)

// stepOneBytes posts step 1 n times, each for a new unknown address
// from one client address, a few seconds apart (the per-client limit
// allows 3 a minute), and returns the bytes in use in the data file
// right after and once everything that expires has been swept.
func stepOneBytes(t *testing.T, f *fixture, n int, email func(i int) string, ip func(i int) string) (written, kept float64) {
	t.Helper()
	ctx := context.Background()
	before, err := f.st.Usage()
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, _, err := f.rec.Start(audit.WithIP(ctx, ip(i)), email(i), "fr"); err != nil {
			t.Fatal(err)
		}
		f.clk.add(20 * time.Second)
	}
	after, err := f.st.Usage()
	if err != nil {
		t.Fatal(err)
	}
	// A day later, flows, codes and code logs have expired.
	if _, err := f.st.Sweep(f.clk.now().Add(25 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	swept, err := f.st.Usage()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests: in use %d → %d bytes (%v), after the sweep %d (%v)", n, before.Total(), after.Total(), after.Records, swept.Total(), swept.Records)
	return float64(after.Total()-before.Total()) / float64(n), float64(swept.Total()-before.Total()) / float64(n)
}

// TestStepOneGrowthMeasured reports what step 1 writes and keeps per
// request, for unknown and known addresses.
func TestStepOneGrowthMeasured(t *testing.T) {
	for _, c := range []struct {
		name      string
		email, ip func(int) string
	}{
		{"unknown addresses, one client", func(i int) string { return fmt.Sprintf("x%d@exemple.org", i) }, func(int) string { return "203.0.113.7" }},
		{"unknown addresses, a client each", func(i int) string { return fmt.Sprintf("x%d@exemple.org", i) }, func(i int) string { return fmt.Sprintf("2001:db8::%x", i) }},
		{"one known address", func(int) string { return "luc@exemple.fr" }, func(int) string { return "203.0.113.7" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t)
			f.rec.Audit = store.AuditLog{Store: f.st}
			written, kept := stepOneBytes(t, f, 300, c.email, c.ip)
			t.Logf("per request: %.0f bytes written, %.0f bytes kept after the sweep", written, kept)
		})
	}
}
