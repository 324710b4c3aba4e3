package provider

import (
	"context"
	"crypto/hmac"
	"errors"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/oidc"
)

// storage is op.Storage over the domain service and the requests held
// in memory. Every method gets the request's context, which carries the
// exchange (see Serve): the portal session, the client address, and
// what happened, for the audit.
type storage struct{ p *Provider }

var _ op.Storage = storage{}
var _ op.CanSetUserinfoFromRequest = storage{}
var _ op.CanTerminateSessionFromRequest = storage{}

func (s storage) svc() *oidc.Service { return s.p.svc }

// CreateAuthRequest keeps an authorization request op has validated
// (client, exact redirect URI, scopes, response type) and adds the
// portal's own rules: PKCE only with S256, and required of public
// clients. A parent signed in to the portal whose sign-in satisfies the
// request (no prompt=login, max_age, or id_token_hint of someone else)
// is taken as signed in at once: no form. prompt=none without such a
// session is answered login_required.
func (s storage) CreateAuthRequest(ctx context.Context, req *zoidc.AuthRequest, hintSub string) (op.AuthRequest, error) {
	x := exchangeOf(ctx)
	c, err := s.svc().Client(req.ClientID)
	if err != nil {
		return nil, zoidc.ErrInvalidRequest().WithDescription("unknown client")
	}
	x.client = c.ID
	if req.CodeChallenge != "" && req.CodeChallengeMethod != zoidc.CodeChallengeMethodS256 {
		return nil, zoidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	if c.Public && req.CodeChallenge == "" {
		return nil, zoidc.ErrInvalidRequest().WithDescription("PKCE (code_challenge with S256) is required of public clients")
	}
	if req.ResponseMode != "" && req.ResponseMode != zoidc.ResponseModeQuery && req.ResponseMode != zoidc.ResponseModeFormPost {
		return nil, zoidc.ErrInvalidRequest().WithDescription("response_mode must be query or form_post")
	}
	a := &authRequest{ClientID: c.ID, ClientName: c.Name, Req: *req, HintSub: hintSub}
	if acct, sess, ok := x.session(); ok {
		sub, _ := s.p.subjectOf(acct.ID)
		hintOK := hintSub == "" || hintSub == sub
		if !a.needsLogin(sess.Created, s.p.now(), hintOK) {
			a.Account, a.AuthTime, a.done, a.Browser = acct.ID, sess.Created, true, account.TokenHash(x.token)
		}
	}
	if !a.done && slices.Contains(req.Prompt, zoidc.PromptNone) {
		return nil, zoidc.ErrLoginRequired()
	}
	if err := s.p.requests.add(a); err != nil {
		return nil, zoidc.ErrServerError().WithDescription("too many sign-ins in progress, try again in a minute")
	}
	x.request = a.ID
	c2 := *a
	return &c2, nil
}

// AuthRequestByID serves the callback: a completed request is handed
// only to the browser whose portal session completed it.
func (s storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	a, err := s.p.requests.get(id)
	if err == nil && a.done && (exchangeOf(ctx).token == "" || !hmac.Equal(a.Browser, account.TokenHash(exchangeOf(ctx).token))) {
		err = errors.New("the request was completed in another browser")
	}
	if err != nil {
		return nil, zoidc.ErrInvalidRequest().WithDescription("unknown or expired authorization request").WithParent(err)
	}
	return &a, nil
}

// AuthRequestByCode takes the request out (a code works once), checks
// the code is at most CodeTTL old, and gives the parent their subject,
// creating it at their first sign-in to an application. A code used a
// second time revokes the refresh token its first use gave.
func (s storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	x := exchangeOf(ctx)
	x.kind = audit.OIDCGrant
	a, reused, err := s.p.requests.byCode(code)
	if reused != nil {
		x.reused, x.account, x.client = true, reused.account, reused.client
		if reused.refresh != "" {
			_ = s.svc().RevokeRefreshToken(reused.refresh, reused.client)
		}
		return nil, errors.New("authorization code used twice")
	}
	if err != nil {
		return nil, err
	}
	x.account, x.client = a.Account, a.ClientID
	sub, err := s.svc().Subject(a.Account)
	if err != nil {
		return nil, err
	}
	a.Subject = sub
	x.code = code
	return &a, nil
}

func (s storage) SaveAuthCode(_ context.Context, id, code string) error {
	return s.p.requests.setCode(id, code)
}

func (s storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.p.requests.delete(id)
	return nil
}

// grantOf is who and what a token request is for.
func grantOf(req op.TokenRequest) (oidc.Grant, error) {
	switch r := req.(type) {
	case *authRequest:
		return oidc.Grant{Account: r.Account, Client: r.ClientID, Scopes: r.Req.Scopes, AuthTime: r.AuthTime, AMR: r.GetAMR()}, nil
	case *refreshRequest:
		return oidc.Grant{Account: r.t.Account, Client: r.t.Client, Scopes: r.scopes, AuthTime: r.t.AuthTime, AMR: r.t.AMR}, nil
	}
	return oidc.Grant{}, zoidc.ErrUnsupportedGrantType()
}

func (s storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	g, err := grantOf(req)
	if err != nil {
		return "", time.Time{}, err
	}
	exchangeOf(ctx).scopes = g.Scopes
	return s.svc().NewAccessToken(g.Account, g.Client, g.Scopes)
}

// CreateAccessAndRefreshTokens gives a new refresh token with the access
// token: a first one after a code with offline_access, or the next one
// of a refresh, which spends the current one.
func (s storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	x := exchangeOf(ctx)
	g, err := grantOf(req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	x.scopes = g.Scopes
	var refresh string
	if current == "" {
		refresh, err = s.svc().NewRefreshToken(g, nil)
		if err == nil {
			if a, ok := req.(*authRequest); ok {
				s.p.requests.gaveRefresh(a.Code, refresh)
			}
		}
	} else {
		refresh, err = s.svc().RotateRefreshToken(current, g.Scopes, nil)
	}
	if err != nil {
		if errors.Is(err, oidc.ErrInvalidToken) {
			return "", "", time.Time{}, zoidc.ErrInvalidGrant()
		}
		return "", "", time.Time{}, err
	}
	id, exp, err := s.svc().NewAccessToken(g.Account, g.Client, g.Scopes)
	return id, refresh, exp, err
}

// refreshRequest is a refresh token presented to the token endpoint.
type refreshRequest struct {
	t      oidc.RefreshToken
	sub    string
	scopes []string
}

func (r *refreshRequest) GetAMR() []string             { return r.t.AMR }
func (r *refreshRequest) GetAudience() []string        { return []string{r.t.Client} }
func (r *refreshRequest) GetAuthTime() time.Time       { return r.t.AuthTime }
func (r *refreshRequest) GetClientID() string          { return r.t.Client }
func (r *refreshRequest) GetScopes() []string          { return r.scopes }
func (r *refreshRequest) GetSubject() string           { return r.sub }
func (r *refreshRequest) SetCurrentScopes(sc []string) { r.scopes = sc }

func (s storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	x := exchangeOf(ctx)
	x.kind = audit.OIDCRefresh
	t, err := s.svc().UseRefreshToken(token)
	if err != nil {
		return nil, err
	}
	x.account, x.client = t.Account, t.Client
	sub, err := s.p.subjectOf(t.Account)
	if err != nil {
		return nil, err
	}
	return &refreshRequest{t: t, sub: sub, scopes: slices.Clone(t.Scopes)}, nil
}

// TerminateSession is not called: TerminateSessionFromRequest is.
func (s storage) TerminateSession(context.Context, string, string) error { return nil }

// TerminateSessionFromRequest is RP-initiated logout. An application
// that proves which parent it signs out (an id_token_hint whose subject
// is the portal session's) ends that session at once. Anything else —
// no hint, another parent's — could be any site sending the browser
// here, so the parent is asked first (the logout page), and only the
// redirect op validated against the client is kept, signed.
func (s storage) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	x := exchangeOf(ctx)
	x.client = req.ClientID
	acct, _, ok := x.session()
	if !ok {
		return req.RedirectURI, nil
	}
	if req.UserID != "" {
		if sub, err := s.p.subjectOf(acct.ID); err == nil && sub == req.UserID {
			x.account, x.ended = acct.ID, true
			return req.RedirectURI, s.p.endSession(ctx, x, acct.ID, req.ClientID)
		}
	}
	return s.p.logoutConfirmURL(req.RedirectURI, req.ClientID), nil
}

// RevokeToken revokes a refresh token of the client: op passes the ID
// GetRefreshTokenInfo gave, or the token itself when it could not name
// it. Access tokens are sealed, not stored, and live TokenTTL: revoking
// one is accepted and does nothing (RFC 7009 lets a server do so).
func (s storage) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *zoidc.Error {
	var err error
	switch {
	case oidc.IsRefreshTokenID(tokenOrID):
		err = s.svc().RevokeRefreshTokenID(tokenOrID, clientID)
	case userID == "":
		err = s.svc().RevokeRefreshToken(tokenOrID, clientID)
	}
	if err != nil {
		return zoidc.ErrServerError()
	}
	return nil
}

func (s storage) GetRefreshTokenInfo(_ context.Context, clientID, token string) (string, string, error) {
	t, err := s.svc().UseRefreshToken(token)
	if err != nil || t.Client != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	sub, err := s.p.subjectOf(t.Account)
	if err != nil {
		return "", "", op.ErrInvalidRefreshToken
	}
	return sub, oidc.RefreshTokenID(token), nil
}

func (s storage) SigningKey(context.Context) (op.SigningKey, error) {
	k, err := s.svc().SigningKey()
	if err != nil {
		return nil, err
	}
	return signingKey{k}, nil
}

func (s storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	keys, err := s.svc().PublishedKeys()
	if err != nil {
		return nil, err
	}
	var algs []jose.SignatureAlgorithm
	for _, k := range keys {
		if a := jose.SignatureAlgorithm(k.Alg); !slices.Contains(algs, a) {
			algs = append(algs, a)
		}
	}
	return algs, nil
}

func (s storage) KeySet(context.Context) ([]op.Key, error) {
	keys, err := s.svc().PublishedKeys()
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, len(keys))
	for i, k := range keys {
		out[i] = publicKey{k}
	}
	return out, nil
}

