package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"sesame/internal/audit"
	"sesame/internal/identity"
)

// ClientSpec is what the school says when it registers an application.
type ClientSpec struct {
	Name           string
	RedirectURIs   []string
	PostLogoutURIs []string
	Public         bool
	// URL is the application's address for the parents' space; empty:
	// the origin of the first redirect URI.
	URL string
	// Icon is an https URL; IconData, when set, is an image file's
	// bytes and IconType its MIME type (see IconTypes), stored as a
	// data: URI instead.
	Icon     string
	IconData []byte
	IconType string
	Children bool
}

// IconTypes are the image types an icon file may have.
var IconTypes = map[string]string{
	".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".webp": "image/webp", ".gif": "image/gif", ".ico": "image/x-icon",
}

// MaxIconSize bounds an icon file: it is sent with every view of the
// parents' space.
const MaxIconSize = 32 << 10

// SpecError is a registration the school must correct; its text says
// what to change.
type SpecError struct{ Msg string }

// Error is the message for the school, as is.
func (e *SpecError) Error() string { return e.Msg }

func specErr(format string, a ...any) error { return &SpecError{fmt.Sprintf(format, a...)} }

// RegisterClient checks spec and stores the new client. It returns the
// client and, for a confidential client, its secret: shown once, only
// its hash is kept. operator names who registered it, for the audit.
func (s *Service) RegisterClient(ctx context.Context, spec ClientSpec, operator string) (Client, string, error) {
	c, err := s.checkSpec(spec)
	if err != nil {
		return Client{}, "", err
	}
	secret := ""
	if !c.Public {
		secret = randomString(32)
		c.SecretHash = hashSecret(secret)
	}
	for try := 0; ; try++ {
		c.ID = clientID(c.Name)
		ev := &audit.Event{Time: c.Created, Kind: audit.OIDCClientAdded, Detail: "client " + c.ID + " (" + c.Name + ")", Operator: operator, IP: audit.IP(ctx)}
		err = s.Store.CreateOIDCClient(c, ev)
		if !errors.Is(err, ErrExists) || try == 5 {
			break
		}
	}
	if err != nil {
		return Client{}, "", err
	}
	return c, secret, nil
}

func (s *Service) checkSpec(spec ClientSpec) (Client, error) {
	name, err := identity.CleanText(spec.Name, 60)
	if err != nil || name == "" {
		return Client{}, specErr("--name: give the application's name as parents know it, one line of at most 60 characters (e.g. Moodle)")
	}
	if len(spec.RedirectURIs) == 0 {
		return Client{}, specErr("--redirect-uri: give at least one, the exact address the application asks to come back to (its documentation names it)")
	}
	c := Client{Name: name, Public: spec.Public, Children: spec.Children, Created: s.now()}
	for _, u := range spec.RedirectURIs {
		if err := checkURI("--redirect-uri", u); err != nil {
			return Client{}, err
		}
		if !contains(c.RedirectURIs, u) {
			c.RedirectURIs = append(c.RedirectURIs, u)
		}
	}
	for _, u := range spec.PostLogoutURIs {
		if err := checkURI("--post-logout-uri", u); err != nil {
			return Client{}, err
		}
		if !contains(c.PostLogoutURIs, u) {
			c.PostLogoutURIs = append(c.PostLogoutURIs, u)
		}
	}
	c.URL = spec.URL
	if c.URL == "" {
		u, _ := url.Parse(c.RedirectURIs[0])
		c.URL = u.Scheme + "://" + u.Host + "/"
	} else if err := checkURI("--url", c.URL); err != nil {
		return Client{}, err
	}
	switch {
	case spec.IconData != nil:
		if len(spec.IconData) > MaxIconSize {
			return Client{}, specErr("--icon: the image is %d KB; give one of at most %d KB (it is shown on every visit to the parents' space)", len(spec.IconData)>>10, MaxIconSize>>10)
		}
		if spec.IconType == "" {
			return Client{}, specErr("--icon: give a PNG, SVG, JPEG, WebP, GIF or ICO file, or an https address")
		}
		c.Icon = "data:" + spec.IconType + ";base64," + base64.StdEncoding.EncodeToString(spec.IconData)
	case spec.Icon != "":
		u, err := url.Parse(spec.Icon)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(spec.Icon) > 500 {
			return Client{}, specErr("--icon %q: give an https address of the image, or an image file", spec.Icon)
		}
		c.Icon = spec.Icon
	}
	return c, nil
}

