// Package forwardauth is the portal's sign-in shared with applications
// that know nothing of OpenID Connect, behind a reverse proxy that asks
// the portal about every request (nginx auth_request, Caddy
// forward_auth, Traefik ForwardAuth).
//
// The browser reaches those applications on other hosts, where the
// portal's session cookie (host-only, under the base path) is not sent.
// So at sign-in the portal also sets a forward-auth cookie on the
// parent domain the school names (--forward-auth-domains ecole.fr).
// That cookie holds the session's hash and a MAC, never the session
// token: the applications behind the proxy see it in every request,
// and with it they could check a sign-in but never sign in to the
// portal as the parent. It dies with the session.
//
// The package holds the rules only: which return addresses are allowed
// (no open redirect: only the school's hosts), the cookie's domains,
// the cookie's value, and how each proxy describes the original request.
package forwardauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// CookieName is the forward-auth cookie.
const CookieName = "sesame_fa"

// Config is --forward-auth-domains, checked against the portal's host.
type Config struct {
	// Domains are the hosts the sign-in is shared with, each with its
	// subdomains: "ecole.fr" covers cantine.ecole.fr.
	Domains []string
	// CookieDomains are the Domain attributes of the cookie: for each
	// entry, the widest domain it shares with the portal's host on
	// which a cookie may be set (not a public suffix).
	CookieDomains []string
	// HTTP allows http return addresses: only when the portal itself is
	// served in clear (a test, a demo on one machine).
	HTTP bool
}

// Parse reads --forward-auth-domains (comma-separated host names) for a
// portal at base. Empty gives nil: forward-auth is off. An entry the
// portal cannot set a cookie for — one that shares no registrable
// domain with the portal's host — is refused, saying why.
func Parse(value string, base *url.URL) (*Config, error) {
	if strings.TrimSpace(value) == "" {
		return nil, nil
	}
	portal := strings.ToLower(base.Hostname())
	if net.ParseIP(portal) != nil && portal != "127.0.0.1" && portal != "::1" {
		return nil, fmt.Errorf("the portal's address %s is an IP address: a cookie cannot be shared from it; give --base-url a host name", portal)
	}
	c := &Config{HTTP: base.Scheme == "http"}
	for _, d := range strings.Split(value, ",") {
		d = strings.Trim(strings.ToLower(strings.TrimSpace(d)), ".")
		if d == "" {
			continue
		}
		if strings.ContainsAny(d, "/:@ *") || strings.Contains(d, "..") {
			return nil, fmt.Errorf("%q: give host names only, e.g. ecole.fr or cantine.ecole.fr (each covers its subdomains)", d)
		}
		cd, err := cookieDomain(d, portal)
		if err != nil {
			return nil, err
		}
		if !contains(c.Domains, d) {
			c.Domains = append(c.Domains, d)
		}
		if !contains(c.CookieDomains, cd) {
			c.CookieDomains = append(c.CookieDomains, cd)
		}
	}
	if len(c.Domains) == 0 {
		return nil, nil
	}
	// A cookie on ecole.fr reaches parents.ecole.fr's subdomains too:
	// the narrower ones are not needed.
	var wide []string
	for _, d := range c.CookieDomains {
		covered := false
		for _, o := range c.CookieDomains {
			if o != d && strings.HasSuffix(d, "."+o) {
				covered = true
			}
		}
		if !covered {
			wide = append(wide, d)
		}
	}
	c.CookieDomains = wide
	return c, nil
}

// cookieDomain is the common suffix of domain and portal, at label
// boundaries, when a cookie may be set on it: not a public suffix
// (fr, co.uk, github.io). Loopback test setups share "127.0.0.1" or
// "localhost" exactly.
func cookieDomain(domain, portal string) (string, error) {
	if domain == portal {
		return domain, nil
	}
	dl, pl := strings.Split(domain, "."), strings.Split(portal, ".")
	var common []string
	for i, j := len(dl)-1, len(pl)-1; i >= 0 && j >= 0 && dl[i] == pl[j]; i, j = i-1, j-1 {
		common = append([]string{dl[i]}, common...)
	}
	cd := strings.Join(common, ".")
	if cd == "" {
		return "", fmt.Errorf("%q shares no domain with the portal's host %s: its applications could not receive the sign-in cookie; serve them under the portal's domain", domain, portal)
	}
	if suffix, _ := publicsuffix.PublicSuffix(cd); suffix == cd {
		return "", fmt.Errorf("%q and the portal's host %s share only %q, a public suffix no cookie may be set on: serve them under one domain of the school's", domain, portal, cd)
	}
	return cd, nil
}

// Allowed says whether u is an address the portal may send a browser
// back to: http(s), no user part, on one of the domains.
func (c *Config) Allowed(u *url.URL) bool {
	if c == nil || u == nil || u.User != nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && c.HTTP) {
		return false
	}
	host := strings.ToLower(u.Hostname())
	for _, d := range c.Domains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// ReturnURL checks a return address given as text (the login page's
// rd) and returns it as the portal will redirect to it.
func (c *Config) ReturnURL(raw string) (string, bool) {
	if raw == "" || len(raw) > 2000 || strings.ContainsAny(raw, "\r\n\t\\") {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || !c.Allowed(u) {
		return "", false
	}
	return u.String(), true
}

// Headers is how a proxy describes the request it asks about.
type Headers struct {
	// OriginalURL is nginx's (the README's snippet sets X-Original-URL).
	OriginalURL string
	// Proto, Host and URI are Traefik's and Caddy's
	// X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Uri.
	Proto, Host, URI string
}

// Original returns the address the browser asked for, and whether the
// proxy follows redirects from the portal (Traefik, Caddy: they hand a
// 302 to the browser) or needs a 401 (nginx's auth_request, whose
// snippet turns it into a redirect itself).
func (h Headers) Original() (raw string, redirects bool) {
	if h.Host != "" && h.URI != "" {
		proto := h.Proto
		if proto == "" {
			proto = "https"
		}
		return proto + "://" + h.Host + h.URI, true
	}
	return h.OriginalURL, false
}

// Token is the forward-auth cookie's value for a session known by its
// hash: the hash and its MAC under secret.
func Token(secret, sessionHash []byte) string {
	return base64.RawURLEncoding.EncodeToString(sessionHash) + "." + base64.RawURLEncoding.EncodeToString(mac(secret, sessionHash))
}

// SessionHash checks a forward-auth cookie and returns the session's
// hash it names.
func SessionHash(secret []byte, token string) ([]byte, bool) {
	h, m, ok := strings.Cut(token, ".")
	if !ok || len(token) > 200 {
		return nil, false
	}
	hash, err1 := base64.RawURLEncoding.DecodeString(h)
	sum, err2 := base64.RawURLEncoding.DecodeString(m)
	if err1 != nil || err2 != nil || len(hash) != sha256.Size || !hmac.Equal(sum, mac(secret, hash)) {
		return nil, false
	}
	return hash, true
}

func mac(secret, hash []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("forward-auth\x00"))
	m.Write(hash)
	return m.Sum(nil)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
