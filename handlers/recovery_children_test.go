package handlers

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"sesame/internal/account"
)

// withChildren links the demo parent to two children and gives her
// address a second identifier linked to one other child, as a family
// sharing an address whose adults are responsible for different pupils.
func withChildren(t *testing.T, e *env) {
	t.Helper()
	marie, err := e.st.Account("dupont.marie")
	if err != nil {
		t.Fatal(err)
	}
	marie.Children = []account.Child{
		{Key: "name:dupont|lucas", LastName: "Dupont", FirstName: "Lucas", Class: "6e A"},
		{Key: "name:dupont|emma", LastName: "Dupont", FirstName: "Emma", Class: "CM2"},
	}
	if err := e.st.UpdateAccount(marie); err != nil {
		t.Fatal(err)
	}
	paul := account.Account{ID: "dupont.paul", LastName: "Dupont", FirstName: "Paul", Email: "m@exemple.fr",
		Children: []account.Child{{Key: "name:roux|nina", LastName: "Roux", FirstName: "Nina", Class: "4e B"}}}
	if _, err := e.acc.Add(context.Background(), paul, ""); err != nil {
		t.Fatal(err)
	}
}

// radioNames returns, for each radio button of page, its value and its
// label's text as a screen reader would name it (hidden text included,
// spaces collapsed).
func radioNames(t *testing.T, page string) map[string]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(n *html.Node, k string) string {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val
			}
		}
		return ""
	}
	var text func(n *html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(text(c))
		}
		return b.String()
	}
	out := map[string]string{}
	var walk func(n *html.Node, label *html.Node)
	walk = func(n *html.Node, label *html.Node) {
		if n.Type == html.ElementNode && n.Data == "label" {
			label = n
		}
		if n.Type == html.ElementNode && n.Data == "input" && attr(n, "type") == "radio" {
			name := ""
			if label != nil {
				name = strings.Join(strings.Fields(text(label)), " ")
			}
			out[attr(n, "value")] = name
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, label)
		}
	}
	walk(doc, nil)
	return out
}

// Step 3 of a family address names, for each identifier, its holder and
// their children, in the radio's own label; an identifier alone shows
// them under « Votre identifiant » and the confirmation repeats the
// children. Without JavaScript and with htmx, in French and English.
func TestRecoveryStep3ShowsChildren(t *testing.T) {
	for _, tt := range []struct {
		lang     string
		names    map[string]string
		single   []string // after « another »: Paul's identifier alone
		done     string
		htmx     bool
		notOnOne string
	}{
		{
			lang: "fr",
			names: map[string]string{
				"dupont.marie": "dupont.marie, au nom de Marie Dupont, Enfants : Lucas (6e A), Emma (CM2)",
				"dupont.paul":  "dupont.paul, au nom de Paul Dupont, Enfant : Nina (4e B)",
			},
			single: []string{`data-testid="recovery-holder">Au nom de Paul Dupont</p>`, `data-testid="recovery-children">Enfant : Nina (4e B)</p>`},
			done:   `data-testid="recovery-done-children">Enfants : Lucas (6e A), Emma (CM2)</p>`,
		},
		{
			lang: "en",
			htmx: true,
			names: map[string]string{
				"dupont.marie": "dupont.marie, in the name of Marie Dupont, Children: Lucas (6e A), Emma (CM2)",
				"dupont.paul":  "dupont.paul, in the name of Paul Dupont, Child: Nina (4e B)",
			},
			single: []string{`data-testid="recovery-holder">In the name of Paul Dupont</p>`, `data-testid="recovery-children">Child: Nina (4e B)</p>`},
			done:   `data-testid="recovery-done-children">Children: Lucas (6e A), Emma (CM2)</p>`,
		},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			e := newEnv(t)
			withChildren(t, e)
			b := e.browser(t)
			b.lang = tt.lang
			b.post("/recuperation", "/recuperation/email", url.Values{"email": {"m@exemple.fr"}})
			code := url.Values{"code": {e.lastCode(t, "m@exemple.fr")}}
			var page string
			if tt.htmx {
				status, card := b.hxPost("/recuperation", "/recuperation/code", code)
				if status != 200 || strings.Contains(card, "<html") {
					t.Fatalf("htmx code: %d", status)
				}
				page = card
			} else {
				if resp, _ := b.post("/recuperation", "/recuperation/code", code); resp.StatusCode != 303 {
					t.Fatalf("right code: %d", resp.StatusCode)
				}
				_, page = b.get("/recuperation")
			}
			got := radioNames(t, page)
			if len(got) != len(tt.names) {
				t.Errorf("radios %v, want %v", got, tt.names)
			}
			for id, want := range tt.names {
				if got[id] != want {
					t.Errorf("radio %s is named %q, want %q", id, got[id], want)
				}
			}
			// Marie's password first: the confirmation names her children.
			resp, _ := b.post("/recuperation", "/recuperation/mot-de-passe", url.Values{"identifier": {"dupont.marie"}, "password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}})
			if resp.StatusCode != 303 {
				t.Fatalf("set marie: %d", resp.StatusCode)
			}
			_, page = b.get("/recuperation")
			if !strings.Contains(page, tt.done) {
				t.Errorf("the confirmation lacks %q", tt.done)
			}
			// Then Paul's identifier, alone at step 3: holder and child
			// under « Votre identifiant », no radio.
			if resp, _ := b.post("/recuperation", "/recuperation/autre", url.Values{}); resp.StatusCode != 303 {
				t.Fatalf("another: %d", resp.StatusCode)
			}
			_, page = b.get("/recuperation")
			for _, want := range tt.single {
				if !strings.Contains(page, want) {
					t.Errorf("step 3 for one identifier lacks %q", want)
				}
			}
			if n := len(radioNames(t, page)); n != 0 || strings.Contains(page, "Lucas") {
				t.Errorf("step 3 for Paul alone: %d radios, Marie's children shown: %v", n, strings.Contains(page, "Lucas"))
			}
		})
	}
}

