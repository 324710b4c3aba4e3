package forwardauth

import (
	"crypto/sha256"
	"net/url"
	"strings"
	"testing"
)

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		value, base string
		domains     string // joined; "" with err
		cookies     string
		err         string
	}{
		{"", "https://parents.ecole.fr", "", "", ""},
		{"ecole.fr", "https://parents.ecole.fr", "ecole.fr", "ecole.fr", ""},
		{"cantine.ecole.fr, .Ecole.FR", "https://parents.ecole.fr", "cantine.ecole.fr,ecole.fr", "ecole.fr", ""},
		{"cantine.ecole.fr", "https://parents.ecole.fr", "cantine.ecole.fr", "ecole.fr", ""},
		{"parents.ecole.fr", "https://parents.ecole.fr/parents", "parents.ecole.fr", "parents.ecole.fr", ""},
		{"autre-ecole.fr", "https://parents.ecole.fr", "", "", "public suffix"},
		{"ecole.org", "https://parents.ecole.fr", "", "", "shares no domain"},
		{"cantine.gouv.fr", "https://parents.ac-paris.gouv.fr", "", "", "public suffix"},
		{"https://ecole.fr/", "https://parents.ecole.fr", "", "", "host names only"},
		{"127.0.0.1", "http://127.0.0.1:8080", "127.0.0.1", "127.0.0.1", ""},
		{"ecole.fr", "https://192.0.2.1", "", "", "IP address"},
	} {
		c, err := Parse(tc.value, mustURL(tc.base))
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, want %q", tc.value, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.value, err)
		case tc.domains == "":
			if c != nil {
				t.Errorf("%q: %+v, want off", tc.value, c)
			}
		case strings.Join(c.Domains, ",") != tc.domains || strings.Join(c.CookieDomains, ",") != tc.cookies:
			t.Errorf("%q: domains %v cookies %v", tc.value, c.Domains, c.CookieDomains)
		}
	}
}

// Only the school's hosts: never an open redirect.
func TestReturnURL(t *testing.T) {
	c, err := Parse("ecole.fr", mustURL("https://parents.ecole.fr"))
	if err != nil {
		t.Fatal(err)
	}
	for raw, ok := range map[string]bool{
		"https://cantine.ecole.fr/menu?j=1&s=2": true,
		"https://ecole.fr/":                     true,
		"https://CANTINE.ECOLE.FR/":             true,
		"http://cantine.ecole.fr/":              false, // the portal is https
		"https://evil.fr/":                      false,
		"https://ecole.fr.evil.fr/":             false,
		"https://evilecole.fr/":                 false,
		"https://user@cantine.ecole.fr/":        false,
		"//cantine.ecole.fr/":                   false,
		"/espace":                               false,
		"javascript:alert(1)":                   false,
		"https://cantine.ecole.fr/\r\nX: y":     false,
		"https:\\\\evil.fr":                     false,
		"":                                      false,
	} {
		if _, got := c.ReturnURL(raw); got != ok {
			t.Errorf("ReturnURL(%q) = %v", raw, got)
		}
	}
	var off *Config
	if _, ok := off.ReturnURL("https://ecole.fr/"); ok {
		t.Error("forward-auth off accepted a return address")
	}
}

func TestOriginal(t *testing.T) {
	for _, tc := range []struct {
		h         Headers
		raw       string
		redirects bool
	}{
		{Headers{OriginalURL: "https://a.ecole.fr/x?y=1"}, "https://a.ecole.fr/x?y=1", false},
		{Headers{Proto: "https", Host: "a.ecole.fr", URI: "/x?y=1"}, "https://a.ecole.fr/x?y=1", true},
		{Headers{Host: "a.ecole.fr", URI: "/x"}, "https://a.ecole.fr/x", true},
		{Headers{}, "", false},
	} {
		if raw, r := tc.h.Original(); raw != tc.raw || r != tc.redirects {
			t.Errorf("%+v: %q %v", tc.h, raw, r)
		}
	}
}

func TestToken(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	h := sha256.Sum256([]byte("session token"))
	tok := Token(secret, h[:])
	if strings.Contains(tok, "session token") {
		t.Fatal("the token shows the session")
	}
	got, ok := SessionHash(secret, tok)
	if !ok || string(got) != string(h[:]) {
		t.Fatalf("SessionHash: %v %x", ok, got)
	}
	for _, bad := range []string{"", tok + "x", "AAAA." + strings.SplitN(tok, ".", 2)[1], strings.SplitN(tok, ".", 2)[0] + ".AAAA", strings.Repeat("a", 300)} {
		if _, ok := SessionHash(secret, bad); ok {
			t.Errorf("SessionHash(%q) accepted", bad)
		}
	}
	if _, ok := SessionHash([]byte("another secret, 32 bytes long!!"), tok); ok {
		t.Error("another secret accepted the token")
	}
}
