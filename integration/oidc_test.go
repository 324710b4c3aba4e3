package integration

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// An application signing parents in, as a school's Moodle or Nextcloud
// would: golang.org/x/oauth2 and github.com/coreos/go-oidc against the
// release binary. Nothing here knows Sésame's code: only its discovery
// document, its login form and its admin commands.

const oidcPassword = "Cartable-Bleu-2026"

// registered is an application as `sesame oidc clients add` printed it.
type registered struct{ id, secret string }

var (
	clientIDLine     = regexp.MustCompile(`client ID\s+(\S+)`)
	clientSecretLine = regexp.MustCompile(`client secret\s+(\S+)`)
)

func registerClient(t *testing.T, data string, args ...string) registered {
	t.Helper()
	out := mustCLI(t, "", append([]string{"oidc", "--data", data, "clients", "add"}, args...)...)
	id, secret := clientIDLine.FindStringSubmatch(out), clientSecretLine.FindStringSubmatch(out)
	if id == nil || secret == nil {
		t.Fatalf("clients add printed no client ID or secret:\n%s", out)
	}
	return registered{id[1], secret[1]}
}

// oidcServer is a portal with one parent (with a password) and Moodle
// registered, its redirect URIs on rpBase (nothing listens there: the
// test reads the redirect's Location).
type oidcServer struct {
	*sesame
	parent string
	moodle registered
	rpBase string
}

func startOIDC(t *testing.T, extra ...string) *oidcServer {
	t.Helper()
	data := filepath.Join(t.TempDir(), "sesame.db")
	srv := newSesame(t, data, extra...)
	srv.start()
	ids, _ := importAccounts(t, data, "oidc", 1)
	mustCLI(t, oidcPassword+"\n", "accounts", "--data", data, "set-password", ids[0])
	o := &oidcServer{sesame: srv, parent: ids[0], rpBase: "http://127.0.0.1:" + strconv.Itoa(freePort(t))}
	o.moodle = registerClient(t, data, "--name", "Moodle", "--redirect-uri", o.rpBase+"/cb", "--post-logout-uri", o.rpBase+"/bye", "--children")
	return o
}

// rp is the application's side.
type rp struct {
	t        *testing.T
	provider *gooidc.Provider
	conf     oauth2.Config
	verifier *gooidc.IDTokenVerifier
}

func (o *oidcServer) rp(t *testing.T, c registered) *rp {
	t.Helper()
	ctx := context.Background()
	p, err := gooidc.NewProvider(ctx, o.base())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &rp{t: t, provider: p, verifier: p.Verifier(&gooidc.Config{ClientID: c.id}), conf: oauth2.Config{
		ClientID: c.id, ClientSecret: c.secret, Endpoint: p.Endpoint(), RedirectURL: o.rpBase + "/cb",
		Scopes: []string{gooidc.ScopeOpenID, "profile", "email", gooidc.ScopeOfflineAccess, "children"},
	}}
}

