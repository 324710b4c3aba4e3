package handlers

import (
	"encoding/hex"
	"errors"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/audit"
	"sesame/internal/staff"
	"sesame/views"
)

// The desk's cookie: another name and a narrower path than the parents'
// session, SameSite=Strict (staff never arrive signed in from another
// site), so neither side's cookie is ever taken for the other's.
const (
	deskCookie = "sesame_desk"
	deskRoot   = "/secretariat"
)

// localStaff holds the request's *deskCtx (after the parents' keys).
const localStaff localKey = 100

func (h *handler) deskCookiePath() string { return h.base + deskRoot }

// deskNetwork answers the desk only from the school's networks
// (--desk-network), before anything else of the desk runs: elsewhere a
// localized refusal, and nothing about whether anyone has an account.
func (h *handler) deskNetwork(c *fiber.Ctx) error {
	c.Set("X-Robots-Tag", "noindex, nofollow")
	if len(h.Config.DeskNetworks) > 0 && !inNets(h.Config.DeskNetworks, net.ParseIP(h.clientIP(c))) {
		return h.deskError(c, nil, fiber.StatusForbidden, "desk.refused.network.title", "desk.refused.network", nil)
	}
	return c.Next()
}

// deskCtx is the signed-in member of a desk request.
type deskCtx struct {
	member  staff.Member
	session staff.Session
	token   string
}

// deskAuth lets a request through only with a live staff session; any
// other goes back to the sign-in, told why (the idle timeout, or a
// session ended).
func (h *handler) deskAuth(c *fiber.Ctx) error {
	tok := c.Cookies(deskCookie)
	m, sess, err := h.Staff.Session(tok)
	if err != nil {
		msg := ""
		switch {
		case errors.Is(err, staff.ErrIdle):
			msg = "?msg=idle"
		case tok != "":
			msg = "?msg=ended"
		}
		if tok != "" {
			h.clearCookie(c, deskCookie, h.deskCookiePath())
		}
		target := h.path(deskRoot + msg)
		if isHTMX(c) {
			// htmx would swap the sign-in page into the results: the
			// whole page goes there instead.
			c.Set("HX-Redirect", target)
			return c.SendStatus(fiber.StatusUnauthorized)
		}
		return c.Redirect(target, fiber.StatusSeeOther)
	}
	c.Locals(localStaff, &deskCtx{member: m, session: sess, token: tok})
	return c.Next()
}

func deskOf(c *fiber.Ctx) *deskCtx {
	d, _ := c.Locals(localStaff).(*deskCtx)
	return d
}

// deskNav is the member and section every signed-in desk page shows.
func deskNav(c *fiber.Ctx, section string) *views.DeskNav {
	d := deskOf(c)
	if d == nil {
		return nil
	}
	return &views.DeskNav{Name: d.member.Name, Email: d.member.Email, Admin: d.member.IsAdmin(), Section: section}
}

// needAdmin refuses, with a localized page and an audit record, what
// only an admin may do: false when refused (the page is then written,
// or err says why not). The role is checked here, on the server, for
// every such request: the page only hides the links.
func (h *handler) needAdmin(c *fiber.Ctx, what string) (bool, error) {
	d := deskOf(c)
	if d != nil && d.member.IsAdmin() {
		return true, nil
	}
	op := ""
	if d != nil {
		op = d.member.Operator()
	}
	h.auditDesk(audit.Event{Kind: audit.StaffDenied, IP: h.clientIP(c), Operator: op, Detail: what,
		Outcome: audit.Refused("needs the admin role")})
	return false, h.deskError(c, deskNav(c, ""), fiber.StatusForbidden, "desk.refused.role.title", "desk.refused.role", nil)
}

func (h *handler) auditDesk(e audit.Event) {
	if h.Staff != nil && h.Staff.Audit != nil {
		e.Time = h.now()
		h.Staff.Audit.Append(e)
	}
}

// deskError renders a refusal in the desk's frame.
func (h *handler) deskError(c *fiber.Ctx, nav *views.DeskNav, status int, titleID, msgID string, data map[string]any) error {
	if isHTMX(c) {
		c.Set("HX-Retarget", "body")
		c.Set("HX-Reswap", "innerHTML")
	}
	return render(c, status, views.DeskErrorPage(h.deskPage(c), nav, titleID, msgID, data))
}

// deskPage is h.page for the desk: the language switch of a desk page
// leads to the same page, its query (a search, a set-up link) kept.
func (h *handler) deskPage(c *fiber.Ctx) views.Page {
	p := h.page(c)
	p.Path = deskGetPage(c)
	return p
}

// deskGetPage is the GET page a desk request is on: the page itself for
// a GET, with its query but the language; for a form's POST address,
// the page that shows the form.
func deskGetPage(c *fiber.Ctx) string {
	path := strings.TrimSuffix(c.Path(), "/")
	if path == "" || !strings.HasPrefix(path, deskRoot) {
		return pageOf(path)
	}
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		if strings.HasPrefix(path, deskRoot+"/installation") {
			if t := c.FormValue("t"); t != "" && len(t) <= 100 && utf8.ValidString(t) {
				return deskRoot + "/installation?t=" + url.QueryEscape(t)
			}
		}
		return deskGetPageOf(path)
	}
	q := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if string(k) != "lang" && len(v) <= 200 && utf8.Valid(k) && utf8.Valid(v) {
			q.Add(string(k), string(v))
		}
	})
	if len(q) > 0 {
		return path + "?" + q.Encode()
	}
	return path
}

// hexHash is the SessionInfo.ID of the session held by token.
func hexHash(token string) string { return hex.EncodeToString(staff.SessionHash(token)) }

// deskGetPageOf maps a desk form's POST address to the page that shows
// the form.
func deskGetPageOf(path string) string {
	switch {
	case path == deskRoot+"/connexion", path == deskRoot+"/deconnexion":
		return deskRoot
	case strings.HasPrefix(path, deskRoot+"/installation"):
		return deskRoot + "/installation"
	case strings.HasPrefix(path, deskRoot+"/parent/"):
		if parts := strings.Split(path, "/"); len(parts) >= 4 {
			return strings.Join(parts[:4], "/")
		}
	case strings.HasPrefix(path, deskRoot+"/sessions"):
		return deskRoot + "/sessions"
	case strings.HasPrefix(path, deskRoot+"/envois"):
		return deskRoot + "/envois"
	case strings.HasPrefix(path, deskRoot+"/import"):
		return deskRoot + "/import"
	}
	return deskRoot
}

// deskTime writes t for the desk, in the school's zone.
func (h *handler) deskTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(h.zone())
}

// userAgent is a short description of the browser for the sessions
// list: the last product of the header ("Firefox/128.0"), at most 60
// characters, printable only.
func userAgent(c *fiber.Ctx) string {
	ua := c.Get(fiber.HeaderUserAgent)
	if !utf8.ValidString(ua) {
		return ""
	}
	fields := strings.Fields(ua)
	var kept []string
	for _, f := range fields {
		for _, name := range []string{"Firefox/", "Edg/", "Chrome/", "Safari/", "OPR/"} {
			if strings.HasPrefix(f, name) {
				kept = append(kept, f)
			}
		}
	}
	out := strings.Join(kept, " ")
	if out == "" && len(fields) > 0 {
		out = fields[0]
	}
	out = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, out)
	if utf8.RuneCountInString(out) > 60 {
		out = string([]rune(out)[:60])
	}
	return out
}
