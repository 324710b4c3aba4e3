package handlers

import (
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// formValue returns a form field after the checks every field needs:
// valid UTF-8, no NUL byte, at most max bytes. Anything else is a bad
// request, answered with a localized page, never passed to the domain.
func formValue(c *fiber.Ctx, name string, max int) (string, error) {
	if len(c.Request().PostArgs().PeekMulti(name)) > 1 {
		return "", errBadInput // which of two e-mails or codes was meant?
	}
	v := c.FormValue(name)
	if len(v) > max || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return "", errBadInput
	}
	return v, nil
}

// formsOnly refuses a state-changing request whose body is not a plain
// form — all Sésame's forms post application/x-www-form-urlencoded, with
// or without htmx — before anything else reads it.
func formsOnly(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]))
	if ct == fiber.MIMEMultipartForm && c.Path() == importPath {
		// The desk's import uploads a file, in whatever encoding the
		// school's software wrote it (the parser reads Windows-1252 too).
		return c.Next()
	}
	if ct != fiber.MIMEApplicationForm {
		return errUnsupported
	}
	if !utf8.Valid(c.Body()) {
		return errBadInput
	}
	return c.Next()
}

// formValues reads several fields with formValue.
func formValues(c *fiber.Ctx, max int, names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		v, err := formValue(c, n, max)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
