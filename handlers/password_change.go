package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/account"
	"sesame/internal/password"
	"sesame/internal/policy"
	"sesame/views"
)

// passwordChange is the signed-in parent changing their password. Like
// every password change it ends all sessions, this one included: the
// parent signs in again with the new password.
func (h *handler) passwordChange(c *fiber.Ctx) error {
	v, err := formValues(c, 1024, "current", "new", "confirm")
	if err != nil {
		return err
	}
	a, err := h.Accounts.SessionAccount(c.Cookies(sessionCookie))
	if err != nil {
		return c.Redirect(h.path("/"), fiber.StatusSeeOther)
	}
	err = h.Accounts.ChangePassword(c.UserContext(), a.ID, v[0], v[1], v[2], langOf(c))
	f := views.PasswordChangeForm{Errors: map[string][]string{}, Rules: h.rules(c, a, v[1])}
	var pe *account.PolicyError
	switch {
	case err == nil:
		h.Metrics.count(passwordChangedEspace)
		h.clearCookie(c, sessionCookie, h.cookiePath())
		h.clearForwardAuth(c)
		return c.Redirect(h.path("/?msg=changed"), fiber.StatusSeeOther)
	case errors.Is(err, account.ErrWrongPassword):
		f.Errors["current"] = []string{"change.wrongcurrent"}
	case errors.As(err, &pe):
		f.Errors["new"] = []string{"change.policy"}
	case errors.Is(err, account.ErrMismatch):
		f.Errors["confirm"] = []string{"change.mismatch"}
	case errors.Is(err, password.ErrBusy):
		return errBusy
	default:
		return err
	}
	return render(c, fiber.StatusUnprocessableEntity, views.EspacePage(h.page(c), h.espaceView(c, a), f))
}

// rules returns the policy's rules for the page, ticked against pw when
// the parent has typed one.
func (h *handler) rules(c *fiber.Ctx, a account.Account, pw string) []views.RuleView {
	return h.ruleViews(langOf(c), h.Accounts.Policy, h.Accounts.Policy.Evaluate(pw, h.Accounts.Context(a)), pw)
}

// ruleViews is the policy's checklist as the page shows it, for a
// parent's password and a staff member's alike: each rule in words,
// ticked or crossed once something is typed, neutral before.
func (h *handler) ruleViews(lang string, pol *policy.Policy, res []policy.Result, pw string) []views.RuleView {
	data := pol.TemplateData()
	out := make([]views.RuleView, len(res))
	for i, r := range res {
		st := ""
		if pw != "" {
			st = "ko"
			if r.OK {
				st = "ok"
			}
		}
		out[i] = views.RuleView{ID: r.ID, Text: h.Locales.T(lang, r.ID, data), State: st}
	}
	return out
}
