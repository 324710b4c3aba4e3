package mail_test

import (
	"strings"
	"testing"
	"time"

	"sesame/internal/mail/mailtest"
	"sesame/internal/mail/outbox"
)

// The e-mail step's two messages, in both languages and both parts: the
// code that confirms the new address, and the notice to the old one,
// which names the new address masked only.
func TestComposeEmailStep(t *testing.T) {
	clock := mailtest.NewClock()
	c := mailtest.Composer(clock)
	code := func(lang string) outbox.Message {
		return outbox.NewPending(outbox.Message{Kind: outbox.KindEmailCode, To: "lan@exemple.fr", Lang: lang, Name: "Lan Nguyen",
			Identifiers: []string{"nguyen.lan"}, Code: "12345678", ExpiresAt: clock.Now().Add(30 * time.Minute)}, clock.Now())
	}
	notice := func(lang string) outbox.Message {
		return outbox.NewPending(outbox.Message{Kind: outbox.KindEmailChanged, To: "famille@exemple.fr", Lang: lang, Name: "Paul Dupont",
			Identifiers: []string{"dupont.paul"}, NewEmail: "p•••@exemple.fr"}, clock.Now())
	}
	for _, tt := range []struct {
		name, subject string
		msg           outbox.Message
		lines, html   []string
		not           []string
	}{
		{"code, fr", "1234 5678 est votre code Sésame", code("fr"),
			[]string{"Vous avez indiqué cette adresse pour votre compte de l'Espace Parents (Collège Jean Moulin), identifiant nguyen.lan. Voici le code de sécurité qui la confirme :",
				"    1234 5678", "Ce code est valable 30 minutes, jusqu'à 15 h 35.",
				"Si vous n'avez rien demandé, ignorez ce message : cette adresse ne sera pas enregistrée sans ce code."},
			[]string{`data-testid="code"`, ">1234 5678</p>", "jusqu&#39;à 15 h 35."}, nil},
		{"code, en", "1234 5678 is your Sésame security code", code("en"),
			[]string{"You gave this address for your Parents' area account (Collège Jean Moulin), username nguyen.lan. Here is the security code that confirms it:",
				"This code is valid for 30 minutes, until 15:35."},
			[]string{">1234 5678</p>"}, nil},
		{"notice, fr", "L'adresse e-mail de votre compte de l'Espace Parents a été modifiée", notice("fr"),
			[]string{"L'adresse e-mail de l'identifiant dupont.paul a été remplacée par p•••@exemple.fr le 26 novembre 2025 à 15 h 05, à l'activation du compte.",
				"Si vous n'êtes pas à l'origine de ce changement, contactez tout de suite le secrétariat de l'établissement."},
			[]string{"remplacée par p•••@exemple.fr le 26 novembre 2025 à 15 h 05"}, []string{"paul.dupont@"}},
		{"notice, en", "The e-mail address of your Parents' area account has been changed", notice("en"),
			[]string{"The e-mail address of the username dupont.paul was replaced by p•••@exemple.fr on 26 November 2025 at 15:05, when the account was activated."},
			[]string{"<strong>If you did not make this change, contact the school office straight away.</strong>"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := mailtest.ParseMail(t, mailtest.Render(t, c, tt.msg))
			if p.Subject != tt.subject {
				t.Errorf("subject %q, want %q", p.Subject, tt.subject)
			}
			text := strings.ReplaceAll(p.Text, "\r\n", "\n")
			lines := map[string]bool{}
			for _, l := range strings.Split(text, "\n") {
				lines[l] = true
			}
			for _, want := range tt.lines {
				if !lines[want] {
					t.Errorf("text lacks the line %q:\n%s", want, text)
				}
			}
			for _, want := range tt.html {
				if !strings.Contains(p.HTML, want) {
					t.Errorf("HTML lacks %q:\n%s", want, p.HTML)
				}
			}
			for _, not := range tt.not {
				if strings.Contains(text, not) || strings.Contains(p.HTML, not) {
					t.Errorf("message contains %q", not)
				}
			}
		})
	}
	// A code message whose code was scrubbed is not composed.
	m := code("fr")
	m.Code = ""
	if _, err := c.Compose(m); err == nil {
		t.Fatal("a code e-mail without its code was composed")
	}
}
