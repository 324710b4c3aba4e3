package handlers

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/desk"
	"sesame/internal/mail/outbox"
	"sesame/views"
)

// deskParent is a parent's page. It only reads.
func (h *handler) deskParent(c *fiber.Ctx) error {
	f, err := h.Desk.File(c.Params("id"))
	if errors.Is(err, account.ErrNotFound) {
		return h.deskError(c, deskNav(c, "search"), fiber.StatusNotFound, "desk.parent.unknown.title", "desk.parent.unknown", nil)
	}
	if err != nil {
		return err
	}
	v := h.parentView(c, f)
	// The result of the action just taken (after its redirect): only a
	// known message is shown, never text from the address bar.
	if r := c.Query("r"); r != "" && len(r) < 40 {
		id := "desk.result." + r
		if h.Locales.Has(langOf(c), id) {
			v.NoticeData = map[string]any{"At": v.Code.Next}
			if strings.HasSuffix(r, "_done") {
				v.Notice = id
			} else {
				v.Error = id
			}
		}
	}
	return render(c, fiber.StatusOK, views.DeskParentPage(h.deskPage(c), deskNav(c, "search"), v))
}

// stamp writes t for the desk, in the school's zone; "" for none.
func (h *handler) stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return views.Stamp(h.deskTime(t))
}

func (h *handler) parentView(c *fiber.Ctx, f desk.File) views.DeskParentView {
	a := f.Account
	st, kind := accountState(a)
	v := views.DeskParentView{ID: a.ID, Name: a.Name(), Civility: a.Civility, LastName: a.LastName, FirstName: a.FirstName,
		Email: a.Email, Phone: a.Phone, Lang: a.Lang, State: st, StateKind: kind, Activated: a.Activated(),
		PasswordChanged: h.stamp(a.PasswordChanged), Created: h.stamp(a.Created), LastLogin: h.stamp(f.LastLogin), Sessions: f.Sessions}
	if a.State == account.Disabled {
		v.Disabled, v.DisabledAt = "desk.parent.disabled.admin", h.stamp(a.DisabledAt)
		if a.DisabledBy == account.DisabledBySync {
			v.Disabled = "desk.parent.disabled.sync"
		}
	}
	for _, ch := range a.Children {
		v.Children = append(v.Children, views.DeskChild{Name: strings.TrimSpace(ch.FirstName + " " + ch.LastName), Class: ch.Class})
	}
	needsLetter := a.State == account.Active && !a.Activated()
	for _, o := range f.Family {
		v.Family = append(v.Family, deskHit(o))
		needsLetter = needsLetter || (o.State == account.Active && !o.Activated())
	}
	rc := f.Recovery
	if c := rc.Code; c != nil {
		v.Code = views.DeskCode{Has: true, Issued: h.stamp(c.Created), Until: h.stamp(c.Expires), Attempts: c.Attempts,
			Max: rc.MaxAttempts, Used: c.Used, Live: rc.Live, Dead: !c.Used && c.Attempts >= rc.MaxAttempts}
	}
	v.Code.IssuedToday, v.Code.Next, v.Code.Limited = len(rc.Issued), h.stamp(rc.Next), rc.Limited
	ac := f.Activate
	v.Letter = views.DeskLetter{Refusals: len(ac.Refusals), MaxTries: ac.MaxTries, LockedUntil: h.stamp(ac.LockedUntil)}
	if hist := ac.Record.History; hist.Count > 0 {
		v.Letter.Has, v.Letter.Issued, v.Letter.Until = true, h.stamp(hist.Issued), h.stamp(hist.Expires)
		v.Letter.Via, v.Letter.Live = "desk.via."+string(hist.Via), ac.Live
		v.Letter.Letter, v.Letter.Invite, v.Letter.Codes = h.stamp(hist.Letter), h.stamp(hist.Invite), hist.Count
		if !h.Locales.Has(langOf(c), v.Letter.Via) {
			v.Letter.Via = "desk.via.admin"
		}
	}
	v.Mails = h.deskMails(c, f.Mails, false)
	v.Events = h.deskEvents(c, f.Events)
	if a.Email != "" && a.State == account.Active {
		v.Actions = append(v.Actions, views.DeskActionLink{Name: "code", Label: "desk.action.code"})
	}
	if a.Email != "" && a.State == account.Active && !a.Activated() && h.Desk.Invitations != nil {
		v.Actions = append(v.Actions, views.DeskActionLink{Name: "invitation", Label: "desk.action.invite"})
	}
	v.Actions = append(v.Actions, views.DeskActionLink{Name: "email", Label: "desk.action.email"})
	if needsLetter {
		v.Actions = append(v.Actions, views.DeskActionLink{Name: "lettre", Label: "desk.action.letter"})
	}
	v.Actions = append(v.Actions, views.DeskActionLink{Name: "limites", Label: "desk.action.limits"})
	if f.Sessions > 0 {
		v.Actions = append(v.Actions, views.DeskActionLink{Name: "sessions", Label: "desk.action.sessions"})
	}
	if a.State == account.Active {
		v.Actions = append(v.Actions, views.DeskActionLink{Name: "desactiver", Label: "desk.action.disable"})
	} else {
		v.Actions = append(v.Actions, views.DeskActionLink{Name: "activer", Label: "desk.action.enable"})
	}
	return v
}

// deskMails turns outbox messages into the lists' lines.
func (h *handler) deskMails(c *fiber.Ctx, ms []outbox.Message, retry bool) []views.DeskMail {
	out := make([]views.DeskMail, 0, len(ms))
	for _, m := range ms {
		d := views.DeskMail{ID: m.ID, When: h.stamp(m.Created), To: m.To, Kind: "desk.mail.kind." + string(m.Kind),
			Status: "desk.mail.status." + string(m.Status), Attempts: m.Attempts, Error: m.LastError}
		switch m.Status {
		case outbox.StatusSent:
			d.StatusKind, d.SentAt = "ok", h.stamp(m.SentAt)
		case outbox.StatusFailed:
			d.StatusKind = "ko"
			d.Retry = retry && m.Kind != outbox.KindRecoveryCode && m.Kind != outbox.KindStaffSetup
		default:
			d.StatusKind, d.Retry = "wait", retry
		}
		if !h.Locales.Has(langOf(c), d.Kind) {
			d.Kind = "desk.mail.kind.other"
		}
		out = append(out, d)
	}
	return out
}

// deskEvents turns audit events into the lists' lines, in words.
func (h *handler) deskEvents(c *fiber.Ctx, evs []audit.Event) []views.DeskEvent {
	lang := langOf(c)
	out := make([]views.DeskEvent, 0, len(evs))
	for _, e := range evs {
		d := views.DeskEvent{When: h.stamp(e.Time), Kind: string(e.Kind), Account: e.Account, Operator: e.Operator,
			Detail: e.Detail, IP: e.IP, Email: e.Email, Count: e.Count}
		if id := "desk.kind." + string(e.Kind); h.Locales.Has(lang, id) {
			d.Kind = h.Locales.T(lang, id, nil)
		}
		switch {
		case e.Outcome == audit.OutcomeDone:
			d.Outcome = h.Locales.T(lang, "desk.outcome.done", nil)
		case strings.HasPrefix(e.Outcome, "refused"):
			d.Refused = true
			d.Outcome = h.Locales.T(lang, "desk.outcome.refused", nil) + strings.TrimPrefix(e.Outcome, "refused")
		}
		if e.Aggregated() {
			d.Last = h.stamp(e.Last)
		}
		if d.Count == 1 {
			d.Count = 0
		}
		out = append(out, d)
	}
	return out
}