// Without children, step 3 and the confirmation show the identifier
// and its holder as before, and never an empty children line.
func TestRecoveryStep3WithoutChildren(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.post("/recuperation", "/recuperation/email", url.Values{"email": {"m@exemple.fr"}})
	if resp, _ := b.post("/recuperation", "/recuperation/code", url.Values{"code": {e.lastCode(t, "m@exemple.fr")}}); resp.StatusCode != 303 {
		t.Fatalf("right code: %d", resp.StatusCode)
	}
	_, page := b.get("/recuperation")
	for _, want := range []string{"Votre identifiant : dupont.marie", `data-testid="recovery-holder">Au nom de Marie Dupont</p>`} {
		if !strings.Contains(page, want) {
			t.Errorf("step 3 lacks %q", want)
		}
	}
	if strings.Contains(page, "recovery-children") || strings.Contains(page, "Enfant") {
		t.Error("step 3 shows a children line for a parent without children")
	}
	b.post("/recuperation", "/recuperation/mot-de-passe", url.Values{"identifier": {"dupont.marie"}, "password": {"Lune-bleue-42"}, "confirm": {"Lune-bleue-42"}})
	_, page = b.get("/recuperation")
	if !strings.Contains(page, `data-step="4"`) || strings.Contains(page, "recovery-done-children") {
		t.Error("the confirmation shows a children line for a parent without children")
	}
}

// /espace lists the signed-in parent's children, and only when there
// are some.
func TestEspaceShowsChildren(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.post("/", "/login", url.Values{"identifier": {"dupont.marie"}, "password": {"Cartable-Vert-2026"}})
	_, page := b.get("/espace")
	if strings.Contains(page, "espace-children") {
		t.Error("/espace shows children for a parent without any")
	}
	withChildren(t, e)
	_, page = b.get("/espace")
	if !strings.Contains(page, "<dt>Enfants</dt>") || !strings.Contains(page, `<dd data-testid="espace-children">Lucas (6e A), Emma (CM2)</dd>`) {
		t.Error("/espace lacks the children")
	}
	b.lang = "en"
	_, page = b.get("/espace?lang=en")
	if !strings.Contains(page, "<dt>Children</dt>") {
		t.Error("/espace in English lacks « Children »")
	}
}
