package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"sesame/locales"
)

const langCookie = "sesame_lang"

// language picks the page's language: an explicit ?lang= (remembered in
// a cookie), else the cookie, else the browser's Accept-Language, else
// the school's default.
func (h *handler) language(c *fiber.Ctx) error {
	lang := ""
	if q := c.Query("lang"); locales.Valid(q) {
		lang = q
		c.Cookie(&fiber.Cookie{Name: langCookie, Value: q, Path: h.cookiePath(), MaxAge: int((365 * 24 * time.Hour).Seconds()),
			HTTPOnly: true, SameSite: "Lax", Secure: h.secure})
	} else if ck := c.Cookies(langCookie); locales.Valid(ck) {
		lang = ck
	} else if m := h.Locales.Match(c.Get(fiber.HeaderAcceptLanguage)); m != "" {
		lang = m
	} else {
		lang = h.Config.DefaultLang
	}
	c.Locals(localLang, lang)
	c.Vary(fiber.HeaderAcceptLanguage, fiber.HeaderCookie)
	return c.Next()
}

type localKey int

const (
	localLang localKey = iota
	localCSRF
)

func langOf(c *fiber.Ctx) string {
	if l, ok := c.Locals(localLang).(string); ok {
		return l
	}
	return locales.Default
}
