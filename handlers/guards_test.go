package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// postRoutes are every form's POST address.
var postRoutes = []string{"/login", "/logout", "/espace/mot-de-passe", "/recuperation/email", "/recuperation/code",
	"/recuperation/renvoyer", "/recuperation/changer", "/recuperation/mot-de-passe", "/recuperation/regles", "/recuperation/annuler", "/recuperation/autre"}

// Invalid UTF-8 in a query, a path or a form never reaches a page: every
// route answers a body that is valid UTF-8 (issue 11, defect 12).
func TestInvalidUTF8NeverReflected(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	for _, path := range []string{"/?identifiant=%E9", "/?identifiant=a%E9b%00&msg=%E9&lang=%E9", "/espace?x=%E9",
		"/politique-mot-de-passe?lang=%E9", "/recuperation?msg=%E9", "/%E9", "/recuperation/%E9?identifiant=%E9"} {
		resp, body := b.get(path)
		if resp.StatusCode >= 500 || !utf8.ValidString(body) || strings.Contains(body, "\x00") {
			t.Errorf("GET %s: %d, valid UTF-8 %v", path, resp.StatusCode, utf8.ValidString(body))
		}
	}
	if _, body := b.get("/?identifiant=%E9"); !strings.Contains(body, `value="`+"\uFFFD"+`"`) {
		t.Errorf("the invalid byte should show as U+FFFD in the field")
	}
	for _, route := range postRoutes {
		for _, hx := range []bool{false, true} {
			b := e.browser(t)
			_, page := b.get("/recuperation")
			tok := csrfRe.FindStringSubmatch(page)[1]
			body := "_csrf=" + tok + "&email=%E9&code=%E9&identifier=%E9&password=%E9&current=%E9&new=%E9&confirm=%E9"
			req := httptest.NewRequest("POST", route+"?identifiant=%E9", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if hx {
				req.Header.Set("HX-Request", "true")
			}
			resp, out := b.do(req)
			if resp.StatusCode >= 500 || !utf8.ValidString(out) {
				t.Errorf("POST %s (htmx %v): %d, valid UTF-8 %v", route, hx, resp.StatusCode, utf8.ValidString(out))
			}
		}
	}
}

var langLinkRe = regexp.MustCompile(`href="([^"]*)" lang="en"`)

// The language switch of a page that answers a POST links to the GET
// page the parent is on, never to the POST address (defect 4).
func TestLangSwitchOnPostAnswers(t *testing.T) {
	e := newEnv(t)
	check := func(what, body, want string) {
		t.Helper()
		m := langLinkRe.FindStringSubmatch(body)
		if m == nil || m[1] != want {
			t.Errorf("%s: the English link is %v, want %q", what, m, want)
		}
	}
	b := e.browser(t)
	resp, body := b.post("/", "/login", url.Values{"identifier": {"personne"}, "password": {"x"}})
	if resp.StatusCode != 401 {
		t.Fatalf("failed login: %d", resp.StatusCode)
	}
	check("failed login", body, "/?lang=en")
	// An expired form (no token) on every POST route.
	for _, route := range postRoutes {
		req := httptest.NewRequest("POST", route, strings.NewReader("code=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, body := b.do(req)
		if resp.StatusCode != 403 {
			t.Fatalf("%s without a token: %d", route, resp.StatusCode)
		}
		check(route+" 403", body, pageOf(route)+"?lang=en")
	}
	// A page that is not found offers the home page in the other language.
	_, body = b.get("/nulle-part")
	check("404", body, "/?lang=en")
	resp, body = b.post("/recuperation", "/recuperation/code", url.Values{"code": {"12345678"}})
	if resp.StatusCode != 409 {
		t.Fatalf("code without a flow: %d", resp.StatusCode)
	}
	check("recovery 409", body, "/recuperation?lang=en")
}

// A GET on a form's POST address (Back, a reload) leads to that form's
// page, never to "page not found" (defect 4).
func TestGetOnPostAddress(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	for _, route := range postRoutes {
		resp, _ := b.get(route + "?lang=en")
		want := pageOf(route) + "?lang=en"
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("GET %s: %d to %q, want 303 to %q", route, resp.StatusCode, resp.Header.Get("Location"), want)
		}
		if loc := resp.Header.Get("Location"); loc != "" {
			if resp, _ := b.get(loc); resp.StatusCode != 200 && resp.StatusCode != http.StatusSeeOther {
				t.Errorf("GET %s then %s: %d", route, loc, resp.StatusCode)
			}
		}
	}
}

// An error answering an htmx request replaces the body with the error
// page, as a plain form would show it, instead of nesting a whole page
// inside the card (defect 3).
func TestHTMXErrorsRetargetTheBody(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.get("/recuperation")
	for name, body := range map[string]string{"403": "code=1", "400": "code=1&code=2", "413": "code=" + strings.Repeat("1", 100<<10)} {
		form := body
		if name != "403" {
			_, page := b.get("/recuperation")
			form = "_csrf=" + csrfRe.FindStringSubmatch(page)[1] + "&" + body
		}
		req := httptest.NewRequest("POST", "/recuperation/code", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		var resp *http.Response
		if name == "413" {
			resp, _ = b.doReal(req)
		} else {
			resp, _ = b.do(req)
		}
		if resp.StatusCode >= 500 || resp.StatusCode < 400 {
			t.Fatalf("%s: status %d", name, resp.StatusCode)
		}
		if resp.Header.Get("HX-Retarget") != "body" || resp.Header.Get("HX-Reswap") != "innerHTML" {
			t.Errorf("%s (%d): HX-Retarget %q, HX-Reswap %q", name, resp.StatusCode, resp.Header.Get("HX-Retarget"), resp.Header.Get("HX-Reswap"))
		}
	}
}
