package handlers

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/activation"
	"sesame/views"
)

// activationVerify is step 1: the identifier and the code from the
// letter. Every refusal (wrong, expired, used, revoked code, disabled or
// unknown account) gets the same page, with the tries left for the
// identifier, counted alike whether it exists or not.
func (h *handler) activationVerify(c *fiber.Ctx) error {
	v, err := formValues(c, 256, "identifier", "code")
	if err != nil {
		return err
	}
	id, code := v[0], v[1]
	if err := limit(c, h.Limits.ActivationIP, h.ipKey(c)); err != nil {
		return err
	}
	tok, f, err := h.Activation.Verify(c.UserContext(), c.Cookies(activationCookie), id, code, langOf(c))
	if err == nil {
		h.Metrics.count(activationOK)
		h.setActivationCookie(c, tok)
		return h.activationNext(c)
	}
	// What the parent typed comes back, to be corrected.
	refill := func(edit func(*views.ActivationView)) func(*views.ActivationView) {
		return func(av *views.ActivationView) {
			av.Identifier, av.Code = fromLink(id), fromLink(code)
			edit(av)
		}
	}
	var refused *activation.Refused
	var locked *activation.Locked
	switch {
	case errors.As(err, &refused):
		h.Metrics.count(activationRefused)
		return h.activationFailed(c, err, activation.Flow{}, fiber.StatusUnprocessableEntity, refill(func(av *views.ActivationView) {
			av.Error, av.ErrorData = "activation.refused", map[string]any{"Count": refused.Left, "PluralCount": refused.Left}
		}))
	case errors.As(err, &locked):
		h.Metrics.count(activationRefused)
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(locked.Until.Sub(h.now()).Seconds())+1))
		return h.activationFailed(c, err, activation.Flow{}, fiber.StatusTooManyRequests, refill(func(av *views.ActivationView) {
			av.Error, av.ErrorData = "activation.locked", map[string]any{"Time": h.clock(c, locked.Until)}
		}))
	case errors.Is(err, activation.ErrBadIdentifier):
		return h.activationFailed(c, err, activation.Flow{}, fiber.StatusUnprocessableEntity, refill(func(av *views.ActivationView) {
			av.FieldErrors["identifier"] = []string{"activation.identifier.invalid"}
		}))
	case errors.Is(err, activation.ErrCodeFormat):
		return h.activationFailed(c, err, activation.Flow{}, fiber.StatusUnprocessableEntity, refill(func(av *views.ActivationView) {
			av.FieldErrors["code"] = []string{"activation.code.format"}
		}))
	case errors.Is(err, activation.ErrStepDone):
		return h.activationFailed(c, err, f, fiber.StatusConflict, nil)
	}
	return err
}
