package handlers

import (
	"net"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/ratelimit"
)

func TestLoginSlowedDownPerIdentifier(t *testing.T) {
	e := newEnv(t, func(d *Deps) {
		d.Limits = &ratelimit.Limits{LoginID: ratelimit.New(time.Minute, 3, 100)}
	})
	b := e.browser(t)
	for i := 0; i < 3; i++ {
		if resp, _ := b.post("/", "/login", url.Values{"identifier": {"dupont.marie"}, "password": {"faux"}}); resp.StatusCode != 401 {
			t.Fatalf("try %d: %d", i, resp.StatusCode)
		}
	}
	resp, body := b.post("/", "/login", url.Values{"identifier": {"Dupont.Marie"}, "password": {"Cartable-Vert-2026"}})
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Trop de tentatives") {
		t.Fatalf("4th try: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Another identifier is not slowed down by this one.
	if resp, _ := b.post("/", "/login", url.Values{"identifier": {"autre"}, "password": {"x"}}); resp.StatusCode != 401 {
		t.Fatalf("other identifier: %d", resp.StatusCode)
	}
}

func TestRecoveryStartSlowedDownPerIP(t *testing.T) {
	e := newEnv(t, func(d *Deps) {
		d.Limits = &ratelimit.Limits{RecoveryIP: ratelimit.New(time.Minute, 2, 100)}
	})
	b := e.browser(t)
	for i, want := range []int{303, 303, 429} {
		resp, _ := b.post("/recuperation", "/recuperation/email", url.Values{"email": {"x" + string(rune('a'+i)) + "@exemple.fr"}})
		if resp.StatusCode != want {
			t.Fatalf("request %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	l := ratelimit.New(time.Minute, 1, 1000)
	now := time.Now()
	for i := 0; i < 50_000; i++ {
		l.Allow(net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).String(), now)
	}
	if l.Len() != 1000 {
		t.Fatalf("%d keys remembered", l.Len())
	}
	// An active key survives the flood: its bucket is still empty.
	l.Allow("abuser", now)
	for i := 0; i < 999; i++ {
		l.Allow("abuser", now)
		l.Allow("filler"+string(rune(i)), now)
	}
	if ok, _ := l.Allow("abuser", now); ok {
		t.Fatal("the abuser's bucket was forgotten during the flood")
	}
}

func TestClientIPTrustsOnlyConfiguredProxies(t *testing.T) {
	_, proxy, _ := net.ParseCIDR("0.0.0.0/32") // app.Test's peer address
	h := &handler{Deps: Deps{Config: Config{TrustedProxies: []*net.IPNet{proxy}}}}
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString(h.clientIP(c)) })
	for _, c := range []struct{ xff, want string }{
		{"", "0.0.0.0"},
		{"203.0.113.7", "203.0.113.7"},
		{"1.2.3.4, 203.0.113.7", "203.0.113.7"}, // the left part is the client's own claim
		{"garbage", "0.0.0.0"},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		if c.xff != "" {
			req.Header.Set("X-Forwarded-For", c.xff)
		}
		resp, _ := app.Test(req)
		buf := make([]byte, 64)
		n, _ := resp.Body.Read(buf)
		if got := string(buf[:n]); got != c.want {
			t.Errorf("XFF %q: client %q, want %q", c.xff, got, c.want)
		}
	}
	// Without trusted proxies the header is ignored.
	h.Config.TrustedProxies = nil
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	resp, _ := app.Test(req)
	buf := make([]byte, 64)
	n, _ := resp.Body.Read(buf)
	if string(buf[:n]) != "0.0.0.0" {
		t.Fatalf("untrusted XFF believed: %s", buf[:n])
	}
}

// A parents' evening: the whole school's Wi-Fi reaches the portal from
// one address behind the school's proxy. From the trusted network the
// per-address limit does not apply, but the per-e-mail one does; from
// anywhere else the per-address limit still answers 429.
func TestTrustedNetworkExemptFromPerIPLimitsOnly(t *testing.T) {
	_, proxy, _ := net.ParseCIDR("0.0.0.0/32") // app.Test's peer address
	_, school, _ := net.ParseCIDR("192.168.10.0/24")
	e := newEnv(t, func(d *Deps) {
		d.Config.TrustedProxies = []*net.IPNet{proxy}
		d.Config.TrustedNetworks = []*net.IPNet{school}
	})
	// Each recovery comes from another phone: a fresh browser, no flow.
	start := func(xff, email string) int {
		b := e.browser(t)
		b.xff = xff
		resp, _ := b.post("/recuperation", "/recuperation/email", url.Values{"email": {email}})
		return resp.StatusCode
	}
	const wifi, home = "192.168.10.42", "203.0.113.7"
	for i := 0; i < 30; i++ {
		if got := start(wifi, "parent"+strconv.Itoa(i)+"@exemple.fr"); got != 303 {
			t.Fatalf("recovery %d from the school's network: %d", i+1, got)
		}
	}
	// The per-e-mail limit (5 in a row) is not lifted.
	codes := []int{}
	for i := 0; i < 6; i++ {
		codes = append(codes, start(wifi, "meme@exemple.fr"))
	}
	if codes[4] != 303 || codes[5] != 429 {
		t.Fatalf("same e-mail from the school's network: %v, want the 6th refused", codes)
	}

	// From outside the school's network, the 21st recovery is refused.
	for i := 0; i < 21; i++ {
		got := start(home, "maison"+strconv.Itoa(i)+"@exemple.fr")
		if want := map[bool]int{true: 429, false: 303}[i == 20]; got != want {
			t.Fatalf("recovery %d from outside: %d, want %d", i+1, got, want)
		}
	}
}
