package mail_test

import (
	"strings"
	"testing"
	"time"

	"sesame/internal/mail"
	"sesame/internal/mail/mailtest"
	"sesame/internal/mail/outbox"
)

// The invitation e-mail (sesame invite), whole in French, in pieces in
// English and HTML: the identifier, the children, the link to the
// recovery's first step with the address filled in, how long the code
// it leads to is valid, and the school's contacts.
func TestComposeInvitation(t *testing.T) {
	clock := mailtest.NewClock()
	c := mailtest.Composer(clock)
	c.CodeTTL = 20 * time.Minute // the configured --code-ttl is what the e-mail announces
	invite := func(lang string, children map[string]string) outbox.Message {
		return outbox.NewPending(outbox.Message{Kind: outbox.KindInvitation, To: "marie+ecole@exemple.fr", Lang: lang, Name: "Marie Dupont",
			Identifiers: []string{"dupont.marie"}, Children: children}, clock.Now())
	}
	family := map[string]string{"dupont.marie": "Lucas (6e A), Emma (CM2)"}
	const frText = `Bonjour Marie Dupont,

Votre compte de l'Espace Parents (Collège Jean Moulin) est prêt : il ne vous reste qu'à choisir votre mot de passe.

Votre identifiant : dupont.marie
Responsable de : Lucas (6e A), Emma (CM2)

Pour choisir votre mot de passe, ouvrez ce lien :

    https://parents.college-exemple.fr/recuperation?email=marie%2Becole%40exemple.fr&lang=fr

Votre adresse e-mail y est déjà saisie : appuyez sur « Valider ». Un code de sécurité, valable 20 minutes, vous est alors envoyé à cette adresse ; saisissez-le, puis définissez votre mot de passe.
Ce lien ne contient aucun code : il reste valable, et rien ne change sur votre compte tant que vous n'avez pas saisi le code de sécurité.
Si vous recevez aussi une lettre avec un code d'activation, l'un ou l'autre suffit.

Si ce message ne vous est pas destiné, ignorez-le.

En cas de difficulté, vous pouvez contacter le secrétariat de l'établissement.
  Téléphone : 01 23 45 67 89
  Adresse e-mail : secretariat@college-exemple.fr
  Horaires : du lundi au vendredi, 8 h – 17 h

-- 
Message envoyé automatiquement par Sésame, l'Espace Parents – Collège Jean Moulin.
Espace Parents : https://parents.college-exemple.fr/
`
	tests := []struct {
		name    string
		msg     outbox.Message
		subject string
		// text is the whole plain-text part when set; lines are whole
		// lines of it; html are pieces of the HTML part; not is in
		// neither part.
		text  string
		lines []string
		html  []string
		not   []string
	}{
		{
			name: "fr, two children", msg: invite("fr", family),
			subject: "Votre compte de l'Espace Parents – Collège Jean Moulin",
			text:    frText,
			html: []string{`<html lang="fr">`,
				`<p style="margin:0 0 4px;" data-testid="identifier">Votre identifiant : dupont.marie</p>`,
				`<p style="margin:0 0 16px;" data-testid="children">Responsable de : Lucas (6e A), Emma (CM2)</p>`,
				`<a href="https://parents.college-exemple.fr/recuperation?email=marie%2Becole%40exemple.fr&amp;lang=fr" data-testid="invitation-link"`,
				`>Choisir mon mot de passe</a>`, "valable 20 minutes", `<a href="tel:0123456789"`},
		},
		{
			name: "en, two children", msg: invite("en", family),
			subject: "Your Parents' area account – Collège Jean Moulin",
			lines: []string{"Hello Marie Dupont,", "Your username: dupont.marie", "Parent or guardian of: Lucas (6e A), Emma (CM2)",
				"    https://parents.college-exemple.fr/recuperation?email=marie%2Becole%40exemple.fr&lang=en",
				"Your e-mail address is already filled in: press “Continue”. A security code, valid for 20 minutes, is then sent to this address; enter it, then choose your password.",
				"If you also receive a letter with an activation code, either one will do.", "  Phone: 01 23 45 67 89"},
			html: []string{`<html lang="en">`, `data-testid="children">Parent or guardian of: Lucas (6e A), Emma (CM2)</p>`,
				`href="https://parents.college-exemple.fr/recuperation?email=marie%2Becole%40exemple.fr&amp;lang=en"`, `>Choose my password</a>`},
			not: []string{"Bonjour", "Responsable"},
		},
		{
			name: "no children, no language: French", msg: invite("", nil),
			subject: "Votre compte de l'Espace Parents – Collège Jean Moulin",
			lines:   []string{"Votre identifiant : dupont.marie", "    https://parents.college-exemple.fr/recuperation?email=marie%2Becole%40exemple.fr&lang=fr"},
			html:    []string{`data-testid="identifier">Votre identifiant : dupont.marie</p>`},
			not:     []string{"Responsable de", `data-testid="children"`},
		},
		{
			// Names and children come from the school's file: markup is
			// only text, a line break starts no line of the e-mail.
			name: "children from a hostile file", msg: invite("fr", map[string]string{"dupont.marie": "Léo (<b>6e</b>)\r\nBcc: eve@exemple.fr"}),
			subject: "Votre compte de l'Espace Parents – Collège Jean Moulin",
			lines:   []string{"Responsable de : Léo (<b>6e</b>) Bcc: eve@exemple.fr"},
			html:    []string{`data-testid="children">Responsable de : Léo (&lt;b&gt;6e&lt;/b&gt;) Bcc: eve@exemple.fr</p>`},
			not:     []string{"<b>6e</b>)</p>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mailtest.ParseMail(t, mailtest.Render(t, c, tt.msg))
			if p.Subject != tt.subject {
				t.Errorf("subject %q, want %q", p.Subject, tt.subject)
			}
			text := strings.ReplaceAll(p.Text, "\r\n", "\n")
			if tt.text != "" && text != tt.text {
				t.Errorf("text part:\n%s\nwant:\n%s", text, tt.text)
			}
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
}

// The link is built from the configured base URL, path included, never
// from a request; the address and the language are query values.
func TestInvitationLink(t *testing.T) {
	for _, c := range []struct{ base, email, lang, want string }{
		{"https://college.fr", "a@b.fr", "fr", "https://college.fr/recuperation?email=a%40b.fr&lang=fr"},
		{"https://college.fr/parents/", "a.b+c@d.fr", "en", "https://college.fr/parents/recuperation?email=a.b%2Bc%40d.fr&lang=en"},
		{"https://college.fr/parents", "a@b.fr", "de", "https://college.fr/parents/recuperation?email=a%40b.fr"},
	} {
		if got := mail.InvitationLink(c.base, c.email, c.lang); got != c.want {
			t.Errorf("InvitationLink(%q, %q, %q) = %q, want %q", c.base, c.email, c.lang, got, c.want)
		}
	}
}
