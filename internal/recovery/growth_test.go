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
func stepOneBytes(t *testing.T, f *fixture, n int, email func(i int) string, ip func(i int) string) (written, kept, month float64) {
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
	// A month and a day later, what is left is kept a year.
	if _, err := f.st.Sweep(f.clk.now().Add(audit.AggregateRetention + 25*time.Hour)); err != nil {
		t.Fatal(err)
	}
	later, err := f.st.Usage()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests: in use %d → %d bytes (%v), after the sweep %d (%v), a month later %d", n, before.Total(), after.Total(), after.Records, swept.Total(), swept.Records, later.Total())
	per := func(u store.Usage) float64 { return float64(u.Total()-before.Total()) / float64(n) }
	return per(after), per(swept), per(later)
}

// TestStepOneGrowthBounded holds step 1 to the growth the README
// states. Before hourly records, every request kept a 170-byte audit
// record for a year, whatever the address.
func TestStepOneGrowthBounded(t *testing.T) {
	for _, c := range []struct {
		name      string
		email, ip func(int) string
		// bytes per request: written (freed within a day), kept a month,
		// kept a year
		written, kept, year float64
	}{
		// A script from one client: one record an hour.
		{"unknown addresses, one client", func(i int) string { return fmt.Sprintf("x%d@exemple.org", i) }, func(int) string { return "203.0.113.7" }, 700, 16, 0},
		// A botnet, a client per request: one record each, for a month.
		{"unknown addresses, a client each", func(i int) string { return fmt.Sprintf("x%d@exemple.org", i) }, func(i int) string { return fmt.Sprintf("2001:db8::%x", i) }, 700, 256, 0},
		// One parent's address hammered: the codes it got are kept a
		// year, the refusals counted by the hour.
		{"one known address", func(int) string { return "luc@exemple.fr" }, func(int) string { return "203.0.113.7" }, 700, 40, 40},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t)
			f.rec.Audit = store.AuditLog{Store: f.st}
			written, kept, year := stepOneBytes(t, f, 300, c.email, c.ip)
			t.Logf("per request: %.0f bytes written, %.0f kept after a day, %.0f after a month", written, kept, year)
			if written > c.written || kept > c.kept || year > c.year {
				t.Errorf("per request: %.0f bytes written, %.0f kept after a day, %.0f after a month; want at most %.0f, %.0f, %.0f",
					written, kept, year, c.written, c.kept, c.year)
			}
		})
	}
}

// What the audit log says of step 1: a known address's code is an
// event of its own, kept a year; the same address pressing again in the
// cooldown and unknown addresses are counted per client and hour.
func TestStepOneAuditRecords(t *testing.T) {
	f := setup(t)
	f.rec.Audit = store.AuditLog{Store: f.st}
	ctx := audit.WithIP(context.Background(), "203.0.113.7")
	for _, email := range []string{"luc@exemple.fr", "luc@exemple.fr", "luc@exemple.fr", "a@inconnu.org", "b@inconnu.org"} {
		if _, _, err := f.rec.Start(ctx, email, "fr"); err != nil {
			t.Fatal(err)
		}
		f.clk.add(time.Second)
	}
	evs, err := f.st.Audit(time.Time{}, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%s %s ×%d", e.Kind, e.Account, e.Count))
	}
	want := []string{"recovery.started martin.luc ×0", "recovery.limited martin.luc ×2", "recovery.unknown  ×2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit records: %q\nwant %q", got, want)
	}
	if evs, _ := f.st.Audit(time.Time{}, "martin.luc"); len(evs) != 2 {
		t.Errorf("--account martin.luc: %+v; want its code and its refusals", evs)
	}
}
