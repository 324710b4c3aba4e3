package handlers

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/account"
	"sesame/internal/identity"
	"sesame/internal/mail/outbox"
	"sesame/internal/recovery"
	"sesame/locales"
	"sesame/views"
)

const recoveryCookie = "sesame_recovery"

// recoveryShow resumes the browser's recovery at its step, or starts at
// step 1. It only reads: a reload or a reopened tab writes nothing.
func (h *handler) recoveryShow(c *fiber.Ctx) error {
	f, err := h.Recovery.Get(c.Cookies(recoveryCookie))
	if err != nil && !errors.Is(err, recovery.ErrNoFlow) {
		return err
	}
	if e := fromInvitation(c.Query("email")); e != "" {
		// The invitation's link (sesame invite): step 1 with the address
		// filled in, for the parent to press « Valider ». The address this
		// browser is already recovering resumes that recovery instead.
		// Nothing is written either way: a mail scanner opening the link
		// sends no code.
		if norm, _ := identity.NormalizeEmail(e); f.State == "" || f.Email != norm {
			v := h.recoveryView(c, recovery.Flow{})
			v.Email = e
			return h.recoveryRender(c, fiber.StatusOK, v)
		}
	}
	v := h.recoveryView(c, f)
	switch c.Query("msg") {
	case "sent":
		if v.Step == 2 {
			if err := h.sentNotice(c, f, &v); err != nil {
				return err
			}
		}
	case "resent":
		if v.Step == 2 {
			v.Notice = "recovery.resend.done"
		}
	case "expired":
		if v.Step == 1 {
			v.Error = "recovery.expired"
		}
	}
	return h.recoveryRender(c, fiber.StatusOK, v)
}

// fromInvitation is the address of an invitation's link as step 1
// shows it: valid text, and nothing when it is too long to be an
// address (the form's own limit).
func fromInvitation(s string) string {
	if s = strings.TrimSpace(s); len(s) > 320 {
		return ""
	}
	return clean(s)
}

// sentNotice says what step 1 did, truthfully and alike for every
// address (recovery.News reads only the address's history, which known
// and unknown addresses share): a code was sent, or none was because
// one was sent less than a minute ago or too many were asked for.
func (h *handler) sentNotice(c *fiber.Ctx, f recovery.Flow, v *views.RecoveryView) error {
	n, err := h.Recovery.News(f)
	if err != nil {
		return err
	}
	until := ""
	if !n.Until.IsZero() {
		until = h.clock(c, n.Until)
	}
	switch {
	case n.New:
		v.Notice, v.NoticeData = "recovery.sent", map[string]any{"Count": v.CodeMinutes, "PluralCount": v.CodeMinutes, "Until": until}
	case n.Limited:
		v.Notice, v.NoticeData = "recovery.sent.limit", map[string]any{"Until": until, "Next": h.clock(c, n.Next)}
		v.ResendWait = 0 // the sentence gives the time; seconds would count hours
	default:
		v.Notice, v.NoticeData = "recovery.sent.cooldown", map[string]any{"Until": until}
	}
	return nil
}

// recoveryView is the card for flow f (the zero Flow is step 1).
func (h *handler) recoveryView(c *fiber.Ctx, f recovery.Flow) views.RecoveryView {
	v := views.RecoveryView{Step: 1, CodeMinutes: locales.Minutes(h.Recovery.Config.CodeTTL), FieldErrors: map[string][]string{}}
	switch f.State {
	case recovery.CodeSent:
		v.Step, v.MaskedEmail = 2, outbox.MaskAddress(f.Email)
		if at, _ := h.Recovery.NextCode(f); !at.IsZero() {
			v.ResendWait = int(at.Sub(h.now()).Seconds() + 0.999)
		}
	case recovery.Verified:
		v.Step = 3
		left := f.Remaining()
		if len(left) == 0 {
			v.DeadEnd, v.Error = true, "recovery.disabled"
			break
		}
		// Each identifier with its holder's name and children, so a
		// family can tell them apart; none is chosen for the parent.
		for _, id := range left {
			a, _ := h.Recovery.Account(id)
			v.Identifiers = append(v.Identifiers, identifierView(id, a))
		}
		if len(left) == 1 {
			v.Chosen = left[0]
		}
		a, _ := h.Recovery.Account(left[0])
		v.Rules = h.rules(c, a, "")
	case recovery.Done:
		v.Step, v.Chosen, v.Another = 4, f.Chosen, len(f.Remaining()) > 0
		// The children again, so a family notes which identifier it set.
		a, _ := h.Recovery.Account(f.Chosen)
		v.Identifiers = []views.Identifier{identifierView(f.Chosen, a)}
	}
	return v
}