func random(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// get fetches an absolute URL without following redirects.
func (b *browser) getURL(u string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp, string(body)
}

var demandeField = regexp.MustCompile(`name="demande" value="([^"]+)"`)

// signIn is a parent going from the application's authorization URL to
// its redirect URI: through the login form when not signed in to the
// portal, straight back when signed in. It returns the redirect's query.
func (o *oidcServer) signIn(t *testing.T, b *browser, authURL string, form bool) url.Values {
	t.Helper()
	resp, _ := b.getURL(authURL)
	loc := resp.Header.Get("Location")
	if form {
		if resp.StatusCode != http.StatusFound || !strings.Contains(loc, "/connexion?demande=") {
			t.Fatalf("authorize: %d → %q, want the login page", resp.StatusCode, loc)
		}
		_, page := b.getURL(loc)
		if !strings.Contains(page, "Connexion à Moodle") {
			t.Fatalf("the login page does not name the application:\n%s", page)
		}
		m := demandeField.FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no authorization request in the login form")
		}
		code, l, err := b.post("/login", url.Values{"identifier": {o.parent}, "password": {oidcPassword}, "demande": {m[1]}})
		if err != nil || code != http.StatusSeeOther {
			t.Fatalf("login: %d %v", code, err)
		}
		loc = l
	} else if !strings.Contains(loc, "/authorize/callback?") {
		t.Fatalf("authorize while signed in: %d → %q, want the callback at once", resp.StatusCode, loc)
	}
	resp, _ = b.getURL(loc)
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || !strings.HasPrefix(back.String(), o.rpBase+"/cb?") {
		t.Fatalf("callback: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return back.Query()
}

// login is a full sign-in with state, nonce and PKCE, checked as an
// application checks it; it returns the tokens and the verified ID token.
func (r *rp) login(o *oidcServer, b *browser, form bool) (*oauth2.Token, *gooidc.IDToken, string) {
	t := r.t
	t.Helper()
	state, nonce, verifier := random(t), random(t), oauth2.GenerateVerifier()
	q := o.signIn(t, b, r.conf.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), form)
	if q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("back at the application: %v", q)
	}
	tok, err := r.conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.verifier.Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("ID token against the JWKS: %v", err)
	}
	if idt.Nonce != nonce {
		t.Fatalf("nonce %q, want %q", idt.Nonce, nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Fatalf("at_hash: %v", err)
	}
	return tok, idt, raw
}

