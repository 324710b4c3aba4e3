package staff_test

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"sesame/internal/audit"
	"sesame/internal/mail/outbox"
	"sesame/internal/password"
	"sesame/internal/policy"
	"sesame/internal/staff"
	"sesame/internal/store"
)

var fast = &password.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// t0 is on a step boundary, so offsets of whole steps are exact.
var t0 = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

type env struct {
	svc *staff.Service
	st  *store.Store
	now time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "s.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{st: st, now: t0}
	e.svc = &staff.Service{Store: st, Hasher: password.New(fast, 2, time.Second), Policy: policy.Default(), Secret: st.Secret(),
		Config: staff.DefaultConfig, BaseURL: "https://parents.ecole.test", Issuer: "Sésame", Now: func() time.Time { return e.now },
		Audit: store.AuditLog{Store: st}}
	return e
}

func (e *env) advance(d time.Duration) { e.now = e.now.Add(d) }

func token(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Path != "/secretariat/installation" {
		t.Fatalf("set-up link %q", link)
	}
	return u.Query().Get("t")
}

// code is the authenticator's code for secret (as the set-up page shows
// it) at time at: what the phone computes.
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := hotp.GenerateCodeCustom(strings.ReplaceAll(secret, " ", ""), uint64(at.Unix()/30), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const goodPassword = "Tableau-Noir-42"

// enrol adds a member and goes through the whole set-up; it returns
// the authenticator's secret and the recovery codes.
func (e *env) enrol(t *testing.T, email string, role staff.Role) (string, []string) {
	t.Helper()
	_, link, err := e.svc.Add(context.Background(), email, "Claire Martin", role, "cli:root")
	if err != nil {
		t.Fatal(err)
	}
	tok := token(t, link)
	_, en, err := e.svc.SetupPassword(context.Background(), tok, goodPassword, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	m, codes, err := e.svc.SetupTOTP(context.Background(), tok, code(t, en.Secret, e.now))
	if err != nil || m.State != staff.Active || len(codes) != 10 {
		t.Fatalf("SetupTOTP = %+v, %d codes, %v", m, len(codes), err)
	}
	return en.Secret, codes
}

func TestSetupLinkIsOneTimeAndExpires(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m, link, err := e.svc.Add(ctx, " Claire.Martin@Ecole.FR ", "Claire Martin", staff.Secretariat, "cli:root")
	if err != nil || m.Email != "claire.martin@ecole.fr" || m.State != staff.Pending {
		t.Fatalf("Add = %+v, %v", m, err)
	}
	tok := token(t, link)
	// The token is kept as a hash, and e-mailed (as the message's code).
	got, _ := e.st.StaffMember("claire.martin@ecole.fr")
	if got.Setup == nil || strings.Contains(string(got.Setup.TokenHash), tok) || !got.Setup.Expires.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("stored set-up: %+v", got.Setup)
	}
	msgs, _ := e.st.Outbox()
	if len(msgs) != 1 || msgs[0].Kind != outbox.KindStaffSetup || msgs[0].Code != tok || msgs[0].To != "claire.martin@ecole.fr" {
		t.Fatalf("outbox: %+v", msgs)
	}
	if _, _, err := e.svc.Add(ctx, "claire.martin@ecole.fr", "X", staff.Admin, "cli:root"); !errors.Is(err, staff.ErrExists) {
		t.Errorf("second Add: %v", err)
	}
	// Opening the link (a mail scanner) burns nothing.
	for range 3 {
		if _, err := e.svc.SetupMember(tok); err != nil {
			t.Fatalf("SetupMember: %v", err)
		}
	}
	// The policy applies, with the member's own name.
	var pe *staff.PolicyError
	if _, _, err := e.svc.SetupPassword(ctx, tok, "martin2026", "martin2026"); !errors.As(err, &pe) {
		t.Errorf("weak password: %v", err)
	}
	if _, _, err := e.svc.SetupPassword(ctx, tok, goodPassword, goodPassword+"x"); !errors.Is(err, staff.ErrMismatch) {
		t.Errorf("mismatch: %v", err)
	}
	_, en, err := e.svc.SetupPassword(ctx, tok, goodPassword, goodPassword)
	if err != nil || len(strings.ReplaceAll(en.Secret, " ", "")) != 32 || !strings.HasPrefix(en.URI, "otpauth://totp/") {
		t.Fatalf("SetupPassword = %+v, %v", en, err)
	}
	// The pending enrolment is shown again after a wrong code, the same.
	if _, again, err := e.svc.Enrolment(tok); err != nil || again.Secret != en.Secret {
		t.Errorf("Enrolment = %+v, %v", again, err)
	}
	wrong := "000000"
	if wrong == code(t, en.Secret, e.now) {
		wrong = "999999"
	}
	if _, _, err := e.svc.SetupTOTP(ctx, tok, wrong); !errors.Is(err, staff.ErrWrongCode) {
		t.Errorf("wrong enrolment code: %v", err)
	}
	// Not the member's yet: no sign-in before the enrolment is proven.
	if _, _, err := e.svc.SignIn(ctx, "claire.martin@ecole.fr", goodPassword, code(t, en.Secret, e.now), ""); !errors.Is(err, staff.ErrInvalidCredentials) {
		t.Errorf("sign-in before enrolment: %v", err)
	}
	m, codes, err := e.svc.SetupTOTP(ctx, tok, code(t, en.Secret, e.now))
	if err != nil || m.State != staff.Active || len(codes) != 10 {
		t.Fatalf("SetupTOTP = %+v, %v", m, err)
	}
	// Used once: every step of the link is refused from now on.
	if _, err := e.svc.SetupMember(tok); !errors.Is(err, staff.ErrSetupInvalid) {
		t.Errorf("SetupMember after use: %v", err)
	}
	if _, _, err := e.svc.SetupPassword(ctx, tok, goodPassword, goodPassword); !errors.Is(err, staff.ErrSetupInvalid) {
		t.Errorf("SetupPassword after use: %v", err)
	}
	// The TOTP secret is sealed in the file; recovery codes are MACs.
	got, _ = e.st.StaffMember("claire.martin@ecole.fr")
	raw := strings.ReplaceAll(en.Secret, " ", "")
	if got.Setup != nil || len(got.TOTP) == 0 || strings.Contains(string(got.TOTP), raw) || len(got.RecoveryCodes) != 10 {
		t.Errorf("stored member: %+v", got)
	}
	for _, c := range got.RecoveryCodes {
		if strings.Contains(string(c), codes[0]) {
			t.Error("a recovery code is stored in clear")
		}
	}

	// Another link expires after 24 hours.
	_, link2, err := e.svc.Add(ctx, "paul@ecole.fr", "Paul Roux", staff.Admin, "cli:root")
	if err != nil {
		t.Fatal(err)
	}
	e.advance(24*time.Hour - time.Second)
	if _, err := e.svc.SetupMember(token(t, link2)); err != nil {
		t.Errorf("link at 23:59:59: %v", err)
	}
	e.advance(time.Second)
	if _, err := e.svc.SetupMember(token(t, link2)); !errors.Is(err, staff.ErrSetupInvalid) {
		t.Errorf("link at 24 h: %v", err)
	}
	if _, err := e.svc.SetupMember("made-up"); !errors.Is(err, staff.ErrSetupInvalid) {
		t.Errorf("made-up link: %v", err)
	}
}

func TestWrongEnrolmentCodesKillTheLink(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, link, _ := e.svc.Add(ctx, "a@ecole.fr", "Anne Petit", staff.Secretariat, "cli:root")
	tok := token(t, link)
	_, en, err := e.svc.SetupPassword(ctx, tok, goodPassword, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	wrong := "123456"
	if wrong == code(t, en.Secret, e.now) {
		wrong = "654321"
	}
	for i := 1; i <= 5; i++ {
		_, _, err := e.svc.SetupTOTP(ctx, tok, wrong)
		want := staff.ErrWrongCode
		if i == 5 {
			want = staff.ErrSetupInvalid
		}
		if !errors.Is(err, want) {
			t.Fatalf("wrong code %d: %v, want %v", i, err, want)
		}
	}
	if _, _, err := e.svc.SetupTOTP(ctx, tok, code(t, en.Secret, e.now)); !errors.Is(err, staff.ErrSetupInvalid) {
		t.Errorf("right code on a dead link: %v", err)
	}
}

// RFC 6238 with a ±1 step window: a code of the step before or after is
// taken, two steps off is not, and a code (or an earlier one) already
// used is refused.
func TestTOTPWindowAndReplay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	secret, _ := e.enrol(t, "c@ecole.fr", staff.Secretariat)
	e.advance(10 * time.Minute)
	at := func(steps int) string { return code(t, secret, e.now.Add(time.Duration(steps)*30*time.Second)) }
	for _, tt := range []struct {
		name  string
		steps int
		ok    bool
	}{
		{"two steps early", -2, false},
		{"two steps late", 2, false},
		{"the step before", -1, true},
		{"the current step", 0, true},
		{"the current step again (replay)", 0, false},
		{"the step before, after the current one was used", -1, false},
		{"the step after", 1, true},
		{"the step after again (replay)", 1, false},
	} {
		tok, _, err := e.svc.SignIn(ctx, "c@ecole.fr", goodPassword, at(tt.steps), "test")
		if tt.ok != (err == nil) || (tt.ok && tok == "") {
			t.Errorf("%s: token %q, %v; want ok=%v", tt.name, tok, err, tt.ok)
		}
		if !tt.ok && !errors.Is(err, staff.ErrInvalidCredentials) {
			t.Errorf("%s: %v, want ErrInvalidCredentials", tt.name, err)
		}
		e.advance(time.Second) // not a whole step: the window stays
	}
}

func TestRecoveryCodesWorkOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, codes := e.enrol(t, "r@ecole.fr", staff.Admin)
	typed := strings.ToLower(strings.ReplaceAll(codes[3], "-", " "))
	if _, _, err := e.svc.SignIn(ctx, "r@ecole.fr", goodPassword, typed, ""); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	if _, _, err := e.svc.SignIn(ctx, "r@ecole.fr", goodPassword, codes[3], ""); !errors.Is(err, staff.ErrInvalidCredentials) {
		t.Errorf("recovery code used twice: %v", err)
	}
	m, _ := e.st.StaffMember("r@ecole.fr")
	if len(m.RecoveryCodes) != 9 {
		t.Errorf("%d recovery codes left, want 9", len(m.RecoveryCodes))
	}
}

