package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"

	"github.com/gofiber/fiber/v2"
)

const csrfCookie = "sesame_csrf"

// csrf protects every state-changing request with a signed double-submit
// token: the browser holds a random cookie, and each form carries an
// HMAC of it under the server's secret. A cross-site page can make the
// browser send the cookie but cannot read it nor compute the HMAC.
//
// Fiber's csrf middleware was not used: it keeps every issued token in
// memory (a flood of cookieless GETs grows it without bound), loses them
// all on restart, and over https it demands a Referer header, which our
// Referrer-Policy: no-referrer rightly withholds. This one keeps no state
// at all.
func (h *handler) csrf(c *fiber.Ctx) error {
	nonce := c.Cookies(csrfCookie)
	valid := len(nonce) == 43 // 32 random bytes, base64url
	if !valid {
		buf := make([]byte, 32)
		if _, err := rand.Read(buf); err != nil {
			return err
		}
		nonce = base64.RawURLEncoding.EncodeToString(buf)
		c.Cookie(&fiber.Cookie{Name: csrfCookie, Value: nonce, Path: h.cookiePath(), HTTPOnly: true, SameSite: "Lax", Secure: h.secure})
	}
	want := h.csrfFor(nonce)
	c.Locals(localCSRF, want)
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	got := c.Get("X-CSRF-Token")
	if got == "" {
		got = c.FormValue("_csrf")
	}
	if !valid || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errExpired
	}
	return c.Next()
}

func (h *handler) csrfFor(nonce string) string {
	m := hmac.New(sha256.New, h.Secret)
	m.Write([]byte("csrf\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func csrfToken(c *fiber.Ctx) string {
	s, _ := c.Locals(localCSRF).(string)
	return s
}
