package handlers

import (
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// deskRoutes are the school office's desk, under /secretariat: only from
// --desk-network, and past the sign-in only with a live staff session.
// Every route of the desk is listed here.
func (h *handler) deskRoutes(app *fiber.App) {
	d := app.Group(deskRoot, h.deskNetwork)
	d.Get("/", h.deskSignInShow)
	d.Post("/connexion", h.deskSignIn)
	d.Post("/deconnexion", h.deskSignOut)
	d.Get("/installation", h.deskSetupShow)
	d.Post("/installation/mot-de-passe", h.deskSetupPassword)
	d.Post("/installation/totp", h.deskSetupTOTP)

	d.Get("/recherche", h.deskAuth, h.deskSearch)
	d.Get("/parent/:id", h.deskAuth, h.deskParent)
	d.Get("/parent/:id/:action", h.deskAuth, h.deskConfirm)
	d.Post("/parent/:id/:action", h.deskAuth, h.deskDo)
	d.Get("/etablissement", h.deskAuth, h.deskSchool)
	d.Get("/envois", h.deskAuth, h.deskOutbox)
	d.Post("/envois/relancer", h.deskAuth, h.deskRetry)
	d.Get("/journal", h.deskAuth, h.deskLog)
	d.Get("/import", h.deskAuth, h.deskImportShow)
	d.Post("/import", h.deskAuth, h.deskImportUpload)
	d.Post("/import/confirmer", h.deskAuth, h.deskImportConfirm)
	d.Get("/sessions", h.deskAuth, h.deskSessions)
	d.Post("/sessions/fin", h.deskAuth, h.deskSessionEnd)

	// A GET on a form's address (Back, a reload) shows that form's page.
	for _, p := range []string{"/connexion", "/deconnexion", "/installation/mot-de-passe", "/installation/totp", "/sessions/fin",
		"/envois/relancer", "/import/confirmer"} {
		d.Get(p, h.deskToGet)
	}
}

// importPath is the one address that takes a file (multipart/form-data)
// and more than bodyLimit: the school's export.
const importPath = deskRoot + "/import"

// largeBodies lets the import's upload be up to importLimit; every
// other request keeps bodyLimit. fasthttp asks after reading the
// headers, before the body, so nothing larger is read elsewhere.
func (h *handler) largeBodies(hdr *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if string(hdr.Method()) == fiber.MethodPost && string(hdr.RequestURI()) == h.base+importPath {
		return fasthttp.RequestConfig{MaxRequestBodySize: importLimit + 64<<10}
	}
	return fasthttp.RequestConfig{}
}

// deskToGet answers a GET on a desk form's POST address with its page.
func (h *handler) deskToGet(c *fiber.Ctx) error {
	u := deskGetPageOf(c.Path())
	if l := c.Query("lang"); l == "fr" || l == "en" {
		u += "?lang=" + l
	}
	return c.Redirect(h.path(u), fiber.StatusSeeOther)
}
