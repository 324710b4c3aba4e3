package handlers

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// fixedClock sets the handlers' and the recovery service's clock to t.
func fixedClock(t time.Time) func(*Deps) {
	return func(d *Deps) {
		now := func() time.Time { return t }
		d.Now, d.Recovery.Now = now, now
	}
}

// serverInUTC makes the process's zone UTC for the test, as on most VMs
// and containers, so a time printed in the server's zone shows.
func serverInUTC(t *testing.T) {
	old := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = old })
}

func paris(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Step 2's notice gives the code's end in the school's zone, not the
// server's, and the minutes in the right plural, rounded up like the
// e-mail's (defects 5 and 6).
func TestSentNoticeSchoolTimeAndPlural(t *testing.T) {
	serverInUTC(t)
	at := time.Date(2026, 11, 30, 3, 20, 0, 0, time.UTC) // 4 h 20 in Paris
	for _, c := range []struct {
		ttl  time.Duration
		want string
	}{
		{30 * time.Minute, "Il est valable 30 minutes, jusqu&#39;à 4 h 50."},
		{time.Minute, "Il est valable 1 minute, jusqu&#39;à 4 h 21."},
		{90 * time.Second, "Il est valable 1 minute, jusqu&#39;à 4 h 21."},
	} {
		e := newEnv(t, fixedClock(at), func(d *Deps) {
			d.Config.Location = paris(t)
			d.Recovery.Config.CodeTTL = c.ttl
		})
		b := e.browser(t)
		b.post("/recuperation", "/recuperation/email", url.Values{"email": {"m@exemple.fr"}})
		_, page := b.get("/recuperation?msg=sent")
		if !strings.Contains(page, c.want) {
			t.Errorf("code-ttl %s: want %q in\n%s", c.ttl, c.want, notice(page))
		}
	}
}

// Step 1 asked again during the cooldown sends nothing and says so,
// with the same bytes for a known and an unknown address, with and
// without JavaScript (defect 7).
func TestStartDuringCooldownSaysNoNewCode(t *testing.T) {
	at := time.Date(2026, 11, 30, 3, 20, 0, 0, time.UTC)
	e := newEnv(t, fixedClock(at), func(d *Deps) { d.Config.Location = paris(t) })
	var pages, cards []string
	for _, email := range []string{"m@exemple.fr", "inconnu@exemple.fr"} {
		e.browser(t).post("/recuperation", "/recuperation/email", url.Values{"email": {email}})
		// Another browser (or the same one after « Annuler ») asks again
		// within the cooldown.
		b := e.browser(t)
		resp, _ := b.post("/recuperation", "/recuperation/email", url.Values{"email": {email}})
		if resp.StatusCode != 303 || resp.Header.Get("Location") != "/recuperation?msg=sent" {
			t.Fatalf("%s again: %d %s", email, resp.StatusCode, resp.Header.Get("Location"))
		}
		_, page := b.get("/recuperation?msg=sent")
		pages = append(pages, neutral(page))
		_, card := e.browser(t).hxPost("/recuperation", "/recuperation/email", url.Values{"email": {email}})
		cards = append(cards, neutral(card))
	}
	if pages[0] != pages[1] || cards[0] != cards[1] {
		t.Fatalf("known and unknown addresses differ:\n%s\n%s", notice(pages[0]), notice(pages[1]))
	}
	want := "Si cette adresse est connue de l&#39;établissement, un code de sécurité y a déjà été envoyé il y a moins d&#39;une minute, et aucun nouveau code n&#39;a été envoyé. Ce code reste valable jusqu&#39;à 4 h 50"
	for _, p := range []string{pages[0], cards[0]} {
		if !strings.Contains(p, want) || strings.Contains(p, "vient d&#39;y être envoyé") {
			t.Errorf("notice: %s", notice(p))
		}
		if !strings.Contains(p, "Vous pourrez demander un nouveau code dans 60 secondes.") {
			t.Errorf("when a new code can be asked for is missing: %s", p)
		}
	}
	msgs, _ := e.st.Outbox()
	if len(msgs) != 1 {
		t.Fatalf("outbox: %d messages, want the first code only", len(msgs))
	}
}

// The office's phone links as tel: without spaces (defect 6).
func TestTelLinkHasNoSpaces(t *testing.T) {
	e := newEnv(t)
	_, page := e.browser(t).get("/recuperation")
	if !strings.Contains(page, `href="tel:0123456789"`) {
		t.Fatalf("tel link: %s", page[strings.Index(page, "tel:")-20:][:80])
	}
}

func neutral(page string) string {
	page = tokens.ReplaceAllString(page, `value="TOKEN"`)
	page = strings.ReplaceAll(page, "m•••@exemple.fr", "MASKED")
	return strings.ReplaceAll(page, "i•••@exemple.fr", "MASKED")
}

func notice(page string) string {
	i := strings.Index(page, `data-testid="recovery-notice"`)
	if i < 0 {
		return "(no notice)"
	}
	return page[i:min(len(page), i+400)]
}
