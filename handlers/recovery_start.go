package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/identity"
	"sesame/internal/recovery"
	"sesame/views"
)

// recoveryStart is step 1: the same answer for every well-formed
// address, known or not.
func (h *handler) recoveryStart(c *fiber.Ctx) error {
	email, err := formValue(c, "email", 320)
	if err != nil {
		return err
	}
	// Keyed by the address as Start reads it, so spellings of one address
	// share a count; a malformed one reaches no mailbox and meets only the
	// per-client limit.
	to, _ := identity.NormalizeEmail(email)
	if err := limit(c, h.Limits.RecoveryIP, h.clientIP(c), h.Limits.RecoveryTo, to); err != nil {
		return err
	}
	tok, _, err := h.Recovery.Start(c.UserContext(), email, langOf(c))
	if errors.Is(err, recovery.ErrBadEmail) {
		return h.recoveryFailed(c, err, recovery.Flow{}, func(v *views.RecoveryView) {
			v.Email = email
			v.FieldErrors["email"] = []string{"recovery.email.invalid"}
		})
	}
	if err != nil {
		return err
	}
	h.setRecoveryCookie(c, tok)
	c.Request().Header.SetCookie(recoveryCookie, tok)
	return h.recoveryNext(c, "sent")
}

// recoveryCancel is « Annuler »: the flow ends and the parent is back at
// the login page.
func (h *handler) recoveryCancel(c *fiber.Ctx) error {
	if err := h.Recovery.Cancel(c.Cookies(recoveryCookie)); err != nil {
		return err
	}
	c.ClearCookie(recoveryCookie)
	if isHTMX(c) {
		c.Set("HX-Redirect", "/")
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}

// recoveryChangeEmail ends the flow and shows step 1 again.
func (h *handler) recoveryChangeEmail(c *fiber.Ctx) error {
	if err := h.Recovery.Cancel(c.Cookies(recoveryCookie)); err != nil {
		return err
	}
	c.ClearCookie(recoveryCookie)
	c.Request().Header.DelCookie(recoveryCookie)
	return h.recoveryNext(c, "")
}
