package handlers

import (
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"sesame/internal/mail/outbox"
)

// testClock is a clock the test moves, shared by the handlers and the
// activation service.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// emailCode is the newest e-mail-step code sent to addr.
func (e *env) emailCode(t *testing.T, addr string) string {
	t.Helper()
	msgs, _ := e.st.Outbox()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Kind == outbox.KindEmailCode && msgs[i].To == addr {
			return msgs[i].Code
		}
	}
	t.Fatalf("no e-mail code for %s", addr)
	return ""
}

func mustHave(t *testing.T, what, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, page)
		}
	}
}

// The optional e-mail step after the password, as plain pages and with
// htmx: the address on file shown masked; a malformed address, the same
// address and a second code within the minute refused under the field
// with a 4xx; the code sent, a wrong code counted, « Annuler » back to
// the confirmation; then the right code makes the address the account's
// and the confirmation says so; the old address is told.
func TestActivationEmailStep(t *testing.T) {
	clk := &testClock{t: time.Now()}
	e := newEnv(t, func(d *Deps) { d.Now = clk.Now })
	e.act.Now = clk.Now
	e.imported(t, "dupont.paul", "Paul")
	code, link := e.letter(t, "dupont.paul")
	b := e.browser(t)
	if resp, _ := b.post(link, "/activation/code", url.Values{"identifier": {"dupont.paul"}, "code": {code}}); resp.StatusCode != 303 {
		t.Fatalf("code: %d", resp.StatusCode)
	}
	pw := url.Values{"password": {"Velo-Rouge-2026"}, "confirm": {"Velo-Rouge-2026"}}
	if resp, _ := b.post("/activation", "/activation/mot-de-passe", pw); resp.StatusCode != 303 {
		t.Fatalf("password: %d", resp.StatusCode)
	}
	_, page := b.get("/activation")
	mustHave(t, "the confirmation", page, `data-step="3"`, "Votre compte est activé", "Ajouter ou corriger mon adresse e-mail",
		`data-testid="activation-email-current">Adresse e-mail enregistrée : d•••@exemple.fr</p>`,
		`action="/activation/email"`, `hx-post="/activation/email"`, `data-testid="activation-login" autofocus`)

	for _, c := range []struct {
		email  string
		status int
		want   string
	}{
		{"pas une adresse", 422, "Cette adresse e-mail n&#39;est pas valide"},
		{"Dupont.Paul@Exemple.fr", 422, "C&#39;est déjà l&#39;adresse enregistrée pour votre compte"},
	} {
		resp, page := b.post("/activation", "/activation/email", url.Values{"email": {c.email}})
		if resp.StatusCode != c.status {
			t.Fatalf("%q: %d", c.email, resp.StatusCode)
		}
		mustHave(t, c.email, page, `data-step="3"`, c.want, `aria-invalid="true"`, `value="`+c.email+`"`)
		if strings.Contains(page, `data-testid="activation-login" autofocus`) {
			t.Errorf("%q: the focus is not on the field in error", c.email)
		}
	}

	resp, _ := b.post("/activation", "/activation/email", url.Values{"email": {"paul@exemple.fr"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/activation" {
		t.Fatalf("send: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = b.get("/activation")
	mustHave(t, "step 4", page, `data-step="4"`, "Confirmez votre adresse e-mail", "Adresse e-mail : p•••@exemple.fr",
		"Un code de sécurité vient d&#39;être envoyé à cette adresse. Il est valable 30 minutes", `action="/activation/email/code"`,
		`formaction="/activation/email/annuler"`, `data-testid="resend-wait"`)
	right := e.emailCode(t, "paul@exemple.fr")
	resp, page = b.post("/activation", "/activation/email/code", url.Values{"code": {"12"}})
	if resp.StatusCode != 422 || !strings.Contains(page, "Le code de sécurité se compose de 8 chiffres") {
		t.Fatalf("short code: %d", resp.StatusCode)
	}
	wrong := right[:7] + string('0'+(right[7]-'0'+1)%10)
	resp, page = b.post("/activation", "/activation/email/code", url.Values{"code": {wrong}})
	if resp.StatusCode != 422 || !strings.Contains(page, "Ce code n&#39;est pas le bon. Il vous reste 4 essais.") {
		t.Fatalf("wrong code: %d\n%s", resp.StatusCode, page)
	}
	// A new code within the minute (htmx): refused, with the seconds.
	status, card := b.hxPost("/activation", "/activation/email/renvoyer", url.Values{})
	if status != 429 || !strings.Contains(card, "Un code vient d&#39;être envoyé. Attendez encore 60 secondes") || strings.Contains(card, "<html") {
		t.Fatalf("resend within the minute: %d\n%s", status, card)
	}
	// « Annuler »: back to the confirmation; a new address within the
	// minute is refused under the field.
	if resp, _ := b.post("/activation", "/activation/email/annuler", url.Values{}); resp.StatusCode != 303 {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	resp, page = b.post("/activation", "/activation/email", url.Values{"email": {"paul.dupont@exemple.fr"}})
	if resp.StatusCode != 429 || !strings.Contains(page, "Attendez une minute") || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("within the minute: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if a, _ := e.acc.Get("dupont.paul"); a.Email != "dupont.paul@exemple.fr" {
		t.Fatalf("the address changed without its code: %s", a.Email)
	}

	// A minute later, with htmx: the card each time, the address set.
	clk.Add(time.Minute)
	status, card = b.hxPost("/activation", "/activation/email", url.Values{"email": {"paul.dupont@exemple.fr"}})
	if status != 200 || !strings.Contains(card, `data-step="4"`) || strings.Contains(card, "<html") {
		t.Fatalf("htmx send: %d\n%s", status, card)
	}
	status, card = b.hxPost("/activation", "/activation/email/code", url.Values{"code": {e.emailCode(t, "paul.dupont@exemple.fr")}})
	if status != 200 {
		t.Fatalf("htmx code: %d\n%s", status, card)
	}
	mustHave(t, "the confirmation after the code", card, `data-step="3"`,
		`data-testid="activation-email-set">Votre adresse e-mail est enregistrée : p•••@exemple.fr.</p>`,
		`data-testid="activation-email-current">Adresse e-mail enregistrée : p•••@exemple.fr</p>`)
	if a, _ := e.acc.Get("dupont.paul"); a.Email != "paul.dupont@exemple.fr" {
		t.Fatalf("account address %s", a.Email)
	}
	msgs, _ := e.st.Outbox()
	if last := msgs[len(msgs)-1]; last.Kind != outbox.KindEmailChanged || last.To != "dupont.paul@exemple.fr" || last.NewEmail != "p•••@exemple.fr" {
		t.Fatalf("notice to the old address: %+v", last)
	}
	// The old code is dead with the step.
	if resp, _ := b.post("/activation", "/activation/email/code", url.Values{"code": {right}}); resp.StatusCode != 409 {
		t.Fatalf("an old code after the step: %d", resp.StatusCode)
	}
	// A GET on a form's address leads to the page; without a flow, a
	// post says the activation expired.
	for _, path := range []string{"/activation/email", "/activation/email/code", "/activation/email/renvoyer", "/activation/email/annuler"} {
		if resp, _ := b.get(path); resp.StatusCode != 303 || resp.Header.Get("Location") != "/activation" {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	other := e.browser(t)
	resp, page = other.post("/activation", "/activation/email", url.Values{"email": {"x@exemple.fr"}})
	if resp.StatusCode != 409 || !strings.Contains(page, "Cette activation a expiré") {
		t.Fatalf("no flow: %d", resp.StatusCode)
	}
}
