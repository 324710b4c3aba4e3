package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/desk"
	"sesame/internal/invitation"
	"sesame/internal/password"
	"sesame/internal/policy"
	"sesame/internal/recovery"
	"sesame/internal/staff"
	"sesame/internal/store"
	"sesame/locales"
	"sesame/views"
)

var fast = &password.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

type env struct {
	app *fiber.App
	acc *account.Service
	rec *recovery.Service
	act *activation.Service
	st  *store.Store
	stf *staff.Service
	dsk *desk.Service
	// staffNow is the staff service's clock (TOTP codes are tied to
	// it): each desk sign-in of a test moves it a step on.
	staffNow time.Time
	addr     string // set once the app listens on TCP
}

func newEnv(t testing.TB, opts ...func(*Deps)) *env {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "s.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	acc := &account.Service{Store: st, Hasher: password.New(fast, 2, time.Second), Policy: policy.Default()}
	rec := &recovery.Service{Store: st, Accounts: acc, Secret: st.Secret(), Config: recovery.DefaultConfig}
	act := &activation.Service{Store: st, Accounts: acc, Secret: st.Secret(), Config: activation.DefaultConfig}
	base, _ := url.Parse("http://parents.ecole.test")
	e := &env{acc: acc, rec: rec, act: act, st: st, staffNow: time.Now().Truncate(30 * time.Second)}
	e.stf = &staff.Service{Store: st, Hasher: acc.Hasher, Policy: acc.Policy, Secret: st.Secret(), Config: staff.DefaultConfig,
		BaseURL: base.String(), Now: func() time.Time { return e.staffNow }, Audit: store.AuditLog{Store: st}}
	e.dsk = &desk.Service{Store: st, School: st, Accounts: acc, Recovery: rec, Activation: act, Audit: store.AuditLog{Store: st},
		Invitations: &invitation.Service{Store: st}}
	d := Deps{
		Config: Config{School: "École Jules Ferry", BaseURL: base, DefaultLang: "fr",
			Secretariat: views.Secretariat{Phone: "01 23 45 67 89", Email: "secretariat@ecole.test", Hours: "8h-17h"}},
		Accounts: acc, Recovery: rec, Activation: act, Locales: locales.Must(), Secret: st.Secret(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Staff: e.stf,
		Desk: e.dsk,
	}
	for _, o := range opts {
		o(&d)
	}
	e.app = New(d)
	if _, err := acc.Add(context.Background(), account.Account{ID: "dupont.marie", LastName: "Dupont", FirstName: "Marie", Email: "m@exemple.fr"}, "Cartable-Vert-2026"); err != nil {
		t.Fatal(err)
	}
	return e
}

// browser keeps cookies between requests, like a parent's phone.
type browser struct {
	t       testing.TB
	e       *env
	cookies map[string]string
	lang    string
	xff     string // X-Forwarded-For sent with every request, if set
}

func (e *env) browser(t testing.TB) *browser {
	return &browser{t: t, e: e, cookies: map[string]string{}}
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	if b.xff != "" {
		req.Header.Set("X-Forwarded-For", b.xff)
	}
	resp, err := b.e.app.Test(req, -1)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) get(path string) (*http.Response, string) {
	return b.do(httptest.NewRequest("GET", path, nil))
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// post submits a form as the page at from would, with its CSRF token.
func (b *browser) post(from, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	_, page := b.get(from)
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", from)
	}
	form.Set("_csrf", m[1])
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func TestLoginPage(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	resp, body := b.get("/")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{`<html lang="fr">`, "Récupérer son identifiant et son mot de passe", "École Jules Ferry",
		`autocomplete="username"`, `autocomplete="current-password"`, `href="/recuperation"`} {
		if !strings.Contains(body, want) {
			t.Errorf("login page lacks %q", want)
		}
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
	} {
		if !strings.Contains(resp.Header.Get(h), want) {
			t.Errorf("%s = %q", h, resp.Header.Get(h))
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Error("CSP allows framing")
	}
	if strings.Contains(body, "style=") || strings.Contains(body, "<script>") {
		t.Error("inline style or script would break the CSP")
	}
}

func TestLanguage(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.lang = "en-GB,en;q=0.8"
	_, body := b.get("/")
	if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "Recover your username and password") {
		t.Fatal("Accept-Language: en not honoured")
	}
	_, body = b.get("/?lang=fr")
	if !strings.Contains(body, `<html lang="fr">`) {
		t.Fatal("?lang=fr not honoured")
	}
	_, body = b.get("/")
	if !strings.Contains(body, `<html lang="fr">`) {
		t.Fatal("the language choice was not remembered over Accept-Language")
	}
	_, body = b.get("/?lang=xx")
	if !strings.Contains(body, `<html lang="fr">`) {
		t.Fatal("an unknown ?lang= changed the language")
	}
}

func TestLoginSuccessAndLogout(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.cookies[sessionCookie] = "planted-by-an-attacker"
	resp, _ := b.post("/", "/login", url.Values{"identifier": {"Dupont.Marie"}, "password": {"Cartable-Vert-2026"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/espace" {
		t.Fatalf("login: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok := b.cookies[sessionCookie]
	if tok == "" || tok == "planted-by-an-attacker" {
		t.Fatalf("session cookie not rotated: %q", tok)
	}
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && (!c.HttpOnly || c.SameSite != http.SameSiteLaxMode) {
			t.Fatalf("session cookie flags: %+v", c)
		}
	}
	resp, body := b.get("/espace")
	if resp.StatusCode != 200 || !strings.Contains(body, "Bonjour, Marie Dupont") || !strings.Contains(body, "dupont.marie") {
		t.Fatalf("espace: %d", resp.StatusCode)
	}
	resp, _ = b.get("/")
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/espace" {
		t.Fatal("a signed-in parent is not sent to their space")
	}
	resp, _ = b.post("/espace", "/logout", url.Values{})
	if resp.StatusCode != 303 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if _, err := e.acc.SessionAccount(tok); err == nil {
		t.Fatal("the session survived logout server-side")
	}
	resp, _ = b.get("/espace")
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/" {
		t.Fatal("espace reachable after logout")
	}
}

func TestLoginFailureIsGeneric(t *testing.T) {
	e := newEnv(t)
	var bodies []string
	for _, f := range []url.Values{
		{"identifier": {"dupont.marie"}, "password": {"wrong"}},
		{"identifier": {"inconnu"}, "password": {"Cartable-Vert-2026"}},
		{"identifier": {""}, "password": {""}},
	} {
		b := e.browser(t)
		resp, body := b.post("/", "/login", f)
		if resp.StatusCode != 401 {
			t.Fatalf("failed login status %d", resp.StatusCode)
		}
		if b.cookies[sessionCookie] != "" {
			t.Fatal("a failed login set a session")
		}
		i := strings.Index(body, `data-testid="login-error">`)
		if i < 0 {
			t.Fatal("no error shown")
		}
		bodies = append(bodies, body[i:i+120])
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Fatalf("failures differ:\n%s\n%s", bodies[0], bodies[1])
	}
	if !strings.Contains(bodies[0], "L&#39;identifiant ou le mot de passe est incorrect") {
		t.Fatalf("message: %s", bodies[0])
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.get("/")
	for name, form := range map[string]string{
		"missing": "identifier=dupont.marie&password=Cartable-Vert-2026",
		"forged":  "identifier=dupont.marie&password=Cartable-Vert-2026&_csrf=AAAA",
	} {
		req := httptest.NewRequest("POST", "/login", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, body := b.do(req)
		if resp.StatusCode != 403 || !strings.Contains(body, "Cette page a expiré") || !strings.Contains(body, `href="/"`) {
			t.Errorf("%s token: %d", name, resp.StatusCode)
		}
		if b.cookies[sessionCookie] != "" {
			t.Errorf("%s token: logged in", name)
		}
	}
	// A token from another browser's cookie is refused too.
	other := e.browser(t)
	_, page := other.get("/")
	tok := csrfRe.FindStringSubmatch(page)[1]
	req := httptest.NewRequest("POST", "/login", strings.NewReader("identifier=dupont.marie&password=Cartable-Vert-2026&_csrf="+tok))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, _ := b.do(req); resp.StatusCode != 403 {
		t.Errorf("another browser's token: %d", resp.StatusCode)
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	for name, c := range map[string]struct {
		form   url.Values
		status int
	}{
		"invalid utf-8": {url.Values{"identifier": {"\xff\xfe"}, "password": {"x"}}, 400},
		"nul byte":      {url.Values{"identifier": {"a\x00b"}, "password": {"x"}}, 400},
		"too long":      {url.Values{"identifier": {strings.Repeat("a", 2000)}, "password": {"x"}}, 400},
	} {
		resp, body := b.post("/", "/login", c.form)
		if resp.StatusCode != c.status || !strings.Contains(body, "Demande incorrecte") {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
	req := httptest.NewRequest("POST", "/login", strings.NewReader("x="+strings.Repeat("a", 200<<10)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := e.app.Test(req, -1); err == nil && resp.StatusCode != 413 {
		t.Errorf("oversized body: %d", resp.StatusCode)
	}
}

func TestNotFoundIsLocalized(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.lang = "en"
	resp, body := b.get("/nulle-part")
	if resp.StatusCode != 404 || !strings.Contains(body, "Page not found") || !strings.Contains(body, "01 23 45 67 89") {
		t.Fatalf("404: %d", resp.StatusCode)
	}
}

func TestPasswordChange(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.post("/", "/login", url.Values{"identifier": {"dupont.marie"}, "password": {"Cartable-Vert-2026"}})
	elsewhere := e.browser(t)
	elsewhere.post("/", "/login", url.Values{"identifier": {"dupont.marie"}, "password": {"Cartable-Vert-2026"}})

	resp, body := b.post("/espace", "/espace/mot-de-passe", url.Values{"current": {"Cartable-Vert-2026"}, "new": {"azerty123"}, "confirm": {"azerty123"}})
	if resp.StatusCode != 422 || !strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, "ne respecte pas toutes les règles") {
		t.Fatalf("weak password: %d", resp.StatusCode)
	}
	if !strings.Contains(body, `class="ko" data-rule="policy.common"`) {
		t.Error("the broken rule is not marked")
	}
	resp, body = b.post("/espace", "/espace/mot-de-passe", url.Values{"current": {"Cartable-Vert-2026"}, "new": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-43"}})
	if resp.StatusCode != 422 || !strings.Contains(body, "La confirmation ne correspond pas") {
		t.Fatalf("mismatch: %d", resp.StatusCode)
	}
	resp, _ = b.post("/espace", "/espace/mot-de-passe", url.Values{"current": {"Cartable-Vert-2026"}, "new": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/?msg=changed" {
		t.Fatalf("change: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := elsewhere.get("/espace"); resp.StatusCode != 303 {
		t.Fatal("the other browser is still signed in after the change")
	}
	if _, err := e.acc.Login(context.Background(), "dupont.marie", "Lune-bleue-42"); err != nil {
		t.Fatal("the new password does not work")
	}
}

func TestStaticAndHealth(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	resp, body := b.get("/healthz")
	if resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	req := httptest.NewRequest("GET", "/static/"+staticVersion+"/app.css", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, _ = b.do(req)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("static: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := b.get("/static/old/app.css"); resp.StatusCode != 404 {
		t.Fatalf("stale version: %d", resp.StatusCode)
	}
}

func TestPolicyPage(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	resp, body := b.get("/politique-mot-de-passe?lang=en")
	if resp.StatusCode != 200 || !strings.Contains(body, "be between 8 and 32 characters long") {
		t.Fatalf("policy page: %d", resp.StatusCode)
	}
	// Every rule, the predictable one included, is listed and explained.
	for _, want := range []string{"not be one character repeated or a sequence like 123456 or qwerty", "It must not be predictable"} {
		if !strings.Contains(body, want) {
			t.Errorf("policy page lacks %q", want)
		}
	}
}
