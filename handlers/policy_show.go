package handlers

import (
	"github.com/gofiber/fiber/v2"

	"sesame/internal/account"
	"sesame/internal/policy"
	"sesame/views"
)

var emptyAccount account.Account

// policyShow explains the password rules and why; the recovery and
// change-password forms link here.
func (h *handler) policyShow(c *fiber.Ctx) error {
	lang := langOf(c)
	data := h.Accounts.Policy.TemplateData()
	var rules []string
	for _, r := range h.Accounts.Policy.Evaluate("", h.Accounts.Context(emptyAccount)) {
		rules = append(rules, h.Locales.T(lang, r.ID, data))
	}
	return render(c, fiber.StatusOK, views.PolicyPage(h.page(c), rules, policy.PageParagraphs(), data))
}
