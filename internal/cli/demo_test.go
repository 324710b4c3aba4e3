package cli

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"sesame/internal/store"
)

// The demo parent is linked to two children, so the demo's code e-mail,
// step 3 and /espace show them; seeding again changes nothing.
func TestSeedDemoHasChildren(t *testing.T) {
	st, err := store.Create(filepath.Join(t.TempDir(), "demo.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := testServices(t, st)
	for range 2 {
		if err := seedDemo(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	a, err := s.accounts.Get(demoIdentifier)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.ChildrenLabel(), "Lucas (6e A), Emma (CM2)"; got != want {
		t.Errorf("demo children = %q, want %q", got, want)
	}
	for _, c := range a.Children {
		if c.LastName != "Dupont" || c.Key == "" {
			t.Errorf("demo child %+v", c)
		}
	}
	if _, err := s.accounts.Login(context.Background(), demoIdentifier, demoPassword); err != nil {
		t.Errorf("demo parent cannot sign in: %v", err)
	}
}
