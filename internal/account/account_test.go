package account_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/identity"
	"sesame/internal/importcsv"
	"sesame/internal/password"
	"sesame/internal/policy"
	"sesame/internal/store"
)

// fast keeps the tests quick; the real parameters are measured in the
// password package's benchmark.
var fast = &password.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type notifier struct{ n int }

func (n *notifier) Notify() { n.n++ }

func newService(t *testing.T) (*account.Service, *store.Store, *clock, *notifier) {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "s.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)}
	n := &notifier{}
	return &account.Service{
		Store: st, Hasher: password.New(fast, 2, time.Second), Policy: policy.Default(),
		Now: c.now, Mail: n, School: "Collège Jules Ferry",
	}, st, c, n
}

func add(t *testing.T, s *account.Service, id, pw string) account.Account {
	t.Helper()
	a, err := s.Add(context.Background(), account.Account{ID: id, LastName: "Dupont", FirstName: "Marie", Email: "Marie.Dupont@Exemple.fr"}, pw)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestLogin(t *testing.T) {
	s, _, _, _ := newService(t)
	ctx := context.Background()
	add(t, s, "dupont.marie", "Cartable-Vert-2026")
	add(t, s, "sans.mdp", "")
	add(t, s, "ferme.compte", "Cartable-Vert-2026")
	if _, err := s.SetState("ferme.compte", account.Disabled); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id, pw string
		ok     bool
	}{
		{"dupont.marie", "Cartable-Vert-2026", true},
		{"  Dupont.Marie ", "Cartable-Vert-2026", true}, // case and spaces from a phone keyboard
		{"dupont.marie", "cartable-vert-2026", false},
		{"dupont.marie", "", false},
		{"inconnu", "Cartable-Vert-2026", false},
		{"sans.mdp", "", false}, // never activated: no password can match
		{"ferme.compte", "Cartable-Vert-2026", false},
		{"<script>", "x", false},
	} {
		a, err := s.Login(ctx, c.id, c.pw)
		if c.ok && (err != nil || a.ID != "dupont.marie") {
			t.Errorf("Login(%q, %q) = %v, %v; want success", c.id, c.pw, a.ID, err)
		}
		if !c.ok && !errors.Is(err, account.ErrInvalidCredentials) {
			t.Errorf("Login(%q, %q) = %v; want ErrInvalidCredentials", c.id, c.pw, err)
		}
	}
}

func TestLoginRehashesOldParameters(t *testing.T) {
	s, st, _, _ := newService(t)
	a := add(t, s, "dupont.marie", "Cartable-Vert-2026")
	old := password.New(&password.Params{Memory: 512, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 1, time.Second)
	h, _ := old.Hash(context.Background(), "Cartable-Vert-2026")
	st.UpdateHash(a.ID, h)
	if _, err := s.Login(context.Background(), a.ID, "Cartable-Vert-2026"); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Account(a.ID)
	if got.PasswordHash == h || s.Hasher.NeedsRehash(got.PasswordHash) {
		t.Fatal("the hash was not upgraded at login")
	}
}

func TestSessions(t *testing.T) {
	s, _, c, _ := newService(t)
	a := add(t, s, "dupont.marie", "Cartable-Vert-2026")
	tok, err := s.NewSession(context.Background(), a)
	if err != nil || len(tok) < 40 {
		t.Fatalf("token %q, %v", tok, err)
	}
	if got, err := s.SessionAccount(tok); err != nil || got.ID != a.ID {
		t.Fatalf("SessionAccount = %v, %v", got.ID, err)
	}
	if _, err := s.SessionAccount(tok + "x"); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("forged token accepted: %v", err)
	}
	if _, err := s.SessionAccount(strings.Repeat("a", 5000)); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("huge token: %v", err)
	}
	c.t = c.t.Add(13 * time.Hour)
	if _, err := s.SessionAccount(tok); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("expired session accepted: %v", err)
	}
	c.t = c.t.Add(-13 * time.Hour)
	s.SetState(a.ID, account.Disabled)
	if _, err := s.SessionAccount(tok); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("session of a disabled account accepted: %v", err)
	}
	s.SetState(a.ID, account.Active)
	if err := s.Logout(tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionAccount(tok); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("session survived logout: %v", err)
	}
}

