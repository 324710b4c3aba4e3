package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/password"
	"sesame/views"
)

// activationPassword is step 2: the password, twice, under the same
// policy and with the same form as the recovery's step 3.
func (h *handler) activationPassword(c *fiber.Ctx) error {
	v, err := formValues(c, 1024, "password", "confirm")
	if err != nil {
		return err
	}
	pw, confirm := v[0], v[1]
	f, err := h.Activation.SetPassword(c.UserContext(), c.Cookies(activationCookie), pw, confirm)
	if err == nil {
		h.Metrics.count(passwordChangedActivation)
		return h.activationNext(c)
	}
	var pe *account.PolicyError
	field := func(msg, name string) func(*views.ActivationView) {
		return func(av *views.ActivationView) {
			a, _ := h.Activation.Account(f.Account)
			av.Password.Rules = h.rules(c, a, pw)
			av.Password.FieldErrors[name] = []string{msg}
		}
	}
	switch {
	case errors.As(err, &pe):
		return h.activationFailed(c, err, f, fiber.StatusUnprocessableEntity, field("recovery.password.policy", "password"))
	case errors.Is(err, account.ErrMismatch):
		return h.activationFailed(c, err, f, fiber.StatusUnprocessableEntity, field("recovery.password.mismatch", "confirm"))
	case errors.Is(err, activation.ErrNoFlow), errors.Is(err, activation.ErrRevoked), errors.Is(err, activation.ErrStepDone):
		return h.activationFailed(c, err, f, fiber.StatusConflict, nil)
	case errors.Is(err, password.ErrBusy):
		return errBusy
	}
	return err
}

// activationRules re-renders the rules list ticked against what the
// parent is typing. It changes nothing; the submit checks everything
// again.
func (h *handler) activationRules(c *fiber.Ctx) error {
	pw, err := formValue(c, "password", 1024)
	if err != nil {
		return err
	}
	f, err := h.Activation.Get(c.Cookies(activationCookie))
	if err != nil || f.State != activation.Verified {
		return h.activationFailed(c, activation.ErrNoFlow, f, fiber.StatusConflict, nil)
	}
	a, _ := h.Activation.Account(f.Account)
	return render(c, fiber.StatusOK, views.LiveRules(h.page(c), h.rules(c, a, pw)))
}
