package handlers

import (
	"net/url"
	"strings"
	"testing"

	"sesame/internal/store/storetest"
)

// The invitation's link (sesame invite) opens step 1 with the address
// filled in, escaped, and writes nothing: no flow, no cookie, no code, no
// mail — a mail scanner opening it sends nothing. A browser already
// recovering that address resumes; another address starts over at step 1.
func TestRecoveryLinkFillsTheAddress(t *testing.T) {
	e := newEnv(t)
	rec := &storetest.Recorder{Store: e.st}
	e.rec.Store = rec

	for _, c := range []struct{ query, want string }{
		{"email=m%40exemple.fr&lang=fr", `value="m@exemple.fr"`},
		{"email=marie%2Becole%40exemple.fr", `value="marie+ecole@exemple.fr"`},
		{"email=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E", `value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`},
		{"email=" + strings.Repeat("a", 321), `value=""`},
	} {
		b := e.browser(t)
		rec.Reset()
		resp, page := b.get("/recuperation?" + c.query)
		if resp.StatusCode != 200 || !strings.Contains(page, `data-step="1"`) || !strings.Contains(page, c.want) {
			t.Fatalf("%s: %d, step 1 with %s? %s", c.query, resp.StatusCode, c.want, page)
		}
		if strings.Contains(page, "<script>alert") {
			t.Fatalf("%s: unescaped", c.query)
		}
		for _, call := range rec.Calls() {
			if call.Write {
				t.Errorf("%s: the link wrote: %s", c.query, call)
			}
		}
		if _, ok := b.cookies[recoveryCookie]; ok {
			t.Errorf("%s: the link set a recovery cookie", c.query)
		}
	}
	if msgs, _ := e.st.Outbox(); len(msgs) != 0 {
		t.Fatalf("the link queued mail: %+v", msgs)
	}

	// Valider on the filled-in form: the code is sent as for a typed address.
	b := e.browser(t)
	_, page := b.get("/recuperation?email=m%40exemple.fr")
	form := url.Values{"email": {valueOf(t, page, "email")}}
	if resp, _ := b.post("/recuperation?email=m%40exemple.fr", "/recuperation/email", form); resp.StatusCode != 303 {
		t.Fatalf("Valider: %d", resp.StatusCode)
	}
	if msgs, _ := e.st.Outbox(); len(msgs) != 1 || msgs[0].To != "m@exemple.fr" {
		t.Fatalf("outbox after Valider: %+v", msgs)
	}
	// The link again (the e-mail opened twice) resumes step 2.
	if _, page := b.get("/recuperation?email=m%40exemple.fr"); !strings.Contains(page, `data-step="2"`) {
		t.Fatalf("the same address again: not step 2:\n%s", page)
	}
	// Another address's link (a family's other invitation) starts over.
	if _, page := b.get("/recuperation?email=autre%40exemple.fr"); !strings.Contains(page, `data-step="1"`) || !strings.Contains(page, `value="autre@exemple.fr"`) {
		t.Fatalf("another address: not step 1 filled in:\n%s", page)
	}
}

// valueOf is the value attribute of the input named name.
func valueOf(t *testing.T, page, name string) string {
	t.Helper()
	i := strings.Index(page, `name="`+name+`"`)
	if i < 0 {
		t.Fatalf("no input %q", name)
	}
	rest := page[i:]
	j := strings.Index(rest, `value="`)
	if j < 0 {
		t.Fatalf("input %q has no value", name)
	}
	rest = rest[j+len(`value="`):]
	return rest[:strings.IndexByte(rest, '"')]
}
