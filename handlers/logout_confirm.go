package handlers

import (
	"github.com/gofiber/fiber/v2"

	"sesame/views"
)

// logoutConfirmShow asks the parent whether to sign out of the portal,
// for an application that signed them out without proving who they are
// (see provider.TerminateSessionFromRequest). Its parameters are signed
// by the provider: the return address is one registered for the
// application, never one a link made up.
func (h *handler) logoutConfirmShow(c *fiber.Ctx) error {
	v, ok := h.checkLogout(c.Query("retour"), c.Query("client"), c.Query("sig"))
	if !ok {
		return errBadInput
	}
	if _, err := h.Accounts.SessionAccount(c.Cookies(sessionCookie)); err != nil {
		// Nobody to sign out here.
		return c.Redirect(v.Redirect, fiber.StatusSeeOther)
	}
	c.Set(fiber.HeaderContentSecurityPolicy, csp([]string{originOf(v.Redirect)}, nil))
	return render(c, fiber.StatusOK, views.LogoutConfirmPage(h.page(c), v))
}

// logoutConfirm is the parent's "yes": the portal session ends, and the
// browser goes back to the application.
func (h *handler) logoutConfirm(c *fiber.Ctx) error {
	f, err := formValues(c, 2000, "retour", "client", "sig")
	if err != nil {
		return err
	}
	v, ok := h.checkLogout(f[0], f[1], f[2])
	if !ok {
		return errBadInput
	}
	tok := c.Cookies(sessionCookie)
	if a, err := h.Accounts.SessionAccount(tok); err == nil {
		if err := h.OIDC.EndSession(c.UserContext(), tok, a.ID, v.Client); err != nil {
			return err
		}
	}
	h.clearCookie(c, sessionCookie, h.cookiePath())
	h.clearForwardAuth(c)
	return c.Redirect(v.Redirect, fiber.StatusSeeOther)
}

func (h *handler) checkLogout(redirect, client, sig string) (views.LogoutConfirm, bool) {
	if h.OIDC == nil {
		return views.LogoutConfirm{}, false
	}
	l, ok := h.OIDC.CheckLogout(redirect, client, sig)
	if !ok || originOf(l.Redirect) == "" {
		return views.LogoutConfirm{}, false
	}
	return views.LogoutConfirm{App: l.ClientName, Redirect: l.Redirect, Client: l.ClientID, Sig: sig}, true
}
