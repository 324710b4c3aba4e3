package handlers

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/oidc/provider"
)

// csp is the pages' Content-Security-Policy. formTargets are origins a
// form of the page may end up at besides the portal — browsers apply
// form-action to every redirect after the post, so the login page of an
// application's sign-in must allow that application's origin — and
// images are origins of icons on the parent's space.
func csp(formTargets, images []string) string {
	form, img := "'self'", "'self' data:"
	for _, o := range formTargets {
		form += " " + o
	}
	for _, o := range images {
		img += " " + o
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src " + img + "; " +
		"form-action " + form + "; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
}

// originOf is the scheme and host of a URL, for a CSP source; "" when
// it has none or they hold characters a policy cannot carry.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(u.Host, " ;,'\"") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// oidcRoutes mounts the provider's endpoints (provider.Paths) and
// forward-auth's. They come before the CSRF check: applications post to
// the token endpoint with their own credentials, not a form of ours.
func (h *handler) oidcRoutes(app *fiber.App) {
	if h.OIDC != nil {
		for _, p := range provider.Paths {
			app.All(p, h.withIP, h.language, h.oidcEndpoint)
		}
	}
	if h.Config.ForwardAuth != nil {
		app.Get("/auth/verify", h.forwardAuthVerify)
	}
}

// oidcEndpoint hands a request to the provider (net/http), then writes
// its answer, or a page of ours when the answer is for the parent and
// cannot go back to the application.
func (h *handler) oidcEndpoint(c *fiber.Ctx) error {
	path := c.Path()
	switch path {
	case "/oauth/token", "/oauth/introspect", "/revoke":
		if err := limit(c, h.Limits.Token, h.ipKey(c)); err != nil {
			return oauthSlowDown(c, err)
		}
	case "/authorize":
		if err := limit(c, h.Limits.Authorize, h.ipKey(c)); err != nil {
			return err
		}
	}
	r, err := httpRequest(c)
	if err != nil {
		return errBadInput
	}
	// The path as the routes see it: without the base path.
	r.URL.Path, r.URL.RawPath = path, ""
	resp := h.OIDC.Serve(provider.Request{HTTP: r, Session: c.Cookies(sessionCookie), IP: h.clientIP(c)})
	if resp.Problem != "" {
		return &userError{fiber.StatusBadRequest, resp.Problem + ".title", resp.Problem, 0}
	}
	if resp.SessionEnded {
		h.clearCookie(c, sessionCookie, h.cookiePath())
		h.clearForwardAuth(c)
	}
	for k, vs := range resp.Header {
		for i, v := range vs {
			if i == 0 {
				c.Set(k, v)
			} else {
				c.Response().Header.Add(k, v)
			}
		}
	}
	c.Status(resp.Status)
	return c.Send(resp.Body)
}

// oauthSlowDown answers a limited token request as OAuth clients read
// errors: JSON, 429 with Retry-After (set by limit).
func oauthSlowDown(c *fiber.Ctx, err error) error {
	ue, ok := err.(*userError)
	if !ok {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(ue.status).JSON(fiber.Map{"error": "slow_down", "error_description": "too many requests from this address; retry later"})
}

// httpRequest is the request as net/http sees it, every byte copied:
// fasthttp reuses its buffers once the handler returns, and the provider
// keeps strings of the request (an authorization request's redirect
// URI, its state) for up to an hour. fasthttpadaptor's conversion hands
// out strings pointing into those buffers.
func httpRequest(c *fiber.Ctx) (*http.Request, error) {
	r, err := http.NewRequestWithContext(c.UserContext(), c.Method(), string(c.Request().RequestURI()), bytes.NewReader(bytes.Clone(c.Body())))
	if err != nil {
		return nil, err
	}
	c.Request().Header.VisitAll(func(k, v []byte) { r.Header.Add(string(k), string(v)) })
	r.Host = string(c.Request().Host())
	r.RemoteAddr = c.Context().RemoteAddr().String()
	return r, nil
}
