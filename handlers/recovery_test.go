package handlers

import (
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"sesame/internal/mail/outbox"
)

func (e *env) lastCode(t *testing.T, to string) string {
	t.Helper()
	msgs, _ := e.st.Outbox()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == to && msgs[i].Kind == outbox.KindRecoveryCode {
			return msgs[i].Code
		}
	}
	t.Fatalf("no code for %s", to)
	return ""
}

// htmx posts like the browser with JavaScript: the card comes back alone.
func (b *browser) hxPost(from, path string, form url.Values) (int, string) {
	b.t.Helper()
	_, page := b.get(from)
	form.Set("_csrf", csrfRe.FindStringSubmatch(page)[1])
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	resp, body := b.do(req)
	return resp.StatusCode, body
}

var tokens = regexp.MustCompile(`value="[A-Za-z0-9_-]{40,}"`)

// Step 1 answers a known and an unknown address alike: same status, same
// page apart from the CSRF token, and only the known one gets mail.
func TestRecoveryStartNoEnumeration(t *testing.T) {
	e := newEnv(t)
	var pages []string
	for _, email := range []string{"m@exemple.fr", "inconnu@exemple.fr"} {
		b := e.browser(t)
		resp, _ := b.post("/recuperation", "/recuperation/email", url.Values{"email": {email}})
		if resp.StatusCode != 303 || resp.Header.Get("Location") != "/recuperation?msg=sent" {
			t.Fatalf("%s: %d %s", email, resp.StatusCode, resp.Header.Get("Location"))
		}
		_, page := b.get("/recuperation?msg=sent")
		page = tokens.ReplaceAllString(page, `value="TOKEN"`)
		page = strings.ReplaceAll(page, "m•••@exemple.fr", "MASKED")
		page = strings.ReplaceAll(page, "i•••@exemple.fr", "MASKED")
		pages = append(pages, page)
		code, card := b.hxPost("/recuperation", "/recuperation/code", url.Values{"code": {"0000 0000"}})
		if code != 422 || !strings.Contains(card, "Il vous reste 4 essais") {
			t.Fatalf("%s wrong code: %d", email, code)
		}
	}
	if pages[0] != pages[1] {
		t.Fatal("step 2 differs between a known and an unknown address")
	}
	if !strings.Contains(pages[0], "Si cette adresse est connue de l&#39;établissement") {
		t.Fatal("the neutral message is missing")
	}
	msgs, _ := e.st.Outbox()
	if len(msgs) != 1 || msgs[0].To != "m@exemple.fr" {
		t.Fatalf("outbox: %+v", msgs)
	}
}