func TestChangePassword(t *testing.T) {
	s, st, _, n := newService(t)
	ctx := context.Background()
	a := add(t, s, "dupont.marie", "Cartable-Vert-2026")
	tok, _ := s.NewSession(context.Background(), a)
	var pe *account.PolicyError
	if err := s.ChangePassword(ctx, a.ID, "wrong", "Nouveau-2027x", "Nouveau-2027x", "en"); !errors.Is(err, account.ErrWrongPassword) {
		t.Fatalf("wrong current: %v", err)
	}
	if err := s.ChangePassword(ctx, a.ID, "Cartable-Vert-2026", "dupont2027", "dupont2027", "en"); !errors.As(err, &pe) || pe.Rules[0] != policy.Personal {
		t.Fatalf("password with the name: %v", err)
	}
	if err := s.ChangePassword(ctx, a.ID, "Cartable-Vert-2026", "Nouveau-2027x", "Nouveau-2027y", "en"); !errors.Is(err, account.ErrMismatch) {
		t.Fatalf("mismatch: %v", err)
	}
	if err := s.ChangePassword(ctx, a.ID, "Cartable-Vert-2026", "Ferry-2027x", "Ferry-2027x", "en"); !errors.As(err, &pe) || pe.Rules[0] != policy.Common {
		t.Fatalf("password with the school's name: %v", err)
	}
	if n.n != 0 {
		t.Fatal("mail worker woken by a refused change")
	}
	if err := s.ChangePassword(ctx, a.ID, "Cartable-Vert-2026", "Nouveau-2027x", "Nouveau-2027x", "en"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionAccount(tok); !errors.Is(err, account.ErrNoSession) {
		t.Fatal("session survived the password change")
	}
	if _, err := s.Login(ctx, a.ID, "Nouveau-2027x"); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	msgs, _ := st.Outbox()
	if len(msgs) != 1 || msgs[0].Lang != "en" || msgs[0].To != "marie.dupont@exemple.fr" || msgs[0].Identifiers[0] != a.ID || n.n != 1 {
		t.Fatalf("notice: %+v, notified %d", msgs, n.n)
	}
	if msgs[0].Code != "" {
		t.Fatal("a password-changed notice carries a code")
	}
}

func TestAddValidates(t *testing.T) {
	s, _, _, _ := newService(t)
	ctx := context.Background()
	for _, c := range []struct {
		a    account.Account
		want error
	}{
		{account.Account{ID: "x y", LastName: "A", FirstName: "B", Email: "a@b.fr"}, identity.ErrInvalidIdentifier},
		{account.Account{ID: "ab", LastName: "A", FirstName: "B", Email: "pas-une-adresse"}, identity.ErrInvalidEmail},
		{account.Account{ID: "ab", LastName: "A\r\nBcc: x@y.z", FirstName: "B", Email: "a@b.fr"}, identity.ErrInvalidName},
		{account.Account{ID: "ab", LastName: "A", FirstName: "", Email: "a@b.fr"}, identity.ErrInvalidName},
		{account.Account{ID: "ab", LastName: "Mimi\"", FirstName: "B", Email: "a@b.fr"}, identity.ErrInvalidName},
		{account.Account{ID: "ab", LastName: "A", FirstName: "B", Email: "a@b.fr", Lang: "de"}, account.ErrBadLang},
	} {
		if _, err := s.Add(ctx, c.a, ""); !errors.Is(err, c.want) {
			t.Errorf("Add(%+v) = %v, want %v", c.a, err, c.want)
		}
	}
	a, err := s.Add(ctx, account.Account{ID: "AB", LastName: " Ng ", FirstName: "Li", Email: " LI@B.FR "}, "")
	if err != nil || a.ID != "ab" || a.Email != "li@b.fr" || a.LastName != "Ng" || a.Activated() || a.State != account.Active {
		t.Fatalf("Add normalised: %+v, %v", a, err)
	}
	if _, err := s.Add(ctx, account.Account{ID: "ab", LastName: "X", FirstName: "Y", Email: "x@y.fr"}, ""); !errors.Is(err, account.ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestSetLang(t *testing.T) {
	s, st, c, _ := newService(t)
	add(t, s, "dupont.marie", "")
	c.t = c.t.Add(time.Hour)
	if err := s.SetLang("dupont.marie", "en"); err != nil {
		t.Fatal(err)
	}
	if a, _ := st.Account("dupont.marie"); a.Lang != "en" || !a.Updated.Equal(c.t) {
		t.Fatalf("after SetLang: lang %q, updated %s", a.Lang, a.Updated)
	}
	// The same language again writes nothing.
	c.t = c.t.Add(time.Hour)
	if err := s.SetLang("dupont.marie", "en"); err != nil {
		t.Fatal(err)
	}
	if a, _ := st.Account("dupont.marie"); !a.Updated.Equal(c.t.Add(-time.Hour)) {
		t.Fatalf("an unchanged language rewrote the account: updated %s", a.Updated)
	}
	for _, tc := range []struct {
		id, lang string
		want     error
	}{
		{"dupont.marie", "de", account.ErrBadLang},
		{"dupont.marie", "", account.ErrBadLang},
		{"personne", "fr", account.ErrNotFound},
	} {
		if err := s.SetLang(tc.id, tc.lang); !errors.Is(err, tc.want) {
			t.Errorf("SetLang(%q, %q) = %v, want %v", tc.id, tc.lang, err, tc.want)
		}
	}
	if a, _ := st.Account("dupont.marie"); a.Lang != "en" {
		t.Fatalf("a refused SetLang changed the language to %q", a.Lang)
	}
}

func TestImportIsIdempotent(t *testing.T) {
	s, st, _, _ := newService(t)
	csv := "Identifiant;Nom;Prénom;E-mail;Langue\n" +
		"dupont.marie;Dupont;Marie;famille.dupont@exemple.fr;fr\n" +
		";Dupont;Paul;famille.dupont@exemple.fr;en\n" +
		";Martin;Léa;lea.martin@exemple.fr;\n"
	res, err := importcsv.Parse(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.Import(res, account.ImportOptions{})
	if err != nil || !sum.Written || len(sum.Created) != 3 || len(sum.Updated) != 0 || sum.Unchanged != 0 || len(sum.Rejected) != 0 {
		t.Fatalf("first import: %+v, %v", sum, err)
	}
	// A parent sets a password; a re-import must not touch it.
	if _, err := s.AdminSetPassword(context.Background(), "dupont.marie", "Cartable-Vert-2026"); err != nil {
		t.Fatal(err)
	}
	before, _ := st.Account("dupont.marie")
	res, _ = importcsv.Parse(strings.NewReader(csv))
	sum, err = s.Import(res, account.ImportOptions{})
	if err != nil || !sum.Written || len(sum.Created) != 0 || len(sum.Updated) != 0 || sum.Unchanged != 3 {
		t.Fatalf("re-import: %+v, %v", sum, err)
	}
	after, _ := st.Account("dupont.marie")
	if !reflect.DeepEqual(after, before) {
		t.Fatalf("re-import changed an account:\n%+v\n%+v", before, after)
	}
	paul, err := st.Account("dupont.paul")
	if err != nil || paul.Lang != "en" {
		t.Fatalf("generated identifier: %+v, %v", paul, err)
	}
	if _, err := st.Account("martin.lea"); err != nil {
		t.Fatalf("accented name identifier: %v", err)
	}
	// A changed e-mail updates the account, keeps its password.
	res, _ = importcsv.Parse(strings.NewReader("Identifiant;Nom;Prénom;E-mail\ndupont.marie;Dupont;Marie;marie@exemple.fr\n"))
	sum, _ = s.Import(res, account.ImportOptions{})
	after, _ = st.Account("dupont.marie")
	if len(sum.Updated) != 1 || after.Email != "marie@exemple.fr" || after.PasswordHash != before.PasswordHash {
		t.Fatalf("update: %+v %+v", sum, after)
	}
}

func TestImportWithBadRows(t *testing.T) {
	s, st, _, _ := newService(t)
	csv := "Nom;Prénom;E-mail\nDupont;Marie;m@exemple.fr\nMartin;;l@exemple.fr\n"
	res, _ := importcsv.Parse(strings.NewReader(csv))
	sum, err := s.Import(res, account.ImportOptions{})
	if err != nil || sum.Written || len(sum.Rejected) != 1 || sum.Rejected[0].Line != 3 {
		t.Fatalf("import with a bad row: %+v, %v", sum, err)
	}
	if all, _ := st.Accounts(); len(all) != 0 {
		t.Fatalf("a refused import wrote %d accounts", len(all))
	}
	res, _ = importcsv.Parse(strings.NewReader(csv))
	sum, _ = s.Import(res, account.ImportOptions{SkipInvalid: true})
	if !sum.Written || len(sum.Created) != 1 || len(sum.Rejected) != 1 {
		t.Fatalf("--skip-invalid: %+v", sum)
	}
}
