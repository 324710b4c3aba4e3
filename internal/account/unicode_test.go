package account_test

import (
	"context"
	"testing"

	"sesame/internal/account"
)

// The same password typed with composed accents (é, U+00E9) or decomposed
// ones (e + U+0301) is one password: every way of setting it and every
// way of checking it agree (NIST SP 800-63B 5.1.1.2, issue 11 defect 10).
const (
	composed   = "Forêt-d\u00e9t\u00e9-2026"
	decomposed = "Fore\u0302t-de\u0301te\u0301-2026"
)

func TestPasswordUnicodeForms(t *testing.T) {
	if composed == decomposed {
		t.Fatal("the two forms must differ in bytes")
	}
	ctx := context.Background()
	forms := []struct{ name, set, use string }{
		{"set composed, use decomposed", composed, decomposed},
		{"set decomposed, use composed", decomposed, composed},
	}
	setters := []struct {
		name string
		set  func(t *testing.T, s *account.Service, pw string)
	}{
		{"Add", func(t *testing.T, s *account.Service, pw string) { add(t, s, "dupont.marie", pw) }},
		{"SetPassword", func(t *testing.T, s *account.Service, pw string) {
			add(t, s, "dupont.marie", "")
			if _, err := s.SetPassword(ctx, "dupont.marie", pw, pw, "fr"); err != nil {
				t.Fatal(err)
			}
		}},
		{"AdminSetPassword", func(t *testing.T, s *account.Service, pw string) {
			add(t, s, "dupont.marie", "")
			if _, err := s.AdminSetPassword(ctx, "Dupont.Marie", pw); err != nil {
				t.Fatal(err)
			}
		}},
		{"ChangePassword", func(t *testing.T, s *account.Service, pw string) {
			add(t, s, "dupont.marie", "Cartable-Vert-2026")
			if err := s.ChangePassword(ctx, "dupont.marie", "Cartable-Vert-2026", pw, pw, "fr"); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, f := range forms {
		for _, set := range setters {
			t.Run(f.name+"/"+set.name, func(t *testing.T) {
				s, _, _, _ := newService(t)
				set.set(t, s, f.set)
				if _, err := s.Login(ctx, "dupont.marie", f.use); err != nil {
					t.Fatalf("Login with the other form: %v", err)
				}
				// The current password, typed in the other form, is accepted
				// to change it; the confirmation may be typed in either form.
				if err := s.ChangePassword(ctx, "dupont.marie", f.use, "Cartable-2027x", "Cartable-2027x", "fr"); err != nil {
					t.Fatalf("ChangePassword with the current one in the other form: %v", err)
				}
				if _, err := s.SetPassword(ctx, "dupont.marie", f.set, f.use, "fr"); err != nil {
					t.Fatalf("SetPassword with the confirmation in the other form: %v", err)
				}
				if err := s.CheckNew(account.Account{ID: "x"}, f.set, f.use); err != nil {
					t.Fatalf("CheckNew with the confirmation in the other form: %v", err)
				}
			})
		}
	}
}
