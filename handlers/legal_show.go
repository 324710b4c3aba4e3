package handlers

import (
	"github.com/gofiber/fiber/v2"

	"sesame/views"
)

// legalShow shows one of the pages a public school must publish (legal
// notice, personal data, accessibility statement): the school's own text
// from --legal-dir when it gave one in this language, else the built-in
// one. The footer of every page links here.
func (h *handler) legalShow(page string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := h.page(c)
		return render(c, fiber.StatusOK, views.LegalPage(p, page, h.Config.Legal.HTML(page, p.Lang)))
	}
}
