// Package provider is the OpenID Connect protocol of Sésame, done by
// zitadel/oidc's op package (a certified implementation), over the
// domain of internal/oidc: its op.Storage, the authorization requests
// held in memory, and what the portal adds around the protocol —
// signed-in parents answered without a form, the login page as the
// provider's login, the audit of every grant and refusal.
//
// It speaks net/http, not Fiber: the web layer hands it a request with
// the portal session's cookie and the client's address (Serve), and
// writes out, or replaces with a page of its own, what it answers.
package provider

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/oidc"
)

// Accounts is what the provider needs of the parents' accounts and
// their portal sessions; *account.Service satisfies it.
type Accounts interface {
	Get(id string) (account.Account, error)
	SessionInfo(token string) (account.Account, account.Session, error)
	Logout(token string) error
}

// Config is what New needs.
type Config struct {
	Service  *oidc.Service
	Accounts Accounts
	// BaseURL is the portal's address, which is the issuer: the
	// endpoints are under it, sub-path hosting included.
	BaseURL *url.URL
	// Secret signs the logout confirmation's return address.
	Secret []byte
	Log    *slog.Logger
	Now    func() time.Time
}

// Provider is the OpenID Connect provider.
type Provider struct {
	svc      *oidc.Service
	accounts Accounts
	op       *op.Provider
	requests *requests
	issuer   string
	secret   []byte
	log      *slog.Logger
	now      func() time.Time
}

// Paths are the endpoints, relative to the base URL, that the web layer
// routes to Serve.
var Paths = []string{
	"/.well-known/openid-configuration",
	"/authorize",
	"/authorize/callback",
	"/oauth/token",
	"/userinfo",
	"/keys",
	"/end_session",
	"/revoke",
	"/oauth/introspect",
}

// Paths of the endpoints the provider treats specially.
const (
	pathAuthorize = "/authorize"
	pathCallback  = "/authorize/callback"
	pathToken     = "/oauth/token"
	pathUserinfo  = "/userinfo"
	pathDiscovery = "/.well-known/openid-configuration"
	pathEndSess   = "/end_session"
)

// New builds the provider.
func New(c Config) (*Provider, error) {
	if c.Service == nil || c.Accounts == nil || c.BaseURL == nil {
		return nil, errors.New("provider: Service, Accounts and BaseURL are required")
	}
	p := &Provider{
		svc: c.Service, accounts: c.Accounts, issuer: strings.TrimRight(c.BaseURL.String(), "/"),
		secret: c.Secret, log: c.Log, now: c.Now,
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.requests = newRequests(p.now)
	claims := []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "amr", "at_hash", "c_hash", "azp",
		"preferred_username", "name", "given_name", "family_name", "locale", "email", "email_verified", oidc.ScopeChildren}
	cfg := &op.Config{
		DefaultLogoutRedirectURI: p.issuer + "/?msg=logout",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedUILocales:       []language.Tag{language.French, language.English},
		SupportedScopes:          []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOffline, oidc.ScopeChildren},
		SupportedClaims:          claims,
	}
	opts := []op.Option{
		op.WithCrypto(c.Service.Crypto()),
		// Applications' browser code may call the token, userinfo and
		// key endpoints; never with the parent's cookies.
		op.WithCORSOptions(&cors.Options{
			AllowOriginFunc:  func(string) bool { return true },
			AllowedMethods:   []string{http.MethodGet, http.MethodHead, http.MethodPost},
			AllowedHeaders:   []string{"Origin", "Accept", "Accept-Language", "Authorization", "Content-Type", "X-Requested-With"},
			AllowCredentials: false,
		}),
	}
	if c.BaseURL.Scheme == "http" {
		// A portal served in clear (a test, a demo): op wants https.
		opts = append(opts, op.WithAllowInsecure())
	}
	var err error
	p.op, err = op.NewProvider(cfg, storage{p}, op.StaticIssuer(p.issuer), opts...)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Service is the domain service under the provider.
func (p *Provider) Service() *oidc.Service { return p.svc }

// Issuer is the provider's issuer identifier: the base URL.
func (p *Provider) Issuer() string { return p.issuer }

