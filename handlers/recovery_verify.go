package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/recovery"
	"sesame/views"
)

// recoveryVerify is step 2: the security code.
func (h *handler) recoveryVerify(c *fiber.Ctx) error {
	code, err := formValue(c, "code", 64)
	if err != nil {
		return err
	}
	if err := limit(c, h.Limits.CodeIP, h.ipKey(c), h.Limits.CodeFlow, c.Cookies(recoveryCookie)); err != nil {
		return err
	}
	f, err := h.Recovery.Verify(c.UserContext(), c.Cookies(recoveryCookie), code)
	if err == nil {
		h.Metrics.count(codeOK)
		return h.recoveryNext(c, "")
	}
	var wrong *recovery.WrongCode
	switch {
	case errors.As(err, &wrong):
		h.Metrics.count(codeWrong)
		return h.recoveryFailed(c, err, f, func(v *views.RecoveryView) {
			v.Error, v.ErrorData = "recovery.code.wrong", map[string]any{"Count": wrong.Left, "PluralCount": wrong.Left}
		})
	case errors.Is(err, recovery.ErrCodeFormat):
		return h.recoveryFailed(c, err, f, func(v *views.RecoveryView) {
			v.FieldErrors["code"] = []string{"recovery.code.format"}
		})
	case errors.Is(err, recovery.ErrCodeExpired):
		return h.recoveryFailed(c, err, f, func(v *views.RecoveryView) { v.Error = "recovery.code.expired" })
	case errors.Is(err, recovery.ErrCodeLocked):
		return h.recoveryFailed(c, err, f, func(v *views.RecoveryView) { v.Error = "recovery.code.locked" })
	case errors.Is(err, recovery.ErrNoFlow), errors.Is(err, recovery.ErrWrongStep), errors.Is(err, recovery.ErrStepDone):
		return h.recoveryFailed(c, err, f, nil)
	}
	return err
}

// recoveryResend is "get a new code".
func (h *handler) recoveryResend(c *fiber.Ctx) error {
	f, err := h.Recovery.Resend(c.UserContext(), c.Cookies(recoveryCookie))
	switch {
	case err == nil:
		return h.recoveryNext(c, "resent")
	case errors.Is(err, recovery.ErrCooldown):
		return h.recoveryFailed(c, err, f, func(v *views.RecoveryView) {
			v.Error, v.ErrorData = "recovery.resend.cooldown", map[string]any{"Count": v.ResendWait, "PluralCount": v.ResendWait}
		})
	case errors.Is(err, recovery.ErrLimit):
		at, _ := h.Recovery.NextCode(f)
		return h.recoveryFailed(c, err, f, func(v *views.RecoveryView) {
			v.Error, v.ErrorData = "recovery.resend.limit", map[string]any{"Time": h.clock(c, at)}
			v.ResendWait = 0
		})
	case errors.Is(err, recovery.ErrNoFlow), errors.Is(err, recovery.ErrWrongStep), errors.Is(err, recovery.ErrStepDone):
		return h.recoveryFailed(c, err, f, nil)
	}
	return err
}
