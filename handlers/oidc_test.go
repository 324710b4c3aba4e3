package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"sesame/internal/audit"
	"sesame/internal/forwardauth"
	"sesame/internal/oidc"
	"sesame/internal/oidc/provider"
	"sesame/internal/store"
)

const rpCallback = "https://moodle.ecole.test/admin/oauth2callback.php"

type oidcEnv struct {
	*env
	svc              *oidc.Service
	p                *provider.Provider
	client, secret   string // a confidential client, Moodle
	public           string // a public client
	icon             string // https icon of the public client
	forwardAuthHosts string
}

// newOIDCEnv is the portal with the provider, two applications, and
// forward-auth shared with ecole.test.
func newOIDCEnv(t *testing.T, opts ...func(*Deps)) *oidcEnv {
	t.Helper()
	o := &oidcEnv{icon: "https://cdn.ecole.test/app.png"}
	o.env = newEnv(t, append(opts, func(d *Deps) {
		st := d.Accounts.Store.(*store.Store)
		o.svc = oidc.New(st, d.Accounts, st.Secret())
		o.svc.Audit = store.AuditLog{Store: st}
		if err := o.svc.EnsureKey(); err != nil {
			t.Fatal(err)
		}
		p, err := provider.New(provider.Config{Service: o.svc, Accounts: d.Accounts, BaseURL: d.Config.BaseURL, Secret: st.Secret()})
		if err != nil {
			t.Fatal(err)
		}
		o.p, d.OIDC = p, p
		domain := "ecole.test"
		if !strings.HasSuffix(d.Config.BaseURL.Hostname(), domain) {
			domain = d.Config.BaseURL.Hostname()
		}
		fa, err := forwardauth.Parse(domain, d.Config.BaseURL)
		if err != nil {
			t.Fatal(err)
		}
		d.Config.ForwardAuth = fa
	})...)
	ctx := context.Background()
	c, secret, err := o.svc.RegisterClient(ctx, oidc.ClientSpec{Name: "Moodle", RedirectURIs: []string{rpCallback},
		PostLogoutURIs: []string{"https://moodle.ecole.test/"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	o.client, o.secret = c.ID, secret
	pub, _, err := o.svc.RegisterClient(ctx, oidc.ClientSpec{Name: "Cantine", RedirectURIs: []string{"https://cantine.ecole.test/cb"},
		Public: true, Icon: o.icon}, "test")
	if err != nil {
		t.Fatal(err)
	}
	o.public = pub.ID
	return o
}

func (o *oidcEnv) authorizeURL(client string, extra url.Values) string {
	q := url.Values{"client_id": {client}, "redirect_uri": {rpCallback}, "response_type": {"code"},
		"scope": {"openid profile email"}, "state": {"st-123"}, "nonce": {"n-456"}}
	if client == o.public {
		q.Set("redirect_uri", "https://cantine.ecole.test/cb")
	}
	for k, v := range extra {
		q[k] = v
	}
	return "/authorize?" + q.Encode()
}

// location is a response's Location as a URL.
func location(t *testing.T, resp *http.Response) *url.URL {
	t.Helper()
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		t.Fatalf("status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return u
}

// pathOf is a Location on the portal as the browser asks for it.
func pathOf(u *url.URL) string { return u.RequestURI() }

func (o *oidcEnv) login(t *testing.T, b *browser, from string, extra url.Values) *http.Response {
	t.Helper()
	form := url.Values{"identifier": {"dupont.marie"}, "password": {"Cartable-Vert-2026"}}
	for k, v := range extra {
		form[k] = v
	}
	post := "/login"
	if strings.HasPrefix(from, "/parents/") {
		post = "/parents/login"
	}
	resp, _ := b.post(from, post, form)
	return resp
}

// code follows the callback and returns the code given to the
// application, checking the state came back.
func (o *oidcEnv) code(t *testing.T, b *browser, callback *url.URL) string {
	t.Helper()
	resp, _ := b.get(pathOf(callback))
	rp := location(t, resp)
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(rp.String(), rpCallback+"?") {
		t.Fatalf("callback: %d → %s", resp.StatusCode, rp)
	}
	if rp.Query().Get("state") != "st-123" || rp.Query().Get("code") == "" {
		t.Fatalf("back at the application without code or state: %s", rp)
	}
	return rp.Query().Get("code")
}

func (o *oidcEnv) token(t *testing.T, form url.Values, user, pass string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := o.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// The login page is the application's login: it names it, lets the form
// go back to it, and after the password the parent is back at the
// application with a code that gives tokens once.
func TestOIDCLoginThroughTheForm(t *testing.T) {
	o := newOIDCEnv(t)
	b := o.browser(t)
	resp, _ := b.get(o.authorizeURL(o.client, nil))
	login := location(t, resp)
	if resp.StatusCode != http.StatusFound || login.Path != "/connexion" || login.Query().Get("demande") == "" {
		t.Fatalf("authorize: %d → %s", resp.StatusCode, login)
	}
	resp, page := b.get(pathOf(login))
	if resp.StatusCode != 200 || !strings.Contains(page, "Connexion à Moodle") || !strings.Contains(page, `name="demande"`) {
		t.Fatalf("login page: %d\n%s", resp.StatusCode, page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://moodle.ecole.test;") {
		t.Errorf("the form may not reach the application: %s", csp)
	}
	// A wrong password keeps the application on the page.
	resp, page = b.post(pathOf(login), "/login", url.Values{"identifier": {"dupont.marie"}, "password": {"wrong"}, "demande": {login.Query().Get("demande")}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "Connexion à Moodle") {
		t.Fatalf("failed login: %d", resp.StatusCode)
	}
	resp = o.login(t, b, pathOf(login), url.Values{"demande": {login.Query().Get("demande")}})
	cb := location(t, resp)
	if resp.StatusCode != http.StatusSeeOther || cb.Path != "/authorize/callback" {
		t.Fatalf("after the password: %d → %s", resp.StatusCode, cb)
	}
	code := o.code(t, b, cb)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpCallback}}
	status, tok := o.token(t, form, o.client, o.secret)
	if status != 200 || tok["id_token"] == nil || tok["access_token"] == nil || tok["token_type"] != "Bearer" {
		t.Fatalf("token: %d %v", status, tok)
	}
	// Once only.
	if status, e := o.token(t, form, o.client, o.secret); status != 400 || e["error"] != "invalid_grant" {
		t.Fatalf("the code again: %d %v", status, e)
	}
	// userinfo with the token; a forged one is refused as RFC 6750 says.
	req := httptest.NewRequest("GET", "/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	resp, _ = o.app.Test(req, -1)
	var ui map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&ui)
	if resp.StatusCode != 200 || ui["preferred_username"] != "dupont.marie" || ui["email"] != "m@exemple.fr" || ui["children"] != nil {
		t.Fatalf("userinfo: %d %v", resp.StatusCode, ui)
	}
	req.Header.Set("Authorization", "Bearer x"+tok["access_token"].(string))
	resp, _ = o.app.Test(req, -1)
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("forged token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	evs, _ := o.st.Audit(time.Time{}, "dupont.marie")
	if !hasKind(evs, audit.OIDCGrant) || !hasKind(evs, audit.OIDCRefused) {
		t.Errorf("audit: %+v", evs)
	}
}

func hasKind(evs []audit.Event, k audit.Kind) bool {
	for _, e := range evs {
		if e.Kind == k {
			return true
		}
	}
	return false
}

func pkce(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// A parent signed in to the portal goes through without a form, unless
// the application wants the password again; prompt=none without a
// session goes back at once with login_required.
func TestOIDCSignedInAndPrompt(t *testing.T) {
	o := newOIDCEnv(t)
	b := o.browser(t)
	resp, _ := b.get(o.authorizeURL(o.client, url.Values{"prompt": {"none"}}))
	if u := location(t, resp); !strings.HasPrefix(u.String(), rpCallback) || u.Query().Get("error") != "login_required" || u.Query().Get("state") != "st-123" {
		t.Fatalf("prompt=none, signed out: %s", u)
	}
	if resp := o.login(t, b, "/", nil); location(t, resp).Path != "/espace" {
		t.Fatalf("portal login: %s", resp.Header.Get("Location"))
	}
	for _, extra := range []url.Values{nil, {"prompt": {"none"}}} {
		resp, _ = b.get(o.authorizeURL(o.client, extra))
		cb := location(t, resp)
		if cb.Path != "/authorize/callback" {
			t.Fatalf("signed in (%v): %s", extra, cb)
		}
		o.code(t, b, cb)
	}
	// prompt=login and max_age=0 show the form, the parent's identifier
	// is not lost, and the password gets through.
	for _, extra := range []url.Values{{"prompt": {"login"}}, {"max_age": {"0"}}} {
		resp, _ = b.get(o.authorizeURL(o.client, extra))
		login := location(t, resp)
		if login.Path != "/connexion" {
			t.Fatalf("%v: %s", extra, login)
		}
		_, page := b.get(pathOf(login))
		if !strings.Contains(page, "Connexion à Moodle") {
			t.Fatalf("%v: no form", extra)
		}
		resp = o.login(t, b, pathOf(login), url.Values{"demande": {login.Query().Get("demande")}})
		o.code(t, b, location(t, resp))
	}
}

// Refusals: a redirect URI not registered is shown to the parent (never
// redirected to), in their language; a public client must use PKCE with
// S256; a code needs its verifier; another client's secret fails.
func TestOIDCRefusals(t *testing.T) {
	o := newOIDCEnv(t)
	b := o.browser(t)
	for lang, want := range map[string]string{"fr": "Connexion impossible", "en": "Cannot sign you in"} {
		b.lang = lang
		resp, page := b.get(o.authorizeURL(o.client, url.Values{"redirect_uri": {"https://evil.test/cb"}}))
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || !strings.Contains(page, want) || strings.Contains(page, "evil.test") {
			t.Fatalf("%s: wrong redirect URI: %d %q", lang, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	b.lang = ""
	for _, tc := range []struct {
		name  string
		extra url.Values
	}{
		{"public without PKCE", nil},
		{"public with plain PKCE", url.Values{"code_challenge": {"abc"}, "code_challenge_method": {"plain"}}},
	} {
		resp, _ := b.get(o.authorizeURL(o.public, tc.extra))
		u := location(t, resp)
		if u.Host != "cantine.ecole.test" || u.Query().Get("error") != "invalid_request" {
			t.Errorf("%s: %s", tc.name, u)
		}
	}
	// Unknown or expired sign-in at the callback: a page, not op's text.
	resp, page := b.get("/authorize/callback?id=nope")
	if resp.StatusCode != 400 || !strings.Contains(page, "Connexion expirée") {
		t.Fatalf("unknown callback: %d", resp.StatusCode)
	}

	// PKCE, confidential client: missing or wrong verifier.
	o.login(t, b, "/", nil)
	verifier := strings.Repeat("v", 50)
	get := func() string {
		resp, _ := b.get(o.authorizeURL(o.client, url.Values{"code_challenge": {pkce(verifier)}, "code_challenge_method": {"S256"}}))
		return o.code(t, b, location(t, resp))
	}
	for _, tc := range []struct {
		name, verifier, user, pass, redirect string
		status                               int
		err                                  string
	}{
		{"no verifier", "", o.client, o.secret, rpCallback, 400, "invalid_request"},
		{"wrong verifier", verifier + "x", o.client, o.secret, rpCallback, 400, "invalid_grant"},
		{"wrong secret", verifier, o.client, "another school's secret", rpCallback, 401, "invalid_client"},
		{"another client", verifier, o.public, "", rpCallback, 400, "invalid_grant"},
		{"other redirect", verifier, o.client, o.secret, "https://moodle.ecole.test/other", 400, "invalid_grant"},
		{"right", verifier, o.client, o.secret, rpCallback, 200, ""},
	} {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {get()}, "redirect_uri": {tc.redirect}}
		if tc.verifier != "" {
			form.Set("code_verifier", tc.verifier)
		}
		if tc.user == o.public {
			form.Set("client_id", o.public)
		}
		status, out := o.token(t, form, map[bool]string{true: tc.user}[tc.pass != ""], tc.pass)
		if status != tc.status || (tc.err != "" && out["error"] != tc.err) {
			t.Errorf("%s: %d %v, want %d %s", tc.name, status, out, tc.status, tc.err)
		}
	}
}

// The application's sign-in survives the pages a parent visits before
// the password (a recovery, the language switch): the login page still
// names it and still goes back to it.
func TestOIDCCarriedThroughRecovery(t *testing.T) {
	o := newOIDCEnv(t)
	b := o.browser(t)
	resp, _ := b.get(o.authorizeURL(o.client, nil))
	login := location(t, resp)
	b.get(pathOf(login))
	b.get("/recuperation")
	// The recovery's last page links to /?identifiant=…
	_, page := b.get("/?identifiant=dupont.marie&lang=en")
	if !strings.Contains(page, "Sign in to Moodle") || !strings.Contains(page, login.Query().Get("demande")) {
		t.Fatalf("after the detour the login page forgot the application:\n%s", page)
	}
	resp = o.login(t, b, "/", url.Values{"demande": {login.Query().Get("demande")}})
	o.code(t, b, location(t, resp))
	if _, ok := b.cookies[returnCookie]; ok {
		t.Error("the return cookie outlived the sign-in")
	}
	// A request that expired (or a restart): the portal's own login.
	resp, page = o.browser(t).get("/connexion?demande=gone")
	if resp.StatusCode != 200 || !strings.Contains(page, "a expiré") {
		t.Fatalf("expired request: %d", resp.StatusCode)
	}
}

// RP-initiated logout: with an ID token of the signed-in parent the
// session ends at once; without one the parent is asked; the return
// address is the registered one only.
func TestOIDCLogout(t *testing.T) {
	o := newOIDCEnv(t)
	b := o.browser(t)
	o.login(t, b, "/", nil)
	resp, _ := b.get(o.authorizeURL(o.client, nil))
	code := o.code(t, b, location(t, resp))
	_, tok := o.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpCallback}}, o.client, o.secret)

	// Not registered: refused, the session stays.
	resp, _ = b.get("/end_session?" + url.Values{"id_token_hint": {tok["id_token"].(string)}, "post_logout_redirect_uri": {"https://evil.test/"}}.Encode())
	if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
		t.Fatalf("foreign post_logout_redirect_uri: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// No hint: asked first.
	resp, _ = b.get("/end_session?" + url.Values{"client_id": {o.client}, "post_logout_redirect_uri": {"https://moodle.ecole.test/"}, "state": {"bye"}}.Encode())
	confirm := location(t, resp)
	if confirm.Path != "/deconnexion" {
		t.Fatalf("without a hint: %s", confirm)
	}
	resp, page := b.get(pathOf(confirm))
	if resp.StatusCode != 200 || !strings.Contains(page, "Vous venez de vous déconnecter de Moodle") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "form-action 'self' https://moodle.ecole.test") {
		t.Fatalf("confirmation page: %d\n%s", resp.StatusCode, page)
	}
	// A made-up return address on the confirmation is refused.
	q := confirm.Query()
	q.Set("retour", "https://evil.test/")
	if resp, _ := b.get("/deconnexion?" + q.Encode()); resp.StatusCode != 400 {
		t.Fatalf("forged confirmation: %d", resp.StatusCode)
	}
	if _, err := o.acc.SessionAccount(b.cookies[sessionCookie]); err != nil {
		t.Fatal("asked, yet already signed out")
	}
	// With the parent's ID token: at once.
	resp, _ = b.get("/end_session?" + url.Values{"id_token_hint": {tok["id_token"].(string)}, "post_logout_redirect_uri": {"https://moodle.ecole.test/"}, "state": {"bye"}}.Encode())
	if u := location(t, resp); u.String() != "https://moodle.ecole.test/?state=bye" {
		t.Fatalf("logout with a hint: %s", u)
	}
	if _, ok := b.cookies[sessionCookie]; ok {
		t.Error("session cookie kept")
	}
	if resp, _ := b.get("/espace"); location(t, resp).Path != "/" {
		t.Error("still signed in after the logout")
	}
	evs, _ := o.st.Audit(time.Time{}, "dupont.marie")
	if !hasKind(evs, audit.OIDCLogout) {
		t.Errorf("no logout in the audit: %+v", evs)
	}
	// The confirmation's yes.
	o.login(t, b, "/", nil)
	resp, _ = b.post(pathOf(confirm), "/deconnexion", url.Values{"retour": {confirm.Query().Get("retour")}, "client": {o.client}, "sig": {confirm.Query().Get("sig")}})
	if u := location(t, resp); u.String() != "https://moodle.ecole.test/?state=bye" {
		t.Fatalf("confirmed logout: %s", u)
	}
	if _, ok := b.cookies[sessionCookie]; ok {
		t.Error("session cookie kept after the confirmed logout")
	}
}

// The parent's space lists the applications, with their icons allowed by
// the page's policy.
func TestOIDCLauncher(t *testing.T) {
	o := newOIDCEnv(t)
	b := o.browser(t)
	o.login(t, b, "/", nil)
	resp, page := b.get("/espace")
	for _, want := range []string{`data-testid="launcher"`, ">Moodle<", ">Cantine<", `href="https://moodle.ecole.test/"`, `src="https://cdn.ecole.test/app.png"`} {
		if !strings.Contains(page, want) {
			t.Errorf("launcher lacks %s", want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: https://cdn.ecole.test;") {
		t.Errorf("CSP %s", csp)
	}
}

// Forward-auth, asked as each proxy asks: nginx (X-Original-URL, 401
// carrying the login address), Caddy and Traefik (X-Forwarded-*, 302).
func TestForwardAuth(t *testing.T) {
	o := newOIDCEnv(t)
	verify := func(cookie string, h map[string]string) *http.Response {
		req := httptest.NewRequest("GET", "/auth/verify", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: forwardauth.CookieName, Value: cookie})
		}
		resp, err := o.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	nginx := map[string]string{"X-Original-URL": "https://cantine.ecole.test/menu?semaine=2&jour=lundi"}
	caddy := map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "cantine.ecole.test", "X-Forwarded-Uri": "/menu?semaine=2&jour=lundi"}
	traefik := map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "cantine.ecole.test", "X-Forwarded-Uri": "/menu?semaine=2&jour=lundi", "X-Forwarded-For": "203.0.113.9"}
	wantLogin := "http://parents.ecole.test/connexion?rd=" + url.QueryEscape("https://cantine.ecole.test/menu?semaine=2&jour=lundi")
	for name, tc := range map[string]struct {
		h      map[string]string
		status int
	}{"nginx": {nginx, 401}, "caddy": {caddy, 302}, "traefik": {traefik, 302}} {
		resp := verify("", tc.h)
		if resp.StatusCode != tc.status || resp.Header.Get("Location") != wantLogin {
			t.Errorf("%s, signed out: %d %q", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// Another host: no way back there.
	resp := verify("", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.test", "X-Forwarded-Uri": "/"})
	if resp.StatusCode != 401 || resp.Header.Get("Location") != "" {
		t.Errorf("foreign host: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The login page with rd: it names the host, lets the form go there,
	// and sets the cookie on the school's domain.
	b := o.browser(t)
	resp, page := b.get("/connexion?rd=" + url.QueryEscape("https://cantine.ecole.test/menu?semaine=2&jour=lundi"))
	if !strings.Contains(page, "Connexion à cantine.ecole.test") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "form-action 'self' https://cantine.ecole.test;") {
		t.Fatalf("login page with rd: %s", resp.Header.Get("Content-Security-Policy"))
	}
	form := url.Values{"identifier": {"dupont.marie"}, "password": {"Cartable-Vert-2026"}, "rd": {"https://cantine.ecole.test/menu?semaine=2&jour=lundi"}}
	resp, _ = b.post("/connexion", "/login", form)
	if u := location(t, resp); u.String() != "https://cantine.ecole.test/menu?semaine=2&jour=lundi" {
		t.Fatalf("after the password: %s", u)
	}
	var fa *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == forwardauth.CookieName {
			fa = c
		}
	}
	if fa == nil || fa.Domain != "ecole.test" || fa.Path != "/" || !fa.HttpOnly || strings.Contains(fa.Value, b.cookies[sessionCookie]) {
		t.Fatalf("forward-auth cookie %+v", fa)
	}
	for name, h := range map[string]map[string]string{"nginx": nginx, "caddy": caddy, "traefik": traefik} {
		resp := verify(fa.Value, h)
		if resp.StatusCode != 200 || resp.Header.Get("Remote-User") != "dupont.marie" || resp.Header.Get("Remote-Name") != "Marie Dupont" ||
			resp.Header.Get("Remote-Email") != "m@exemple.fr" {
			t.Errorf("%s, signed in: %d %v", name, resp.StatusCode, resp.Header)
		}
	}
	// A forged cookie, and one whose session ended, are refused.
	if resp := verify(fa.Value[:len(fa.Value)-2]+"xx", caddy); resp.StatusCode != 302 {
		t.Errorf("forged cookie: %d", resp.StatusCode)
	}
	// A return address elsewhere is not taken by the login either.
	resp, _ = o.browser(t).post("/", "/login", url.Values{"identifier": {"dupont.marie"}, "password": {"Cartable-Vert-2026"}, "rd": {"https://evil.test/"}})
	if u := location(t, resp); u.Path != "/espace" || u.Host != "" {
		t.Fatalf("foreign rd: %s", u)
	}
	b.post("/espace", "/logout", url.Values{})
	if resp := verify(fa.Value, nginx); resp.StatusCode != 401 {
		t.Errorf("after logout: %d", resp.StatusCode)
	}
}

// The protocol's endpoints answer bad input with OAuth's 4xx (JSON for
// applications, a page for a browser), never a 5xx.
func TestOIDCBadInput(t *testing.T) {
	o := newOIDCEnv(t)
	post := func(ct, body string, basic bool) *http.Response {
		req := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if basic {
			req.SetBasicAuth(o.client, o.secret)
		}
		resp, err := o.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	form := "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, ct, body string
		basic          bool
		status         int
	}{
		{"no grant type", form, "code=x", true, 400},
		{"unknown grant type", form, "grant_type=password&username=a&password=b", true, 400},
		{"implicit", form, "grant_type=implicit", true, 400},
		{"client credentials", form, "grant_type=client_credentials", true, 400},
		{"garbage code", form, "grant_type=authorization_code&code=%ff%fe&redirect_uri=" + url.QueryEscape(rpCallback), true, 400},
		{"json", "application/json", `{"grant_type":"authorization_code"}`, true, 400},
		// op looks the code up before the client: invalid_grant.
		{"no client", form, "grant_type=authorization_code&code=abc", false, 400},
	} {
		resp := post(tc.ct, tc.body, tc.basic)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
	}
	b := o.browser(t)
	for _, q := range []string{"", "client_id=nope&redirect_uri=https://x/&response_type=code&scope=openid",
		"client_id=" + o.client + "&redirect_uri=" + url.QueryEscape(rpCallback) + "&response_type=token&scope=openid",
		"client_id=%ff&redirect_uri=%00"} {
		resp, page := b.get("/authorize?" + q)
		if resp.StatusCode >= 500 || (resp.StatusCode == 400 && !strings.Contains(page, "Connexion impossible")) {
			t.Errorf("authorize?%s: %d", q, resp.StatusCode)
		}
	}
}

// Under a base path, the issuer is the base URL and every endpoint, the
// login page and the callback are under it.
func TestOIDCUnderBasePath(t *testing.T) {
	o := newOIDCEnv(t, underParents)
	b := o.browser(t)
	resp, body := b.get("/parents/.well-known/openid-configuration")
	var d map[string]any
	if err := json.Unmarshal([]byte(body), &d); err != nil || resp.StatusCode != 200 {
		t.Fatalf("discovery: %d %v", resp.StatusCode, err)
	}
	for k, want := range map[string]string{
		"issuer": "https://college.example/parents", "authorization_endpoint": "https://college.example/parents/authorize",
		"token_endpoint": "https://college.example/parents/oauth/token", "jwks_uri": "https://college.example/parents/keys",
		"end_session_endpoint": "https://college.example/parents/end_session", "userinfo_endpoint": "https://college.example/parents/userinfo",
	} {
		if d[k] != want {
			t.Errorf("%s = %v, want %s", k, d[k], want)
		}
	}
	if _, ok := d["device_authorization_endpoint"]; ok {
		t.Error("discovery offers device authorization")
	}
	if resp, _ := b.get("/.well-known/openid-configuration"); resp.StatusCode != 404 {
		t.Errorf("discovery outside the base path: %d", resp.StatusCode)
	}
	resp, _ = b.get("/parents" + o.authorizeURL(o.client, nil))
	login := location(t, resp)
	if login.Host != "college.example" || login.Path != "/parents/connexion" {
		t.Fatalf("authorize → %s", login)
	}
	_, page := b.get(pathOf(login))
	checkUnder(t, "login page of an application", page)
	resp = o.login(t, b, pathOf(login), url.Values{"demande": {login.Query().Get("demande")}})
	cb := location(t, resp)
	if cb.Path != "/parents/authorize/callback" {
		t.Fatalf("after the password → %s", cb)
	}
	code := o.code(t, b, cb)
	req := httptest.NewRequest("POST", "/parents/oauth/token", strings.NewReader(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpCallback}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(o.client, o.secret)
	if resp, _ := o.app.Test(req, -1); resp.StatusCode != 200 {
		t.Fatalf("token under the base path: %d", resp.StatusCode)
	}
}

// A signed-in parent opening an application writes nothing to the data
// file: the authorization request and its code live in memory (the
// portal's rule for page views; the grant is recorded at the token
// exchange, an application's POST).
func TestOIDCAuthorizeWritesNothing(t *testing.T) {
	o := newOIDCEnv(t)
	b := o.browser(t)
	o.login(t, b, "/", nil)
	// The parent's subject exists after a first exchange.
	resp, _ := b.get(o.authorizeURL(o.client, nil))
	code := o.code(t, b, location(t, resp))
	if status, _ := o.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpCallback}}, o.client, o.secret); status != 200 {
		t.Fatal(status)
	}
	stat := func() (int64, time.Time) {
		fi, err := os.Stat(o.st.Path())
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size(), fi.ModTime()
	}
	size, mod := stat()
	time.Sleep(20 * time.Millisecond) // a write after this shows in the modification time
	for range 3 {
		resp, _ := b.get(o.authorizeURL(o.client, nil))
		o.code(t, b, location(t, resp))
		b.get("/espace")
	}
	if s, m := stat(); s != size || !m.Equal(mod) {
		t.Fatalf("the data file changed: %d → %d bytes, %v → %v", size, s, mod, m)
	}
}

// The same through an activation: a parent with a letter starts at the
// application, activates the account, and the login page that follows
// still goes back to the application.
func TestOIDCCarriedThroughActivation(t *testing.T) {
	o := newOIDCEnv(t)
	o.imported(t, "dupont.paul", "Paul")
	code, link := o.letter(t, "dupont.paul")
	b := o.browser(t)
	resp, _ := b.get(o.authorizeURL(o.client, nil))
	login := location(t, resp)
	b.get(pathOf(login))
	b.get(link)
	if resp, _ := b.post(link, "/activation/code", url.Values{"identifier": {"dupont.paul"}, "code": {code}}); resp.StatusCode != 303 {
		t.Fatalf("activation code: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/activation", "/activation/mot-de-passe", url.Values{"password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}}); resp.StatusCode != 303 {
		t.Fatalf("activation password: %d", resp.StatusCode)
	}
	_, page := b.get("/?identifiant=dupont.paul")
	if !strings.Contains(page, "Connexion à Moodle") {
		t.Fatalf("after the activation the login page forgot the application:\n%s", page)
	}
	resp, _ = b.post("/?identifiant=dupont.paul", "/login", url.Values{"identifier": {"dupont.paul"}, "password": {"Lune-bleue-42"}, "demande": {login.Query().Get("demande")}})
	o.code(t, b, location(t, resp))
}

// Whoever starts a sign-in and sends its login link to a parent never
// gets the parent's code: the callback answers only the browser whose
// portal session completed the request.
func TestOIDCCodeOnlyToTheBrowserThatSignedIn(t *testing.T) {
	o := newOIDCEnv(t)
	attacker, victim := o.browser(t), o.browser(t)
	o.login(t, victim, "/", nil)
	for _, how := range []string{"signed in already", "through the form"} {
		resp, _ := attacker.get(o.authorizeURL(o.client, nil))
		login := location(t, resp)
		if how == "signed in already" {
			resp, _ = victim.get(pathOf(login))
		} else {
			victim = o.browser(t)
			resp = o.login(t, victim, pathOf(login), url.Values{"demande": {login.Query().Get("demande")}})
		}
		cb := location(t, resp)
		if cb.Path != "/authorize/callback" {
			t.Fatalf("%s: the victim's browser went to %s", how, cb)
		}
		resp, page := attacker.get(pathOf(cb))
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || !strings.Contains(page, "Connexion expirée") {
			t.Fatalf("%s: the attacker's browser at the callback: %d %q", how, resp.StatusCode, resp.Header.Get("Location"))
		}
		// The parent's own browser still gets it.
		o.code(t, victim, cb)
	}
}

// A return address outside the school's domains is ignored on the login
// page: no application named, no field carrying it, no notice.
func TestForwardAuthForeignReturnIgnored(t *testing.T) {
	o := newOIDCEnv(t)
	resp, page := o.browser(t).get("/connexion?rd=" + url.QueryEscape("https://evil.test/x"))
	if resp.StatusCode != 200 || strings.Contains(page, "evil.test") || strings.Contains(page, `name="rd"`) ||
		strings.Contains(page, `data-testid="login-notice"`) || !strings.Contains(page, "Connexion à l&#39;Espace Parents") {
		t.Fatalf("foreign rd: %d\n%s", resp.StatusCode, page)
	}
	if strings.Contains(resp.Header.Get("Content-Security-Policy"), "evil.test") {
		t.Fatal("the policy lets the form reach the foreign host")
	}
}

// Revocation (RFC 7009) and introspection (RFC 7662) for the client the
// tokens were issued to.
func TestOIDCRevokeAndIntrospect(t *testing.T) {
	o := newOIDCEnv(t)
	b := o.browser(t)
	o.login(t, b, "/", nil)
	resp, _ := b.get(o.authorizeURL(o.client, url.Values{"scope": {"openid offline_access"}}))
	code := o.code(t, b, location(t, resp))
	_, tok := o.token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpCallback}}, o.client, o.secret)
	refresh, _ := tok["refresh_token"].(string)
	access, _ := tok["access_token"].(string)
	if refresh == "" || access == "" {
		t.Fatalf("tokens: %v", tok)
	}
	post := func(path string, form url.Values) (int, map[string]any) {
		req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(o.client, o.secret)
		resp, err := o.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if status, out := post("/oauth/introspect", url.Values{"token": {access}}); status != 200 || out["active"] != true || out["client_id"] != o.client {
		t.Fatalf("introspect: %d %v", status, out)
	}
	if status, out := post("/oauth/introspect", url.Values{"token": {"forged"}}); status != 200 || out["active"] != false {
		t.Fatalf("introspect a forged token: %d %v", status, out)
	}
	if status, _ := post("/revoke", url.Values{"token": {refresh}, "token_type_hint": {"refresh_token"}}); status != 200 {
		t.Fatalf("revoke: %d", status)
	}
	if status, out := o.token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, o.client, o.secret); status != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("a revoked refresh token: %d %v", status, out)
	}
}