func (p *Provider) loginURL(id string) string {
	u := p.issuer + "/connexion?demande=" + url.QueryEscape(id)
	if a, err := p.requests.get(id); err == nil {
		// The application's ui_locales picks the page's language.
		for _, t := range a.Req.UILocales {
			if b, _ := language.Tag(t).Base(); b.String() == "en" || b.String() == "fr" {
				return u + "&lang=" + b.String()
			}
		}
	}
	return u
}

func (p *Provider) callbackURL(id string) string {
	return p.issuer + pathCallback + "?id=" + url.QueryEscape(id)
}

// subjectOf reads an account's subject, creating nothing.
func (p *Provider) subjectOf(accountID string) (string, error) {
	s, err := p.svc.Store.OIDCSubject(accountID)
	return s.Sub, err
}

// Request is one request for the provider.
type Request struct {
	// HTTP is the request, its URL.Path relative to the base URL
	// ("/authorize").
	HTTP *http.Request
	// Session is the portal session cookie's value, "" if none.
	Session string
	// IP is the client's address, for the audit.
	IP string
}

// Response is the provider's answer, whole: the web layer writes it
// out, or shows its own page when Problem is set.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Problem is a message ID set when the answer is an error for the
	// person at the browser that cannot go back to the application (an
	// unknown client, a redirect URI not registered, an expired
	// sign-in): a page in their language replaces op's text.
	Problem string
	// SessionEnded says the application signed the parent out of the
	// portal: the session cookie is to be cleared.
	SessionEnded bool
}

// Message IDs of Response.Problem.
const (
	ProblemRequest = "oidc.error.request"
	ProblemExpired = "oidc.error.expired"
)

// Serve answers one request to an endpoint of Paths.
func (p *Provider) Serve(req Request) *Response {
	x := &exchange{p: p, token: req.Session, ip: req.IP}
	ctx := context.WithValue(audit.WithIP(req.HTTP.Context(), req.IP), exchangeKey{}, x)
	rec := &recorder{header: http.Header{}}
	p.op.ServeHTTP(rec, req.HTTP.WithContext(ctx))
	resp := &Response{Status: rec.status, Header: rec.header, Body: rec.body.Bytes()}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	switch req.HTTP.URL.Path {
	case pathAuthorize, pathCallback:
		p.afterAuthorize(req, x, resp)
	case pathToken:
		p.afterToken(req, x, resp)
	case pathUserinfo:
		bearerChallenge(resp)
	case pathDiscovery:
		p.trimDiscovery(resp)
	case pathEndSess:
		resp.SessionEnded = x.ended
	}
	return resp
}

// afterAuthorize records refusals and marks the ones meant for the
// person at the browser.
func (p *Provider) afterAuthorize(req Request, x *exchange, resp *Response) {
	q := req.HTTP.URL.Query()
	clientID := x.client
	if clientID == "" {
		if c, err := p.svc.Client(q.Get("client_id")); err == nil {
			clientID = c.ID
		}
	}
	switch {
	case resp.Status == http.StatusBadRequest:
		resp.Problem = ProblemRequest
		if req.HTTP.URL.Path == pathCallback {
			resp.Problem = ProblemExpired
		}
		p.refused(req, "", clientID, "authorize: "+clip(string(resp.Body)), true)
	case resp.Status == http.StatusFound:
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			return
		}
		if e := loc.Query().Get("error"); e != "" && !strings.HasPrefix(resp.Header.Get("Location"), p.issuer+"/") {
			p.refused(req, "", clientID, "authorize: "+e+": "+clip(loc.Query().Get("error_description")), true)
		}
	}
}