// claims are what the application reads of the parent.
type claims struct {
	Sub           string `json:"sub"`
	Username      string `json:"preferred_username"`
	Name          string `json:"name"`
	GivenName     string `json:"given_name"`
	FamilyName    string `json:"family_name"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Locale        string `json:"locale"`
	Children      []struct {
		GivenName string `json:"given_name"`
	} `json:"children"`
}

func (c claims) check(t *testing.T, o *oidcServer) {
	t.Helper()
	if c.Username != o.parent || c.Email != o.parent+"@example.org" || !c.EmailVerified || c.FamilyName != "Testeur" ||
		c.GivenName != "ParentAA" || c.Name != "ParentAA Testeur" || c.Locale != "fr" || c.Children == nil {
		t.Errorf("claims %+v", c)
	}
	if c.Sub == "" || strings.Contains(c.Sub, o.parent) {
		t.Errorf("sub %q: must be stable and not the identifier", c.Sub)
	}
}

func oauthError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return fmt.Sprint(err)
}

// The "done when": discovery, login through the real form, code
// with PKCE, the ID token verified against the JWKS, userinfo, refresh,
// logout; the same after a key rotation; and the refusals.
func TestOIDCRelyingParty(t *testing.T) {
	t.Parallel()
	o := startOIDC(t, "--forward-auth-domains", "127.0.0.1")
	r := o.rp(t, o.moodle)
	ctx := context.Background()
	b := newBrowser(t, o.base())

	tok, idt, rawID := r.login(o, b, true)
	var c claims
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	c.check(t, o)
	sub := idt.Subject
	ui, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	var uc claims
	if err := ui.Claims(&uc); err != nil || uc.Sub != sub {
		t.Fatalf("userinfo claims %+v %v", uc, err)
	}
	uc.check(t, o)

	// Signed in to the portal: the next sign-in needs no form, same sub.
	_, idt2, _ := r.login(o, b, false)
	if idt2.Subject != sub {
		t.Fatalf("sub changed: %q then %q", sub, idt2.Subject)
	}

	// Refresh: new tokens, the old refresh token spent.
	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	fresh, err := r.conf.TokenSource(ctx, &expired).Token()
	if err != nil || fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh: %v", err)
	}
	if raw, _ := fresh.Extra("id_token").(string); raw != "" {
		if _, err := r.verifier.Verify(ctx, raw); err != nil {
			t.Fatalf("refreshed ID token: %v", err)
		}
	}
	if _, err := r.conf.TokenSource(ctx, &expired).Token(); oauthError(err) != "invalid_grant" {
		t.Fatalf("the spent refresh token again: %v", err)
	}

	// Forward-auth on the same sign-in, asked as each proxy asks.
	for name, h := range map[string]map[string]string{
		"nginx":   {"X-Original-URL": o.base() + "/app/page"},
		"caddy":   {"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "http", "X-Forwarded-Host": strings.TrimPrefix(o.base(), "http://"), "X-Forwarded-Uri": "/app/page"},
		"traefik": {"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "http", "X-Forwarded-Host": strings.TrimPrefix(o.base(), "http://"), "X-Forwarded-Uri": "/app/page", "X-Forwarded-For": "203.0.113.4"},
	} {
		req, _ := http.NewRequest("GET", o.base()+"/auth/verify", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Remote-User") != o.parent || resp.Header.Get("Remote-Email") != o.parent+"@example.org" {
			t.Errorf("forward-auth (%s), signed in: %d %v", name, resp.StatusCode, resp.Header)
		}
		bare, _ := http.NewRequest("GET", o.base()+"/auth/verify", nil) // no cookie
		for k, v := range h {
			bare.Header.Set(k, v)
		}
		resp, err = http.DefaultTransport.RoundTrip(bare)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{true: 401, false: 302}[name == "nginx"]; resp.StatusCode != want ||
			!strings.HasPrefix(resp.Header.Get("Location"), o.base()+"/connexion?rd=") {
			t.Errorf("forward-auth (%s), signed out: %d %q", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}

	// Logout from the application, proving the parent with the ID token.
	endURL := r.endSession(rawID, o.rpBase+"/bye", "s1")
	resp, _ := b.getURL(endURL)
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != o.rpBase+"/bye?state=s1" {
		t.Fatalf("end_session: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := b.getURL(o.base() + "/espace"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("still signed in to the portal after the logout: %d", resp.StatusCode)
	}

	// A new signing key: the old one still verifies its tokens, the new
	// one signs, and the application follows without being told.
	out := mustCLI(t, "", "oidc", "--data", o.data, "rotate-keys")
	if !strings.Contains(out, "new RS256 signing key") {
		t.Fatalf("rotate-keys: %s", out)
	}
	if _, err := r.verifier.Verify(ctx, rawID); err != nil {
		t.Fatalf("a token of the retired key: %v", err)
	}
	_, idt3, raw3 := r.login(o, b, true)
	if idt3.Subject != sub || kid(t, raw3) == kid(t, rawID) {
		t.Fatalf("after rotation: sub %q, kid %q (was %q)", idt3.Subject, kid(t, raw3), kid(t, rawID))
	}
	var keys struct{ Keys []json.RawMessage }
	getJSON(t, o.base()+"/keys", &keys)
	if len(keys.Keys) != 2 {
		t.Fatalf("JWKS after rotation: %d keys, want the new one and the retired one", len(keys.Keys))
	}

	t.Run("refusals", func(t *testing.T) { o.refusals(t, r, b) })

	// Every grant and refusal is in the audit.
	audit := mustCLI(t, "", "audit", "--data", o.data)
	for _, want := range []string{"oidc.grant", "oidc.refresh", "oidc.refused", "oidc.logout", "oidc.keys_rotated", "oidc.client_added"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit lacks %s:\n%s", want, audit)
		}
	}
}

// refusals are answered with the standard OAuth errors.
func (o *oidcServer) refusals(t *testing.T, r *rp, b *browser) {
	ctx := context.Background()
	code := func(verifier string) string {
		opts := []oauth2.AuthCodeOption{gooidc.Nonce("n")}
		if verifier != "" {
			opts = append(opts, oauth2.S256ChallengeOption(verifier))
		}
		return o.signIn(t, b, r.conf.AuthCodeURL("st", opts...), false).Get("code")
	}
	verifier := oauth2.GenerateVerifier()

	// A redirect URI not registered: never redirected to.
	bad := strings.Replace(r.conf.AuthCodeURL("st"), url.QueryEscape(o.rpBase+"/cb"), url.QueryEscape(o.rpBase+"/other"), 1)
	resp, page := b.getURL(bad)
	if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || !strings.Contains(page, "Connexion impossible") {
		t.Errorf("wrong redirect URI: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// PKCE: the verifier missing, or wrong.
	if _, err := r.conf.Exchange(ctx, code(verifier)); oauthError(err) != "invalid_request" {
		t.Errorf("missing verifier: %v", err)
	}
	if _, err := r.conf.Exchange(ctx, code(verifier), oauth2.VerifierOption(oauth2.GenerateVerifier())); oauthError(err) != "invalid_grant" {
		t.Errorf("wrong verifier: %v", err)
	}
	// A code used twice.
	c := code(verifier)
	first, err := r.conf.Exchange(ctx, c, oauth2.VerifierOption(verifier))
	if err != nil || first.RefreshToken == "" {
		t.Fatalf("first use: %v", err)
	}
	if _, err := r.conf.Exchange(ctx, c, oauth2.VerifierOption(verifier)); oauthError(err) != "invalid_grant" {
		t.Errorf("reused code: %v", err)
	}
	// What the first use gave is revoked (RFC 6749 §4.1.2).
	first.Expiry = time.Now().Add(-time.Minute)
	if _, err := r.conf.TokenSource(ctx, first).Token(); oauthError(err) != "invalid_grant" {
		t.Errorf("the refresh token of a reused code: %v", err)
	}
	// Another application's credentials, and a secret of another school's
	// portal for this client ID.
	other := registerClient(t, o.data, "--name", "Nextcloud", "--redirect-uri", o.rpBase+"/cb")
	stranger := r.conf
	stranger.ClientID, stranger.ClientSecret = other.id, other.secret
	if _, err := stranger.Exchange(ctx, code(verifier), oauth2.VerifierOption(verifier)); oauthError(err) != "invalid_grant" {
		t.Errorf("another client's code: %v", err)
	}
	otherSchool := r.conf
	otherSchool.ClientSecret = "aVeryWellFormedSecretFromAnotherSchool0000000"
	if _, err := otherSchool.Exchange(ctx, code(verifier), oauth2.VerifierOption(verifier)); oauthError(err) != "invalid_client" {
		t.Errorf("another school's secret: %v", err)
	}
	// A forged access token at userinfo.
	if _, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "forged", TokenType: "Bearer"})); err == nil {
		t.Error("userinfo accepted a forged token")
	}
}

// An access token past its lifetime is refused (a portal with 2-second
// tokens).
func TestOIDCExpiredToken(t *testing.T) {
	t.Parallel()
	o := startOIDC(t, "--oidc-token-ttl", "2s")
	r := o.rp(t, o.moodle)
	b := newBrowser(t, o.base())
	tok, _, _ := r.login(o, b, true)
	if _, err := r.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok)); err != nil {
		t.Fatalf("userinfo while valid: %v", err)
	}
	time.Sleep(2500 * time.Millisecond)
	req, _ := http.NewRequest("GET", o.base()+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("expired token at userinfo: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// A password change ends every grant: the refresh token too.
	mustCLI(t, "Cartable-Rouge-2027\n", "accounts", "--data", o.data, "set-password", o.parent)
	if _, err := r.conf.TokenSource(context.Background(), tok).Token(); oauthError(err) != "invalid_grant" {
		t.Fatalf("refresh after a password change: %v", err)
	}
}

func (r *rp) endSession(idToken, redirect, state string) string {
	var d struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := r.provider.Claims(&d); err != nil || d.EndSession == "" {
		r.t.Fatalf("no end_session_endpoint in discovery: %v", err)
	}
	return d.EndSession + "?" + url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {redirect}, "state": {state}}.Encode()
}

func kid(t *testing.T, raw string) string {
	h, err := base64.RawURLEncoding.DecodeString(strings.SplitN(raw, ".", 2)[0])
	var hdr struct{ Kid string }
	if err != nil || json.Unmarshal(h, &hdr) != nil {
		t.Fatalf("ID token header: %v", err)
	}
	return hdr.Kid
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
}
