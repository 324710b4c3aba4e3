package recovery_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/mail/outbox"
	"sesame/internal/password"
	"sesame/internal/policy"
	"sesame/internal/recovery"
	"sesame/internal/store"
)

var fast = &password.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

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
	rec *recovery.Service
	acc *account.Service
	st  *store.Store
	clk *clock
}

func setup(t *testing.T) *fixture {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "s.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)}
	acc := &account.Service{Store: st, Hasher: password.New(fast, 2, time.Second), Policy: policy.Default(), Now: clk.now}
	rec := &recovery.Service{Store: st, Accounts: acc, Secret: st.Secret(), Config: recovery.DefaultConfig, Now: clk.now}
	ctx := context.Background()
	for _, a := range []account.Account{
		{ID: "dupont.marie", LastName: "Dupont", FirstName: "Marie", Email: "famille@exemple.fr"},
		{ID: "dupont.paul", LastName: "Dupont", FirstName: "Paul", Email: "famille@exemple.fr"},
		{ID: "martin.luc", LastName: "Martin", FirstName: "Luc", Email: "luc@exemple.fr"},
		{ID: "ferme.anne", LastName: "Ferme", FirstName: "Anne", Email: "anne@exemple.fr"},
	} {
		if _, err := acc.Add(ctx, a, ""); err != nil {
			t.Fatal(err)
		}
	}
	acc.SetState("ferme.anne", account.Disabled)
	return &fixture{rec: rec, acc: acc, st: st, clk: clk}
}

// lastCode reads the newest code mailed to an address from the outbox,
// as the parent reads it from their mailbox.
func (f *fixture) lastCode(t *testing.T, to string) string {
	t.Helper()
	msgs, _ := f.st.Outbox()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == to && msgs[i].Kind == outbox.KindRecoveryCode {
			return msgs[i].Code
		}
	}
	t.Fatalf("no code mailed to %s", to)
	return ""
}

func TestStartSameForKnownAndUnknown(t *testing.T) {
	f := setup(t)
	_, known, err := f.rec.Start(ctx0, " Famille@Exemple.FR ", "en")
	if err != nil {
		t.Fatal(err)
	}
	_, unknown, err := f.rec.Start(ctx0, "personne@exemple.fr", "en")
	if err != nil {
		t.Fatal(err)
	}
	if known.State != recovery.CodeSent || unknown.State != known.State {
		t.Fatalf("states differ: %s / %s", known.State, unknown.State)
	}
	msgs, _ := f.st.Outbox()
	if len(msgs) != 1 {
		t.Fatalf("%d messages queued; want 1 (none for the unknown address)", len(msgs))
	}
	m := msgs[0]
	if m.Kind != outbox.KindRecoveryCode || m.To != "famille@exemple.fr" || m.Lang != "en" ||
		strings.Join(m.Identifiers, ",") != "dupont.marie,dupont.paul" || len(m.Code) != 8 || m.Status != outbox.StatusPending {
		t.Fatalf("code message: %+v", m)
	}
	if !m.ExpiresAt.Equal(f.clk.now().Add(30 * time.Minute)) {
		t.Fatalf("code mail expires at %s", m.ExpiresAt)
	}
	// The code is stored only as an HMAC.
	h, _ := f.st.History("famille@exemple.fr")
	if h.Code == nil || strings.Contains(string(h.Code.MAC), m.Code) || len(h.Code.MAC) != 32 {
		t.Fatalf("stored code: %+v", h.Code)
	}
	// Nothing about the account changed.
	a, _ := f.st.Account("dupont.marie")
	if a.Lang != "" || !a.Updated.Equal(f.clk.now()) {
		t.Fatalf("step 1 changed the account: %+v", a)
	}
	if _, _, err := f.rec.Start(ctx0, "pas une adresse", "fr"); !errors.Is(err, recovery.ErrBadEmail) {
		t.Fatalf("bad address: %v", err)
	}
}

