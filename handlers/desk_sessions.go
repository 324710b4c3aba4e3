package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/staff"
	"sesame/views"
)

// deskSessions lists the member's live sessions (every member's for an
// admin), each with the button that ends it.
func (h *handler) deskSessions(c *fiber.Ctx) error {
	d := deskOf(c)
	list, err := h.Staff.Sessions(d.member, d.token)
	if err != nil {
		return err
	}
	v := views.DeskSessionsView{}
	for _, s := range list {
		v.Sessions = append(v.Sessions, views.DeskSession{ID: s.ID, Member: s.Member,
			Created: views.Stamp(h.deskTime(s.Created)), LastSeen: views.Stamp(h.deskTime(s.LastSeen)),
			IP: s.IP, Agent: s.Agent, Current: s.Current})
	}
	if c.Query("msg") == "ended" {
		v.Notice = "desk.sessions.ended"
	}
	return render(c, fiber.StatusOK, views.DeskSessionsPage(h.deskPage(c), deskNav(c, "sessions"), v))
}

// deskSessionEnd ends one session: the member's own, or anyone's for an
// admin (refused otherwise, on the server). Ending the session of this
// very browser signs it out.
func (h *handler) deskSessionEnd(c *fiber.Ctx) error {
	id, err := formValue(c, "id", 128)
	if err != nil {
		return err
	}
	d := deskOf(c)
	current := id == hexHash(d.token)
	switch err := h.Staff.EndSession(c.UserContext(), d.member, id); {
	case errors.Is(err, staff.ErrForbidden):
		return h.deskError(c, deskNav(c, "sessions"), fiber.StatusForbidden, "desk.refused.role.title", "desk.refused.role", nil)
	case errors.Is(err, staff.ErrNoSession):
		// Already ended (twice the button, another tab): say it is done.
	case err != nil:
		return err
	}
	if current {
		h.clearCookie(c, deskCookie, h.deskCookiePath())
		return c.Redirect(h.path(deskRoot+"?msg=out"), fiber.StatusSeeOther)
	}
	return c.Redirect(h.path(deskRoot+"/sessions?msg=ended"), fiber.StatusSeeOther)
}
