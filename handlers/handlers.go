// Package handlers is Sésame's web layer: it parses requests, calls the
// domain services and renders the views. It holds no rule of its own
// beyond HTTP; every dependency arrives through Deps.
package handlers

import (
	"log/slog"
	"net"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/desk"
	"sesame/internal/forwardauth"
	"sesame/internal/legal"
	"sesame/internal/oidc/provider"
	"sesame/internal/ratelimit"
	"sesame/internal/recovery"
	"sesame/internal/staff"
	"sesame/internal/writefail"
	"sesame/locales"
	"sesame/views"
)

// Config is what the school configured that the pages show or obey.
type Config struct {
	School      string
	BaseURL     *url.URL
	Secretariat views.Secretariat
	DefaultLang string
	Demo        bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed; from anyone else it is ignored.
	TrustedProxies []*net.IPNet
	// TrustedNetworks are the school's own networks: a client address
	// in them (after the proxies are resolved) is exempt from the
	// per-address limits only.
	TrustedNetworks []*net.IPNet
	// Legal is the school's own legal texts (--legal-dir), rendered;
	// a page missing from it shows the built-in text.
	Legal legal.Texts
	// Location is the school's time zone: every time a page shows is
	// in it. nil means UTC (tests), never the server's zone.
	Location *time.Location
	// ForwardAuth is --forward-auth-domains; nil: /auth/verify is off.
	ForwardAuth *forwardauth.Config
	// DeskNetworks are the only networks the school office's desk
	// answers from (--desk-network); empty: everywhere.
	DeskNetworks []*net.IPNet
}

// Deps is everything the handlers call.
type Deps struct {
	Config   Config
	Accounts *account.Service
	Recovery *recovery.Service
	// Activation is « Première connexion ? Activer mon compte ».
	Activation *activation.Service
	// Mailbox is the demo mailbox; nil outside demo mode.
	Mailbox Mailbox
	Locales *locales.Bundle
	Log     *slog.Logger
	// Secret keys the CSRF tokens; the store's secret is fine.
	Secret []byte
	Now    func() time.Time
	// Limits slow down repeated logins and recoveries; nil means the
	// defaults.
	Limits *ratelimit.Limits
	// Ready says whether the server can do its work (/readyz): nil, or
	// why not, in words fit for a monitoring probe (no secret, no path).
	// It must be cheap and never write. nil means always ready.
	Ready func() error
	// Writes hears of the data file's refused writes, shared with the
	// mail worker, so a full disk is logged at a bounded rate; nil means
	// one of the handlers' own.
	Writes *writefail.Reporter
	// Metrics counts requests and outcomes for /metrics; nil counts
	// nothing.
	Metrics *Metrics
	// OIDC is the OpenID Connect provider; nil: no endpoint, and the
	// parent's space lists no application.
	OIDC *provider.Provider
	// Staff is the school office's accounts; nil leaves the desk
	// (/secretariat) out.
	Staff *staff.Service
	// Desk is what the school office does for parents at the desk;
	// needed with Staff.
	Desk *desk.Service
}

type handler struct {
	Deps
	secure bool // cookies are Secure when the base URL is https
	// base is the base URL's path ("/parents"), empty at the root: the
	// portal answers under it and every URL it writes starts with it.
	base string
}

// path is the site's path p (root-absolute, "/espace") as the browser
// must ask for it: under the base path. Redirects and HX-Redirect go
// through it, as the views go through Page.URL.
func (h *handler) path(p string) string { return h.base + p }

// clearCookie deletes a cookie set with the given Path. Fiber's
// ClearCookie names no Path, so the browser would delete the cookie of
// the request's folder ("/parents/espace"), not the one it holds.
func (h *handler) clearCookie(c *fiber.Ctx, name, path string) {
	c.Cookie(&fiber.Cookie{Name: name, Path: path, Expires: time.Unix(0, 0), HTTPOnly: true, SameSite: "Lax", Secure: h.secure})
}

// cookiePath is the Path of the portal's cookies: the base path, so
// they are not sent to other sites hosted on the same host.
func (h *handler) cookiePath() string {
	if h.base == "" {
		return "/"
	}
	return h.base
}

func (h *handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// timeNow is the limiters' clock.
var timeNow = time.Now
