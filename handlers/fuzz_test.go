package handlers

import (
	"net/http/httptest"
	"strings"
	"testing"

	"sesame/internal/ratelimit"
)

// FuzzForms posts arbitrary bodies to every form with a valid token: the
// answer is never a 5xx.
//
//	go test -run '^$' -fuzz FuzzForms -fuzztime 30s ./handlers/
func FuzzForms(f *testing.F) {
	for _, s := range []string{"email=m%40exemple.fr", "identifier=dupont.marie&password=Cartable-Vert-2026", "code=1234+5678",
		"email=%ff", "email=a%00", "email=a&email=b", "identifier=&password=", "%", "a=%zz", strings.Repeat("x=1&", 200)} {
		f.Add(s)
	}
	e := newEnv(f, func(d *Deps) { d.Limits = &ratelimit.Limits{} })
	b := e.browser(f)
	_, page := b.get("/recuperation")
	tok := csrfRe.FindStringSubmatch(page)[1]
	routes := []string{"/login", "/recuperation/email", "/recuperation/code", "/recuperation/mot-de-passe", "/recuperation/regles", "/espace/mot-de-passe",
		"/secretariat/connexion", "/secretariat/installation/mot-de-passe", "/secretariat/installation/totp"}
	f.Fuzz(func(t *testing.T, body string) {
		for _, r := range routes {
			req := httptest.NewRequest("POST", r, strings.NewReader("_csrf="+tok+"&"+body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range b.cookies {
				req.Header.Add("Cookie", k+"="+v)
			}
			resp, err := e.app.Test(req, -1)
			if err != nil {
				continue // bodies over the limit are refused by the server itself
			}
			if resp.StatusCode >= 500 {
				t.Fatalf("%s %q: %d", r, body, resp.StatusCode)
			}
		}
	})
}