// checkURI accepts an absolute https URL, or http on the machine itself
// (an application under test): a code or a parent's page must never
// travel in clear over a network. No fragment, no user, no spaces.
func checkURI(option, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" || u.User != nil || len(raw) > 500 ||
		strings.IndexFunc(raw, unicode.IsSpace) >= 0 {
		return specErr("%s %q: give a full address such as https://moodle.ecole.fr/admin/oauth2callback.php, without # or spaces", option, raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopback(u.Hostname()) {
			return nil
		}
		return specErr("%s %q: must be https (http only for localhost, an application under test)", option, raw)
	}
	return specErr("%s %q: must be an https address", option, raw)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Clients returns every registered client, sorted by name.
func (s *Service) Clients() ([]Client, error) {
	cs, err := s.Store.OIDCClients()
	sort.Slice(cs, func(i, j int) bool {
		if a, b := strings.ToLower(cs[i].Name), strings.ToLower(cs[j].Name); a != b {
			return a < b
		}
		return cs[i].ID < cs[j].ID
	})
	return cs, err
}

// Client returns one client.
func (s *Service) Client(id string) (Client, error) {
	if id == "" || len(id) > 100 {
		return Client{}, ErrNotFound
	}
	return s.Store.OIDCClient(id)
}

// RemoveClient deletes a client and every refresh token issued to it:
// its parents are signed out of it at their next refresh, and its
// access tokens are refused at once (userinfo checks the client).
func (s *Service) RemoveClient(ctx context.Context, id, operator string) (Client, error) {
	c, err := s.Client(id)
	if err != nil {
		return c, err
	}
	ev := &audit.Event{Time: s.now(), Kind: audit.OIDCClientRemoved, Detail: "client " + c.ID + " (" + c.Name + ")", Operator: operator, IP: audit.IP(ctx)}
	return c, s.Store.DeleteOIDCClient(id, ev)
}

// AuthenticateClient checks a confidential client's secret. The secret
// is 256 random bits, so a plain SHA-256 is enough to keep a stolen data
// file from giving it away (argon2id is for passwords people choose,
// and would cap the token endpoint at a dozen requests a second);
// the hashes are compared in constant time.
func (s *Service) AuthenticateClient(id, secret string) (Client, error) {
	c, err := s.Client(id)
	if err != nil {
		// The same work as a wrong secret.
		subtle.ConstantTimeCompare(hashSecret(secret), hashSecret(""))
		return Client{}, ErrInvalidClient
	}
	if c.Public || len(c.SecretHash) == 0 || subtle.ConstantTimeCompare(hashSecret(secret), c.SecretHash) != 1 {
		return Client{}, ErrInvalidClient
	}
	return c, nil
}

func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte("sesame-oidc-client\x00" + secret))
	return h[:]
}

// randomString is n random bytes, base64url without padding.
func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// clientID is the name's slug and 8 random characters, "moodle-k3x9q2ab":
// an administrator recognises it in a configuration file, and nobody
// can guess another school's.
func clientID(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(name)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
		default:
			if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
				b.WriteByte('-')
			}
		}
		if b.Len() >= 24 {
			break
		}
	}
	slug := strings.Trim(b.String(), "-")
	if slug == "" {
		slug = "app"
	}
	rnd := make([]byte, 5)
	if _, err := rand.Read(rnd); err != nil {
		panic(err)
	}
	return slug + "-" + idEncoding.EncodeToString(rnd)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
