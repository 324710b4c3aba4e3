package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"sesame/internal/account"
)

// answer is a response as an observer compares two of them.
type answer struct {
	status int
	header []string // "Name: value", sorted
	body   string
}

var (
	csrfValue   = regexp.MustCompile(`(name="_csrf" value=")[^"]*"`)
	cookieValue = regexp.MustCompile(`^([^=]+=)[^;]*`)
)

// masked reduces a response to what must be identical between a known
// and an unknown address or identifier. It masks only what differs
// between any two requests, known or not:
//   - the CSRF token in forms: an HMAC of each browser's own random
//     cookie;
//   - cookie values in Set-Cookie (the CSRF nonce, the recovery flow
//     token): random for every browser and flow; names and attributes
//     (Path, Max-Age, HttpOnly…) stay compared;
//   - the Date header: the clock;
//   - echo, what the client sent itself (the identifier refilled in the
//     login form): it tells the client nothing it did not already know.
//
// Masked values keep no length, so the callers pick inputs of equal
// length; Content-Length is compared as it is.
func masked(resp *http.Response, body, echo string) answer {
	a := answer{status: resp.StatusCode}
	body = csrfValue.ReplaceAllString(body, `${1}CSRF"`)
	if echo != "" {
		body = strings.ReplaceAll(body, echo, "ECHO")
	}
	a.body = body
	for name, vs := range resp.Header {
		for _, v := range vs {
			switch name {
			case "Set-Cookie":
				v = cookieValue.ReplaceAllString(v, "${1}RANDOM")
			case "Date":
				v = "DATE"
			}
			a.header = append(a.header, name+": "+v)
		}
	}
	slices.Sort(a.header)
	return a
}

// differ says how two answers differ, or "" when they do not.
func differ(a, b answer) string {
	if a.status != b.status {
		return fmt.Sprintf("status %d ≠ %d", a.status, b.status)
	}
	if a.body != b.body {
		i := 0
		for i < len(a.body) && i < len(b.body) && a.body[i] == b.body[i] {
			i++
		}
		at := func(s string) string { return s[max(i-80, 0):min(i+80, len(s))] }
		return fmt.Sprintf("body at byte %d:\n%s\n≠\n%s", i, at(a.body), at(b.body))
	}
	if !slices.Equal(a.header, b.header) {
		only := func(x, y []string) (out []string) {
			for _, h := range x {
				if !slices.Contains(y, h) {
					out = append(out, h)
				}
			}
			return out
		}
		return fmt.Sprintf("headers %q ≠ %q", only(a.header, b.header), only(b.header, a.header))
	}
	return ""
}

// send posts form to path from a fresh browser that first opened from,
// as htmx does when hx is true, and returns the masked answer and the
// browser.
func (e *env) send(t *testing.T, from, path string, form url.Values, hx bool, echo string) (answer, *browser) {
	t.Helper()
	b := e.browser(t)
	_, page := b.get(from)
	form.Set("_csrf", csrfRe.FindStringSubmatch(page)[1])
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if hx {
		req.Header.Set("HX-Request", "true")
	}
	resp, body := b.do(req)
	return masked(resp, body, echo), b
}

// sameAnswerEnv has a disabled account besides the known one, and a
// fixed clock so "a new code in 60 s" reads alike in every answer.
func sameAnswerEnv(t *testing.T) *env {
	t.Helper()
	fixed := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	now := func() time.Time { return fixed }
	e := newEnv(t, func(d *Deps) { d.Now, d.Accounts.Now, d.Recovery.Now = now, now, now })
	if _, err := e.acc.Add(context.Background(), account.Account{ID: "dupont.louis", LastName: "Dupont", FirstName: "Louis", Email: "mj@exemple.fr"}, "Cartable-Vert-2026"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.acc.SetState("dupont.louis", account.Disabled); err != nil {
		t.Fatal(err)
	}
	return e
}

// Step 1 answers a known, an unknown and a disabled account's address
// with the same bytes: status, every header, and the body, with or
// without JavaScript, and the page the plain form is sent on to. The
// addresses are chosen to mask alike (m•••@exemple.fr), as an observer
// typing them would see them.
func TestRecoveryStartSameAnswer(t *testing.T) {
	e := sameAnswerEnv(t)
	addresses := []string{"m@exemple.fr", "mx@exemple.fr", "mj@exemple.fr"} // known, unknown, disabled
	for _, hx := range []bool{false, true} {
		var first []answer
		for _, addr := range addresses {
			got, b := e.send(t, "/recuperation", "/recuperation/email", url.Values{"email": {addr}}, hx, "")
			answers := []answer{got}
			if !hx {
				resp, body := b.get("/recuperation?msg=sent")
				answers = append(answers, masked(resp, body, ""))
			}
			if first == nil {
				first = answers
				want := []int{200}
				if !hx {
					want = []int{303, 200}
				}
				for i, a := range answers {
					if a.status != want[i] || (a.status == 200 && !strings.Contains(a.body, "Si cette adresse est connue de l&#39;établissement")) {
						t.Fatalf("htmx %v, answer %d for the known address: %d\n%s", hx, i, a.status, a.body)
					}
				}
				continue
			}
			for i := range answers {
				if d := differ(first[i], answers[i]); d != "" {
					t.Errorf("htmx %v: %s and %s, answer %d: %s", hx, addresses[0], addr, i, d)
				}
			}
		}
	}
	if msgs, _ := e.st.Outbox(); len(msgs) != 2 {
		t.Fatalf("%d messages queued, want 2: a code for the known address, a notice for the disabled one", len(msgs))
	}
}

// A failed login answers a wrong password, an unknown identifier and a
// disabled account with the same bytes. The identifiers have the same
// length, since the form refills what was typed.
func TestLoginFailureSameAnswer(t *testing.T) {
	e := sameAnswerEnv(t)
	var first answer
	for i, c := range []struct{ id, pw string }{
		{"dupont.marie", "Cartable-2025"},      // wrong password
		{"dupont.mario", "Cartable-Vert-2026"}, // unknown identifier
		{"dupont.louis", "Cartable-Vert-2026"}, // disabled account, right password
	} {
		got, _ := e.send(t, "/", "/login", url.Values{"identifier": {c.id}, "password": {c.pw}}, false, c.id)
		if i == 0 {
			first = got
			if got.status != 401 || !strings.Contains(got.body, `value="ECHO"`) {
				t.Fatalf("wrong password: %d\n%s", got.status, got.body)
			}
			continue
		}
		if d := differ(first, got); d != "" {
			t.Errorf("%s and %s: %s", "dupont.marie", c.id, d)
		}
	}
}