// The whole flow as a plain form, without JavaScript.
func TestRecoveryFlowWithoutJS(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	signedIn := e.browser(t)
	signedIn.post("/", "/login", url.Values{"identifier": {"dupont.marie"}, "password": {"Cartable-Vert-2026"}})

	_, page := b.get("/recuperation")
	for _, want := range []string{`type="email"`, `autocomplete="email"`, "① Étape 1 : Saisissez votre adresse e-mail", `aria-current="step"`, `method="post" action="/recuperation/email"`, "Valider", "Annuler", "01 23 45 67 89"} {
		if !strings.Contains(strings.ReplaceAll(page, `<span aria-hidden="true">①</span> `, "① "), want) {
			t.Errorf("step 1 lacks %q", want)
		}
	}
	resp, page := b.post("/recuperation", "/recuperation/email", url.Values{"email": {"pas-une-adresse"}})
	if resp.StatusCode != 422 || !strings.Contains(page, "Cette adresse e-mail n&#39;est pas valide") || !strings.Contains(page, `aria-invalid="true"`) {
		t.Fatalf("bad address: %d", resp.StatusCode)
	}
	b.post("/recuperation", "/recuperation/email", url.Values{"email": {"M@exemple.fr"}})
	_, page = b.get("/recuperation")
	for _, want := range []string{`autocomplete="one-time-code"`, `inputmode="numeric"`, "m•••@exemple.fr", "Recevoir un nouveau code", "Changer d&#39;adresse e-mail"} {
		if !strings.Contains(page, want) {
			t.Errorf("step 2 lacks %q", want)
		}
	}
	// Step 3 posted at step 2 changes nothing.
	resp, page = b.post("/recuperation", "/recuperation/mot-de-passe", url.Values{"identifier": {"dupont.marie"}, "password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}})
	if resp.StatusCode != 409 || !strings.Contains(page, "Cette étape n&#39;est pas encore disponible") {
		t.Fatalf("step 3 early: %d", resp.StatusCode)
	}
	code := e.lastCode(t, "m@exemple.fr")
	resp, _ = b.post("/recuperation", "/recuperation/code", url.Values{"code": {code[:4] + " " + code[4:]}})
	if resp.StatusCode != 303 {
		t.Fatalf("right code: %d", resp.StatusCode)
	}
	_, page = b.get("/recuperation")
	for _, want := range []string{`autocomplete="new-password"`, `autocomplete="username"`, `value="dupont.marie"`, "contenir entre 8 et 32 caractères", `href="/politique-mot-de-passe"`} {
		if !strings.Contains(page, want) {
			t.Errorf("step 3 lacks %q", want)
		}
	}
	resp, page = b.post("/recuperation", "/recuperation/mot-de-passe", url.Values{"identifier": {"dupont.marie"}, "password": {"court1"}, "confirm": {"court1"}})
	if resp.StatusCode != 422 || !strings.Contains(page, `class="ko" data-rule="policy.length"`) || !strings.Contains(page, `class="ok" data-rule="policy.digit"`) {
		t.Fatalf("short password: %d", resp.StatusCode)
	}
	resp, page = b.post("/recuperation", "/recuperation/mot-de-passe", url.Values{"identifier": {"dupont.marie"}, "password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-24"}})
	if resp.StatusCode != 422 || !strings.Contains(page, "La confirmation ne correspond pas") || !strings.Contains(page, `id="confirm-error"`) {
		t.Fatalf("mismatch: %d", resp.StatusCode)
	}
	resp, _ = b.post("/recuperation", "/recuperation/mot-de-passe", url.Values{"identifier": {"dupont.marie"}, "password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}})
	if resp.StatusCode != 303 {
		t.Fatalf("set: %d", resp.StatusCode)
	}
	_, page = b.get("/recuperation")
	if !strings.Contains(page, "Sésame vous confirme que votre mot de passe a été mis à jour") || !strings.Contains(page, `href="/?identifiant=dupont.marie"`) {
		t.Fatal("confirmation page")
	}
	if b.cookies[sessionCookie] != "" {
		t.Fatal("recovery signed the parent in automatically")
	}
	if resp, _ := signedIn.get("/espace"); resp.StatusCode != 303 {
		t.Fatal("the browser signed in elsewhere is still signed in")
	}
	_, page = b.get("/?identifiant=dupont.marie")
	if !strings.Contains(page, `value="dupont.marie"`) {
		t.Fatal("login page does not prefill the identifier")
	}
}

// With htmx, each step comes back as the card alone.
func TestRecoveryHTMXFragments(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	status, card := b.hxPost("/recuperation", "/recuperation/email", url.Values{"email": {"m@exemple.fr"}})
	if status != 200 || strings.Contains(card, "<html") || !strings.HasPrefix(card, `<section class="card" id="recovery-card"`) || !strings.Contains(card, `data-step="2"`) {
		t.Fatalf("htmx step 1: %d %.200s", status, card)
	}
	if !strings.Contains(card, "Il est valable 30 minutes") {
		t.Fatal("code-sent notice missing in the fragment")
	}
	status, _ = b.hxPost("/recuperation", "/recuperation/annuler", url.Values{})
	if status != 204 {
		t.Fatalf("cancel: %d", status)
	}
	if _, page := b.get("/recuperation"); !strings.Contains(page, `data-step="1"`) {
		t.Fatal("cancel did not end the flow")
	}
}

// A reload resumes the step, and reading it writes nothing.
func TestRecoveryResumeWritesNothing(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.post("/recuperation", "/recuperation/email", url.Values{"email": {"m@exemple.fr"}})
	path := e.st.Path()
	before, _ := os.Stat(path)
	for i := 0; i < 5; i++ {
		_, page := b.get("/recuperation")
		if !strings.Contains(page, `data-step="2"`) {
			t.Fatal("reload did not resume step 2")
		}
		b.get("/")
		b.get("/politique-mot-de-passe")
	}
	after, _ := os.Stat(path)
	if !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		t.Fatal("a GET wrote to the data file")
	}
}

func TestRecoveryResendCooldown(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.post("/recuperation", "/recuperation/email", url.Values{"email": {"m@exemple.fr"}})
	resp, page := b.post("/recuperation", "/recuperation/renvoyer", url.Values{})
	if resp.StatusCode != 422 || !strings.Contains(page, "Attendez encore") {
		t.Fatalf("resend during cooldown: %d", resp.StatusCode)
	}
}

func TestRecoveryLiveRules(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.post("/recuperation", "/recuperation/email", url.Values{"email": {"m@exemple.fr"}})
	b.post("/recuperation", "/recuperation/code", url.Values{"code": {e.lastCode(t, "m@exemple.fr")}})
	status, frag := b.hxPost("/recuperation", "/recuperation/regles", url.Values{"identifier": {"dupont.marie"}, "password": {"marie"}})
	if status != 200 || !strings.HasPrefix(frag, `<div id="rules"`) ||
		!strings.Contains(frag, `class="ko" data-rule="policy.personal"`) || !strings.Contains(frag, `class="ok" data-rule="policy.letter"`) {
		t.Fatalf("live rules: %d %s", status, frag)
	}
	// The rule against predictable passwords is named and ticked live
	// (issue 11): "123456789a" meets length, digit and letter.
	status, frag = b.hxPost("/recuperation", "/recuperation/regles", url.Values{"identifier": {"dupont.marie"}, "password": {"123456789a"}})
	if status != 200 || !strings.Contains(frag, `class="ko" data-rule="policy.predictable"`) || !strings.Contains(frag, "ne pas être un même caractère répété ni une suite comme 123456 ou azerty") ||
		!strings.Contains(frag, `class="ok" data-rule="policy.length"`) {
		t.Fatalf("live rules, predictable: %d %s", status, frag)
	}
}