func TestLockout(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	secret, _ := e.enrol(t, "l@ecole.fr", staff.Secretariat)
	e.advance(time.Minute)
	for i := 1; i <= 5; i++ {
		_, _, err := e.svc.SignIn(ctx, "l@ecole.fr", "Mauvais-Mot-2026", code(t, secret, e.now), "")
		var locked *staff.Locked
		if i < 5 && !errors.Is(err, staff.ErrInvalidCredentials) {
			t.Fatalf("refusal %d: %v", i, err)
		}
		if i == 5 && (!errors.As(err, &locked) || !locked.Until.Equal(e.now.Add(15*time.Minute))) {
			t.Fatalf("refusal 5: %v, want locked for 15 minutes", err)
		}
		e.advance(time.Second)
	}
	// Locked: even the right password and code are refused, without a try.
	var locked *staff.Locked
	if _, _, err := e.svc.SignIn(ctx, "l@ecole.fr", goodPassword, code(t, secret, e.now), ""); !errors.As(err, &locked) {
		t.Errorf("right credentials while locked: %v", err)
	}
	e.advance(15 * time.Minute)
	if _, _, err := e.svc.SignIn(ctx, "l@ecole.fr", goodPassword, code(t, secret, e.now), ""); err != nil {
		t.Errorf("after the lock: %v", err)
	}
	// Refusals spread over more than the window do not lock.
	for i := 0; i < 8; i++ {
		e.advance(4 * time.Minute)
		wrong := "000000"
		if wrong == code(t, secret, e.now) {
			wrong = "999999"
		}
		if _, _, err := e.svc.SignIn(ctx, "l@ecole.fr", goodPassword, wrong, ""); !errors.Is(err, staff.ErrInvalidCredentials) {
			t.Fatalf("spread refusal %d: %v", i, err)
		}
	}
	// An unknown address is refused like a wrong password.
	if _, _, err := e.svc.SignIn(ctx, "nobody@ecole.fr", goodPassword, "123456", ""); !errors.Is(err, staff.ErrInvalidCredentials) {
		t.Errorf("unknown address: %v", err)
	}
	evs, _ := e.st.Audit(time.Time{}, "")
	kinds := map[audit.Kind]int{}
	for _, ev := range evs {
		kinds[ev.Kind]++
	}
	if kinds[audit.StaffLocked] != 1 || kinds[audit.StaffLoginFailed] < 13 || kinds[audit.StaffLoginOK] != 1 {
		t.Errorf("audit kinds: %v", kinds)
	}
}

