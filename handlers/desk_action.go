package handlers

import (
	"bytes"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/account"
	"sesame/internal/desk"
	"sesame/internal/identity"
	"sesame/internal/letters"
	"sesame/internal/recovery"
	"sesame/views"
)

// deskActions are the actions on one parent, by their path segment:
// what the confirmation says and its button.
var deskActions = map[string]struct{ title, body, submit string }{
	"code":       {"desk.action.code", "desk.confirm.code", "desk.confirm.code.submit"},
	"email":      {"desk.action.email", "desk.confirm.email", "desk.confirm.email.submit"},
	"invitation": {"desk.action.invite", "desk.confirm.invite", "desk.confirm.invite.submit"},
	"lettre":     {"desk.action.letter", "desk.confirm.letter", "desk.confirm.letter.submit"},
	"limites":    {"desk.action.limits", "desk.confirm.limits", "desk.confirm.limits.submit"},
	"sessions":   {"desk.action.sessions", "desk.confirm.sessions", "desk.confirm.sessions.submit"},
	"desactiver": {"desk.action.disable", "desk.confirm.disable", "desk.confirm.disable.submit"},
	"activer":    {"desk.action.enable", "desk.confirm.enable", "desk.confirm.enable.submit"},
}

// deskConfirm is an action's confirmation page: a GET, so it changes
// nothing; the form on it does.
func (h *handler) deskConfirm(c *fiber.Ctx) error {
	a, act, err := h.deskAction(c)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.DeskConfirmPage(h.deskPage(c), deskNav(c, "search"), h.confirmView(a, act, "", "")))
}

func (h *handler) confirmView(a account.Account, act, value, fieldErr string) views.DeskConfirmView {
	d := deskActions[act]
	email := a.Email
	if email == "" {
		email = "—"
	}
	return views.DeskConfirmView{ID: a.ID, Name: a.Name(), Email: a.Email, Action: act, Title: d.title, Body: d.body,
		Submit: d.submit, BodyData: map[string]any{"Email": email}, AskEmail: act == "email", Value: value,
		FieldError: fieldErr, Download: act == "lettre"}
}

// deskAction reads the parent and the action of the request; an unknown
// one is a localized 404.
func (h *handler) deskAction(c *fiber.Ctx) (account.Account, string, error) {
	act := c.Params("action")
	if _, ok := deskActions[act]; !ok {
		return account.Account{}, "", fiber.ErrNotFound
	}
	a, err := h.Accounts.Get(c.Params("id"))
	if errors.Is(err, account.ErrNotFound) {
		return a, "", h.deskError(c, deskNav(c, "search"), fiber.StatusNotFound, "desk.parent.unknown.title", "desk.parent.unknown", nil)
	}
	return a, act, err
}

// deskDo carries out a confirmed action and goes back to the parent's
// page, which says how it ended; the letter is a PDF to print instead.
func (h *handler) deskDo(c *fiber.Ctx) error {
	var email string
	if c.Params("action") == "email" {
		var err error
		if email, err = formValue(c, "email", 320); err != nil {
			return err
		}
	}
	a, act, err := h.deskAction(c)
	if err != nil || a.ID == "" {
		if err == nil {
			err = fiber.ErrNotFound
		}
		return err
	}
	ctx, op := c.UserContext(), deskOf(c).member.Operator()
	result := ""
	switch act {
	case "code":
		_, err = h.Desk.SendCode(ctx, a.ID, op)
		switch {
		case errors.Is(err, recovery.ErrCooldown):
			result, err = "code_cooldown", nil
		case errors.Is(err, recovery.ErrLimit):
			result, err = "code_limit", nil
		case errors.Is(err, desk.ErrNoEmail), errors.Is(err, desk.ErrDisabled):
			result, err = "code_refused", nil
		case err == nil:
			result = "code_done"
		}
	case "invitation":
		err = h.Desk.Invite(ctx, a.ID, op)
		result = "invite_done"
		if errors.Is(err, desk.ErrNoInvitation) {
			result, err = "invite_refused", nil
		}
	case "email":
		_, err = h.Desk.ChangeEmail(ctx, a.ID, email, op)
		fieldErr := ""
		switch {
		case errors.Is(err, identity.ErrInvalidEmail):
			fieldErr = "desk.confirm.email.invalid"
		case errors.Is(err, desk.ErrSameEmail):
			fieldErr = "desk.confirm.email.same"
		case err == nil:
			result = "email_done"
		}
		if fieldErr != "" {
			return render(c, fiber.StatusUnprocessableEntity, views.DeskConfirmPage(h.deskPage(c), deskNav(c, "search"),
				h.confirmView(a, act, clean(email), fieldErr)))
		}
	case "desactiver", "activer":
		st, name := account.Disabled, "disable"
		if act == "activer" {
			st, name = account.Active, "enable"
		}
		_, err = h.Desk.SetState(ctx, a.ID, st, op)
		result = name + "_done"
		if errors.Is(err, account.ErrSameState) {
			result, err = name+"_same", nil
		}
	case "limites":
		if _, err = h.Desk.LiftLimits(ctx, a.ID, op); err == nil {
			// And the web layer's own limiters for this identifier and
			// address, which only this process knows.
			h.Limits.LoginID.Forget(a.ID)
			h.Limits.RecoveryTo.Forget(a.Email)
			result = "limits_done"
		}
	case "sessions":
		if _, err = h.Desk.EndSessions(ctx, a.ID, op); err == nil {
			result = "sessions_done"
		}
	case "lettre":
		return h.deskLetter(c, a, op)
	}
	if err != nil {
		return err
	}
	return c.Redirect(h.path(deskRoot+"/parent/"+a.ID+"?r="+result), fiber.StatusSeeOther)
}

// deskLetter answers with the family's activation letters as a PDF to
// print; the codes were issued (and earlier ones revoked) just before.
func (h *handler) deskLetter(c *fiber.Ctx, a account.Account, op string) error {
	base := ""
	if h.Config.BaseURL != nil {
		base = strings.TrimRight(h.Config.BaseURL.String(), "/")
	}
	ls, err := h.Desk.Letters(c.UserContext(), a.ID, op, base)
	if errors.Is(err, desk.ErrNoLetter) {
		return c.Redirect(h.path(deskRoot+"/parent/"+a.ID+"?r=letter_none"), fiber.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	school := letters.School{Name: h.Config.School, PortalURL: base + "/", Phone: h.Config.Secretariat.Phone,
		Email: h.Config.Secretariat.Email, Hours: h.Config.Secretariat.Hours, Zone: h.zone()}
	var pdf bytes.Buffer
	if err := letters.WritePDF(&pdf, school, ls); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="lettre-activation-`+a.ID+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(pdf.Bytes())
}
