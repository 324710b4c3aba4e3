package handlers

import (
	"net"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/mail/delivery"
	"sesame/views"
)

// Mailbox is the demo mailbox the handlers can show.
type Mailbox interface {
	Entries() []delivery.MailboxEntry
}

// mailboxShow is /dev/mailbox: demo mode only (the route does not exist
// otherwise) and only for a browser on this machine, since it shows
// every code.
func (h *handler) mailboxShow(c *fiber.Ctx) error {
	ip := net.ParseIP(c.Context().RemoteIP().String())
	if ip == nil || !ip.IsLoopback() {
		return fiber.ErrNotFound
	}
	var entries []views.MailboxEntry
	for _, e := range h.Mailbox.Entries() {
		entries = append(entries, views.MailboxEntry{To: e.To, Subject: e.Subject, Text: e.Text, At: e.At.In(h.zone())})
	}
	return render(c, fiber.StatusOK, views.MailboxPage(h.page(c), entries))
}