// identifierView is identifier id as step 3 and the confirmation show
// it; a is its account, or the zero Account when it could not be read
// (the identifier alone is then shown).
func identifierView(id string, a account.Account) views.Identifier {
	return views.Identifier{ID: id, Name: a.Name(), Children: a.ChildrenLabel(), ChildCount: len(a.Children)}
}

// recoveryRender answers with the card alone for htmx, the whole page
// otherwise, so every step works without JavaScript.
func (h *handler) recoveryRender(c *fiber.Ctx, status int, v views.RecoveryView) error {
	p := h.page(c)
	p.Path = "/recuperation"
	if isHTMX(c) {
		return render(c, status, views.RecoveryCard(p, v))
	}
	return render(c, status, views.RecoveryPage(p, v))
}

// recoveryNext moves the browser on after a successful step: htmx gets
// the next card at once; a plain form is redirected to the GET page
// (post/redirect/get), so a reload never posts twice.
func (h *handler) recoveryNext(c *fiber.Ctx, msg string) error {
	if !isHTMX(c) {
		u := "/recuperation"
		if msg != "" {
			u += "?msg=" + url.QueryEscape(msg)
		}
		return c.Redirect(h.path(u), fiber.StatusSeeOther)
	}
	c.Request().URI().QueryArgs().Set("msg", msg)
	return h.recoveryShow(c)
}

func (h *handler) setRecoveryCookie(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{Name: recoveryCookie, Value: token, Path: h.path("/recuperation"), HTTPOnly: true,
		SameSite: "Lax", Secure: h.secure, MaxAge: int(h.Recovery.Config.FlowTTL.Seconds())})
}

// recoveryFailed renders a step again with what went wrong. A flow that
// expired meanwhile goes back to step 1 and says so.
func (h *handler) recoveryFailed(c *fiber.Ctx, err error, f recovery.Flow, edit func(*views.RecoveryView)) error {
	if errors.Is(err, recovery.ErrNoFlow) {
		h.clearCookie(c, recoveryCookie, h.path("/recuperation"))
		v := h.recoveryView(c, recovery.Flow{})
		v.Error = "recovery.expired"
		return h.recoveryRender(c, fiber.StatusConflict, v)
	}
	if errors.Is(err, recovery.ErrStepDone) {
		// A form posted again after Back: nothing changed; show the step
		// the parent is at, and say the one they posted is behind them.
		cur, _ := h.Recovery.Get(c.Cookies(recoveryCookie))
		v := h.recoveryView(c, cur)
		if v.Step == 4 {
			v.Notice = "recovery.stepdone.finished"
		} else {
			v.Notice, v.NoticeData = "recovery.stepdone.at", map[string]any{"Step": v.Step}
		}
		return h.recoveryRender(c, fiber.StatusConflict, v)
	}
	if errors.Is(err, recovery.ErrWrongStep) {
		cur, _ := h.Recovery.Get(c.Cookies(recoveryCookie))
		v := h.recoveryView(c, cur)
		v.Error = "recovery.wrongstep"
		return h.recoveryRender(c, fiber.StatusConflict, v)
	}
	v := h.recoveryView(c, f)
	edit(&v)
	return h.recoveryRender(c, fiber.StatusUnprocessableEntity, v)
}
