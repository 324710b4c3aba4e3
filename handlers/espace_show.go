package handlers

import (
	"github.com/gofiber/fiber/v2"

	"sesame/internal/account"
	"sesame/views"
)

// espaceShow is the signed-in parent's home.
func (h *handler) espaceShow(c *fiber.Ctx) error {
	a, err := h.Accounts.SessionAccount(c.Cookies(sessionCookie))
	if err != nil {
		return c.Redirect(h.path("/"), fiber.StatusSeeOther)
	}
	f := views.PasswordChangeForm{Rules: h.rules(c, a, "")}
	return render(c, fiber.StatusOK, views.EspacePage(h.page(c), espaceView(a), f))
}

func espaceView(a account.Account) views.EspaceView {
	return views.EspaceView{Name: a.Name(), Identifier: a.ID, Children: a.ChildrenLabel(), ChildCount: len(a.Children)}
}
