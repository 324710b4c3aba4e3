package handlers

import (
	"bufio"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"sesame/internal/staff"
)

// Every route answers bad input with its expected 4xx and a localized
// page or card: never a 5xx, a stack trace or an error's own text.
func TestBadInputEveryRoute(t *testing.T) {
	e := newEnv(t)
	// Every POST route the app has, from its own table: a new form
	// cannot be left out of this test.
	var routes []string
	seen := map[string]bool{}
	for _, r := range e.app.GetRoutes(true) {
		if r.Method == "POST" && !seen[r.Path] {
			seen[r.Path] = true
			// A parent's action: one that reads a field, on a parent
			// who exists.
			routes = append(routes, strings.NewReplacer(":id", "dupont.marie", ":action", "email").Replace(r.Path))
		}
	}
	if len(routes) < 11 {
		t.Fatalf("only %d POST routes found: %v", len(routes), routes)
	}
	type tc struct {
		name   string
		build  func(b *browser, route, tok string) *http.Request
		status int
		text   string // in French, the default language
	}
	form := func(route, body string) *http.Request {
		r := httptest.NewRequest("POST", route, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	cases := []tc{
		{"no csrf token", func(b *browser, route, tok string) *http.Request {
			return form(route, "email=a%40b.fr&code=12345678")
		}, 403, "Cette page a expiré"},
		{"forged csrf token", func(b *browser, route, tok string) *http.Request {
			return form(route, "_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
		}, 403, "Cette page a expiré"},
		{"oversized body", func(b *browser, route, tok string) *http.Request {
			return form(route, "_csrf="+tok+"&email="+strings.Repeat("a", 100<<10))
		}, 413, "trop longues"},
		{"wrong content type (json)", func(b *browser, route, tok string) *http.Request {
			r := httptest.NewRequest("POST", route, strings.NewReader(`{"_csrf":"`+tok+`"}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}, 415, "Demande incorrecte"},
		{"multipart", func(b *browser, route, tok string) *http.Request {
			r := httptest.NewRequest("POST", route, strings.NewReader("--x\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n"+tok+"\r\n--x--\r\n"))
			r.Header.Set("Content-Type", "multipart/form-data; boundary=x")
			return r
		}, 415, "Demande incorrecte"},
		{"invalid utf-8", func(b *browser, route, tok string) *http.Request {
			return form(route, "_csrf="+tok+"&email=%ff%fe&code=%ff&identifier=%ff&password=%ff&current=%ff&new=%ff&confirm=%ff&id=%ff&t=%ff")
		}, 400, "Demande incorrecte"},
		{"nul byte", func(b *browser, route, tok string) *http.Request {
			return form(route, "_csrf="+tok+"&email=a%00b&code=1%00&identifier=a%00&password=a%00&current=%00&new=%00&confirm=%00&id=%00&t=%00")
		}, 400, "Demande incorrecte"},
		{"duplicated fields", func(b *browser, route, tok string) *http.Request {
			return form(route, "_csrf="+tok+"&email=a%40b.fr&email=c%40d.fr&code=1&code=2&identifier=a&identifier=b&password=x&password=y&current=a&current=b&new=a&new=b&confirm=a&confirm=b&id=a&id=b&t=a&t=b")
		}, 400, "Demande incorrecte"},
		{"huge cookie", func(b *browser, route, tok string) *http.Request {
			r := form(route, "_csrf="+tok)
			r.AddCookie(&http.Cookie{Name: "big", Value: strings.Repeat("x", 16<<10)})
			return r
		}, 431, "trop longues"},
	}
	// These only act on the cookies: no field to duplicate or garble.
	readsNoField := map[string]bool{"/logout": true, "/recuperation/renvoyer": true, "/recuperation/changer": true,
		"/recuperation/annuler": true, "/recuperation/autre": true, "/activation/annuler": true,
		"/activation/email/renvoyer": true, "/activation/email/annuler": true, "/secretariat/deconnexion": true}
	// The desk's forms past its sign-in get a staff session, so that the
	// bad input reaches their handler rather than the sign-in redirect.
	staffCookies := e.deskBrowser(t, "claire@ecole.test", e.enrolStaff(t, "claire@ecole.test", staff.Admin)).cookies
	public := map[string]bool{"/secretariat/connexion": true, "/secretariat/deconnexion": true,
		"/secretariat/installation/mot-de-passe": true, "/secretariat/installation/totp": true}
	for _, c := range cases {
		for _, route := range routes {
			b := e.browser(t)
			if strings.HasPrefix(route, "/secretariat/") && !public[route] {
				maps.Copy(b.cookies, staffCookies)
			}
			_, page := b.get("/recuperation")
			tok := csrfRe.FindStringSubmatch(page)[1]
			req := c.build(b, route, tok)
			if c.name == "duplicated fields" && readsNoField[route] {
				continue // these read no field
			}
			if (c.name == "invalid utf-8" || c.name == "nul byte") && readsNoField[route] {
				continue
			}
			resp, body := b.doReal(req)
			if resp.StatusCode >= 500 {
				t.Errorf("%s %s: %d", c.name, route, resp.StatusCode)
				continue
			}
			status, text := c.status, c.text
			if route == importPath && c.name != "no csrf token" && c.name != "forged csrf token" && c.name != "huge cookie" {
				// The desk's import takes a file, as multipart/form-data
				// up to importLimit: any other form is the wrong type,
				// and a multipart without the file is told to choose it.
				status, text = 415, "Demande incorrecte"
				if c.name == "multipart" {
					status, text = 400, "Choisissez le fichier CSV"
				}
			}
			if resp.StatusCode != status || !strings.Contains(body, text) {
				t.Errorf("%s %s: %d, want %d with %q", c.name, route, resp.StatusCode, status, text)
			}
			if strings.Contains(body, "goroutine") || strings.Contains(body, "CSRF") || strings.Contains(body, "csrf token") || strings.Contains(body, "runtime error") {
				t.Errorf("%s %s: technical words in the page", c.name, route)
			}
		}
	}
}

// Flow-level bad input: forged flow ids, CRLF in fields, steps out of
// order.
func TestBadFlowInput(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.cookies[recoveryCookie] = "forged-flow-id"
	resp, body := b.post("/recuperation", "/recuperation/code", url.Values{"code": {"12345678"}})
	if resp.StatusCode != 409 || !strings.Contains(body, "Ces étapes ont expiré") {
		t.Fatalf("forged flow id: %d", resp.StatusCode)
	}
	resp, body = b.post("/recuperation", "/recuperation/mot-de-passe", url.Values{"identifier": {"dupont.marie"}, "password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}})
	if resp.StatusCode != 409 || !strings.Contains(body, "Ces étapes ont expiré") {
		t.Fatalf("step 3 without a flow: %d", resp.StatusCode)
	}
	b = e.browser(t)
	resp, body = b.post("/recuperation", "/recuperation/email", url.Values{"email": {"m@exemple.fr\r\nBcc: x@evil.test"}})
	if resp.StatusCode != 422 || !strings.Contains(body, "n&#39;est pas valide") {
		t.Fatalf("CRLF in e-mail: %d", resp.StatusCode)
	}
	if msgs, _ := e.st.Outbox(); len(msgs) != 0 {
		t.Fatal("a CRLF address queued a message")
	}
	b.post("/recuperation", "/recuperation/email", url.Values{"email": {"m@exemple.fr"}})
	resp, _ = b.post("/recuperation", "/recuperation/mot-de-passe", url.Values{"identifier": {"dupont.marie"}, "password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}})
	if resp.StatusCode != 409 {
		t.Fatalf("step 3 before step 2: %d", resp.StatusCode)
	}
	if _, err := e.acc.Login(b.t.(*testing.T).Context(), "dupont.marie", "Lune-bleue-42"); err == nil {
		t.Fatal("step 3 before step 2 changed the password")
	}
	resp, _ = b.post("/recuperation", "/recuperation/code", url.Values{"code": {"12345678\r\n"}})
	if resp.StatusCode != 422 {
		t.Fatalf("CRLF in code: %d", resp.StatusCode)
	}
}

// doReal sends req to the app over a real TCP connection, so limits that
// the server applies before the app (body and header sizes) are tested as
// a browser meets them.
func (b *browser) doReal(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	if b.e.addr == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.t.Fatal(err)
		}
		go b.e.app.Listener(ln)
		b.t.Cleanup(func() { b.e.app.Shutdown() })
		b.e.addr = ln.Addr().String()
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	u, _ := url.Parse("http://" + b.e.addr + req.URL.RequestURI())
	req.URL, req.Host, req.RequestURI = u, u.Host, ""
	// A raw connection: the server may answer 413 and close before the
	// whole body is written, as it should; the answer is still read.
	conn, err := net.Dial("tcp", b.e.addr)
	if err != nil {
		b.t.Fatal(err)
	}
	defer conn.Close()
	go req.Write(conn)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}
