package handlers

import (
	"encoding/base64"
	"errors"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	qrcode "github.com/skip2/go-qrcode"

	"sesame/internal/password"
	"sesame/internal/policy"
	"sesame/internal/staff"
	"sesame/views"
)

// deskSetupShow is the set-up link: the password step. Opening it
// writes nothing (a mail scanner may open it first).
func (h *handler) deskSetupShow(c *fiber.Ctx) error {
	tok := c.Query("t")
	m, err := h.Staff.SetupMember(tok)
	if err != nil {
		return h.deskSetupInvalid(c, err)
	}
	v := views.DeskSetupView{Token: tok, Name: m.Name, Email: m.Email, Rules: h.staffRules(c, tok, "")}
	return render(c, fiber.StatusOK, views.DeskSetupPasswordPage(h.deskPage(c), v))
}

func (h *handler) deskSetupInvalid(c *fiber.Ctx, err error) error {
	if !errors.Is(err, staff.ErrSetupInvalid) {
		return err
	}
	return h.deskError(c, nil, fiber.StatusGone, "desk.setup.invalid.title", "desk.setup.invalid", nil)
}

// staffRules is the policy's checklist for the member of the link,
// ticked against pw once typed.
func (h *handler) staffRules(c *fiber.Ctx, tok, pw string) []views.RuleView {
	lang := langOf(c)
	res, err := h.Staff.Rules(tok, pw)
	if err != nil {
		res = h.Staff.Policy.Evaluate("", policy.Context{})
	}
	return h.ruleViews(lang, h.Staff.Policy, res, pw)
}

// deskSetupPassword is the first step: the policy decides; then the
// authenticator to enrol.
func (h *handler) deskSetupPassword(c *fiber.Ctx) error {
	v, err := formValues(c, 1024, "t", "new", "confirm")
	if err != nil {
		return err
	}
	if err := limit(c, h.Limits.DeskIP, h.ipKey(c)); err != nil {
		return err
	}
	m, en, err := h.Staff.SetupPassword(c.UserContext(), v[0], v[1], v[2])
	var pe *staff.PolicyError
	switch {
	case errors.As(err, &pe), errors.Is(err, staff.ErrMismatch):
		view := views.DeskSetupView{Token: v[0], Name: m.Name, Email: m.Email, Rules: h.staffRules(c, v[0], v[1]),
			FieldErrors: map[string][]string{}}
		if pe != nil {
			view.FieldErrors["new"] = []string{"desk.setup.password.rules"}
		} else {
			view.FieldErrors["confirm"] = []string{"change.mismatch"}
		}
		return render(c, fiber.StatusUnprocessableEntity, views.DeskSetupPasswordPage(h.deskPage(c), view))
	case errors.Is(err, password.ErrBusy):
		return errBusy
	case err != nil:
		return h.deskSetupInvalid(c, err)
	}
	return h.renderTOTP(c, fiber.StatusOK, v[0], m, en, nil)
}

func (h *handler) renderTOTP(c *fiber.Ctx, status int, tok string, m staff.Member, en staff.Enrolment, errs []string) error {
	png, err := qrcode.Encode(en.URI, qrcode.Medium, 220)
	if err != nil {
		return err
	}
	v := views.DeskSetupView{Token: tok, Name: m.Name, Email: m.Email, Secret: en.Secret,
		// Our own PNG, inline: the CSP allows data: images, and the secret
		// never travels in a URL of its own.
		QR: templ.SafeURL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))}
	if len(errs) > 0 {
		v.FieldErrors = map[string][]string{"code": errs}
	}
	return render(c, status, views.DeskSetupTOTPPage(h.deskPage(c), v))
}

// deskSetupTOTP is the last step: one code of the authenticator proves
// the enrolment; the recovery codes are shown, once.
func (h *handler) deskSetupTOTP(c *fiber.Ctx) error {
	v, err := formValues(c, 256, "t", "code")
	if err != nil {
		return err
	}
	if err := limit(c, h.Limits.DeskIP, h.ipKey(c)); err != nil {
		return err
	}
	m, codes, err := h.Staff.SetupTOTP(c.UserContext(), v[0], v[1])
	if errors.Is(err, staff.ErrWrongCode) {
		m, en, err := h.Staff.Enrolment(v[0])
		if err != nil {
			return h.deskSetupInvalid(c, err)
		}
		return h.renderTOTP(c, fiber.StatusUnprocessableEntity, v[0], m, en, []string{"desk.setup.totp.wrong"})
	}
	if err != nil {
		return h.deskSetupInvalid(c, err)
	}
	return render(c, fiber.StatusOK, views.DeskSetupDonePage(h.deskPage(c), views.DeskSetupView{Name: m.Name, Email: m.Email, Codes: codes}))
}
