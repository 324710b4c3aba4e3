package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/audit"
)

// imported adds an account as the school's import leaves it: no
// password yet.
func (e *env) imported(t *testing.T, id, first string) {
	t.Helper()
	if _, err := e.acc.Add(context.Background(), account.Account{ID: id, LastName: "Dupont", FirstName: first, Email: id + "@exemple.fr"}, ""); err != nil {
		t.Fatal(err)
	}
}

// letter issues a code for id as a letter would, and returns it with
// the letter's link (path and query).
func (e *env) letter(t *testing.T, id string) (code, link string) {
	t.Helper()
	code, _, err := e.act.Issue(context.Background(), id, activation.ViaLetter)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(activation.Link("http://parents.ecole.test", id, code))
	return code, u.RequestURI()
}

// auditCount is how many audit events the file holds.
func (e *env) auditCount(t *testing.T) int {
	t.Helper()
	evs, err := e.st.Audit(time.Time{}, "")
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// otherCode is a code that is surely not code: its last character
// changed.
func otherCode(code string) string {
	last := "0"
	if strings.HasSuffix(code, "0") {
		last = "1"
	}
	return code[:len(code)-1] + last
}

// The login page leads to the activation page.
func TestLoginLinksToActivation(t *testing.T) {
	e := newEnv(t)
	for lang, text := range map[string]string{"fr": "Première connexion ? Activer mon compte", "en": "First time here? Activate my account"} {
		b := e.browser(t)
		b.lang = lang
		_, page := b.get("/")
		if !strings.Contains(page, `href="/activation" data-testid="activation-link">`+strings.ReplaceAll(text, "'", "&#39;")+`</a>`) {
			t.Errorf("%s: the login page has no activation link", lang)
		}
	}
}

// The whole activation as plain pages: the letter's link fills the
// form (and changes nothing), the code is checked, the password chosen
// under the policy, the confirmation leads to the login page.
func TestActivationWithoutJS(t *testing.T) {
	e := newEnv(t)
	e.imported(t, "dupont.paul", "Paul")
	code, link := e.letter(t, "dupont.paul")
	b := e.browser(t)
	before := e.auditCount(t)
	resp, page := b.get(link)
	if resp.StatusCode != 200 || !strings.Contains(page, `data-step="1"`) || !strings.Contains(page, `value="dupont.paul"`) ||
		!strings.Contains(page, `value="`+code+`"`) {
		t.Fatalf("the letter's link: %d\n%s", resp.StatusCode, page)
	}
	if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy %q on the page whose address holds the code", got)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q", got)
	}
	// Opening the link wrote nothing: no event, the code still free.
	if n := e.auditCount(t); n != before {
		t.Fatalf("the GET wrote %d audit events", n-before)
	}
	if c, _ := e.st.ActivationCode("dupont.paul"); len(c.Claim) != 0 {
		t.Fatal("the GET claimed the code")
	}

	resp, _ = b.post(link, "/activation/code", url.Values{"identifier": {"dupont.paul"}, "code": {code}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/activation" {
		t.Fatalf("code: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var flowCookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == activationCookie {
			flowCookie = c
		}
	}
	if flowCookie == nil || !flowCookie.HttpOnly || flowCookie.SameSite != http.SameSiteLaxMode || flowCookie.Path != "/activation" || flowCookie.MaxAge != 1800 {
		t.Fatalf("flow cookie: %+v", flowCookie)
	}
	resp, page = b.get("/activation")
	if resp.StatusCode != 200 || !strings.Contains(page, `data-step="2"`) || !strings.Contains(page, "Choisissez votre mot de passe") ||
		!strings.Contains(page, "Votre identifiant : dupont.paul") || !strings.Contains(page, `action="/activation/mot-de-passe"`) ||
		!strings.Contains(page, `hx-post="/activation/regles"`) || !strings.Contains(page, `formaction="/activation/annuler"`) ||
		!strings.Contains(page, `hx-target="#activation-card"`) || !strings.Contains(page, `data-rule="policy.length"`) {
		t.Fatalf("step 2: %d\n%s", resp.StatusCode, page)
	}
	// The same policy as the recovery's, with the same words.
	resp, page = b.post("/activation", "/activation/mot-de-passe", url.Values{"password": {"azerty123"}, "confirm": {"azerty123"}})
	if resp.StatusCode != 422 || !strings.Contains(page, "Ce mot de passe ne respecte pas toutes les règles ci-dessous.") ||
		!strings.Contains(page, `class="ko" data-rule="policy.common"`) || !strings.Contains(page, `data-step="2"`) {
		t.Fatalf("a common password: %d\n%s", resp.StatusCode, page)
	}
	resp, page = b.post("/activation", "/activation/mot-de-passe", url.Values{"password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-43"}})
	if resp.StatusCode != 422 || !strings.Contains(page, "La confirmation ne correspond pas") {
		t.Fatalf("a mismatch: %d", resp.StatusCode)
	}
	resp, _ = b.post("/activation", "/activation/mot-de-passe", url.Values{"password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/activation" {
		t.Fatalf("password: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, page = b.get("/activation")
	if resp.StatusCode != 200 || !strings.Contains(page, `data-testid="activation-done"`) || !strings.Contains(page, "Votre compte est activé") ||
		!strings.Contains(page, `href="/?identifiant=dupont.paul"`) {
		t.Fatalf("confirmation: %d\n%s", resp.StatusCode, page)
	}
	if _, err := e.acc.Login(context.Background(), "dupont.paul", "Lune-bleue-42"); err != nil {
		t.Fatalf("login after activation: %v", err)
	}
	// The form posted again (Back): the confirmation, nothing changed.
	// (The link itself now resumes the confirmation, which has no form:
	// the token comes from the login page.)
	resp, page = b.post("/", "/activation/code", url.Values{"identifier": {"dupont.paul"}, "code": {code}})
	if resp.StatusCode != 409 || !strings.Contains(page, "Votre compte est déjà activé") || !strings.Contains(page, `data-testid="activation-done"`) {
		t.Fatalf("the code again in the same browser: %d\n%s", resp.StatusCode, page)
	}
	// Another browser: the code is used up.
	resp, page = e.browser(t).post(link, "/activation/code", url.Values{"identifier": {"dupont.paul"}, "code": {code}})
	if resp.StatusCode != 422 || !strings.Contains(page, "ne permettent pas d&#39;activer un compte") {
		t.Fatalf("a used code: %d\n%s", resp.StatusCode, page)
	}
	// A GET on a form's address leads back to the page.
	if resp, _ := b.get("/activation/code"); resp.StatusCode != 303 || resp.Header.Get("Location") != "/activation" {
		t.Errorf("GET /activation/code: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// With htmx, each answer is the card alone; the live checklist follows
// the typing; « Annuler » frees the code and goes home.
func TestActivationHTMX(t *testing.T) {
	e := newEnv(t)
	e.imported(t, "dupont.paul", "Paul")
	code, link := e.letter(t, "dupont.paul")
	b := e.browser(t)
	status, card := b.hxPost(link, "/activation/code", url.Values{"identifier": {"Dupont.Paul"}, "code": {strings.ToLower(strings.ReplaceAll(code, "-", " "))}})
	if status != 200 || strings.Contains(card, "<html") || !strings.HasPrefix(strings.TrimSpace(card), `<section class="card" id="activation-card"`) ||
		!strings.Contains(card, `data-step="2"`) {
		t.Fatalf("code: %d\n%s", status, card)
	}
	status, rules := b.hxPost("/activation", "/activation/regles", url.Values{"password": {"Dupont-2026"}})
	if status != 200 || !strings.Contains(rules, `class="ko" data-rule="policy.personal"`) || !strings.Contains(rules, `class="ok" data-rule="policy.digit"`) {
		t.Fatalf("live rules: %d\n%s", status, rules)
	}
	// « Annuler »: home, and the code works again in another browser.
	_, page := b.get("/activation")
	req := httptestPost("/activation/annuler", url.Values{"_csrf": {csrfRe.FindStringSubmatch(page)[1]}})
	req.Header.Set("HX-Request", "true")
	resp, _ := b.do(req)
	if resp.StatusCode != 204 || resp.Header.Get("HX-Redirect") != "/" {
		t.Fatalf("cancel: %d %q", resp.StatusCode, resp.Header.Get("HX-Redirect"))
	}
	other := e.browser(t)
	if status, card := other.hxPost(link, "/activation/code", url.Values{"identifier": {"dupont.paul"}, "code": {code}}); status != 200 || !strings.Contains(card, `data-step="2"`) {
		t.Fatalf("the code after « Annuler »: %d", status)
	}
	status, card = other.hxPost("/activation", "/activation/mot-de-passe", url.Values{"identifier": {"dupont.paul"}, "password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}})
	if status != 200 || !strings.Contains(card, `data-step="3"`) || !strings.Contains(card, "Votre identifiant : dupont.paul") {
		t.Fatalf("password: %d\n%s", status, card)
	}
	// The rules once the password is set: nothing to tick, start again.
	if status, _ := other.hxPost("/", "/activation/regles", url.Values{"password": {"x"}}); status != 409 {
		t.Fatalf("rules after the confirmation: %d", status)
	}
}

// A refusal answers a wrong code, an unknown identifier, a disabled
// account, a used code and an expired one with the same bytes, with or
// without JavaScript. Identifiers of one length, since the form shows
// back what was typed.
func TestActivationRefusalSameAnswer(t *testing.T) {
	fixed := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	clk := fixed
	now := func() time.Time { return clk }
	e := newEnv(t, func(d *Deps) { d.Now, d.Accounts.Now, d.Activation.Now = now, now, now })
	for id, first := range map[string]string{"dupont.alice": "Alice", "dupont.alain": "Alain", "dupont.louis": "Louis", "dupont.jules": "Jules"} {
		e.imported(t, id, first)
	}
	alice, _ := e.letter(t, "dupont.alice")
	louis, _ := e.letter(t, "dupont.louis")
	jules, _ := e.letter(t, "dupont.jules")
	e.act.Config.CodeTTL = time.Hour
	alain, _ := e.letter(t, "dupont.alain")
	if _, err := e.acc.SetState("dupont.louis", account.Disabled); err != nil {
		t.Fatal(err)
	}
	if _, err := e.acc.AdminSetPassword(context.Background(), "dupont.jules", "Lune-bleue-42"); err != nil {
		t.Fatal(err)
	}
	clk = fixed.Add(2 * time.Hour) // alain's code expired
	cases := []struct{ name, id, code string }{
		{"wrong code", "dupont.alice", otherCode(alice)},
		{"unknown identifier", "dupont.mario", alice},
		{"disabled account", "dupont.louis", louis},
		{"used code", "dupont.jules", jules},
		{"expired code", "dupont.alain", alain},
	}
	for round, hx := range []bool{false, true} {
		var first answer
		for i, c := range cases {
			b := e.browser(t)
			_, page := b.get("/activation")
			req := httptestPost("/activation/code", url.Values{"_csrf": {csrfRe.FindStringSubmatch(page)[1]}, "identifier": {c.id}, "code": {c.code}})
			if hx {
				req.Header.Set("HX-Request", "true")
			}
			resp, body := b.do(req)
			got := masked(resp, strings.ReplaceAll(body, c.code, "CODE"), c.id)
			if i == 0 {
				first = got
				// The second round counts a second refusal for each identifier.
				left := []string{"4", "3"}[round]
				if got.status != 422 || !strings.Contains(got.body, "Il vous reste "+left+" essais.") || !strings.Contains(got.body, `value="CODE"`) {
					t.Fatalf("htmx %v, %s: %d\n%s", hx, c.name, got.status, got.body)
				}
				continue
			}
			if d := differ(first, got); d != "" {
				t.Errorf("htmx %v: %s and %s: %s", hx, cases[0].name, c.name, d)
			}
		}
	}
	// The audit log tells them apart.
	evs, _ := e.st.Audit(time.Time{}, "")
	kinds := map[audit.Kind]bool{}
	for _, ev := range evs {
		kinds[ev.Kind] = true
	}
	for _, k := range []audit.Kind{audit.ActivationWrong, audit.ActivationUnknown, audit.ActivationDisabled, audit.ActivationUsed, audit.ActivationExpired} {
		if !kinds[k] {
			t.Errorf("no %s event", k)
		}
	}
}

// Five refusals lock the identifier for a quarter of an hour; the page
// says until when, in the school's zone, with a 429.
func TestActivationLocked(t *testing.T) {
	fixed := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	now := func() time.Time { return fixed }
	paris, _ := time.LoadLocation("Europe/Paris")
	e := newEnv(t, func(d *Deps) { d.Now, d.Activation.Now, d.Config.Location = now, now, paris })
	e.imported(t, "dupont.paul", "Paul")
	code, link := e.letter(t, "dupont.paul")
	wrong := activation.Group("000000000000")
	b := e.browser(t)
	for i := 1; i <= 4; i++ {
		resp, _ := b.post(link, "/activation/code", url.Values{"identifier": {"dupont.paul"}, "code": {wrong}})
		if resp.StatusCode != 422 {
			t.Fatalf("refusal %d: %d", i, resp.StatusCode)
		}
	}
	for _, c := range []string{wrong, code} {
		resp, page := b.post(link, "/activation/code", url.Values{"identifier": {"dupont.paul"}, "code": {c}})
		if resp.StatusCode != 429 || !strings.Contains(page, "Trop d&#39;essais pour cet identifiant. Vous pourrez réessayer à partir de 10 h 15.") ||
			resp.Header.Get("Retry-After") != "901" {
			t.Fatalf("locked: %d %q\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), page)
		}
	}
}

// Malformed fields are told as such, on the field, and count nothing.
func TestActivationFieldErrors(t *testing.T) {
	e := newEnv(t)
	e.imported(t, "dupont.paul", "Paul")
	code, link := e.letter(t, "dupont.paul")
	b := e.browser(t)
	for _, c := range []struct{ id, code, field, text string }{
		{"dupont paul!", code, "identifier", "Cet identifiant n&#39;est pas valide."},
		{"dupont.paul", "K7QM-4RXP", "code", "Le code d&#39;activation se compose de 12 lettres et chiffres"},
		{"dupont.paul", "K7QM-4RXP-9TDU", "code", "Le code d&#39;activation se compose de 12 lettres et chiffres"},
	} {
		for range 6 {
			resp, page := b.post(link, "/activation/code", url.Values{"identifier": {c.id}, "code": {c.code}})
			if resp.StatusCode != 422 || !strings.Contains(page, `data-testid="error-`+c.field+`"`) || !strings.Contains(page, c.text) ||
				!strings.Contains(page, `aria-invalid="true"`) {
				t.Fatalf("%q %q: %d\n%s", c.id, c.code, resp.StatusCode, page)
			}
		}
	}
	if resp, _ := b.post(link, "/activation/code", url.Values{"identifier": {"dupont.paul"}, "code": {code}}); resp.StatusCode != 303 {
		t.Fatalf("malformed input was counted: %d", resp.StatusCode)
	}
}

// A new letter made while the parent chooses the password revokes the
// code: the page says so and goes back to step 1.
func TestActivationRevokedMeanwhile(t *testing.T) {
	e := newEnv(t)
	e.imported(t, "dupont.paul", "Paul")
	code, link := e.letter(t, "dupont.paul")
	b := e.browser(t)
	b.post(link, "/activation/code", url.Values{"identifier": {"dupont.paul"}, "code": {code}})
	e.letter(t, "dupont.paul")
	resp, page := b.post("/activation", "/activation/mot-de-passe", url.Values{"password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}})
	if resp.StatusCode != 409 || !strings.Contains(page, "un nouveau courrier a été fait") || !strings.Contains(page, `data-step="1"`) {
		t.Fatalf("revoked: %d\n%s", resp.StatusCode, page)
	}
	if a, _ := e.acc.Get("dupont.paul"); a.Activated() {
		t.Fatal("a revoked code set the password")
	}
	// Step 2 without a flow at all (an expired cookie): step 1, said so.
	resp, page = e.browser(t).post("/activation", "/activation/mot-de-passe", url.Values{"password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}})
	if resp.StatusCode != 409 || !strings.Contains(page, "Cette activation a expiré") {
		t.Fatalf("no flow: %d\n%s", resp.StatusCode, page)
	}
}

// Scanning the letter again while choosing the password resumes that
// step; another identifier's link shows its own form.
func TestActivationLinkResumes(t *testing.T) {
	e := newEnv(t)
	e.imported(t, "dupont.paul", "Paul")
	e.imported(t, "dupont.anne", "Anne")
	code, link := e.letter(t, "dupont.paul")
	_, other := e.letter(t, "dupont.anne")
	b := e.browser(t)
	b.post(link, "/activation/code", url.Values{"identifier": {"dupont.paul"}, "code": {code}})
	if _, page := b.get(link); !strings.Contains(page, `data-step="2"`) {
		t.Fatal("the link again did not resume the password step")
	}
	if _, page := b.get(other); !strings.Contains(page, `data-step="1"`) || !strings.Contains(page, `value="dupont.anne"`) {
		t.Fatal("another identifier's link")
	}
	// An oversized value from a forged link is left out, not echoed.
	if resp, page := e.browser(t).get("/activation?id=" + strings.Repeat("a", 70) + "&code=%ff%00"); resp.StatusCode != 200 ||
		strings.Contains(page, strings.Repeat("a", 70)) || strings.Contains(page, "\x00") {
		t.Fatalf("forged link: %d", resp.StatusCode)
	}
}

// The code of the letter's link never reaches the log, even when the
// request fails; nor does anything the flow handles.
func TestActivationCodeNotLogged(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, func(d *Deps) { d.Log = log })
	e.imported(t, "dupont.paul", "Paul")
	code, link := e.letter(t, "dupont.paul")
	b := e.browser(t)
	b.post(link, "/activation/code", url.Values{"identifier": {"dupont.paul"}, "code": {code}})
	b.post("/activation", "/activation/mot-de-passe", url.Values{"password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}})
	// The data file goes away: the link's page fails with a 500, logged.
	e.st.Close()
	req := httptest.NewRequest("GET", link, nil)
	resp, _ := b.do(req)
	if resp.StatusCode != 500 {
		t.Fatalf("with the data file closed: %d", resp.StatusCode)
	}
	out := logged.String()
	if !strings.Contains(out, "request failed") || !strings.Contains(out, "path=/activation") {
		t.Fatalf("the failure was not logged:\n%s", out)
	}
	for _, secret := range []string{code, strings.ReplaceAll(code, "-", ""), "Lune-bleue-42", b.cookies[activationCookie]} {
		if strings.Contains(out, secret) {
			t.Fatalf("the log holds %q:\n%s", secret, out)
		}
	}
}

// Under a base path, the letter's link (activation.Link with the base
// URL) is the page, and every URL and cookie stays under the path.
func TestBasePathActivation(t *testing.T) {
	e := newEnv(t, underParents)
	e.imported(t, "dupont.paul", "Paul")
	code, _, _ := e.act.Issue(context.Background(), "dupont.paul", activation.ViaLetter)
	u, _ := url.Parse(activation.Link("https://college.example/parents", "dupont.paul", code))
	b := e.browser(t)
	resp, page := b.get(u.RequestURI())
	if resp.StatusCode != 200 || !strings.Contains(page, `value="dupont.paul"`) {
		t.Fatalf("link %s: %d", u.RequestURI(), resp.StatusCode)
	}
	checkUnder(t, "link", page)
	resp, _ = b.post(u.RequestURI(), "/parents/activation/code", url.Values{"identifier": {"dupont.paul"}, "code": {code}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/parents/activation" {
		t.Fatalf("code: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	checkCookies(t, "code", resp)
	_, page = b.get("/parents/activation")
	checkUnder(t, "step 2", page)
	resp, _ = b.post("/parents/activation", "/parents/activation/mot-de-passe", url.Values{"password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}})
	if resp.StatusCode != 303 {
		t.Fatalf("password: %d", resp.StatusCode)
	}
	_, page = b.get("/parents/activation")
	if !strings.Contains(page, `href="/parents/?identifiant=dupont.paul"`) {
		t.Error("the confirmation does not link to the login page under the prefix")
	}
	checkUnder(t, "confirmation", page)
}
