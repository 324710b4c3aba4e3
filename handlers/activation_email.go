package handlers

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/activation"
	"sesame/views"
)

// activationEmail is « Recevoir un code » under the confirmation: the
// optional step after the password sends a security code to the address
// the parent typed. Every refusal comes back under the field, the
// address as typed, with a 4xx.
func (h *handler) activationEmail(c *fiber.Ctx) error {
	email, err := formValue(c, "email", 320)
	if err != nil {
		return err
	}
	tok := c.Cookies(activationCookie)
	f, err := h.Activation.StartEmail(c.UserContext(), tok, email)
	if err == nil {
		// The flow now lives as long as the code: so does its cookie.
		h.setActivationCookie(c, tok)
		return h.activationNext(c)
	}
	field := func(msg string) func(*views.ActivationView) {
		return func(v *views.ActivationView) {
			v.Email = clean(email)
			v.FieldErrors["email"] = []string{msg}
		}
	}
	var wait *activation.EmailWait
	switch {
	case errors.Is(err, activation.ErrBadEmail):
		return h.activationFailed(c, err, f, fiber.StatusUnprocessableEntity, field("recovery.email.invalid"))
	case errors.Is(err, activation.ErrSameEmail):
		return h.activationFailed(c, err, f, fiber.StatusUnprocessableEntity, field("activation.email.same"))
	case errors.Is(err, activation.ErrEmailLimit):
		return h.activationFailed(c, err, f, fiber.StatusTooManyRequests, field("activation.email.limit"))
	case errors.As(err, &wait):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(h.secondsUntil(wait.Until)))
		return h.activationFailed(c, err, f, fiber.StatusTooManyRequests, field("activation.email.wait"))
	case errors.Is(err, activation.ErrNotYet):
		// The password comes first: its step, as it was.
		return h.activationFailed(c, err, f, fiber.StatusConflict, func(*views.ActivationView) {})
	case errors.Is(err, activation.ErrNoFlow), errors.Is(err, activation.ErrRevoked):
		return h.activationFailed(c, err, f, fiber.StatusConflict, nil)
	}
	return err
}

// activationEmailCode is the code typed back: the address becomes the
// account's, and the confirmation says so.
func (h *handler) activationEmailCode(c *fiber.Ctx) error {
	code, err := formValue(c, "code", 64)
	if err != nil {
		return err
	}
	f, err := h.Activation.ConfirmEmail(c.UserContext(), c.Cookies(activationCookie), code)
	if err == nil {
		return h.activationNext(c)
	}
	var wrong *activation.WrongEmailCode
	switch {
	case errors.Is(err, activation.ErrEmailCodeFormat):
		return h.activationFailed(c, err, f, fiber.StatusUnprocessableEntity, func(v *views.ActivationView) {
			v.FieldErrors["code"] = []string{"recovery.code.format"}
		})
	case errors.As(err, &wrong):
		return h.activationFailed(c, err, f, fiber.StatusUnprocessableEntity, func(v *views.ActivationView) {
			v.Error, v.ErrorData = "recovery.code.wrong", map[string]any{"Count": wrong.Left, "PluralCount": wrong.Left}
		})
	case errors.Is(err, activation.ErrEmailCodeDead):
		return h.activationFailed(c, err, f, fiber.StatusUnprocessableEntity, func(v *views.ActivationView) {
			v.Error = "recovery.code.expired"
			if v.NoMoreCodes {
				v.Error = "activation.email.dead"
			}
		})
	case errors.Is(err, activation.ErrNoFlow), errors.Is(err, activation.ErrRevoked), errors.Is(err, activation.ErrStepDone):
		return h.activationFailed(c, err, f, fiber.StatusConflict, nil)
	}
	return err
}

// activationEmailResend is « Recevoir un nouveau code » for the pending
// address, within the same limits.
func (h *handler) activationEmailResend(c *fiber.Ctx) error {
	tok := c.Cookies(activationCookie)
	f, err := h.Activation.Get(tok)
	if err != nil {
		return h.activationFailed(c, err, f, fiber.StatusConflict, nil)
	}
	if f.State != activation.EmailSent {
		return h.activationFailed(c, activation.ErrStepDone, f, fiber.StatusConflict, nil)
	}
	f, err = h.Activation.StartEmail(c.UserContext(), tok, f.Email)
	if err == nil {
		h.setActivationCookie(c, tok)
		return h.activationNext(c)
	}
	var wait *activation.EmailWait
	switch {
	case errors.As(err, &wait):
		secs := h.secondsUntil(wait.Until)
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		return h.activationFailed(c, err, f, fiber.StatusTooManyRequests, func(v *views.ActivationView) {
			v.Error, v.ErrorData = "recovery.resend.cooldown", map[string]any{"Count": secs, "PluralCount": secs}
		})
	case errors.Is(err, activation.ErrEmailLimit):
		return h.activationFailed(c, err, f, fiber.StatusTooManyRequests, func(v *views.ActivationView) {
			v.Error = "activation.email.limit"
		})
	case errors.Is(err, activation.ErrNoFlow), errors.Is(err, activation.ErrRevoked):
		return h.activationFailed(c, err, f, fiber.StatusConflict, nil)
	}
	return err
}

// activationEmailCancel is « Annuler » on the code: back to the
// confirmation, where another address can be typed, or « Se connecter ».
func (h *handler) activationEmailCancel(c *fiber.Ctx) error {
	f, err := h.Activation.CancelEmail(c.Cookies(activationCookie))
	if err != nil {
		return h.activationFailed(c, err, f, fiber.StatusConflict, nil)
	}
	return h.activationNext(c)
}

// secondsUntil is how many whole seconds are left until t, rounded up:
// what a parent must still wait.
func (h *handler) secondsUntil(t time.Time) int {
	return int(math.Ceil(t.Sub(h.now()).Seconds()))
}