func TestDisabledAddressGetsDisabledMail(t *testing.T) {
	f := setup(t)
	if _, _, err := f.rec.Start(ctx0, "anne@exemple.fr", "fr"); err != nil {
		t.Fatal(err)
	}
	msgs, _ := f.st.Outbox()
	if len(msgs) != 1 || msgs[0].Kind != outbox.KindAccountDisabled || msgs[0].Code != "" || len(msgs[0].Identifiers) != 0 {
		t.Fatalf("disabled address: %+v", msgs)
	}
}

func TestFullFlow(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	tok, _, _ := f.rec.Start(ctx0, "luc@exemple.fr", "en")
	code := f.lastCode(t, "luc@exemple.fr")
	grouped := code[:4] + " - " + code[4:]
	// Step 3 before step 2 is refused without change.
	if _, err := f.rec.SetPassword(ctx, tok, "martin.luc", "Lune-bleue-42", "Lune-bleue-42"); !errors.Is(err, recovery.ErrWrongStep) {
		t.Fatalf("step 3 before step 2: %v", err)
	}
	fl, err := f.rec.Verify(ctx0, tok, grouped)
	if err != nil || fl.State != recovery.Verified || strings.Join(fl.Accounts, ",") != "martin.luc" {
		t.Fatalf("verify: %+v, %v", fl, err)
	}
	// The language is remembered only now that the address is proven.
	if a, _ := f.st.Account("martin.luc"); a.Lang != "en" {
		t.Fatalf("lang after verify: %q", a.Lang)
	}
	// The code is single use.
	if _, err := f.rec.Verify(ctx0, tok, code); !errors.Is(err, recovery.ErrStepDone) {
		t.Fatalf("verify twice on the flow: %v", err)
	}
	tok2, _, _ := f.rec.Start(ctx0, "luc@exemple.fr", "en") // within the cooldown: no new code
	if _, err := f.rec.Verify(ctx0, tok2, code); !errors.Is(err, recovery.ErrCodeExpired) {
		t.Fatalf("used code accepted on another flow: %v", err)
	}
	var pe *account.PolicyError
	if _, err := f.rec.SetPassword(ctx, tok, "martin.luc", "martin2026", "martin2026"); !errors.As(err, &pe) {
		t.Fatalf("policy: %v", err)
	}
	if _, err := f.rec.SetPassword(ctx, tok, "martin.luc", "Lune-bleue-42", "Lune-bleue-43"); !errors.Is(err, account.ErrMismatch) {
		t.Fatalf("mismatch: %v", err)
	}
	if _, err := f.rec.SetPassword(ctx, tok, "dupont.marie", "Lune-bleue-42", "Lune-bleue-42"); !errors.Is(err, recovery.ErrNotAllowed) {
		t.Fatalf("another address's account: %v", err)
	}
	fl, err = f.rec.SetPassword(ctx, tok, "martin.luc", "Lune-bleue-42", "Lune-bleue-42")
	if err != nil || fl.State != recovery.Done || fl.Chosen != "martin.luc" {
		t.Fatalf("set: %+v %v", fl, err)
	}
	if _, err := f.acc.Login(ctx, "martin.luc", "Lune-bleue-42"); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	if h, _ := f.st.History("luc@exemple.fr"); h.Code != nil {
		t.Fatal("pending code not deleted after the password change")
	}
	msgs, _ := f.st.Outbox()
	last := msgs[len(msgs)-1]
	if last.Kind != outbox.KindPasswordChanged || last.Lang != "en" || last.To != "luc@exemple.fr" {
		t.Fatalf("password-changed mail: %+v", last)
	}
	if _, err := f.rec.SetPassword(ctx, tok, "martin.luc", "Autre-mot-99", "Autre-mot-99"); !errors.Is(err, recovery.ErrStepDone) {
		t.Fatalf("done flow reused: %v", err)
	}
	// One identifier: nothing else to set.
	if _, err := f.rec.Another(tok); !errors.Is(err, recovery.ErrStepDone) {
		t.Fatalf("another identifier with none left: %v", err)
	}
}