func TestSessionsIdleRolesAndEnd(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s1, _ := e.enrol(t, "sec@ecole.fr", staff.Secretariat)
	s2, _ := e.enrol(t, "adm@ecole.fr", staff.Admin)
	e.advance(time.Minute)
	secTok, _, err := e.svc.SignIn(ctx, "sec@ecole.fr", goodPassword, code(t, s1, e.now), "Firefox")
	if err != nil {
		t.Fatal(err)
	}
	admTok, adm, err := e.svc.SignIn(ctx, "adm@ecole.fr", goodPassword, code(t, s2, e.now), "Chrome")
	if err != nil {
		t.Fatal(err)
	}
	// Each request within the idle timeout keeps the session going.
	for range 3 {
		e.advance(29 * time.Minute)
		if _, _, err := e.svc.Session(secTok); err != nil {
			t.Fatalf("session after 29 minutes idle: %v", err)
		}
	}
	// The admin's session was idle all that time.
	if _, _, err := e.svc.Session(admTok); !errors.Is(err, staff.ErrIdle) {
		t.Fatalf("idle session: %v", err)
	}
	admTok, adm, err = e.svc.SignIn(ctx, "adm@ecole.fr", goodPassword, code(t, s2, e.now), "Chrome")
	if err != nil {
		t.Fatal(err)
	}
	sec, _ := e.svc.Get("sec@ecole.fr")
	mine, _ := e.svc.Sessions(sec, secTok)
	all, _ := e.svc.Sessions(adm, admTok)
	if len(mine) != 1 || !mine[0].Current || mine[0].Agent != "Firefox" || len(all) != 2 {
		t.Fatalf("sessions: secretariat sees %+v, admin sees %+v", mine, all)
	}
	var admSession string
	for _, s := range all {
		if s.Member == "adm@ecole.fr" {
			admSession = s.ID
		}
	}
	// A secretariat member cannot end the admin's session; the admin can
	// end theirs.
	if err := e.svc.EndSession(ctx, sec, admSession); !errors.Is(err, staff.ErrForbidden) {
		t.Errorf("secretariat ends the admin's session: %v", err)
	}
	if err := e.svc.EndSession(ctx, adm, mine[0].ID); err != nil {
		t.Errorf("admin ends a session: %v", err)
	}
	if _, _, err := e.svc.Session(secTok); !errors.Is(err, staff.ErrNoSession) {
		t.Errorf("ended session: %v", err)
	}
	// Disabling ends a member's sessions; a reset gives a new link.
	if _, err := e.svc.Disable(ctx, "adm@ecole.fr", "cli:root"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Session(admTok); !errors.Is(err, staff.ErrNoSession) {
		t.Errorf("session of a disabled member: %v", err)
	}
	if _, _, err := e.svc.SignIn(ctx, "adm@ecole.fr", goodPassword, code(t, s2, e.now.Add(30*time.Second)), ""); !errors.Is(err, staff.ErrInvalidCredentials) {
		t.Errorf("disabled member signs in: %v", err)
	}
	m, link, err := e.svc.Reset(ctx, "adm@ecole.fr", "cli:root")
	if err != nil || m.State != staff.Pending || m.PasswordHash != "" || len(m.TOTP) != 0 || link == "" {
		t.Errorf("Reset = %+v, %q, %v", m, link, err)
	}
	// The session's hard end, however busy.
	e.advance(time.Minute)
	tok, _, err := e.svc.SignIn(ctx, "sec@ecole.fr", goodPassword, code(t, s1, e.now), "")
	if err != nil {
		t.Fatal(err)
	}
	start := e.now
	for e.now.Add(29 * time.Minute).Before(start.Add(12 * time.Hour)) {
		e.advance(29 * time.Minute)
		if _, _, err := e.svc.Session(tok); err != nil {
			t.Fatalf("busy session refused after %s: %v", e.now.Sub(start), err)
		}
	}
	e.advance(29 * time.Minute)
	if _, _, err := e.svc.Session(tok); !errors.Is(err, staff.ErrNoSession) {
		t.Errorf("session after 12 hours: %v", err)
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]staff.Role{"admin": staff.Admin, " Secretariat ": staff.Secretariat} {
		if got, err := staff.ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "root", "parent"} {
		if _, err := staff.ParseRole(in); !errors.Is(err, staff.ErrBadRole) {
			t.Errorf("ParseRole(%q): %v", in, err)
		}
	}
}