// afterToken records the grant, or the refusal with its OAuth error.
func (p *Provider) afterToken(req Request, x *exchange, resp *Response) {
	if resp.Status == http.StatusOK && x.account != "" {
		c, _ := p.svc.Client(x.client)
		kind := x.kind
		if kind == "" {
			kind = audit.OIDCGrant
		}
		p.svc.Record(audit.Event{Kind: kind, Account: x.account, Detail: oidc.GrantDetail(c, x.scopes), IP: req.IP})
		return
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(resp.Body, &e)
	why := e.Error
	switch {
	case x.reused:
		why += ": authorization code used twice (what it gave is revoked)"
	case e.Description != "":
		why += ": " + clip(e.Description)
	}
	clientID := x.client
	if clientID == "" {
		clientID = clientOfTokenRequest(req.HTTP)
	}
	p.refused(req, x.account, clientID, "token: "+why, false)
}

// refused records a refusal. Those of the authorization endpoint, which
// any browser can be sent to, are an hourly count per client address: a
// flood of bad links is one record an hour, not one write each. Those
// of the token endpoint, which applications' servers call (and the rate
// limit bounds), are recorded one by one, with their reason.
func (p *Provider) refused(req Request, accountID, clientID, why string, hourly bool) {
	if clientID != "" {
		why += " (client " + clientID + ")"
	}
	e := audit.Event{Kind: audit.OIDCRefused, Account: accountID, Detail: why, IP: req.IP}
	if hourly {
		e.Count = 1
	}
	p.svc.Record(e)
}

// clientOfTokenRequest is the client a refused token request named, if
// it is registered (an unknown one is not written to the audit).
func clientOfTokenRequest(r *http.Request) string {
	id, _, ok := r.BasicAuth()
	if !ok {
		id = r.PostFormValue("client_id")
	}
	if id == "" || len(id) > 100 {
		return ""
	}
	return id
}

// clip makes text from op or an application fit one audit line: one
// line, printable, at most 160 characters.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if r := []rune(s); len(r) > 160 {
		s = string(r[:160]) + "…"
	}
	return s
}