func (s storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c, err := s.svc().Client(id)
	if err != nil {
		return nil, err
	}
	return &client{c: c, p: s.p}, nil
}

func (s storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	x := exchangeOf(ctx)
	x.badClient = true
	if _, err := s.svc().AuthenticateClient(id, secret); err != nil {
		return err
	}
	x.badClient = false
	return nil
}

// SetUserinfoFromScopes is deprecated in op: SetUserinfoFromRequest does
// the work.
func (s storage) SetUserinfoFromScopes(context.Context, *zoidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims: they are in the
// ID token as well as at userinfo, so an application can verify them
// offline.
func (s storage) SetUserinfoFromRequest(_ context.Context, ui *zoidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	var accountID string
	switch r := req.(type) {
	case *authRequest:
		accountID = r.Account
	case *refreshRequest:
		accountID = r.t.Account
	default:
		return zoidc.ErrServerError()
	}
	a, err := s.p.accounts.Get(accountID)
	if err != nil || a.State != account.Active {
		return zoidc.ErrInvalidGrant()
	}
	fill(ui, req.GetSubject(), oidc.ClaimsFor(a, scopes))
	return nil
}

func (s storage) SetUserinfoFromToken(_ context.Context, ui *zoidc.UserInfo, tokenID, subject, _ string) error {
	t, a, err := s.svc().CheckAccessToken(tokenID, subject)
	if err != nil {
		return zoidc.ErrAccessDenied().WithDescription("the access token is invalid or expired")
	}
	fill(ui, subject, oidc.ClaimsFor(a, t.Scopes))
	return nil
}

func (s storage) SetIntrospectionFromToken(_ context.Context, resp *zoidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, a, err := s.svc().CheckAccessToken(tokenID, subject)
	if err != nil || t.Client != clientID {
		resp.Active = false
		return nil
	}
	ui := &zoidc.UserInfo{}
	fill(ui, subject, oidc.ClaimsFor(a, t.Scopes))
	resp.SetUserInfo(ui)
	resp.Active = true
	resp.Scope = t.Scopes
	resp.ClientID = t.Client
	resp.Audience = []string{t.Client}
	resp.Expiration = zoidc.FromTime(time.UnixMilli(t.Expires))
	resp.IssuedAt = zoidc.FromTime(time.UnixMilli(t.Issued))
	resp.TokenType = zoidc.BearerToken
	return nil
}

func (s storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID: no client signs its requests with a key of its
// own (private_key_jwt and JWT profile are not offered).
func (s storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("no client keys")
}

func (s storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, zoidc.ErrUnauthorizedClient()
}

func (s storage) Health(context.Context) error { return nil }

// fill writes claims into an OpenID Connect userinfo.
func fill(ui *zoidc.UserInfo, sub string, c oidc.Claims) {
	ui.Subject = sub
	if c.Profile {
		ui.Name, ui.GivenName, ui.FamilyName = c.Name, c.GivenName, c.FamilyName
		ui.PreferredUsername = c.Username
		if tag, err := language.Parse(c.Locale); err == nil {
			ui.Locale = zoidc.NewLocale(tag)
		}
	}
	if c.Email != "" {
		ui.Email, ui.EmailVerified = c.Email, zoidc.Bool(c.EmailVerified)
	}
	if c.Children != nil {
		ui.AppendClaims(oidc.ScopeChildren, c.Children)
	}
}

// signingKey and publicKey adapt the domain's keys to op's interfaces.
type signingKey struct{ k oidc.ParsedKey }

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(k.k.Alg)
}
func (k signingKey) Key() any   { return k.k.Signer }
func (k signingKey) ID() string { return k.k.ID }

type publicKey struct{ k oidc.ParsedKey }

func (k publicKey) ID() string                         { return k.k.ID }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.SignatureAlgorithm(k.k.Alg) }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.k.Public }
