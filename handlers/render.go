package handlers

import (
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"sesame/internal/identity"
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
		Path:          c.Path(),
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