// bearerChallenge makes userinfo's refusals what RFC 6750 says: 401
// with a WWW-Authenticate challenge (op answers an invalid token 403).
func bearerChallenge(resp *Response) {
	if resp.Status != http.StatusUnauthorized && resp.Status != http.StatusForbidden {
		return
	}
	resp.Status = http.StatusUnauthorized
	resp.Header = http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}}
	resp.Header.Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="the access token is missing, invalid or expired"`)
	resp.Body = []byte(`{"error":"invalid_token","error_description":"the access token is missing, invalid or expired"}`)
}

// trimDiscovery states only what is offered: the code flow (op lists
// the implicit flow, the JWT bearer grant and device authorization as
// well, which no client of ours may use).
func (p *Provider) trimDiscovery(resp *Response) {
	var d map[string]any
	if resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &d) != nil {
		return
	}
	d["response_types_supported"] = []string{"code"}
	d["grant_types_supported"] = []string{"authorization_code", "refresh_token"}
	d["response_modes_supported"] = []string{"query", "form_post"}
	delete(d, "device_authorization_endpoint")
	if b, err := json.Marshal(d); err == nil {
		resp.Body = b
		resp.Header.Del("Content-Length")
	}
}

// exchange is one request's state, in its context: what the storage
// calls learn, for the audit and the response.
type exchange struct {
	p     *Provider
	token string
	ip    string

	loaded bool
	acct   account.Account
	sess   account.Session
	ok     bool

	request   string
	client    string
	account   string
	kind      audit.Kind
	scopes    []string
	code      string
	reused    bool
	badClient bool
	ended     bool
}

type exchangeKey struct{}

func exchangeOf(ctx context.Context) *exchange {
	if x, ok := ctx.Value(exchangeKey{}).(*exchange); ok {
		return x
	}
	return &exchange{}
}

// session is the parent signed in to the portal in this browser, read
// once per request.
func (x *exchange) session() (account.Account, account.Session, bool) {
	if !x.loaded && x.p != nil {
		x.loaded = true
		if x.token != "" {
			a, s, err := x.p.accounts.SessionInfo(x.token)
			x.acct, x.sess, x.ok = a, s, err == nil
		}
	}
	return x.acct, x.sess, x.ok
}

// endSession ends the portal session of this browser, for an
// application that signed the parent out.
func (p *Provider) endSession(ctx context.Context, x *exchange, accountID, clientID string) error {
	if err := p.accounts.Logout(x.token); err != nil {
		return err
	}
	p.svc.SessionEnded(ctx, accountID, clientID)
	return nil
}

// recorder is an http.ResponseWriter keeping the whole answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// Pending is an authorization request waiting for the parent, as the
// login page shows it.
type Pending struct {
	ID         string
	ClientID   string
	ClientName string
	// Origin is the scheme and host the browser goes back to: the page
	// that posts the password must allow it as a form's destination.
	Origin string
	// LoginHint is the application's guess at the identifier.
	LoginHint string
}

// Pending returns the authorization request id, if it is waiting.
func (p *Provider) Pending(id string) (Pending, bool) {
	if id == "" || len(id) > 64 {
		return Pending{}, false
	}
	a, err := p.requests.get(id)
	if err != nil {
		return Pending{}, false
	}
	origin := ""
	if u, err := url.Parse(a.Req.RedirectURI); err == nil {
		origin = u.Scheme + "://" + u.Host
	}
	return Pending{ID: a.ID, ClientID: a.ClientID, ClientName: a.ClientName, Origin: origin, LoginHint: a.Req.LoginHint}, true
}

// ErrExpired means the authorization request is no longer held (it
// expired, or the server restarted).
var ErrExpired = errUnknownRequest

// Complete records that the parent signed in (at authTime) for the
// request id, in the browser holding the portal session token, and
// returns where that browser goes next: the callback that hands the
// application its code — to that browser only.
func (p *Provider) Complete(id, accountID string, authTime time.Time, token string) (string, error) {
	if token == "" {
		return "", errUnknownRequest
	}
	if _, err := p.requests.complete(id, accountID, authTime, account.TokenHash(token)); err != nil {
		return "", err
	}
	return p.callbackURL(id), nil
}

// CompleteSession is Complete for a parent already signed in to the
// portal with token: false when the request wants the password typed
// again (prompt=login, max_age, or another parent's id_token_hint).
func (p *Provider) CompleteSession(id string, a account.Account, s account.Session, token string) (string, bool) {
	req, err := p.requests.get(id)
	if err != nil {
		return "", false
	}
	sub, _ := p.subjectOf(a.ID)
	if req.needsLogin(s.Created, p.now(), req.HintSub == "" || req.HintSub == sub) {
		return "", false
	}
	u, err := p.Complete(id, a.ID, s.Created, token)
	return u, err == nil
}

// logoutConfirmURL is the page asking the parent whether to sign out of
// the portal, carrying the return address op validated, signed so that
// the page cannot be made to send anyone elsewhere.
func (p *Provider) logoutConfirmURL(redirect, clientID string) string {
	q := url.Values{"retour": {redirect}, "client": {clientID}, "sig": {p.logoutSig(redirect, clientID)}}
	return p.issuer + "/deconnexion?" + q.Encode()
}

func (p *Provider) logoutSig(redirect, clientID string) string {
	m := hmac.New(sha256.New, p.secret)
	m.Write([]byte("oidc logout\x00" + clientID + "\x00" + redirect))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Logout is a sign-out an application asked for, as the confirmation
// page shows it.
type Logout struct {
	Redirect   string
	ClientID   string
	ClientName string
}

// CheckLogout verifies the confirmation page's parameters.
func (p *Provider) CheckLogout(redirect, clientID, sig string) (Logout, bool) {
	if redirect == "" || len(redirect) > 2000 || !hmac.Equal([]byte(sig), []byte(p.logoutSig(redirect, clientID))) {
		return Logout{}, false
	}
	l := Logout{Redirect: redirect, ClientID: clientID}
	if c, err := p.svc.Client(clientID); err == nil {
		l.ClientName = c.Name
	}
	return l, true
}

// EndSession is the parent confirming they sign out: the portal
// session held by token ends, and the audit says which application
// asked.
func (p *Provider) EndSession(ctx context.Context, token, accountID, clientID string) error {
	if err := p.accounts.Logout(token); err != nil {
		return err
	}
	p.svc.SessionEnded(ctx, accountID, clientID)
	return nil
}
