package handlers

import (
	"net"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/audit"
	"sesame/internal/ratelimit"
)

// clientIP is the parent's address: the peer's, or — only when the peer
// is a configured trusted proxy — the last address in X-Forwarded-For
// that is not itself a trusted proxy. Reading from the right matters: a
// client can put anything on the left of the header it sends, and the
// proxy only appends.
func (h *handler) clientIP(c *fiber.Ctx) string {
	peer := c.Context().RemoteIP()
	if !h.trusted(peer) {
		return peer.String()
	}
	parts := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(parts) - 1; i >= 0; i-- {
		ip := net.ParseIP(strings.TrimSpace(parts[i]))
		if ip == nil {
			break
		}
		if !h.trusted(ip) {
			return ip.String()
		}
	}
	return peer.String()
}

// withIP puts the client's address in the request context, where the
// domain services find it for the audit log.
func (h *handler) withIP(c *fiber.Ctx) error {
	c.SetUserContext(audit.WithIP(c.UserContext(), h.clientIP(c)))
	return c.Next()
}

func (h *handler) trusted(ip net.IP) bool {
	return inNets(h.Config.TrustedProxies, ip)
}

// ipKey is the per-address limiters' key: the client's address, or ""
// — which limit skips — when it is in the school's own network
// (--trusted-network), where a whole parents' evening shares one
// address. The other keys (identifier, e-mail, flow) still apply.
func (h *handler) ipKey(c *fiber.Ctx) string {
	ip := h.clientIP(c)
	if inNets(h.Config.TrustedNetworks, net.ParseIP(ip)) {
		return ""
	}
	return ip
}

func inNets(nets []*net.IPNet, ip net.IP) bool {
	if ip == nil {
		return false
	}
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// limit takes a token from each limiter for its key; when one is empty
// the request is refused with 429 and a localized "wait a minute" page.
// Keys are checked in order and a refusal stops there, so a refused
// request does not use up the later buckets.
func limit(c *fiber.Ctx, pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		l, _ := pairs[i].(*ratelimit.Limiter)
		key, _ := pairs[i+1].(string)
		if l == nil || key == "" {
			continue
		}
		if ok, wait := l.Allow(key, timeNow()); !ok {
			secs := int(wait.Seconds()) + 1
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
			return &userError{fiber.StatusTooManyRequests, "error.slowdown.title", "error.slowdown", secs}
		}
	}
	return nil
}
