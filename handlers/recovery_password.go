package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/account"
	"sesame/internal/password"
	"sesame/internal/recovery"
	"sesame/views"
)

// recoveryPassword is step 3: the new password, twice.
func (h *handler) recoveryPassword(c *fiber.Ctx) error {
	v, err := formValues(c, 1024, "identifier", "password", "confirm")
	if err != nil {
		return err
	}
	id, pw, confirm := v[0], v[1], v[2]
	f, err := h.Recovery.SetPassword(c.UserContext(), c.Cookies(recoveryCookie), id, pw, confirm)
	if err == nil {
		h.Metrics.count(passwordChangedRecovery)
		return h.recoveryNext(c, "")
	}
	var pe *account.PolicyError
	edit := func(msg, field string) func(*views.RecoveryView) {
		return func(rv *views.RecoveryView) {
			if id != "" {
				rv.Chosen = clean(id)
			}
			a, _ := h.Recovery.Account(rv.Chosen)
			if a.ID == "" && len(rv.Identifiers) > 0 {
				a, _ = h.Recovery.Account(rv.Identifiers[0].ID)
			}
			rv.Rules = h.rules(c, a, pw)
			rv.FieldErrors[field] = []string{msg}
		}
	}
	switch {
	case errors.As(err, &pe):
		return h.recoveryFailed(c, err, f, edit("recovery.password.policy", "password"))
	case errors.Is(err, account.ErrMismatch):
		return h.recoveryFailed(c, err, f, edit("recovery.password.mismatch", "confirm"))
	case errors.Is(err, recovery.ErrNotAllowed):
		return h.recoveryFailed(c, err, f, func(rv *views.RecoveryView) { rv.Error = "recovery.notallowed" })
	case errors.Is(err, recovery.ErrNoFlow), errors.Is(err, recovery.ErrWrongStep), errors.Is(err, recovery.ErrStepDone):
		return h.recoveryFailed(c, err, f, nil)
	case errors.Is(err, password.ErrBusy):
		return errBusy
	}
	return err
}

// recoveryRules re-renders the rules list ticked against what the parent
// is typing. It changes nothing; the submit checks everything again.
func (h *handler) recoveryRules(c *fiber.Ctx) error {
	v, err := formValues(c, 1024, "identifier", "password")
	if err != nil {
		return err
	}
	f, err := h.Recovery.Get(c.Cookies(recoveryCookie))
	if err != nil || f.State != recovery.Verified {
		return h.recoveryFailed(c, recovery.ErrWrongStep, f, nil)
	}
	var a account.Account
	for _, id := range f.Remaining() {
		if id == v[0] || a.ID == "" {
			a, _ = h.Recovery.Account(id)
		}
	}
	return render(c, fiber.StatusOK, views.LiveRules(h.page(c), h.rules(c, a, v[1])))
}
