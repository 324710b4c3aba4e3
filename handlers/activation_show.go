package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/activation"
	"sesame/internal/identity"
	"sesame/internal/mail/outbox"
	"sesame/locales"
	"sesame/views"
)

const activationCookie = "sesame_activation"

// activationShow is GET /activation: the browser's activation at its
// step, or step 1. The letter's link (?id=…&code=…) fills step 1 in
// and nothing more: a GET never uses a code (mail scanners and link
// previews open links), and it writes nothing. The code in the link is
// never logged: the only log line a request can cause (errorHandler)
// names the path, not the query.
func (h *handler) activationShow(c *fiber.Ctx) error {
	f, err := h.Activation.Get(c.Cookies(activationCookie))
	if err != nil && !errors.Is(err, activation.ErrNoFlow) {
		return err
	}
	id, code := c.Query("id"), c.Query("code")
	if id != "" || code != "" {
		// The link of the identifier this browser is already activating
		// (scanned again, or Back) resumes that activation.
		if nid, _ := identity.NormalizeIdentifier(id); f.State == "" || f.Account != nid {
			v := h.activationView(c, activation.Flow{})
			v.Identifier, v.Code = fromLink(id), fromLink(code)
			return h.activationRender(c, fiber.StatusOK, v)
		}
	}
	v := h.activationView(c, f)
	if c.Query("msg") == "expired" && v.Step == 1 {
		v.Error = "activation.expired"
	}
	return h.activationRender(c, fiber.StatusOK, v)
}

// fromLink is a value of the letter's link as the form shows it: valid
// text, and nothing when it is too long to be one of ours.
func fromLink(s string) string {
	if len(s) > 64 {
		return ""
	}
	return clean(s)
}

// activationView is the card for flow f (the zero Flow is step 1).
func (h *handler) activationView(c *fiber.Ctx, f activation.Flow) views.ActivationView {
	v := views.ActivationView{Step: 1, FieldErrors: map[string][]string{}}
	switch f.State {
	case activation.Verified:
		a, _ := h.Activation.Account(f.Account)
		v.Step = 2
		v.Password = views.RecoveryView{
			Step: 3, Identifiers: []views.Identifier{{ID: f.Account, Name: a.Name()}}, Chosen: f.Account,
			Rules: h.rules(c, a, ""), FieldErrors: map[string][]string{}, URLs: views.ActivationURLs,
		}
	case activation.Done:
		v.Step, v.Identifier = 3, f.Account
		if a, err := h.Activation.Account(f.Account); err == nil && a.Email != "" {
			v.CurrentEmail = outbox.MaskAddress(a.Email)
		}
		if f.EmailSet != "" {
			v.EmailSet = outbox.MaskAddress(f.EmailSet)
		}
	case activation.EmailSent:
		v.Step, v.Identifier, v.SentTo = 4, f.Account, outbox.MaskAddress(f.Email)
		minutes := locales.Minutes(activation.EmailCodeTTL)
		v.Notice, v.NoticeData = "activation.email.sent", map[string]any{"Count": minutes, "PluralCount": minutes, "Until": h.clock(c, f.EmailExpires)}
		if next := h.Activation.NextEmailCode(f); !next.IsZero() {
			v.ResendWait = int(next.Sub(h.now()).Seconds() + 0.999)
		}
		v.NoMoreCodes = f.EmailCodes >= activation.EmailMaxCodes
	}
	return v
}

// activationRender answers with the card alone for htmx, the whole page
// otherwise, so every step works without JavaScript.
func (h *handler) activationRender(c *fiber.Ctx, status int, v views.ActivationView) error {
	p := h.page(c)
	p.Path = "/activation"
	if isHTMX(c) {
		return render(c, status, views.ActivationCard(p, v))
	}
	return render(c, status, views.ActivationPage(p, v))
}

// activationNext moves the browser on after a successful step: htmx gets
// the next card at once; a plain form is redirected to the GET page
// (post/redirect/get), so a reload never posts twice.
func (h *handler) activationNext(c *fiber.Ctx) error {
	if !isHTMX(c) {
		return c.Redirect(h.path("/activation"), fiber.StatusSeeOther)
	}
	c.Request().URI().SetQueryString("")
	return h.activationShow(c)
}

func (h *handler) setActivationCookie(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{Name: activationCookie, Value: token, Path: h.path("/activation"), HTTPOnly: true,
		SameSite: "Lax", Secure: h.secure, MaxAge: int(h.Activation.Config.FlowTTL.Seconds())})
	// The rest of this request (htmx's next card) reads it too.
	c.Request().Header.SetCookie(activationCookie, token)
}

// activationFailed renders the step of flow f again (the zero Flow:
// step 1) with what went wrong, with status. A flow that ended meanwhile
// (expired, or its code revoked) goes back to step 1 and says so; a
// password already set shows the confirmation.
func (h *handler) activationFailed(c *fiber.Ctx, err error, f activation.Flow, status int, edit func(*views.ActivationView)) error {
	switch {
	case errors.Is(err, activation.ErrNoFlow), errors.Is(err, activation.ErrRevoked):
		h.clearCookie(c, activationCookie, h.path("/activation"))
		v := h.activationView(c, activation.Flow{})
		v.Error = "activation.expired"
		if errors.Is(err, activation.ErrRevoked) {
			v.Error = "activation.revoked"
		}
		return h.activationRender(c, fiber.StatusConflict, v)
	case errors.Is(err, activation.ErrStepDone):
		v := h.activationView(c, f)
		v.Notice = "activation.stepdone"
		return h.activationRender(c, fiber.StatusConflict, v)
	}
	v := h.activationView(c, f)
	edit(&v)
	return h.activationRender(c, status, v)
}

// activationCancel is « Annuler »: the flow ends, its code is free again,
// and the parent is back at the login page.
func (h *handler) activationCancel(c *fiber.Ctx) error {
	if err := h.Activation.Cancel(c.Cookies(activationCookie)); err != nil {
		return err
	}
	h.clearCookie(c, activationCookie, h.path("/activation"))
	if isHTMX(c) {
		c.Set("HX-Redirect", h.path("/"))
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(h.path("/"), fiber.StatusSeeOther)
}
