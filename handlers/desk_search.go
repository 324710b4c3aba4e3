package handlers

import (
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/account"
	"sesame/views"
)

// searchLimit is how many parents a search lists: enough for the
// homonyms of a large school; more means the query should be longer.
const searchLimit = 25

// deskSearch is « find a parent »: the page, or the results alone for
// htmx. It only reads.
func (h *handler) deskSearch(c *fiber.Ctx) error {
	q := c.Query("q")
	if len(q) > 200 || !utf8.ValidString(q) || strings.IndexByte(q, 0) >= 0 {
		return errBadInput
	}
	v := views.DeskSearchView{Query: q}
	if strings.TrimSpace(q) != "" {
		res, err := h.Desk.Search(q, searchLimit)
		if err != nil {
			return err
		}
		v.Searched, v.TooShort, v.Total = true, res.TooShort, res.Total
		for _, hit := range res.Hits {
			v.Hits = append(v.Hits, deskHit(hit.Account))
		}
	}
	if isHTMX(c) {
		return render(c, fiber.StatusOK, views.DeskResults(h.deskPage(c), v))
	}
	return render(c, fiber.StatusOK, views.DeskSearchPage(h.deskPage(c), deskNav(c, "search"), v))
}

func deskHit(a account.Account) views.DeskHit {
	st, kind := accountState(a)
	return views.DeskHit{ID: a.ID, Name: a.Name(), Email: a.Email, Children: a.ChildrenLabel(), State: st, StateKind: kind}
}

// accountState is how the desk names an account's state, and its
// badge's look.
func accountState(a account.Account) (string, string) {
	switch {
	case a.State != account.Active:
		return "desk.state.disabled", "ko"
	case !a.Activated():
		return "desk.state.imported", "wait"
	}
	return "desk.state.active", "ok"
}
