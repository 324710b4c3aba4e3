package handlers

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"sesame/internal/legal"
	"sesame/internal/ratelimit"
	"sesame/internal/writefail"
)

// Limits on what a client may send; a request past them is refused
// before any handler runs.
const (
	bodyLimit   = 64 << 10
	headerLimit = 8 << 10
)

// New builds the web application. Every route is listed here.
func New(d Deps) *fiber.App {
	h := &handler{Deps: d}
	h.secure = d.Config.BaseURL != nil && d.Config.BaseURL.Scheme == "https"
	if d.Config.BaseURL != nil {
		h.base = strings.TrimRight(d.Config.BaseURL.Path, "/")
	}
	if h.Limits == nil {
		h.Limits = ratelimit.DefaultLimits()
	}
	if h.Writes == nil {
		h.Writes = writefail.New(h.Log, 0, nil)
	}
	if h.Config.DefaultLang == "" {
		h.Config.DefaultLang = "fr"
	}
	app := fiber.New(fiber.Config{
		AppName:               "Sésame",
		ErrorHandler:          h.errorHandler,
		DisableStartupMessage: true,
		BodyLimit:             bodyLimit,
		ReadBufferSize:        headerLimit,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          15 * time.Second,
		IdleTimeout:           60 * time.Second,
		// Fiber's own proxy handling trusts everyone unless this is on;
		// the client address is worked out in clientIP instead.
		EnableTrustedProxyCheck: true,
		// Values read from a request are copied: by default Fiber hands out
		// strings pointing into buffers it reuses, and a limiter key or a
		// log field kept beyond the request would change under our feet.
		Immutable: true,
	})
	if h.Metrics != nil {
		// First, so it counts what a panic or an error turns into.
		app.Use(h.Metrics.middleware)
		h.Metrics.limiters(h.Limits)
	}
	app.Use(recover.New())
	app.Use(helmet.New(helmet.Config{
		ContentSecurityPolicy:     csp(nil, nil),
		ReferrerPolicy:            "no-referrer",
		XFrameOptions:             "DENY",
		HSTSMaxAge:                31536000,
		HSTSExcludeSubdomains:     true,
		PermissionPolicy:          "camera=(), microphone=(), geolocation=(), payment=()",
		CrossOriginEmbedderPolicy: "require-corp",
		CrossOriginOpenerPolicy:   "same-origin",
		CrossOriginResourcePolicy: "same-origin",
	}))

	if h.secure {
		// helmet only sends HSTS when it sees https itself; behind a TLS
		// proxy it does not, but an https base URL says parents use https.
		app.Use(func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderStrictTransportSecurity, "max-age=31536000")
			return c.Next()
		})
	}
	if h.base != "" {
		app.Use(h.underBase)
	}
	h.Metrics.routes(app, false)
	app.Get("/healthz", h.healthz)
	app.Get("/readyz", h.readyz)
	app.Get("/static/:version/:name", h.static)
	h.oidcRoutes(app)

	h.Metrics.routes(app, true)
	app.Use(h.withIP, h.language, formsOnly, h.csrf)
	h.Metrics.routes(app, false)
	app.Get("/", h.loginShow)
	app.Post("/login", h.loginCheck)
	app.Post("/logout", h.logout)
	app.Get("/espace", h.espaceShow)
	app.Post("/espace/mot-de-passe", h.passwordChange)
	app.Get("/politique-mot-de-passe", h.policyShow)
	app.Get("/recuperation", h.recoveryShow)
	for _, page := range legal.Pages {
		app.Get("/"+page, h.legalShow(page))
	}
	app.Post("/recuperation/email", h.recoveryStart)
	app.Post("/recuperation/code", h.recoveryVerify)
	app.Post("/recuperation/renvoyer", h.recoveryResend)
	app.Post("/recuperation/changer", h.recoveryChangeEmail)
	app.Post("/recuperation/autre", h.recoveryAnother)
	app.Post("/recuperation/mot-de-passe", h.recoveryPassword)
	app.Post("/recuperation/regles", h.recoveryRules)
	app.Post("/recuperation/annuler", h.recoveryCancel)
	app.Get("/activation", h.activationShow)
	app.Post("/activation/code", h.activationVerify)
	app.Post("/activation/mot-de-passe", h.activationPassword)
	app.Post("/activation/regles", h.activationRules)
	app.Post("/activation/annuler", h.activationCancel)
	app.Post("/activation/email", h.activationEmail)
	app.Post("/activation/email/code", h.activationEmailCode)
	app.Post("/activation/email/renvoyer", h.activationEmailResend)
	app.Post("/activation/email/annuler", h.activationEmailCancel)
	app.Get("/connexion", h.loginShow)
	app.Get("/deconnexion", h.logoutConfirmShow)
	app.Post("/deconnexion", h.logoutConfirm)

	// A GET on a form's address (Back, a reload, a shared link) shows
	// that form's page.
	for _, path := range []string{"/login", "/logout", "/espace/mot-de-passe", "/recuperation/email", "/recuperation/code",
		"/recuperation/renvoyer", "/recuperation/changer", "/recuperation/mot-de-passe", "/recuperation/regles", "/recuperation/annuler", "/recuperation/autre",
		"/activation/code", "/activation/mot-de-passe", "/activation/regles", "/activation/annuler",
		"/activation/email", "/activation/email/code", "/activation/email/renvoyer", "/activation/email/annuler"} {
		app.Get(path, h.toGetPage)
	}

	if h.Staff != nil {
		h.deskRoutes(app)
		app.Server().HeaderReceived = h.largeBodies
	}

	if d.Config.Demo && d.Mailbox != nil {
		app.Get("/dev/mailbox", h.mailboxShow)
	}

	h.Metrics.routes(app, true)
	app.Use(h.notFound)
	return app
}

// underBase serves the portal under the base URL's path, as a reverse
// proxy that keeps the prefix forwards it (nginx's "location /parents/
// { proxy_pass http://127.0.0.1:8080; }"): the prefix is taken off the
// request's path here, once, so the routes above stay written from the
// root. Anything outside the prefix is not the portal's and is not
// found, except /healthz and /readyz, which a probe asks of the process
// directly, not through the proxy.
func (h *handler) underBase(c *fiber.Ctx) error {
	p := c.Path()
	switch {
	case p == h.base:
		c.Path("/")
	case strings.HasPrefix(p, h.base+"/"):
		c.Path(p[len(h.base):])
	case p == "/healthz" || p == "/readyz":
	default:
		return fiber.ErrNotFound
	}
	return c.Next()
}

func (h *handler) healthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString("ok")
}
