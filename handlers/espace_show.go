package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/account"
	"sesame/views"
)

// espaceShow is the signed-in parent's home: who they are, the school's
// applications they sign in to with this account, and their password.
func (h *handler) espaceShow(c *fiber.Ctx) error {
	a, err := h.Accounts.SessionAccount(c.Cookies(sessionCookie))
	if err != nil {
		return c.Redirect(h.path("/"), fiber.StatusSeeOther)
	}
	f := views.PasswordChangeForm{Rules: h.rules(c, a, "")}
	return render(c, fiber.StatusOK, views.EspacePage(h.page(c), h.espaceView(c, a), f))
}

func (h *handler) espaceView(c *fiber.Ctx, a account.Account) views.EspaceView {
	return views.EspaceView{Name: a.Name(), Identifier: a.ID, Children: a.ChildrenLabel(), ChildCount: len(a.Children), Apps: h.apps(c)}
}

// apps are the registered applications for the launcher. Icons given as
// https addresses are allowed by this page's policy, origin by origin;
// a file's icon is inline (data:), which the policy allows already.
func (h *handler) apps(c *fiber.Ctx) []views.AppLink {
	if h.OIDC == nil {
		return nil
	}
	cs, err := h.OIDC.Service().Clients()
	if err != nil {
		// The page still shows the rest; the listing's trouble is logged.
		h.Log.Warn("cannot list the applications for the parents' space", "err", err)
	}
	var out []views.AppLink
	var origins []string
	for _, cl := range cs {
		out = append(out, views.AppLink{Name: cl.Name, URL: cl.URL, Icon: cl.Icon})
		if strings.HasPrefix(cl.Icon, "https://") {
			if o := originOf(cl.Icon); o != "" {
				origins = append(origins, o)
			} else {
				out[len(out)-1].Icon = ""
			}
		}
	}
	if len(origins) > 0 {
		c.Set(fiber.HeaderContentSecurityPolicy, csp(nil, origins))
	}
	return out
}
