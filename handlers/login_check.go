package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/account"
	"sesame/internal/identity"
	"sesame/internal/password"
	"sesame/views"
)

const sessionCookie = "sesame_session"

// loginCheck signs a parent in. Every failure gets the same sentence,
// which does not say which field was wrong.
func (h *handler) loginCheck(c *fiber.Ctx) error {
	v, err := formValues(c, 1024, "identifier", "password")
	if err != nil {
		return err
	}
	demande, err := formValue(c, "demande", 100)
	if err != nil {
		return err
	}
	rd, err := formValue(c, "rd", 2000)
	if err != nil {
		return err
	}
	// Where the sign-in continues, checked again: the form is the
	// browser's to change.
	d, _ := h.checkDestination(demande, rd)
	// Keyed by the identifier as Login looks it up, so spellings of one
	// account share a count; a malformed one names no account and meets
	// only the per-client limit.
	id, _ := identity.NormalizeIdentifier(v[0])
	if err := limit(c, h.Limits.LoginIP, h.ipKey(c), h.Limits.LoginID, id); err != nil {
		return err
	}
	a, err := h.Accounts.Login(c.UserContext(), v[0], v[1])
	switch {
	case errors.Is(err, account.ErrInvalidCredentials):
		h.Metrics.count(loginFailed)
		f := views.LoginForm{Identifier: clean(v[0]), Error: "login.failed"}
		if len(f.Identifier) > 64 {
			f.Identifier = ""
		}
		return render(c, fiber.StatusUnauthorized, views.LoginPage(h.page(c), h.loginForm(c, d, f)))
	case errors.Is(err, password.ErrBusy):
		return errBusy
	case err != nil:
		return err
	}
	h.Metrics.count(loginOK)
	// A new session id at every login, and the one the browser held
	// before (if any) is ended: a planted id is never promoted.
	_ = h.Accounts.Logout(c.Cookies(sessionCookie))
	tok, err := h.Accounts.NewSession(c.UserContext(), a)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: tok, Path: h.cookiePath(), HTTPOnly: true, SameSite: "Lax", Secure: h.secure})
	h.setForwardAuth(c, tok)
	if d.set() && h.continueTo(c, d, a, h.now(), tok) {
		return nil
	}
	return c.Redirect(h.path("/espace"), fiber.StatusSeeOther)
}

// logout ends the session server-side and forgets the cookie.
func (h *handler) logout(c *fiber.Ctx) error {
	if err := h.Accounts.Logout(c.Cookies(sessionCookie)); err != nil {
		return err
	}
	h.clearCookie(c, sessionCookie, h.cookiePath())
	h.clearForwardAuth(c)
	return c.Redirect(h.path("/?msg=logout"), fiber.StatusSeeOther)
}
