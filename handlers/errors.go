package handlers

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/writefail"
	"sesame/views"
)

// userError is an error the parent is told about in their language: a
// status and two message IDs, never the error's own text.
type userError struct {
	status     int
	title, msg string
	retryAfter int // seconds, for 503
}

func (e *userError) Error() string { return e.msg }

var (
	errExpired  = &userError{fiber.StatusForbidden, "error.expired.title", "error.expired", 0}
	errBadInput = &userError{fiber.StatusBadRequest, "error.bad.title", "error.bad", 0}
	errBusy     = &userError{fiber.StatusServiceUnavailable, "error.busy.title", "error.busy", 5}
	// errUnsupported is a form sent as something else than a form.
	errUnsupported = &userError{fiber.StatusUnsupportedMediaType, "error.bad.title", "error.bad", 0}
)

// errorHandler is the one place errors become responses. Anything not a
// userError is logged and shown as a generic localized page: the
// browser never sees err.Error() or a stack trace.
func (h *handler) errorHandler(c *fiber.Ctx, err error) error {
	var ue *userError
	var fe *fiber.Error
	switch {
	case errors.As(err, &ue):
	case errors.As(err, &fe):
		ue = fiberError(fe.Code)
	case writefail.Is(err):
		// A full disk or a read-only data file: nothing was changed (the
		// transaction was refused whole), and pages that only read still
		// work. Say so and log it loudly for the IT person.
		// Every request meets it while the disk is full: one line per
		// interval, with a count, rather than one per request.
		ue = &userError{fiber.StatusServiceUnavailable, "error.storage.title", "error.storage", 60}
		h.Writes.Failed("web", err)
	default:
		ue = &userError{fiber.StatusInternalServerError, "error.server.title", "error.server", 0}
	}
	if ue.status >= 500 && ue != errBusy && ue.title != "error.storage.title" {
		h.Log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	if ue.retryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(ue.retryAfter))
	}
	// Headers set by a handler that failed half-way must not leak into the
	// error page.
	c.Response().Header.Del(fiber.HeaderLocation)
	if c.Locals(localLang) == nil {
		// The error came before the language middleware ran (a static
		// file, an oversized request): still answer in the right language.
		lang := h.Config.DefaultLang
		if m := h.Locales.Match(c.Get(fiber.HeaderAcceptLanguage)); m != "" {
			lang = m
		}
		c.Locals(localLang, lang)
	}
	if isHTMX(c) {
		// htmx would swap the whole error page into the element that made
		// the request (a card inside the page). The page replaces the body
		// instead, so the parent sees exactly what a plain form gets.
		c.Set("HX-Retarget", "body")
		c.Set("HX-Reswap", "innerHTML")
	}
	return render(c, ue.status, views.ErrorPage(h.page(c), ue.title, ue.msg))
}

func fiberError(code int) *userError {
	switch code {
	case fiber.StatusNotFound:
		return &userError{code, "error.notfound.title", "error.notfound", 0}
	case fiber.StatusMethodNotAllowed:
		return &userError{code, "error.notfound.title", "error.notfound", 0}
	case fiber.StatusRequestEntityTooLarge:
		return &userError{code, "error.toolarge.title", "error.toolarge", 0}
	case fiber.StatusRequestHeaderFieldsTooLarge:
		return &userError{code, "error.toolarge.title", "error.toolarge", 0}
	case fiber.StatusUnsupportedMediaType:
		return &userError{code, "error.bad.title", "error.bad", 0}
	case fiber.StatusTooManyRequests:
		return &userError{code, "error.slowdown.title", "error.slowdown", 60}
	}
	if code >= 400 && code < 500 {
		return &userError{code, "error.bad.title", "error.bad", 0}
	}
	return &userError{fiber.StatusInternalServerError, "error.server.title", "error.server", 0}
}

func (h *handler) notFound(c *fiber.Ctx) error { return fiber.ErrNotFound }
