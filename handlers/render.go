package handlers

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

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
