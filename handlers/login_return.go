package handlers

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/account"
	"sesame/internal/forwardauth"
	"sesame/internal/identity"
	"sesame/internal/oidc/provider"
	"sesame/views"
)

// returnCookie carries where a sign-in continues — an application's
// authorization request ("a:ID") or forward-auth's return address
// ("u:URL") — across the pages a parent may visit before typing the
// password: the language switch, a recovery, an activation. It lives as
// long as an authorization request (provider.PendingTTL), and what it
// names is checked again when used.
const returnCookie = "sesame_retour"

// destination is where a sign-in continues, once checked.
type destination struct {
	pending provider.Pending // an application's request, when ID is set
	rd      string           // forward-auth's return address
	app     string           // the name shown: "Connexion à Moodle"
	origin  string           // the browser ends up there: the form must allow it
}

func (d destination) set() bool { return d.pending.ID != "" || d.rd != "" }

// checkDestination checks an authorization request id or a return
// address (either may be empty).
func (h *handler) checkDestination(demande, rd string) (destination, bool) {
	if demande != "" && h.OIDC != nil {
		if p, ok := h.OIDC.Pending(demande); ok {
			return destination{pending: p, app: p.ClientName, origin: p.Origin}, true
		}
		return destination{}, false
	}
	if rd != "" {
		if u, ok := h.Config.ForwardAuth.ReturnURL(rd); ok {
			host := u
			if pu, err := url.Parse(u); err == nil {
				host = pu.Hostname()
			}
			return destination{rd: u, app: host, origin: originOf(u)}, true
		}
	}
	return destination{}, false
}

// pageDestination is the destination of a GET of the login page: the
// query's (/connexion?demande=… or ?rd=…), else the cookie's. expired
// reports a query naming an authorization request that is gone; a
// return address not allowed is ignored, without a word.
func (h *handler) pageDestination(c *fiber.Ctx) (d destination, expired bool) {
	demande, rd := c.Query("demande"), c.Query("rd")
	if demande != "" || rd != "" {
		d, ok := h.checkDestination(demande, rd)
		if ok {
			h.rememberDestination(c, d)
		} else {
			h.clearCookie(c, returnCookie, h.cookiePath())
		}
		return d, !ok && demande != ""
	}
	kind, v, _ := strings.Cut(c.Cookies(returnCookie), ":")
	switch kind {
	case "a":
		d, _ = h.checkDestination(v, "")
	case "u":
		d, _ = h.checkDestination("", v)
	}
	return d, false
}

func (h *handler) rememberDestination(c *fiber.Ctx, d destination) {
	v := "u:" + d.rd
	if d.pending.ID != "" {
		v = "a:" + d.pending.ID
	}
	c.Cookie(&fiber.Cookie{Name: returnCookie, Value: v, Path: h.cookiePath(), MaxAge: int(provider.PendingTTL / time.Second),
		HTTPOnly: true, SameSite: "Lax", Secure: h.secure})
}

// loginForm is the login page's form for destination d: the
// application's name, the hidden fields, and the policy letting the
// form's redirect reach the application.
func (h *handler) loginForm(c *fiber.Ctx, d destination, f views.LoginForm) views.LoginForm {
	if !d.set() {
		return f
	}
	f.App, f.Demande, f.Return = d.app, d.pending.ID, d.rd
	if d.origin != "" {
		c.Set(fiber.HeaderContentSecurityPolicy, csp([]string{d.origin}, nil))
	}
	if f.Identifier == "" && d.pending.LoginHint != "" {
		if id, err := identity.NormalizeIdentifier(d.pending.LoginHint); err == nil {
			f.Identifier = id
		}
	}
	return f
}

// continueTo sends the browser on to destination d for parent a, signed
// in since authTime with the session token: to the application's callback (which hands it its
// code) or to forward-auth's return address. false when d is an
// authorization request that is gone (expired, or the server restarted):
// the caller goes to the parent's space instead, where the application
// is one click away.
func (h *handler) continueTo(c *fiber.Ctx, d destination, a account.Account, authTime time.Time, token string) bool {
	target := d.rd
	if d.pending.ID != "" {
		u, err := h.OIDC.Complete(d.pending.ID, a.ID, authTime, token)
		if err != nil {
			h.clearCookie(c, returnCookie, h.cookiePath())
			return false
		}
		target = u
	}
	h.clearCookie(c, returnCookie, h.cookiePath())
	return c.Redirect(target, fiber.StatusSeeOther) == nil
}

// setForwardAuth gives the browser the forward-auth cookie of session
// token tok on each of the school's cookie domains.
func (h *handler) setForwardAuth(c *fiber.Ctx, tok string) {
	fa := h.Config.ForwardAuth
	if fa == nil {
		return
	}
	v := forwardauth.Token(h.Secret, account.TokenHash(tok))
	for _, d := range fa.CookieDomains {
		c.Cookie(&fiber.Cookie{Name: forwardauth.CookieName, Value: v, Domain: h.cookieDomain(d), Path: "/", HTTPOnly: true, SameSite: "Lax", Secure: h.secure})
	}
}

func (h *handler) clearForwardAuth(c *fiber.Ctx) {
	fa := h.Config.ForwardAuth
	if fa == nil {
		return
	}
	for _, d := range fa.CookieDomains {
		c.Cookie(&fiber.Cookie{Name: forwardauth.CookieName, Domain: h.cookieDomain(d), Path: "/", Expires: time.Unix(0, 0), HTTPOnly: true, SameSite: "Lax", Secure: h.secure})
	}
}

// cookieDomain is the Domain attribute for d: none when d is the
// portal's own host (a host-only cookie, the only kind an IP address or
// localhost can have).
func (h *handler) cookieDomain(d string) string {
	if h.Config.BaseURL != nil && strings.EqualFold(h.Config.BaseURL.Hostname(), d) {
		return ""
	}
	return d
}
