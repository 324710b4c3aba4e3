package handlers

import "github.com/gofiber/fiber/v2"

// readyz tells a load balancer or a supervisor whether the server can do
// its work, where /healthz only says the process answers. It never
// writes: Ready reports what the writers last met (the mail worker
// paused, a write refused lately), so a probe every second costs nothing
// and cannot itself fill a disk.
func (h *handler) readyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if h.Ready != nil {
		if err := h.Ready(); err != nil {
			c.Status(fiber.StatusServiceUnavailable)
			return c.SendString("not ready: " + err.Error())
		}
	}
	return c.SendString("ready")
}
