package handlers

import (
	"github.com/gofiber/fiber/v2"

	"sesame/views"
)

// loginShow is the Espace Parents sign-in page. A parent already signed
// in goes straight to their space.
func (h *handler) loginShow(c *fiber.Ctx) error {
	if _, err := h.Accounts.SessionAccount(c.Cookies(sessionCookie)); err == nil {
		return c.Redirect(h.path("/espace"), fiber.StatusSeeOther)
	}
	f := views.LoginForm{Identifier: clean(c.Query("identifiant"))}
	if len(f.Identifier) > 64 {
		f.Identifier = ""
	}
	switch c.Query("msg") {
	case "logout":
		f.Notice = "login.loggedout"
	case "changed":
		f.Notice = "login.changed"
	}
	return render(c, fiber.StatusOK, views.LoginPage(h.page(c), f))
}