// An address shared by a family: after one identifier's password, the
// same verified flow (no new code, same lifetime) sets the other's, each
// once; nothing is chosen for the parent.
func TestFamilyAddressSetsEachIdentifierOnce(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	tok, started, _ := f.rec.Start(ctx0, "famille@exemple.fr", "fr")
	if _, err := f.rec.Another(tok); !errors.Is(err, recovery.ErrWrongStep) {
		t.Fatalf("another before the code: %v", err)
	}
	if _, err := f.rec.Verify(ctx0, tok, f.lastCode(t, "famille@exemple.fr")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rec.SetPassword(ctx, tok, "", "Lune-bleue-42", "Lune-bleue-42"); !errors.Is(err, recovery.ErrNotAllowed) {
		t.Fatalf("no identifier chosen among two: %v", err)
	}
	if _, err := f.rec.SetPassword(ctx, tok, "dupont.paul", "Lune-bleue-42", "Lune-bleue-42"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rec.SetPassword(ctx, tok, "dupont.marie", "Soleil-vert-42", "Soleil-vert-42"); !errors.Is(err, recovery.ErrStepDone) {
		t.Fatalf("step 3 posted again from the confirmation: %v", err)
	}
	f.clk.add(10 * time.Minute)
	fl, err := f.rec.Another(tok)
	if err != nil || fl.State != recovery.Verified || strings.Join(fl.Remaining(), ",") != "dupont.marie" {
		t.Fatalf("another: %+v %v", fl, err)
	}
	if !fl.Expires.Equal(started.Expires) {
		t.Fatalf("another extended the flow: %v, was %v", fl.Expires, started.Expires)
	}
	if _, err := f.rec.Another(tok); err != nil {
		t.Fatalf("another posted twice: %v", err)
	}
	if _, err := f.rec.SetPassword(ctx, tok, "dupont.paul", "Autre-mot-99", "Autre-mot-99"); !errors.Is(err, recovery.ErrNotAllowed) {
		t.Fatalf("the same identifier twice in one flow: %v", err)
	}
	fl, err = f.rec.SetPassword(ctx, tok, "", "Soleil-vert-42", "Soleil-vert-42")
	if err != nil || fl.State != recovery.Done || fl.Chosen != "dupont.marie" || len(fl.Remaining()) != 0 {
		t.Fatalf("the last identifier: %+v %v", fl, err)
	}
	if _, err := f.rec.Another(tok); !errors.Is(err, recovery.ErrStepDone) {
		t.Fatalf("another with none left: %v", err)
	}
	for id, pw := range map[string]string{"dupont.paul": "Lune-bleue-42", "dupont.marie": "Soleil-vert-42"} {
		if _, err := f.acc.Login(ctx, id, pw); err != nil {
			t.Fatalf("login %s: %v", id, err)
		}
	}

	// Past the flow's lifetime, the confirmation leads nowhere but a new start.
	tok, _, _ = f.rec.Start(ctx0, "famille@exemple.fr", "fr")
	f.clk.add(2 * time.Minute)
	if _, err := f.rec.Resend(ctx0, tok); err != nil {
		t.Fatal(err)
	}
	f.rec.Verify(ctx0, tok, f.lastCode(t, "famille@exemple.fr"))
	if _, err := f.rec.SetPassword(ctx, tok, "dupont.paul", "Nuage-gris-42", "Nuage-gris-42"); err != nil {
		t.Fatal(err)
	}
	f.clk.add(29 * time.Minute)
	if _, err := f.rec.Another(tok); !errors.Is(err, recovery.ErrNoFlow) {
		t.Fatalf("another after the flow expired: %v", err)
	}
}

// Step 1 posted again for the flow's own address is a step done; another
// address starts anew.
func TestUnderway(t *testing.T) {
	f := setup(t)
	tok, _, _ := f.rec.Start(ctx0, "luc@exemple.fr", "fr")
	if fl, ok := f.rec.Underway(tok, " Luc@Exemple.fr "); !ok || fl.State != recovery.CodeSent {
		t.Fatalf("same address: %+v %v", fl, ok)
	}
	for _, c := range []struct{ tok, email string }{{tok, "anne@exemple.fr"}, {"", "luc@exemple.fr"}, {"inconnu", "luc@exemple.fr"}, {tok, "pas-une-adresse"}} {
		if _, ok := f.rec.Underway(c.tok, c.email); ok {
			t.Errorf("%q %q: underway", c.tok, c.email)
		}
	}
}

// An account disabled by the school after step 2 cannot get a password
// at step 3.
func TestAccountDisabledAfterVerify(t *testing.T) {
	f := setup(t)
	tok, _, _ := f.rec.Start(ctx0, "luc@exemple.fr", "fr")
	if _, err := f.rec.Verify(ctx0, tok, f.lastCode(t, "luc@exemple.fr")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.acc.SetState("martin.luc", account.Disabled); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rec.SetPassword(context.Background(), tok, "martin.luc", "Lune-bleue-42", "Lune-bleue-42"); !errors.Is(err, recovery.ErrNotAllowed) {
		t.Fatalf("step 3 on a disabled account: %v", err)
	}
	if a, _ := f.st.Account("martin.luc"); a.Activated() {
		t.Fatal("a disabled account got a password")
	}
}

// When the account cannot take the flow's language, the failure is
// reported rather than dropped, and the flow stays at step 2.
func TestVerifyReportsLanguageFailure(t *testing.T) {
	f := setup(t)
	tok, _, _ := f.rec.Start(ctx0, "luc@exemple.fr", "de")
	if _, err := f.rec.Verify(ctx0, tok, f.lastCode(t, "luc@exemple.fr")); !errors.Is(err, account.ErrBadLang) {
		t.Fatalf("verify with a language the account cannot take: %v", err)
	}
	if fl, err := f.rec.Get(tok); err != nil || fl.State != recovery.CodeSent {
		t.Fatalf("flow after the failure: %+v, %v", fl, err)
	}
	if a, _ := f.st.Account("martin.luc"); a.Lang != "" {
		t.Fatalf("lang after the failure: %q", a.Lang)
	}
}

func TestFamilyAddressPicksIdentifier(t *testing.T) {
	f := setup(t)
	tok, _, _ := f.rec.Start(ctx0, "famille@exemple.fr", "fr")
	fl, err := f.rec.Verify(ctx0, tok, f.lastCode(t, "famille@exemple.fr"))
	if err != nil || len(fl.Accounts) != 2 {
		t.Fatalf("%+v %v", fl, err)
	}
	fl, err = f.rec.SetPassword(context.Background(), tok, "dupont.paul", "Lune-bleue-42", "Lune-bleue-42")
	if err != nil || fl.Chosen != "dupont.paul" {
		t.Fatalf("%+v %v", fl, err)
	}
	if a, _ := f.st.Account("dupont.marie"); a.Activated() {
		t.Fatal("the other family account got the password")
	}
}

func TestWrongCodesCountedAndLimited(t *testing.T) {
	for _, email := range []string{"luc@exemple.fr", "inconnu@exemple.fr"} {
		t.Run(email, func(t *testing.T) {
			f := setup(t)
			tok, _, _ := f.rec.Start(ctx0, email, "fr")
			var lefts []int
			for i := 0; i < 5; i++ {
				_, err := f.rec.Verify(ctx0, tok, "0000 0000")
				var w *recovery.WrongCode
				switch {
				case errors.As(err, &w):
					lefts = append(lefts, w.Left)
				case errors.Is(err, recovery.ErrCodeLocked):
					lefts = append(lefts, 0)
				default:
					t.Fatalf("try %d: %v", i, err)
				}
			}
			if got := lefts; len(got) != 5 || got[0] != 4 || got[3] != 1 || got[4] != 0 {
				t.Fatalf("tries left: %v", got)
			}
			if _, err := f.rec.Verify(ctx0, tok, "1111 1111"); !errors.Is(err, recovery.ErrCodeLocked) {
				t.Fatalf("after 5 wrong codes: %v", err)
			}
			if _, err := f.rec.Verify(ctx0, tok, "12"); !errors.Is(err, recovery.ErrCodeFormat) {
				t.Fatalf("malformed: %v", err)
			}
		})
	}
	// The right code after 5 wrong ones is refused: the code is dead.
	f := setup(t)
	tok, _, _ := f.rec.Start(ctx0, "luc@exemple.fr", "fr")
	code := f.lastCode(t, "luc@exemple.fr")
	wrong := "00000000"
	if code == wrong {
		wrong = "11111111"
	}
	for i := 0; i < 5; i++ {
		f.rec.Verify(ctx0, tok, wrong)
	}
	if _, err := f.rec.Verify(ctx0, tok, code); !errors.Is(err, recovery.ErrCodeLocked) {
		t.Fatalf("right code after 5 wrong: %v", err)
	}
}

// Parallel guesses cannot get more than MaxAttempts tries: the counter is
// incremented before the comparison, in one transaction.
func TestParallelGuessesBounded(t *testing.T) {
	f := setup(t)
	tok, _, _ := f.rec.Start(ctx0, "luc@exemple.fr", "fr")
	var wg sync.WaitGroup
	var mu sync.Mutex
	compared := 0
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := f.rec.Verify(ctx0, tok, "9999 999"+string(rune('0'+i%10)))
			var w *recovery.WrongCode
			if errors.As(err, &w) || err == nil {
				mu.Lock()
				compared++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	h, _ := f.st.History("luc@exemple.fr")
	if h.Code.Attempts != 5 || compared > 5 {
		t.Fatalf("attempts %d, compared %d", h.Code.Attempts, compared)
	}
}

func TestCodeExpires(t *testing.T) {
	f := setup(t)
	tok, _, _ := f.rec.Start(ctx0, "luc@exemple.fr", "fr")
	code := f.lastCode(t, "luc@exemple.fr")
	f.clk.add(29 * time.Minute)
	if _, err := f.rec.Get(tok); err != nil {
		t.Fatalf("flow gone before 30 min: %v", err)
	}
	f.clk.add(time.Minute)
	if _, err := f.rec.Verify(ctx0, tok, code); !errors.Is(err, recovery.ErrNoFlow) {
		t.Fatalf("after 30 min: %v", err)
	}
	// With a short code lifetime, the code dies before the flow.
	f.rec.Config.CodeTTL = 5 * time.Minute
	tok, _, _ = f.rec.Start(ctx0, "luc@exemple.fr", "fr")
	code = f.lastCode(t, "luc@exemple.fr")
	f.clk.add(5 * time.Minute)
	if _, err := f.rec.Verify(ctx0, tok, code); !errors.Is(err, recovery.ErrCodeExpired) {
		t.Fatalf("expired code: %v", err)
	}
}

func TestResendCooldownAndLimits(t *testing.T) {
	f := setup(t)
	tok, _, _ := f.rec.Start(ctx0, "luc@exemple.fr", "fr")
	first := f.lastCode(t, "luc@exemple.fr")
	if _, err := f.rec.Resend(ctx0, tok); !errors.Is(err, recovery.ErrCooldown) {
		t.Fatalf("resend at once: %v", err)
	}
	fl, _ := f.rec.Get(tok)
	if at, why := f.rec.NextCode(fl); !errors.Is(why, recovery.ErrCooldown) || !at.Equal(f.clk.now().Add(time.Minute)) {
		t.Fatalf("NextCode: %s %v", at, why)
	}
	f.clk.add(61 * time.Second)
	if _, err := f.rec.Resend(ctx0, tok); err != nil {
		t.Fatal(err)
	}
	second := f.lastCode(t, "luc@exemple.fr")
	if _, err := f.rec.Verify(ctx0, tok, first); err == nil && first != second {
		t.Fatal("the old code still works after a new one was sent")
	}
	// 5 codes an hour.
	for i := 0; i < 3; i++ {
		f.clk.add(61 * time.Second)
		if _, err := f.rec.Resend(ctx0, tok); err != nil {
			t.Fatalf("resend %d: %v", i, err)
		}
	}
	f.clk.add(61 * time.Second)
	if _, err := f.rec.Resend(ctx0, tok); !errors.Is(err, recovery.ErrLimit) {
		t.Fatalf("6th code in an hour: %v", err)
	}
	// A new flow cannot get around the limit: step 1 answers the same but
	// sends nothing.
	before, _ := f.st.Outbox()
	f.rec.Start(ctx0, "luc@exemple.fr", "fr")
	after, _ := f.st.Outbox()
	if len(after) != len(before) {
		t.Fatal("step 1 sent a code past the hourly limit")
	}
}

func TestDailyLimit(t *testing.T) {
	f := setup(t)
	sent := 0
	for i := 0; i < 30; i++ {
		before, _ := f.st.Outbox()
		f.rec.Start(ctx0, "luc@exemple.fr", "fr")
		after, _ := f.st.Outbox()
		sent += len(after) - len(before)
		f.clk.add(13 * time.Minute)
	}
	if sent != 20 {
		t.Fatalf("%d codes in a day, want 20", sent)
	}
}

func TestNormalizeCode(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"12345678", "12345678", true},
		{"1234 5678", "12345678", true},
		{" 1234-5678 ", "12345678", true},
		{"1234\u00a05678", "12345678", true},
		{"1234567", "", false},
		{"123456789", "", false},
		{"1234abcd", "", false},
		{"", "", false},
		{"１２３４５６７８", "", false},
		{strings.Repeat("1", 100), "", false},
	} {
		got, err := recovery.NormalizeCode(c.in)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("NormalizeCode(%q) = %q, %v", c.in, got, err)
		}
	}
}

func TestCancelAndUnknownToken(t *testing.T) {
	f := setup(t)
	tok, _, _ := f.rec.Start(ctx0, "luc@exemple.fr", "fr")
	if err := f.rec.Cancel(tok); err != nil {
		t.Fatal(err)
	}
	for _, tk := range []string{tok, "", "forged", strings.Repeat("x", 500)} {
		if _, err := f.rec.Verify(ctx0, tk, "12345678"); !errors.Is(err, recovery.ErrNoFlow) {
			t.Errorf("token %.10q: %v", tk, err)
		}
	}
}

var ctx0 = context.Background()

// Step 3 hands the password to the accounts' domain, which normalises it
// (policy.Normalize): set in one Unicode form at recovery, the password
// signs in in the other (issue 11 defect 10).
func TestSetPasswordUnicodeForms(t *testing.T) {
	composed, decomposed := "Forêt-d\u00e9t\u00e9-2026", "Fore\u0302t-de\u0301te\u0301-2026"
	for _, forms := range [][2]string{{composed, decomposed}, {decomposed, composed}} {
		f := setup(t)
		ctx := context.Background()
		tok, _, _ := f.rec.Start(ctx0, "luc@exemple.fr", "fr")
		if _, err := f.rec.Verify(ctx0, tok, f.lastCode(t, "luc@exemple.fr")); err != nil {
			t.Fatal(err)
		}
		// The confirmation typed in the other form matches too.
		if _, err := f.rec.SetPassword(ctx, tok, "martin.luc", forms[0], forms[1]); err != nil {
			t.Fatalf("set %q: %v", forms[0], err)
		}
		if _, err := f.acc.Login(ctx, "martin.luc", forms[1]); err != nil {
			t.Fatalf("set %q, login %q: %v", forms[0], forms[1], err)
		}
	}
}

// TestNewsDuringCooldown: step 1 asked again within the cooldown issues
// no code, and News says so, with the earlier code's end and when a new
// one can be had — the same for a known, a disabled and an unknown
// address (defect 7: the page said "a code was just sent").
func TestNewsDuringCooldown(t *testing.T) {
	ctx := context.Background()
	var want *[2]recovery.CodeNews
	for _, addr := range []string{"luc@exemple.fr", "anne@exemple.fr", "inconnu@exemple.fr"} {
		f := setup(t)
		start := f.clk.now()
		_, first, err := f.rec.Start(ctx, addr, "fr")
		if err != nil {
			t.Fatal(err)
		}
		n1, err := f.rec.News(first)
		if err != nil {
			t.Fatal(err)
		}
		if !n1.New || !n1.Until.Equal(start.Add(recovery.DefaultConfig.CodeTTL)) || n1.Limited {
			t.Errorf("%s: first start: %+v", addr, n1)
		}
		f.clk.add(20 * time.Second)
		_, again, err := f.rec.Start(ctx, addr, "fr")
		if err != nil {
			t.Fatal(err)
		}
		n2, err := f.rec.News(again)
		if err != nil {
			t.Fatal(err)
		}
		if n2.New || !n2.Until.Equal(n1.Until) || !n2.Next.Equal(start.Add(recovery.DefaultConfig.Cooldown)) || n2.Limited {
			t.Errorf("%s: start within the cooldown: %+v", addr, n2)
		}
		got := [2]recovery.CodeNews{n1, n2}
		if want == nil {
			want = &got
		} else if got != *want {
			t.Errorf("%s: %+v, the first address got %+v", addr, got, *want)
		}
	}
}

// TestNewsAtTheLimit: past the hourly limit, News names the limit and
// when it ends.
func TestNewsAtTheLimit(t *testing.T) {
	ctx := context.Background()
	f := setup(t)
	start := f.clk.now()
	var fl recovery.Flow
	for i := 0; i <= recovery.DefaultConfig.PerHour; i++ {
		var err error
		if _, fl, err = f.rec.Start(ctx, "inconnu@exemple.fr", "fr"); err != nil {
			t.Fatal(err)
		}
		f.clk.add(2 * time.Minute)
	}
	n, err := f.rec.News(fl)
	if err != nil {
		t.Fatal(err)
	}
	if n.New || !n.Limited || !n.Next.Equal(start.Add(time.Hour)) || n.Until.IsZero() {
		t.Errorf("%+v", n)
	}
}

// The code e-mail's record says which children each identifier is for,
// so a family sharing an address can tell its identifiers apart: only
// active identifiers with children have an entry, and a disabled
// holder's children are not mailed.
func TestCodeMailNamesChildren(t *testing.T) {
	f := setup(t)
	lucas := account.Child{Key: "dupont|lucas", LastName: "Dupont", FirstName: "Lucas", Class: "6e A"}
	emma := account.Child{Key: "dupont|emma", LastName: "Dupont", FirstName: "Emma", Class: "CM2"}
	nina := account.Child{Key: "roux|nina", LastName: "Roux", FirstName: "Nina"}
	for _, a := range []account.Account{
		{ID: "bernard.claire", LastName: "Bernard", FirstName: "Claire", Email: "bernard@exemple.fr", Children: []account.Child{lucas, emma}},
		{ID: "bernard.hugo", LastName: "Bernard", FirstName: "Hugo", Email: "bernard@exemple.fr"},
		{ID: "roux.paul", LastName: "Roux", FirstName: "Paul", Email: "bernard@exemple.fr", Children: []account.Child{nina}},
		{ID: "roux.jeanne", LastName: "Roux", FirstName: "Jeanne", Email: "bernard@exemple.fr", Children: []account.Child{nina}},
	} {
		if _, err := f.acc.Add(ctx0, a, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.acc.SetState("roux.jeanne", account.Disabled); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.rec.Start(ctx0, "bernard@exemple.fr", "fr"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.rec.Start(ctx0, "luc@exemple.fr", "fr"); err != nil {
		t.Fatal(err)
	}
	msgs, _ := f.st.Outbox()
	if len(msgs) != 2 {
		t.Fatalf("%d messages queued, want 2", len(msgs))
	}
	for _, m := range msgs {
		switch m.To {
		case "bernard@exemple.fr":
			if got := strings.Join(m.Identifiers, ","); got != "bernard.claire,bernard.hugo,roux.paul" {
				t.Errorf("identifiers %s", got)
			}
			want := map[string]string{"bernard.claire": "Lucas (6e A), Emma (CM2)", "roux.paul": "Nina"}
			if len(m.Children) != len(want) {
				t.Errorf("children %v, want %v", m.Children, want)
			}
			for id, l := range want {
				if m.Children[id] != l {
					t.Errorf("children of %s = %q, want %q", id, m.Children[id], l)
				}
			}
		case "luc@exemple.fr":
			// No children anywhere: no entry at all, as before.
			if m.Children != nil || m.Name != "Luc Martin" {
				t.Errorf("single parent without children: %+v", m)
			}
		default:
			t.Errorf("message to %s", m.To)
		}
	}
}
