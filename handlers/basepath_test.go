package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"sesame/internal/legal"
)

// underParents serves the portal as https://college.example/parents,
// behind a proxy that keeps the prefix.
func underParents(d *Deps) {
	d.Config.BaseURL, _ = url.Parse("https://college.example/parents")
}

// localURLs lists every URL an HTML page makes the browser ask for or
// send a form to, except fragments and other schemes (mailto:, tel:,
// data:).
func localURLs(t *testing.T, page string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				switch a.Key {
				case "href", "src", "action", "formaction", "hx-post", "hx-get", "hx-put", "hx-delete", "hx-patch":
				default:
					continue
				}
				v := a.Val
				if strings.HasPrefix(v, "#") || strings.HasPrefix(v, "mailto:") || strings.HasPrefix(v, "tel:") || strings.HasPrefix(v, "data:") {
					continue
				}
				out = append(out, n.Data+" "+a.Key+"="+v)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// checkUnder fails for every URL of page outside /parents/: the guard
// for the whole class of root-absolute links.
func checkUnder(t *testing.T, name, page string) {
	t.Helper()
	urls := localURLs(t, page)
	if len(urls) == 0 {
		t.Errorf("%s: no URL found, the page did not render", name)
	}
	for _, u := range urls {
		if _, v, _ := strings.Cut(u, "="); !strings.HasPrefix(v, "/parents/") {
			t.Errorf("%s: %s is outside /parents/", name, u)
		}
	}
}

// checkCookies fails for a cookie set outside the prefix.
func checkCookies(t *testing.T, name string, resp *http.Response) {
	t.Helper()
	for _, c := range resp.Cookies() {
		want := "/parents"
		if c.Name == recoveryCookie {
			want = "/parents/recuperation"
		}
		if c.Name == activationCookie {
			want = "/parents/activation"
		}
		if c.Path != want {
			t.Errorf("%s: cookie %s has Path %q, want %q", name, c.Name, c.Path, want)
		}
	}
}

// Every page served under /parents answers there and links only there.
func TestBasePathPages(t *testing.T) {
	e := newEnv(t, underParents)
	b := e.browser(t)
	pages := []string{"/parents/", "/parents", "/parents/recuperation", "/parents/activation", "/parents/politique-mot-de-passe", "/parents/?lang=en", "/parents/?msg=logout"}
	for _, p := range legal.Pages {
		pages = append(pages, "/parents/"+p)
	}
	for _, p := range pages {
		resp, page := b.get(p)
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
			continue
		}
		checkUnder(t, p, page)
		checkCookies(t, p, resp)
	}

	// The signed-in page, and the redirects around it.
	resp, _ := b.post("/parents/", "/parents/login", url.Values{"identifier": {"dupont.marie"}, "password": {"Cartable-Vert-2026"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/parents/espace" {
		t.Fatalf("login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	checkCookies(t, "login", resp)
	if resp, _ := b.get("/parents/"); resp.Header.Get("Location") != "/parents/espace" {
		t.Errorf("home when signed in: %q", resp.Header.Get("Location"))
	}
	resp, page := b.get("/parents/espace")
	if resp.StatusCode != 200 {
		t.Fatalf("espace: %d", resp.StatusCode)
	}
	checkUnder(t, "espace", page)
	if resp, _ := b.get("/parents/espace/mot-de-passe"); resp.Header.Get("Location") != "/parents/espace" {
		t.Errorf("GET on a form's address: %q", resp.Header.Get("Location"))
	}
	resp, _ = b.post("/parents/espace", "/parents/logout", url.Values{})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/parents/?msg=logout" {
		t.Fatalf("logout: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	checkCookies(t, "logout", resp)
	if resp, _ := b.get("/parents/espace"); resp.Header.Get("Location") != "/parents/" {
		t.Errorf("espace signed out: %q", resp.Header.Get("Location"))
	}

	// Not found, in and outside the prefix; the error page links home.
	resp, page = b.get("/parents/nulle-part")
	if resp.StatusCode != 404 {
		t.Errorf("unknown page under the prefix: %d", resp.StatusCode)
	}
	checkUnder(t, "404", page)
	for _, p := range []string{"/", "/recuperation", "/parentsx/", "/static/" + staticVersion + "/app.css"} {
		if resp, _ := b.get(p); resp.StatusCode != 404 {
			t.Errorf("GET %s outside the prefix: %d", p, resp.StatusCode)
		}
	}
	// Static files under the prefix; probes at both addresses.
	for _, p := range []string{"/parents/static/" + staticVersion + "/app.css", "/parents/static/" + staticVersion + "/app.js", "/healthz", "/parents/healthz", "/readyz", "/parents/readyz"} {
		if resp, _ := b.get(p); resp.StatusCode != 200 {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
}

// The recovery without JavaScript, as plain form posts under /parents;
// every step's page links only under the prefix.
func TestBasePathRecoveryWithoutJS(t *testing.T) {
	e := newEnv(t, underParents)
	b := e.browser(t)
	step := func(name, path string, form url.Values, wantLocation string) {
		t.Helper()
		resp, _ := b.post("/parents/recuperation", path, form)
		if resp.StatusCode != 303 || resp.Header.Get("Location") != wantLocation {
			t.Fatalf("%s: %d %q", name, resp.StatusCode, resp.Header.Get("Location"))
		}
		checkCookies(t, name, resp)
		resp, page := b.get(wantLocation)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: GET %s: %d", name, wantLocation, resp.StatusCode)
		}
		checkUnder(t, name, page)
	}
	step("email", "/parents/recuperation/email", url.Values{"email": {"m@exemple.fr"}}, "/parents/recuperation?msg=sent")
	code := e.lastCode(t, "m@exemple.fr")
	step("code", "/parents/recuperation/code", url.Values{"code": {code}}, "/parents/recuperation")
	step("password", "/parents/recuperation/mot-de-passe", url.Values{"identifier": {"dupont.marie"}, "password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}}, "/parents/recuperation")
	_, page := b.get("/parents/recuperation")
	if !strings.Contains(page, `href="/parents/?identifiant=dupont.marie"`) {
		t.Error("the confirmation does not link to the login page under the prefix")
	}
	resp, _ := b.post("/parents/recuperation", "/parents/recuperation/annuler", url.Values{})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/parents/" {
		t.Fatalf("cancel: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	checkCookies(t, "cancel", resp)

	// With htmx, cancelling redirects the page under the prefix too.
	b.post("/parents/recuperation", "/parents/recuperation/email", url.Values{"email": {"m@exemple.fr"}})
	_, page = b.get("/parents/recuperation")
	req := httptestPost("/parents/recuperation/annuler", url.Values{"_csrf": {csrfRe.FindStringSubmatch(page)[1]}})
	req.Header.Set("HX-Request", "true")
	resp, _ = b.do(req)
	if got := resp.Header.Get("HX-Redirect"); got != "/parents/" {
		t.Errorf("HX-Redirect %q", got)
	}
}

// Without a path in the base URL, nothing moves: links stay at the root.
func TestBasePathNone(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	resp, page := b.get("/")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, u := range localURLs(t, page) {
		if _, v, _ := strings.Cut(u, "="); !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") {
			t.Errorf("%s is not root-absolute", u)
		}
	}
	for _, c := range resp.Cookies() {
		if c.Path != "/" {
			t.Errorf("cookie %s Path %q", c.Name, c.Path)
		}
	}
	if resp, _ := b.get("/parents/"); resp.StatusCode != 404 {
		t.Errorf("/parents/ without a base path: %d", resp.StatusCode)
	}
}

func httptestPost(path string, form url.Values) *http.Request {
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
