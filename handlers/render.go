package handlers

import (
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"sesame/internal/identity"
	"sesame/locales"
	"sesame/views"
)

// page returns what every view needs for this request.
func (h *handler) page(c *fiber.Ctx) views.Page {
	lang := langOf(c)
	return views.Page{
		Lang:          lang,
		School:        h.Config.School,
		Demo:          h.Config.Demo,
		CSRF:          csrfToken(c),
		Secretariat:   h.Config.Secretariat,
		Tel:           identity.TelURI(h.Config.Secretariat.Phone),
		Path:          pageOf(c.Path()),
		Base:          h.base,
		StaticVersion: staticVersion,
		Tr:            func(id string, data any) string { return h.Locales.T(lang, id, data) },
		Tn: func(id string, n int, data map[string]any) string {
			return h.Locales.N(lang, id, n, data)
		},
	}
}

// render writes a component as the response with the given status.
// Pages are personal (tokens, names): never cached by anyone.
func render(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}

// getPages maps every address of the site to the GET page a parent is on
// when it answers: a form's POST address to the page that shows the form.
// The language switch links there, and a GET on a POST address (after
// Back or a reload) is sent there, never to "page not found".
var getPages = map[string]string{
	"/":                          "/",
	"/login":                     "/",
	"/logout":                    "/",
	"/espace":                    "/espace",
	"/espace/mot-de-passe":       "/espace",
	"/politique-mot-de-passe":    "/politique-mot-de-passe",
	"/mentions-legales":          "/mentions-legales",
	"/donnees-personnelles":      "/donnees-personnelles",
	"/accessibilite":             "/accessibilite",
	"/recuperation":              "/recuperation",
	"/recuperation/email":        "/recuperation",
	"/recuperation/code":         "/recuperation",
	"/recuperation/renvoyer":     "/recuperation",
	"/recuperation/changer":      "/recuperation",
	"/recuperation/mot-de-passe": "/recuperation",
	"/recuperation/regles":       "/recuperation",
	"/recuperation/annuler":      "/recuperation",
	"/recuperation/autre":        "/recuperation",
	"/activation":                "/activation",
	"/activation/code":           "/activation",
	"/activation/mot-de-passe":   "/activation",
	"/activation/regles":         "/activation",
	"/activation/annuler":        "/activation",
	"/activation/email":          "/activation",
	"/activation/email/code":     "/activation",
	"/activation/email/renvoyer": "/activation",
	"/activation/email/annuler":  "/activation",
	"/dev/mailbox":               "/dev/mailbox",
	"/connexion":                 "/",
	"/deconnexion":               "/",
}

// pageOf is the GET page for path; an unknown address (a 404) gives the
// home page, so the language switch never leads to "page not found" and
// never reflects a path the client made up.
func pageOf(path string) string {
	if p, ok := getPages[strings.TrimSuffix(path, "/")]; ok {
		return p
	}
	return "/"
}

// toGetPage answers a GET on a form's POST address (a reload or Back
// after a plain form post) with a redirect to the page of that form.
func (h *handler) toGetPage(c *fiber.Ctx) error {
	u := pageOf(c.Path())
	if l := c.Query("lang"); locales.Valid(l) {
		u += "?lang=" + l
	}
	return c.Redirect(h.path(u), fiber.StatusSeeOther)
}

// clean makes a value read from the request safe to show back in a page:
// valid UTF-8 (an invalid byte becomes U+FFFD) and no NUL. Every handler
// that reflects input into a view goes through it.
func clean(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// isHTMX reports whether htmx made the request, so only the swapped
// fragment is needed.
func isHTMX(c *fiber.Ctx) bool { return c.Get("HX-Request") == "true" }

// clock writes t as a time of day ("4 h 50", "04:50") in the school's
// zone, for the sentences that say until when or from when.
func (h *handler) clock(c *fiber.Ctx, t time.Time) string {
	return h.Locales.Time(langOf(c), "mail.time", t.In(h.zone()))
}

// zone is the school's time zone; UTC when none is configured (tests),
// never the server's.
func (h *handler) zone() *time.Location {
	if h.Config.Location == nil {
		return time.UTC
	}
	return h.Config.Location
}
