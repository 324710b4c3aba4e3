package handlers

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/password"
	"sesame/internal/staff"
	"sesame/views"
)

// deskSignInShow is the desk's sign-in page; a member already signed in
// goes to the search.
func (h *handler) deskSignInShow(c *fiber.Ctx) error {
	if _, _, err := h.Staff.Session(c.Cookies(deskCookie)); err == nil {
		return c.Redirect(h.path(deskRoot+"/recherche"), fiber.StatusSeeOther)
	}
	f := views.DeskSignInForm{}
	switch c.Query("msg") {
	case "idle":
		f.Notice = "desk.signin.idle"
	case "ended":
		f.Notice = "desk.signin.ended"
	case "out":
		f.Notice = "desk.signin.out"
	}
	return render(c, fiber.StatusOK, views.DeskSignInPage(h.deskPage(c), f))
}

// deskSignIn checks the address, the password and the second factor
// together and says one thing when any is wrong; a locked member is told
// until when.
func (h *handler) deskSignIn(c *fiber.Ctx) error {
	v, err := formValues(c, 1024, "email", "password", "code")
	if err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(v[0]))
	if err := limit(c, h.Limits.DeskIP, h.ipKey(c), h.Limits.DeskID, email); err != nil {
		return err
	}
	tok, _, err := h.Staff.SignIn(c.UserContext(), v[0], v[1], v[2], userAgent(c))
	f := views.DeskSignInForm{Email: clean(v[0])}
	if len(f.Email) > 254 {
		f.Email = ""
	}
	var locked *staff.Locked
	switch {
	case errors.As(err, &locked):
		f.Error, f.ErrorData = "desk.signin.locked", map[string]any{"Until": h.clock(c, locked.Until)}
		return render(c, fiber.StatusTooManyRequests, views.DeskSignInPage(h.deskPage(c), f))
	case errors.Is(err, staff.ErrInvalidCredentials):
		f.Error = "desk.signin.failed"
		return render(c, fiber.StatusUnauthorized, views.DeskSignInPage(h.deskPage(c), f))
	case errors.Is(err, password.ErrBusy):
		return errBusy
	case err != nil:
		return err
	}
	// A new session at every sign-in; the one the browser held is ended.
	_ = h.Staff.SignOut(c.UserContext(), c.Cookies(deskCookie))
	c.Cookie(&fiber.Cookie{Name: deskCookie, Value: tok, Path: h.deskCookiePath(), HTTPOnly: true, SameSite: "Strict", Secure: h.secure})
	return c.Redirect(h.path(deskRoot+"/recherche"), fiber.StatusSeeOther)
}

// deskSignOut ends the member's session.
func (h *handler) deskSignOut(c *fiber.Ctx) error {
	if err := h.Staff.SignOut(c.UserContext(), c.Cookies(deskCookie)); err != nil {
		return err
	}
	h.clearCookie(c, deskCookie, h.deskCookiePath())
	return c.Redirect(h.path(deskRoot+"?msg=out"), fiber.StatusSeeOther)
}
