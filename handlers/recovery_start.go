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
	// Step 1 posted again (after Back) for the flow's own address: the
	// step is done; a new flow would drop a verified one.
	if f, ok := h.Recovery.Underway(c.Cookies(recoveryCookie), email); ok {
		return h.recoveryFailed(c, recovery.ErrStepDone, f, nil)
	}
	// Keyed by the address as Start reads it, so spellings of one address
	// share a count; a malformed one reaches no mailbox and meets only the
	// per-client limit.
	to, _ := identity.NormalizeEmail(email)
	if err := limit(c, h.Limits.RecoveryIP, h.ipKey(c), h.Limits.RecoveryTo, to); err != nil {
		return err
	}
	tok, _, err := h.Recovery.Start(c.UserContext(), email, langOf(c))
	if errors.Is(err, recovery.ErrBadEmail) {
		return h.recoveryFailed(c, err, recovery.Flow{}, func(v *views.RecoveryView) {
			v.Email = clean(email)
			v.FieldErrors["email"] = []string{"recovery.email.invalid"}
		})
	}
	if err != nil {
		return err
	}
	h.Metrics.count(recoveryStarted)
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
	h.clearCookie(c, recoveryCookie, h.path("/recuperation"))
	if isHTMX(c) {
		c.Set("HX-Redirect", h.path("/"))
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(h.path("/"), fiber.StatusSeeOther)
}

// recoveryAnother is « set the password of another identifier of this
// address », from the confirmation: step 3 again, in the same verified
// flow, for the identifiers not done yet.
func (h *handler) recoveryAnother(c *fiber.Ctx) error {
	f, err := h.Recovery.Another(c.Cookies(recoveryCookie))
	switch {
	case err == nil:
		return h.recoveryNext(c, "")
	case errors.Is(err, recovery.ErrNoFlow), errors.Is(err, recovery.ErrWrongStep), errors.Is(err, recovery.ErrStepDone):
		return h.recoveryFailed(c, err, f, nil)
	}
	return err
}

// recoveryChangeEmail ends the flow and shows step 1 again.
func (h *handler) recoveryChangeEmail(c *fiber.Ctx) error {
	if err := h.Recovery.Cancel(c.Cookies(recoveryCookie)); err != nil {
		return err
	}
	h.clearCookie(c, recoveryCookie, h.path("/recuperation"))
	c.Request().Header.DelCookie(recoveryCookie)
	return h.recoveryNext(c, "")
}
