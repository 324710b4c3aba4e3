package handlers

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"sesame/internal/account"
)

// addPaul gives the demo parent's address a second identifier, as a
// family sharing one address.
func addPaul(t *testing.T, e *env) {
	t.Helper()
	if _, err := e.acc.Add(context.Background(), account.Account{ID: "dupont.paul", LastName: "Dupont", FirstName: "Paul", Email: "m@exemple.fr"}, ""); err != nil {
		t.Fatal(err)
	}
}

var checkedRe = regexp.MustCompile(`<input[^>]*type="radio"[^>]*checked`)

// A family address, without JavaScript: verify the code, set one
// identifier's password, the confirmation offers the other, set it, and
// both sign in. Nothing is picked for the parent, and each identifier
// shows its holder's name.
func TestRecoveryFamilyAddressWithoutJS(t *testing.T) {
	e := newEnv(t)
	addPaul(t, e)
	b := e.browser(t)
	b.post("/recuperation", "/recuperation/email", url.Values{"email": {"m@exemple.fr"}})
	if resp, _ := b.post("/recuperation", "/recuperation/code", url.Values{"code": {e.lastCode(t, "m@exemple.fr")}}); resp.StatusCode != 303 {
		t.Fatalf("right code: %d", resp.StatusCode)
	}
	_, page := b.get("/recuperation")
	for _, want := range []string{`data-testid="pick-dupont.marie"`, `data-testid="pick-dupont.paul"`, "au nom de Marie Dupont", "au nom de Paul Dupont"} {
		if !strings.Contains(page, want) {
			t.Errorf("step 3 lacks %q", want)
		}
	}
	if checkedRe.MatchString(page) {
		t.Error("step 3 picks an identifier for the parent")
	}
	resp, page := b.post("/recuperation", "/recuperation/mot-de-passe", url.Values{"password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}})
	if resp.StatusCode != 422 || !strings.Contains(page, "Choisissez un des identifiants proposés") {
		t.Fatalf("no identifier picked: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/recuperation", "/recuperation/mot-de-passe", url.Values{"identifier": {"dupont.paul"}, "password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}}); resp.StatusCode != 303 {
		t.Fatalf("set paul: %d", resp.StatusCode)
	}
	_, page = b.get("/recuperation")
	if !strings.Contains(page, `data-step="4"`) || !strings.Contains(page, "Votre identifiant : dupont.paul") ||
		!strings.Contains(page, `action="/recuperation/autre"`) || !strings.Contains(page, "Définir le mot de passe d&#39;un autre identifiant de cette adresse") {
		t.Fatal("the confirmation does not offer the other identifier")
	}
	resp, _ = b.post("/recuperation", "/recuperation/autre", url.Values{})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/recuperation" {
		t.Fatalf("another: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = b.get("/recuperation")
	if !strings.Contains(page, `data-step="3"`) || !strings.Contains(page, "Votre identifiant : dupont.marie") || strings.Contains(page, "pick-dupont.paul") {
		t.Fatal("step 3 again should offer only the identifier not done yet")
	}
	if resp, _ := b.post("/recuperation", "/recuperation/mot-de-passe", url.Values{"identifier": {"dupont.paul"}, "password": {"Autre-mot-99"}, "confirm": {"Autre-mot-99"}}); resp.StatusCode != 422 {
		t.Fatalf("paul twice in one flow: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/recuperation", "/recuperation/mot-de-passe", url.Values{"identifier": {"dupont.marie"}, "password": {"Soleil-vert-42"}, "confirm": {"Soleil-vert-42"}}); resp.StatusCode != 303 {
		t.Fatalf("set marie: %d", resp.StatusCode)
	}
	_, page = b.get("/recuperation")
	if !strings.Contains(page, "Votre identifiant : dupont.marie") || strings.Contains(page, "/recuperation/autre") || !strings.Contains(page, `action="/recuperation/changer"`) {
		t.Fatal("with every identifier done, the confirmation offers to start again")
	}
	for id, pw := range map[string]string{"dupont.paul": "Lune-bleue-42", "dupont.marie": "Soleil-vert-42"} {
		p := e.browser(t)
		p.post("/", "/login", url.Values{"identifier": {id}, "password": {pw}})
		if resp, _ := p.get("/espace"); resp.StatusCode != 200 {
			t.Fatalf("%s cannot sign in: %d", id, resp.StatusCode)
		}
	}
	// « Recommencer »: step 1, a new flow.
	b.post("/recuperation", "/recuperation/changer", url.Values{})
	if _, page := b.get("/recuperation"); !strings.Contains(page, `data-step="1"`) {
		t.Fatal("start again")
	}
}

// An earlier step posted again (Back, then the old form) changes nothing
// and says the step is done, showing the step the parent is at.
func TestRecoveryEarlierStepPostedAgain(t *testing.T) {
	posts := map[int][]struct {
		path string
		form url.Values
	}{
		1: {{"/recuperation/email", url.Values{"email": {"M@exemple.fr"}}}},
		2: {{"/recuperation/code", url.Values{"code": {"1234 5678"}}}, {"/recuperation/renvoyer", url.Values{}}},
		3: {{"/recuperation/mot-de-passe", url.Values{"identifier": {"dupont.marie"}, "password": {"Autre-mot-99"}, "confirm": {"Autre-mot-99"}}}},
	}
	for _, htmx := range []bool{false, true} {
		for state := 2; state <= 4; state++ {
			for step := 1; step < state && step <= 3; step++ {
				for _, p := range posts[step] {
					name := p.path + "@" + string(rune('0'+state))
					if htmx {
						name += "/htmx"
					}
					t.Run(name, func(t *testing.T) {
						e := newEnv(t)
						b := e.browser(t)
						b.post("/recuperation", "/recuperation/email", url.Values{"email": {"m@exemple.fr"}})
						if state >= 3 {
							b.post("/recuperation", "/recuperation/code", url.Values{"code": {e.lastCode(t, "m@exemple.fr")}})
						}
						if state >= 4 {
							b.post("/recuperation", "/recuperation/mot-de-passe", url.Values{"identifier": {"dupont.marie"}, "password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}})
						}
						_, before := b.get("/recuperation")
						if !strings.Contains(before, `data-step="`+string(rune('0'+state))+`"`) {
							t.Fatalf("not at state %d", state)
						}
						mails, _ := e.st.Outbox()
						var status int
						var page string
						if htmx {
							status, page = b.hxPost("/recuperation", p.path, p.form)
						} else {
							resp, body := b.post("/recuperation", p.path, p.form)
							status, page = resp.StatusCode, body
						}
						want := "Cette étape est déjà faite. Vous en êtes à l&#39;étape " + string(rune('0'+state)) + ", ci-dessous."
						if state == 4 {
							want = "Cette étape est déjà faite : votre mot de passe a été mis à jour."
						}
						if status != 409 || !strings.Contains(page, want) || !strings.Contains(page, `data-step="`+string(rune('0'+state))+`"`) || strings.Contains(page, "pas encore disponible") {
							t.Fatalf("%d, want 409 with %q at step %d", status, want, state)
						}
						if htmx != !strings.Contains(page, "<html") {
							t.Fatal("htmx gets the card, a plain form the page")
						}
						if after, _ := e.st.Outbox(); len(after) != len(mails) {
							t.Fatal("a step done again sent mail")
						}
						if _, again := b.get("/recuperation"); !strings.Contains(again, `data-step="`+string(rune('0'+state))+`"`) {
							t.Fatal("the flow moved")
						}
						if _, err := e.acc.Login(context.Background(), "dupont.marie", "Autre-mot-99"); err == nil {
							t.Fatal("the password changed again")
						}
					})
				}
			}
		}
	}
}
