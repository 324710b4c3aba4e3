package handlers

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/forwardauth"
)

// forwardAuthVerify is GET /auth/verify, which a reverse proxy asks
// before every request to an application without OpenID Connect. A
// browser signed in to the portal (its forward-auth cookie names a live
// session) gets 200 with who the parent is in Remote-User (the
// identifier), Remote-Name and Remote-Email, for the proxy to pass on.
// Anyone else is sent to the login page with the address they asked
// for, if it is one of the school's hosts: by a 302 that Traefik and
// Caddy hand to the browser, or by a 401 carrying the same Location for
// nginx's auth_request, whose error_page turns it into the redirect.
func (h *handler) forwardAuthVerify(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if hash, ok := forwardauth.SessionHash(h.Secret, c.Cookies(forwardauth.CookieName)); ok {
		if a, _, err := h.Accounts.SessionByHash(hash); err == nil {
			c.Set("Remote-User", a.ID)
			c.Set("Remote-Name", a.Name())
			c.Set("Remote-Email", a.Email)
			return c.SendStatus(fiber.StatusOK)
		}
	}
	raw, redirects := forwardauth.Headers{
		OriginalURL: c.Get("X-Original-URL"),
		Proto:       c.Get(fiber.HeaderXForwardedProto),
		Host:        c.Get(fiber.HeaderXForwardedHost),
		URI:         c.Get("X-Forwarded-Uri"),
	}.Original()
	status := fiber.StatusUnauthorized
	if rd, ok := h.Config.ForwardAuth.ReturnURL(raw); ok {
		c.Set(fiber.HeaderLocation, h.Config.BaseURL.String()+"/connexion?rd="+url.QueryEscape(rd))
		if redirects {
			status = fiber.StatusFound
		}
	}
	return c.SendStatus(status)
}
