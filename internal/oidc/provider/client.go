package provider

import (
	"net/url"
	"time"

	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"sesame/internal/oidc"
)

// client is op.Client over a registered application.
type client struct {
	c oidc.Client
	p *Provider
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string                    { return c.c.ID }
func (c *client) RedirectURIs() []string           { return c.c.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.c.PostLogoutURIs }

// ApplicationType: a confidential client is a web application. A public
// one is a browser application, or a native one when it comes back to
// the machine itself (http://127.0.0.1…), which op then lets pick its
// port, as RFC 8252 says native applications do.
func (c *client) ApplicationType() op.ApplicationType {
	if !c.c.Public {
		return op.ApplicationTypeWeb
	}
	for _, u := range c.c.RedirectURIs {
		if p, err := url.Parse(u); err != nil || p.Scheme != "http" {
			return op.ApplicationTypeUserAgent
		}
	}
	return op.ApplicationTypeNative
}

func (c *client) AuthMethod() zoidc.AuthMethod {
	if c.c.Public {
		return zoidc.AuthMethodNone
	}
	// The secret is accepted in the Basic header or the form
	// (client_secret_post), whichever the application sends.
	return zoidc.AuthMethodBasic
}

func (c *client) ResponseTypes() []zoidc.ResponseType {
	return []zoidc.ResponseType{zoidc.ResponseTypeCode}
}

func (c *client) GrantTypes() []zoidc.GrantType {
	return []zoidc.GrantType{zoidc.GrantTypeCode, zoidc.GrantTypeRefreshToken}
}

// LoginURL is where op sends the browser after an authorization
// request: straight back through the callback when the portal session
// answered it, else the login page, which names the application.
func (c *client) LoginURL(id string) string {
	if a, err := c.p.requests.get(id); err == nil && a.done {
		return c.p.callbackURL(id)
	}
	return c.p.loginURL(id)
}

func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return c.p.svc.TTL() }
func (c *client) DevMode() bool                       { return false }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed: beyond the standard scopes, only "children", and only
// for an application the school allowed it (--children).
func (c *client) IsScopeAllowed(scope string) bool {
	return scope == oidc.ScopeChildren && c.c.Children
}

// IDTokenUserinfoClaimsAssertion puts the profile and e-mail claims in
// the ID token too: many applications read only the ID token.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c *client) ClockSkew() time.Duration { return 0 }
