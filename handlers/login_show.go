package handlers

import (
	"github.com/gofiber/fiber/v2"

	"sesame/views"
)

// loginShow is the Espace Parents sign-in page, which is also the sign-in
// of the school's applications: /connexion?demande=ID (an application's
// authorization request) or ?rd=URL (forward-auth) names where the
// sign-in continues, and the page says to which application. A parent
// already signed in goes straight on: to the application, or to their
// space.
func (h *handler) loginShow(c *fiber.Ctx) error {
	d, expired := h.pageDestination(c)
	if a, s, err := h.Accounts.SessionInfo(c.Cookies(sessionCookie)); err == nil {
		switch {
		case d.pending.ID != "":
			// Unless the application wants the password typed again.
			if u, ok := h.OIDC.CompleteSession(d.pending.ID, a, s, c.Cookies(sessionCookie)); ok {
				h.clearCookie(c, returnCookie, h.cookiePath())
				return c.Redirect(u, fiber.StatusSeeOther)
			}
		case d.rd != "":
			h.setForwardAuth(c, c.Cookies(sessionCookie))
			h.clearCookie(c, returnCookie, h.cookiePath())
			return c.Redirect(d.rd, fiber.StatusSeeOther)
		default:
			return c.Redirect(h.path("/espace"), fiber.StatusSeeOther)
		}
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
	if expired {
		// The application's sign-in expired (or the server restarted):
		// the parent signs in here, and opens it from their space.
		f.Notice = "oidc.login.expired"
	}
	return render(c, fiber.StatusOK, views.LoginPage(h.page(c), h.loginForm(c, d, f)))
}
