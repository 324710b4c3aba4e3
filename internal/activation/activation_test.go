package activation_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/audit"
	"sesame/internal/mail/outbox"
	"sesame/internal/password"
	"sesame/internal/policy"
	"sesame/internal/store"
)

var (
	fast = &password.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	ctx0 = context.Background()
	t0   = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
)

const newPassword = "Cartable-Vert-2026"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	act *activation.Service
	acc *account.Service
	st  *store.Store
	clk *clock
}

// setup is a real data file with an imported family: two adults without
// a password (one without an e-mail address), one who has a password
// already, one disabled.
func setup(t testing.TB) *fixture {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "s.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: t0}
	acc := &account.Service{Store: st, Hasher: password.New(fast, 2, time.Second), Policy: policy.Default(), Now: clk.now}
	act := &activation.Service{Store: st, Accounts: acc, Secret: st.Secret(), Config: activation.DefaultConfig, Now: clk.now}
	for _, a := range []struct {
		account.Account
		pw string
	}{
		{account.Account{ID: "dupont.marie", LastName: "Dupont", FirstName: "Marie", Email: "famille@exemple.fr"}, ""},
		{account.Account{ID: "dupont.paul", LastName: "Dupont", FirstName: "Paul", Email: "famille@exemple.fr"}, ""},
		{account.Account{ID: "martin.luc", LastName: "Martin", FirstName: "Luc", Email: "luc@exemple.fr"}, "Trousse-4821-Velo"},
		{account.Account{ID: "ferme.anne", LastName: "Ferme", FirstName: "Anne", Email: "anne@exemple.fr"}, ""},
	} {
		if _, err := acc.Add(ctx0, a.Account, a.pw); err != nil {
			t.Fatal(err)
		}
	}
	// An adult the school has no address for: the letter is their only way in.
	now := clk.now()
	if err := st.CreateAccount(account.Account{ID: "nguyen.lan", LastName: "Nguyen", FirstName: "Lan", State: account.Active, Created: now, Updated: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.SetState("ferme.anne", account.Disabled); err != nil {
		t.Fatal(err)
	}
	return &fixture{act: act, acc: acc, st: st, clk: clk}
}

func (f *fixture) issue(t testing.TB, id string) string {
	t.Helper()
	code, _, err := f.act.Issue(ctx0, id, activation.ViaLetter)
	if err != nil {
		t.Fatalf("issue %s: %v", id, err)
	}
	return code
}

// kinds returns the kinds of the audit events about account id, in order.
func (f *fixture) kinds(t testing.TB, id string) []audit.Kind {
	t.Helper()
	evs, err := f.st.Audit(time.Time{}, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Kind
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

// other is a code that is surely not code: its last character changed.
func other(code string) string {
	last := code[len(code)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return code[:len(code)-1] + string(repl)
}

func TestNormalizeCode(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"K7QM-4RXP-9TDW", "K7QM4RXP9TDW"},
		{"k7qm 4rxp 9tdw", "K7QM4RXP9TDW"},
		{" K7QM4RXP9TDW ", "K7QM4RXP9TDW"},
		{"K7QM.4RXP.9TDW", "K7QM4RXP9TDW"},
		{"K7QM\u00a04RXP\u202f9TDW", "K7QM4RXP9TDW"}, // spaces a phone's keyboard or a PDF reader pastes
		{"K7QM\u20114RXP\u20139TDW", "K7QM4RXP9TDW"}, // dashes likewise
		{"o0iI-lL10-OoOo", "001111100000"},           // look-alikes read as Crockford says
		{"K7QM-4RXP-9TD", ""},                        // too short
		{"K7QM-4RXP-9TDWX", ""},                      // too long
		{"K7QM-4RXP-9TDU", ""},                       // U is not in the alphabet
		{"K7QM-4RXP-9TD!", ""},
		{"K7QM-4RXP-9TDÉ", ""},
		{"", ""},
		{strings.Repeat(" ", 70) + "K7QM4RXP9TDW", ""}, // too long to read at all
	} {
		got, err := activation.NormalizeCode(c.in)
		if c.want == "" {
			if !errors.Is(err, activation.ErrCodeFormat) || got != "" {
				t.Errorf("NormalizeCode(%q) = %q, %v; want ErrCodeFormat", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if g := activation.Group("k7qm4rxp9tdw"); g != "K7QM-4RXP-9TDW" {
		t.Errorf("Group = %q", g)
	}
	if g := activation.Group("not a code"); g != "not a code" {
		t.Errorf("Group of a non-code = %q", g)
	}
}

func TestLink(t *testing.T) {
	for _, c := range []struct{ base, want string }{
		{"https://parents.ecole.fr", "https://parents.ecole.fr/activation?id=dupont.marie&code=K7QM-4RXP-9TDW"},
		{"https://parents.ecole.fr/", "https://parents.ecole.fr/activation?id=dupont.marie&code=K7QM-4RXP-9TDW"},
		{"https://college.fr/parents", "https://college.fr/parents/activation?id=dupont.marie&code=K7QM-4RXP-9TDW"},
		{"https://college.fr/parents/", "https://college.fr/parents/activation?id=dupont.marie&code=K7QM-4RXP-9TDW"},
	} {
		if got := activation.Link(c.base, "dupont.marie", "k7qm4rxp9tdw"); got != c.want {
			t.Errorf("Link(%q) = %q; want %q", c.base, got, c.want)
		}
	}
	// An identifier with characters a URL must escape stays one value.
	if got := activation.Link("https://e.fr", "a&b=c", "K7QM4RXP9TDW"); got != "https://e.fr/activation?id=a%26b%3Dc&code=K7QM-4RXP-9TDW" {
		t.Errorf("escaped link = %q", got)
	}
}

// Codes are 12 characters of the alphabet, grouped by four, different
// each time, and only their HMAC is stored.
func TestIssue(t *testing.T) {
	f := setup(t)
	seen := map[string]bool{}
	for range 200 {
		code := f.issue(t, "dupont.marie")
		if len(code) != 14 || code[4] != '-' || code[9] != '-' {
			t.Fatalf("code %q is not grouped as K7QM-4RXP-9TDW", code)
		}
		n, err := activation.NormalizeCode(code)
		if err != nil || n != strings.ReplaceAll(code, "-", "") {
			t.Fatalf("issued code %q does not read back: %q, %v", code, n, err)
		}
		if seen[code] {
			t.Fatalf("code %q issued twice", code)
		}
		seen[code] = true
	}
	code, expires, err := f.act.Issue(ctx0, " Dupont.Paul ", activation.ViaLetter)
	if err != nil || !expires.Equal(t0.Add(8*7*24*time.Hour)) {
		t.Fatalf("Issue = %q, %s, %v", code, expires, err)
	}
	c, err := f.st.ActivationCode("dupont.paul")
	if err != nil || len(c.MAC) != 32 || strings.Contains(string(c.MAC), strings.ReplaceAll(code, "-", "")) ||
		c.Via != activation.ViaLetter || !c.Created.Equal(t0) || !c.Expires.Equal(expires) {
		t.Fatalf("stored code: %+v, %v", c, err)
	}
	evs, _ := f.st.Audit(time.Time{}, "dupont.paul")
	if len(evs) != 1 || evs[0].Kind != audit.ActivationIssued || !strings.Contains(evs[0].Detail, "letter") {
		t.Fatalf("audit: %+v", evs)
	}
	for _, e := range evs {
		if strings.Contains(fmt.Sprintf("%+v", e), strings.ReplaceAll(code, "-", "")) || strings.Contains(fmt.Sprintf("%+v", e), code) {
			t.Fatalf("the audit log holds the code: %+v", e)
		}
	}
}

// Issue refuses accounts a code must not be given to; IssueMany goes
// on with the others and issues one code per account named twice.
func TestIssueRefusals(t *testing.T) {
	f := setup(t)
	for id, want := range map[string]error{
		"personne":   account.ErrNotFound,
		"pas valide": account.ErrNotFound,
		"ferme.anne": activation.ErrDisabled,
		"martin.luc": activation.ErrActivated,
	} {
		if code, _, err := f.act.Issue(ctx0, id, activation.ViaLetter); !errors.Is(err, want) || code != "" {
			t.Errorf("Issue(%s) = %q, %v; want %v", id, code, err, want)
		}
	}
	out, err := f.act.IssueMany(ctx0, []string{"dupont.marie", "personne", "DUPONT.MARIE", "nguyen.lan", "martin.luc"}, activation.ViaInvite)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 5 || out[0].Code == "" || out[0].Err != nil || out[2] != out[0] || out[3].Code == "" || out[3].Code == out[0].Code ||
		!errors.Is(out[1].Err, account.ErrNotFound) || !errors.Is(out[4].Err, activation.ErrActivated) || out[4].Code != "" {
		t.Fatalf("IssueMany = %+v", out)
	}
	recs, _ := f.st.ActivationRecords()
	if len(recs) != 2 || recs["dupont.marie"].History.Count != 1 {
		t.Fatalf("records: %+v", recs)
	}
	if got := f.kinds(t, "martin.luc"); len(got) != 0 {
		t.Fatalf("a refused account was audited as issued: %v", got)
	}
}

// The whole activation: the code gives a flow, the password policy
// applies, the password is set, the code dies with it, the parent signs
// in; the same code again is refused.
func TestActivate(t *testing.T) {
	f := setup(t)
	code := f.issue(t, "dupont.marie")
	tok, fl, err := f.act.Verify(ctx0, "", " Dupont.Marie", strings.ToLower(strings.ReplaceAll(code, "-", " ")), "en")
	if err != nil || tok == "" || fl.State != activation.Verified || fl.Account != "dupont.marie" || fl.Lang != "en" ||
		!fl.Expires.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("Verify = %q, %+v, %v", tok, fl, err)
	}
	// Nothing changed on the account yet.
	if a, _ := f.acc.Get("dupont.marie"); a.Activated() || a.Lang != "" {
		t.Fatalf("the account changed before the password: %+v", a)
	}
	var pe *account.PolicyError
	if _, err := f.act.SetPassword(ctx0, tok, "azerty123", "azerty123"); !errors.As(err, &pe) {
		t.Fatalf("a common password: %v", err)
	}
	if _, err := f.act.SetPassword(ctx0, tok, newPassword, newPassword+"x"); !errors.Is(err, account.ErrMismatch) {
		t.Fatalf("a mismatch: %v", err)
	}
	fl, err = f.act.SetPassword(ctx0, tok, newPassword, newPassword)
	if err != nil || fl.State != activation.Done {
		t.Fatalf("SetPassword = %+v, %v", fl, err)
	}
	if _, err := f.act.SetPassword(ctx0, tok, newPassword, newPassword); !errors.Is(err, activation.ErrStepDone) {
		t.Fatalf("the password posted again: %v", err)
	}
	if a, err := f.acc.Login(ctx0, "dupont.marie", newPassword); err != nil || a.Lang != "en" {
		t.Fatalf("login after activation: %+v, %v", a, err)
	}
	if _, err := f.st.ActivationCode("dupont.marie"); !errors.Is(err, activation.ErrNoCode) {
		t.Fatalf("the code outlived the activation: %v", err)
	}
	msgs, _ := f.st.Outbox()
	if len(msgs) != 1 || msgs[0].Kind != outbox.KindPasswordChanged || msgs[0].To != "famille@exemple.fr" || msgs[0].Lang != "en" {
		t.Fatalf("outbox: %+v", msgs)
	}
	// The same browser, the same identifier: the confirmation again.
	if _, _, err := f.act.Verify(ctx0, tok, "dupont.marie", code, "en"); !errors.Is(err, activation.ErrStepDone) {
		t.Fatalf("the code again in the same browser: %v", err)
	}
	// Another browser: refused, counted as a used code.
	var r *activation.Refused
	if _, _, err := f.act.Verify(ctx0, "", "dupont.marie", code, "en"); !errors.As(err, &r) || r.Left != 4 {
		t.Fatalf("a used code: %v", err)
	}
	want := []audit.Kind{audit.ActivationIssued, audit.ActivationOK, audit.PasswordChanged, audit.ActivationUsed}
	if got := f.kinds(t, "dupont.marie"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("audit = %v; want %v", got, want)
	}
}

// An adult without an e-mail address activates too; no "password
// changed" e-mail is queued to nowhere.
func TestActivateWithoutEmail(t *testing.T) {
	f := setup(t)
	code := f.issue(t, "nguyen.lan")
	tok, _, err := f.act.Verify(ctx0, "", "nguyen.lan", code, "fr")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.act.SetPassword(ctx0, tok, newPassword, newPassword); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := f.st.Outbox(); len(msgs) != 0 {
		t.Fatalf("e-mails queued for an account without an address: %+v", msgs)
	}
	if _, err := f.acc.Login(ctx0, "nguyen.lan", newPassword); err != nil {
		t.Fatal(err)
	}
}

// Every refusal looks the same from outside: a *Refused with the tries
// left, counted alike for every identifier. The audit log tells them
// apart.
func TestRefusalsLookAlike(t *testing.T) {
	f := setup(t)
	marie := f.issue(t, "dupont.marie")
	paul := f.issue(t, "dupont.paul")
	lan := f.issue(t, "nguyen.lan")
	f.acc.SetState("ferme.anne", account.Active) // issued, then disabled
	f.issue(t, "ferme.anne")
	f.acc.SetState("ferme.anne", account.Disabled)
	// nguyen.lan's code was revoked by a newer letter.
	f.issue(t, "nguyen.lan")
	if _, err := f.acc.Add(ctx0, account.Account{ID: "petit.jean", LastName: "Petit", FirstName: "Jean", Email: "jean@exemple.fr"}, ""); err != nil {
		t.Fatal(err)
	}
	f.clk.add(8*7*24*time.Hour - time.Second)
	paulLate := paul
	cases := []struct {
		name, id, code string
		kind           audit.Kind
	}{
		{"wrong code", "dupont.marie", other(marie), audit.ActivationWrong},
		{"another account's code", "dupont.paul", marie, audit.ActivationWrong},
		{"revoked code", "nguyen.lan", lan, audit.ActivationWrong},
		{"account with a password", "martin.luc", marie, audit.ActivationUsed},
		{"disabled account", "ferme.anne", marie, audit.ActivationDisabled},
		{"unknown identifier", "personne.inconnue", marie, audit.ActivationUnknown},
		{"no code issued", "petit.jean", marie, audit.ActivationNoCode},
	}
	for _, c := range cases {
		_, _, err := f.act.Verify(ctx0, "", c.id, c.code, "fr")
		var r *activation.Refused
		if !errors.As(err, &r) || r.Left != 4 || r.Identifier != c.id || err.Error() != (&activation.Refused{Left: 4}).Error() {
			t.Errorf("%s: %v; want the same refusal, 4 tries left", c.name, err)
		}
	}
	// The right code one second too late.
	f.clk.add(time.Second)
	if _, _, err := f.act.Verify(ctx0, "", "dupont.paul", paulLate, "fr"); err == nil || err.Error() != (&activation.Refused{Left: 3}).Error() {
		t.Errorf("expired code: %v; want the same refusal, 3 tries left", err)
	}
	cases = append(cases, struct {
		name, id, code string
		kind           audit.Kind
	}{"expired", "dupont.paul", paul, audit.ActivationExpired})
	for _, c := range cases {
		who := c.id
		if c.kind == audit.ActivationUnknown {
			who = "" // counted per client address, not per made-up identifier
		}
		evs, _ := f.st.Audit(t0.Add(time.Hour), who)
		found := false
		for _, e := range evs {
			found = found || e.Kind == c.kind
		}
		if !found {
			t.Errorf("%s: no %s event for %s in %+v", c.name, c.kind, c.id, evs)
		}
	}
}

// A code is valid until its expiry, to the second.
func TestCodeExpiry(t *testing.T) {
	f := setup(t)
	f.act.Config.CodeTTL = 2 * time.Hour
	code := f.issue(t, "dupont.marie")
	f.clk.add(2*time.Hour - time.Second)
	tok, _, err := f.act.Verify(ctx0, "", "dupont.marie", code, "fr")
	if err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	// Once accepted, the browser has the flow's 30 minutes to choose.
	f.clk.add(10 * time.Minute)
	if _, err := f.act.SetPassword(ctx0, tok, newPassword, newPassword); err != nil {
		t.Fatalf("password chosen after the code's expiry, within the flow: %v", err)
	}
	code = f.issue(t, "dupont.paul")
	f.clk.add(2 * time.Hour)
	if _, _, err := f.act.Verify(ctx0, "", "dupont.paul", code, "fr"); !errors.Is(err, activation.ErrRefused) {
		t.Fatalf("at expiry: %v", err)
	}
}

// A new letter revokes the old code, even in a browser that was given
// it and has not chosen the password yet.
func TestNewCodeRevokesOld(t *testing.T) {
	f := setup(t)
	old := f.issue(t, "dupont.marie")
	tok, _, err := f.act.Verify(ctx0, "", "dupont.marie", old, "fr")
	if err != nil {
		t.Fatal(err)
	}
	fresh := f.issue(t, "dupont.marie")
	if _, err := f.act.SetPassword(ctx0, tok, newPassword, newPassword); !errors.Is(err, activation.ErrRevoked) {
		t.Fatalf("password with a revoked code: %v", err)
	}
	if _, err := f.act.Get(tok); !errors.Is(err, activation.ErrNoFlow) {
		t.Fatalf("the revoked flow lives on: %v", err)
	}
	if a, _ := f.acc.Get("dupont.marie"); a.Activated() {
		t.Fatal("a revoked code set the password")
	}
	if _, _, err := f.act.Verify(ctx0, "", "dupont.marie", old, "fr"); !errors.Is(err, activation.ErrRefused) {
		t.Fatalf("the old code: %v", err)
	}
	if _, _, err := f.act.Verify(ctx0, "", "dupont.marie", fresh, "fr"); err != nil {
		t.Fatalf("the new code: %v", err)
	}
}

// A password set any other way (recovery, the admin) deletes the code.
func TestPasswordElsewhereRevokes(t *testing.T) {
	f := setup(t)
	code := f.issue(t, "dupont.marie")
	if _, err := f.acc.AdminSetPassword(ctx0, "dupont.marie", newPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ActivationCode("dupont.marie"); !errors.Is(err, activation.ErrNoCode) {
		t.Fatalf("the code outlived the password: %v", err)
	}
	if _, _, err := f.act.Verify(ctx0, "", "dupont.marie", code, "fr"); !errors.Is(err, activation.ErrRefused) {
		t.Fatalf("the code after the password was set: %v", err)
	}
	if got := f.kinds(t, "dupont.marie"); got[len(got)-1] != audit.ActivationUsed {
		t.Fatalf("audit: %v", got)
	}
	// And a letter cannot be made for it any more.
	if _, _, err := f.act.Issue(ctx0, "dupont.marie", activation.ViaLetter); !errors.Is(err, activation.ErrActivated) {
		t.Fatalf("a code for an activated account: %v", err)
	}
}

// An accepted code belongs to the browser that typed it until its flow
// ends: another browser is refused, the same one resumes, and Annuler
// or the flow's end frees the code.
func TestClaim(t *testing.T) {
	f := setup(t)
	code := f.issue(t, "dupont.marie")
	a, _, err := f.act.Verify(ctx0, "", "dupont.marie", code, "fr")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.act.Verify(ctx0, "", "dupont.marie", code, "fr"); !errors.Is(err, activation.ErrRefused) {
		t.Fatalf("another browser while the first holds the code: %v", err)
	}
	if again, fl, err := f.act.Verify(ctx0, a, "DUPONT.MARIE", code, "fr"); err != nil || again != a || fl.State != activation.Verified {
		t.Fatalf("the same browser again: %q, %+v, %v", again, fl, err)
	}
	if err := f.act.Cancel(a); err != nil {
		t.Fatal(err)
	}
	b, _, err := f.act.Verify(ctx0, "", "dupont.marie", code, "fr")
	if err != nil {
		t.Fatalf("after Annuler: %v", err)
	}
	if _, err := f.act.SetPassword(ctx0, a, newPassword, newPassword); !errors.Is(err, activation.ErrNoFlow) {
		t.Fatalf("the cancelled flow: %v", err)
	}
	f.clk.add(30 * time.Minute)
	if _, err := f.act.Get(b); !errors.Is(err, activation.ErrNoFlow) {
		t.Fatalf("a flow past its 30 minutes: %v", err)
	}
	c, _, err := f.act.Verify(ctx0, "", "dupont.marie", code, "fr")
	if err != nil {
		t.Fatalf("once the flow expired, the letter works again: %v", err)
	}
	if _, err := f.act.SetPassword(ctx0, c, newPassword, newPassword); err != nil {
		t.Fatal(err)
	}
	if got := f.kinds(t, "dupont.marie"); strings.Count(fmt.Sprint(got), string(audit.ActivationUsed)) != 1 {
		t.Fatalf("audit: %v", got)
	}
}

// Five refusals in 15 minutes lock an identifier, known or not, right
// code or not, until the first of them is 15 minutes old; other
// identifiers are not affected.
func TestTriesLock(t *testing.T) {
	for _, id := range []string{"dupont.marie", "personne.inconnue"} {
		t.Run(id, func(t *testing.T) {
			f := setup(t)
			code := f.issue(t, "dupont.marie")
			paul := f.issue(t, "dupont.paul")
			first := f.clk.now()
			for i := 1; i <= 5; i++ {
				_, _, err := f.act.Verify(ctx0, "", id, other(code), "fr")
				var r *activation.Refused
				var l *activation.Locked
				switch {
				case i < 5 && errors.As(err, &r) && r.Left == 5-i:
				case i == 5 && errors.As(err, &l) && l.Until.Equal(first.Add(15*time.Minute)):
				default:
					t.Fatalf("refusal %d: %v", i, err)
				}
				f.clk.add(time.Minute)
			}
			var l *activation.Locked
			if _, _, err := f.act.Verify(ctx0, "", id, code, "fr"); !errors.As(err, &l) || !l.Until.Equal(first.Add(15*time.Minute)) {
				t.Fatalf("the right code while locked: %v", err)
			}
			if _, _, err := f.act.Verify(ctx0, "", "dupont.paul", paul, "fr"); err != nil {
				t.Fatalf("another identifier: %v", err)
			}
			f.clk.t = first.Add(15 * time.Minute)
			_, _, err := f.act.Verify(ctx0, "", id, code, "fr")
			if id == "dupont.marie" && err != nil {
				t.Fatalf("the right code once the first refusal is 15 minutes old: %v", err)
			}
			var r *activation.Refused
			if id != "dupont.marie" && (!errors.As(err, &r) || r.Left != 0) && !errors.As(err, &l) {
				t.Fatalf("unknown identifier after the lock: %v", err)
			}
		})
	}
}

// Parallel guesses cannot get past the limit: the count is taken in
// the same transaction as the check.
func TestTriesParallel(t *testing.T) {
	f := setup(t)
	code := f.issue(t, "dupont.marie")
	var wg sync.WaitGroup
	var mu sync.Mutex
	refused, locked := 0, 0
	for range 20 {
		wg.Go(func() {
			_, _, err := f.act.Verify(ctx0, "", "dupont.marie", other(code), "fr")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, activation.ErrRefused):
				refused++
			case errors.Is(err, activation.ErrLocked):
				locked++
			default:
				t.Errorf("guess: %v", err)
			}
		})
	}
	wg.Wait()
	if refused != 4 || locked != 16 {
		t.Fatalf("%d refused, %d locked; want 4 and 16", refused, locked)
	}
	if _, _, err := f.act.Verify(ctx0, "", "dupont.marie", code, "fr"); !errors.Is(err, activation.ErrLocked) {
		t.Fatalf("the right code after the flood: %v", err)
	}
}

// Malformed input is told apart (it says nothing about the account) and
// not counted.
func TestBadInput(t *testing.T) {
	f := setup(t)
	code := f.issue(t, "dupont.marie")
	for range 10 {
		if _, _, err := f.act.Verify(ctx0, "", "dupont marie!", code, "fr"); !errors.Is(err, activation.ErrBadIdentifier) {
			t.Fatalf("bad identifier: %v", err)
		}
		if _, _, err := f.act.Verify(ctx0, "", "dupont.marie", "1234", "fr"); !errors.Is(err, activation.ErrCodeFormat) {
			t.Fatalf("bad code: %v", err)
		}
	}
	if _, _, err := f.act.Verify(ctx0, "", "dupont.marie", code, "fr"); err != nil {
		t.Fatalf("malformed input was counted: %v", err)
	}
	if _, err := f.act.SetPassword(ctx0, "", newPassword, newPassword); !errors.Is(err, activation.ErrNoFlow) {
		t.Fatalf("no flow: %v", err)
	}
	if _, err := f.act.SetPassword(ctx0, strings.Repeat("x", 200), newPassword, newPassword); !errors.Is(err, activation.ErrNoFlow) {
		t.Fatalf("an oversized token: %v", err)
	}
}

// A disabled account's flow cannot set a password.
func TestDisabledDuringFlow(t *testing.T) {
	f := setup(t)
	code := f.issue(t, "dupont.marie")
	tok, _, err := f.act.Verify(ctx0, "", "dupont.marie", code, "fr")
	if err != nil {
		t.Fatal(err)
	}
	f.acc.SetState("dupont.marie", account.Disabled)
	if _, err := f.act.SetPassword(ctx0, tok, newPassword, newPassword); !errors.Is(err, activation.ErrRevoked) {
		t.Fatalf("disabled meanwhile: %v", err)
	}
}

// What `sesame stats` reads: when a code was issued and how, and whether
// it can still be used.
func TestStatuses(t *testing.T) {
	f := setup(t)
	f.issue(t, "dupont.marie")
	f.clk.add(time.Hour)
	if _, _, err := f.act.Issue(ctx0, "dupont.marie", activation.ViaInvite); err != nil {
		t.Fatal(err)
	}
	code := f.issue(t, "dupont.paul")
	tok, _, _ := f.act.Verify(ctx0, "", "dupont.paul", code, "fr")
	if _, err := f.act.SetPassword(ctx0, tok, newPassword, newPassword); err != nil {
		t.Fatal(err)
	}
	st, err := f.act.Statuses()
	if err != nil {
		t.Fatal(err)
	}
	t1 := t0.Add(time.Hour)
	want := map[string]activation.Status{
		"dupont.marie": {CodeIssued: t1, CodeExpires: t1.Add(activation.DefaultConfig.CodeTTL), Via: activation.ViaInvite, CodeLive: true,
			LetterPrinted: t0, Invited: t1, Codes: 2},
		"dupont.paul": {CodeIssued: t1, CodeExpires: t1.Add(activation.DefaultConfig.CodeTTL), Via: activation.ViaLetter, CodeLive: false,
			LetterPrinted: t1, Codes: 1},
	}
	if fmt.Sprint(st) != fmt.Sprint(want) {
		t.Fatalf("Statuses =\n%+v\nwant\n%+v", st, want)
	}
}

// Deleting an account (retention, the school) deletes its code and
// history with it.
func TestDeletedAccount(t *testing.T) {
	f := setup(t)
	code := f.issue(t, "dupont.marie")
	f.act.Verify(ctx0, "", "dupont.marie", other(code), "fr")
	if err := f.st.DeleteAccount("dupont.marie", audit.Event{Time: t0, Kind: audit.AccountDeleted}); err != nil {
		t.Fatal(err)
	}
	if recs, err := f.st.ActivationRecords(); err != nil || len(recs) != 0 {
		t.Fatalf("records of a deleted account: %+v, %v", recs, err)
	}
	// Made again with the same identifier, it starts afresh: no code, 5 tries.
	if _, err := f.acc.Add(ctx0, account.Account{ID: "dupont.marie", LastName: "Dupont", FirstName: "Marie", Email: "famille@exemple.fr"}, ""); err != nil {
		t.Fatal(err)
	}
	var r *activation.Refused
	if _, _, err := f.act.Verify(ctx0, "", "dupont.marie", code, "fr"); !errors.As(err, &r) || r.Left != 4 {
		t.Fatalf("the old code on the new account: %v", err)
	}
}

// The sweeper forgets flows and refusals once expired, never a code.
func TestSweep(t *testing.T) {
	f := setup(t)
	code := f.issue(t, "dupont.marie")
	tok, _, _ := f.act.Verify(ctx0, "", "dupont.marie", code, "fr")
	f.act.Verify(ctx0, "", "dupont.paul", code, "fr")
	n, err := f.st.Sweep(f.clk.now().Add(14 * time.Minute))
	if err != nil || n != 0 {
		t.Fatalf("early sweep: %d, %v", n, err)
	}
	n, err = f.st.Sweep(f.clk.now().Add(31 * time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("sweep: %d, %v; want the flow and the refusals", n, err)
	}
	if _, err := f.st.ActivationFlow(activation.Key(tok)); !errors.Is(err, activation.ErrNoFlow) {
		t.Fatalf("flow after sweep: %v", err)
	}
	if _, err := f.st.ActivationCode("dupont.marie"); err != nil {
		t.Fatalf("the code was swept: %v", err)
	}
	if n, err := f.st.Sweep(f.clk.now().Add(365 * 24 * time.Hour)); err != nil || n != 0 {
		t.Fatalf("a year later: %d, %v", n, err)
	}
}

// Letters for a whole school in one go: 1,000 codes in one transaction.
func BenchmarkIssueMany1000(b *testing.B) {
	f := setup(b)
	ids := make([]string, 1000)
	as := make([]account.Account, len(ids))
	for i := range ids {
		ids[i] = fmt.Sprintf("parent.%04d", i)
		as[i] = account.Account{ID: ids[i], LastName: "Parent", FirstName: "P", State: account.Active, Created: t0, Updated: t0}
	}
	if err := f.st.ApplyImport(as, nil, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		out, err := f.act.IssueMany(ctx0, ids, activation.ViaLetter)
		if err != nil || len(out) != 1000 || out[999].Code == "" {
			b.Fatalf("IssueMany: %v", err)
		}
	}
}

// In the school's zone, a code lives to the end of its last day, so the
// letter's "valid until 27 October" is the whole of that day; the code
// works at 23:59 and not at midnight.
func TestCodeLastsToTheEndOfItsDayInTheSchoolsZone(t *testing.T) {
	f := setup(t)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	f.act.Zone = paris
	f.clk.t = time.Date(2026, 9, 1, 12, 32, 0, 0, paris) // a lunchtime print run
	code, exp, err := f.act.Issue(ctx0, "dupont.marie", activation.ViaLetter)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 10, 27, 23, 59, 59, 0, paris); !exp.Equal(want) {
		t.Fatalf("expires %v, want %v (8 weeks, to the end of the day in Paris)", exp, want)
	}
	f.clk.t = time.Date(2026, 10, 27, 23, 59, 0, 0, paris)
	if _, _, err := f.act.Verify(ctx0, "", "dupont.marie", code, "fr"); err != nil {
		t.Fatalf("a code refused on its last evening: %v", err)
	}
	code, _, _ = f.act.Issue(ctx0, "dupont.paul", activation.ViaLetter)
	f.clk.t = time.Date(2026, 12, 23, 0, 0, 1, 0, paris)
	if _, _, err := f.act.Verify(ctx0, "", "dupont.paul", code, "fr"); err == nil {
		t.Fatal("a code accepted after its last day")
	}
}
