package mail_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"sesame/internal/mail"
	"sesame/internal/mail/mailtest"
	"sesame/internal/mail/outbox"
	"sesame/locales"
)

// TestComposeKinds renders every kind in both languages and checks
// what each must (and must not) say.
func TestComposeKinds(t *testing.T) {
	clock := mailtest.NewClock()
	c := mailtest.Composer(clock)
	changedAt := time.Date(2025, 11, 26, 22, 7, 0, 0, time.UTC) // 23 h 07 in the school's zone
	tests := []struct {
		name    string
		msg     outbox.Message
		subject string
		want    []string
		wantNot []string
		text    []string // only in the plain-text part
	}{
		{
			name: "recovery code, one identifier, fr",
			msg: outbox.Message{Kind: outbox.KindRecoveryCode, To: "a@exemple.fr", Lang: "fr", Identifiers: []string{"mdupont"},
				Code: "87654321", Created: clock.Now(), ExpiresAt: clock.Now().Add(time.Minute)},
			subject: "8765 4321 est votre code Sésame",
			want: []string{"Bonjour,", "Identifiant associé à cette adresse e-mail :", "mdupont",
				"Ce code est valable 1 minute, jusqu'à 15 h 06.", "ignorez ce message : rien ne change sur votre compte sans ce code",
				"Ne communiquez ce code à personne"},
			wantNot: []string{"Plusieurs identifiants", "Identifiants associés"},
		},
		{
			name:    "recovery code without expiry uses CodeTTL, en",
			msg:     outbox.Message{Kind: outbox.KindRecoveryCode, To: "a@exemple.fr", Lang: "en", Code: "11112222"},
			subject: "1111 2222 is your Sésame security code",
			want:    []string{"Hello,", "valid for 30 minutes, until 15:35", "nothing changes on your account without this code", "school office"},
			wantNot: []string{"Username"},
		},
		{
			name: "account disabled, fr",
			msg: outbox.Message{Kind: outbox.KindAccountDisabled, To: "a@exemple.fr", Lang: "fr", Name: "Paul Martin",
				Identifiers: []string{"pmartin"}},
			subject: "Votre compte de l'Espace Parents est désactivé",
			want: []string{"Bonjour Paul Martin,", "Le compte associé à cette adresse e-mail est désactivé",
				"Pour le faire réactiver, contactez le secrétariat de l'établissement.", "pmartin",
				"Téléphone : 01 23 45 67 89", "Adresse e-mail : secretariat@college-exemple.fr",
				"Horaires : du lundi au vendredi, 8 h – 17 h"},
			wantNot: []string{"code de sécurité :", "Ce code est valable"},
		},
		{
			name:    "accounts disabled, en",
			msg:     outbox.Message{Kind: outbox.KindAccountDisabled, To: "a@exemple.fr", Lang: "en", Identifiers: []string{"a1", "a2"}},
			subject: "Your Parents' area account is disabled",
			want:    []string{"The accounts linked to this e-mail address are disabled", "To have them enabled again", "Phone: 01 23 45 67 89", "a1", "a2"},
		},
		{
			name: "password changed, fr",
			msg: outbox.Message{Kind: outbox.KindPasswordChanged, To: "a@exemple.fr", Lang: "fr", Identifiers: []string{"mdupont"},
				Created: changedAt, Code: "99998888"},
			subject: "Votre mot de passe de l'Espace Parents a été modifié",
			want: []string{"Le mot de passe de l'identifiant mdupont a été modifié le 26 novembre 2025 à 23 h 07.",
				"contactez tout de suite le secrétariat de l'établissement", "ne contient pas votre mot de passe"},
			wantNot: []string{"9999", "Ce code"},
		},
		{
			name: "password changed on the 1st, en",
			msg: outbox.Message{Kind: outbox.KindPasswordChanged, To: "a@exemple.fr", Lang: "en", Identifiers: []string{"mdupont"},
				Created: time.Date(2025, 3, 1, 8, 5, 0, 0, time.UTC)},
			subject: "Your Parents' area password has been changed",
			want:    []string{"The password for the username mdupont was changed on 1 March 2025 at 09:05.", "contact the school office straight away"},
		},
		{
			name:    "password changed on the 1st, fr",
			msg:     outbox.Message{Kind: outbox.KindPasswordChanged, To: "a@exemple.fr", Lang: "fr", Created: time.Date(2025, 3, 1, 8, 5, 0, 0, time.UTC)},
			subject: "Votre mot de passe de l'Espace Parents a été modifié",
			want:    []string{"Le mot de passe de votre compte a été modifié le 1er mars 2025 à 9 h 05."},
		},
		{
			name:    "test, unknown language falls back to French",
			msg:     outbox.Message{Kind: outbox.KindTest, To: "it@exemple.fr", Lang: "de"},
			subject: "Message de test de Sésame",
			want:    []string{"Ce message de test confirme que Sésame peut envoyer des e-mails", "Vous n'avez rien à faire."},
		},
		{
			name:    "test, en",
			msg:     outbox.Message{Kind: outbox.KindTest, To: "it@exemple.fr", Lang: "en"},
			subject: "Sésame test message",
			want:    []string{"This test message confirms that Sésame can send e-mails"},
			text:    []string{"Parents' area: https://parents.college-exemple.fr/"},
		},
		{
			name: "staff set-up link, fr",
			msg: outbox.Message{Kind: outbox.KindStaffSetup, To: "claire@college-exemple.fr", Lang: "fr", Name: "Claire Martin",
				Code: "tok_en-42", Created: clock.Now(), ExpiresAt: clock.Now().Add(24 * time.Hour)},
			subject: "Votre accès au bureau du secrétariat de Sésame",
			want: []string{"Bonjour Claire Martin,", "https://parents.college-exemple.fr/secretariat/installation?t=tok_en-42",
				"Ce lien ne sert qu'une fois", "codes de secours"},
		},
		{
			name: "address replaced, to the old one, en",
			msg: outbox.Message{Kind: outbox.KindEmailChangedOld, To: "old@exemple.fr", Lang: "en", Name: "Léa Bernard",
				Identifiers: []string{"bernard.lea"}, Children: map[string]string{"bernard.lea": "Hugo (5e B)"}},
			subject: "The e-mail address of your Parents' area account has been changed",
			want: []string{"Hello Léa Bernard,", "has replaced this e-mail address with another one on the following account", "bernard.lea",
				"Hugo (5e B)", "will no longer receive this account's messages", "contact the school office straight away"},
			wantNot: []string{"@exemple.fr"},
		},
		{
			name:    "address recorded, to the new one, fr",
			msg:     outbox.Message{Kind: outbox.KindEmailChangedNew, To: "new@exemple.fr", Lang: "fr", Identifiers: []string{"bernard.lea"}},
			subject: "Votre adresse e-mail est enregistrée dans l'Espace Parents",
			want:    []string{"a enregistré cette adresse e-mail sur le compte suivant", "bernard.lea", "C'est désormais à cette adresse"},
		},
	}
	ids := testLocales.IDs("fr")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mailtest.ParseMail(t, mailtest.Render(t, c, tt.msg))
			if p.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", p.Subject, tt.subject)
			}
			for _, want := range tt.want {
				if !strings.Contains(p.Text, want) {
					t.Errorf("text lacks %q:\n%s", want, p.Text)
				}
				if !strings.Contains(p.HTML, htmlEscape(want)) {
					t.Errorf("HTML lacks %q:\n%s", want, p.HTML)
				}
			}
			for _, want := range tt.text {
				if !strings.Contains(p.Text, want) {
					t.Errorf("text lacks %q:\n%s", want, p.Text)
				}
			}
			for _, not := range tt.wantNot {
				if strings.Contains(p.Text, not) || strings.Contains(p.HTML, htmlEscape(not)) {
					t.Errorf("message contains %q", not)
				}
			}
			for _, id := range ids {
				if strings.Contains(p.Text, id) || strings.Contains(p.HTML, id) {
					t.Errorf("untranslated message ID %q in the output", id)
				}
			}
		})
	}
}

// htmlEscape is what html/template does to the characters our sentences
// contain.
func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

func TestComposeErrors(t *testing.T) {
	c := mailtest.Composer(nil)
	tests := []struct {
		name string
		msg  outbox.Message
		want error
	}{
		{"CRLF in address", outbox.Message{Kind: outbox.KindTest, To: "a@b.fr\r\nBcc: c@d.fr"}, mail.ErrBadRecipient},
		{"NUL in address", outbox.Message{Kind: outbox.KindTest, To: "a@b.fr\x00"}, mail.ErrBadRecipient},
		{"two addresses", outbox.Message{Kind: outbox.KindTest, To: "a@b.fr, c@d.fr"}, mail.ErrBadRecipient},
		{"display name", outbox.Message{Kind: outbox.KindTest, To: "Eve <a@b.fr>"}, mail.ErrBadRecipient},
		{"not an address", outbox.Message{Kind: outbox.KindTest, To: "nobody"}, mail.ErrBadRecipient},
		{"empty", outbox.Message{Kind: outbox.KindTest}, mail.ErrBadRecipient},
		{"code scrubbed", outbox.Message{Kind: outbox.KindRecoveryCode, To: "a@b.fr"}, mail.ErrNoCode},
		{"set-up link scrubbed", outbox.Message{Kind: outbox.KindStaffSetup, To: "a@b.fr"}, mail.ErrNoCode},
		{"unknown kind", outbox.Message{Kind: "newsletter", To: "a@b.fr"}, mail.ErrUnknownKind},
	}
	for _, tt := range tests {
		if _, err := c.Compose(tt.msg); !errors.Is(err, tt.want) {
			t.Errorf("%s: Compose error = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestComposerValidate(t *testing.T) {
	good := mailtest.Composer(nil)
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	tests := []struct {
		name   string
		change func(*mail.Composer)
		want   string
	}{
		{"no from", func(c *mail.Composer) { c.MailFrom = "" }, "--mail-from"},
		{"bad from", func(c *mail.Composer) { c.MailFrom = "not an address" }, "from address"},
		{"CRLF in from", func(c *mail.Composer) { c.MailFrom = "a@b.fr\r\nBcc: x@y.fr" }, "control character"},
		{"CRLF in reply-to", func(c *mail.Composer) { c.ReplyTo = "a@b.fr\nBcc: x@y.fr" }, "control character"},
		{"no locales", func(c *mail.Composer) { c.Locales = nil }, "locales"},
		{"no host anywhere", func(c *mail.Composer) { c.BaseURL = "/relative"; c.MailFrom = "local" }, ""},
	}
	for _, tt := range tests {
		c := mailtest.Composer(nil)
		tt.change(c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate() = %v, want an error mentioning %q", tt.name, err, tt.want)
		}
	}
	// Without a base URL the From domain names the outbox.Message-IDs.
	c := mailtest.Composer(nil)
	c.BaseURL = ""
	p := mailtest.ParseMail(t, mailtest.Render(t, c, outbox.Message{Kind: outbox.KindTest, To: "a@b.fr"}))
	if id := p.Header.Get("Message-ID"); !strings.HasSuffix(id, "@college-exemple.fr>") {
		t.Errorf("Message-ID = %q", id)
	}
}

// TestMessageIDStable: the same outbox message keeps its outbox.Message-ID
// across attempts; different messages get different ones.
func TestMessageIDStable(t *testing.T) {
	c := mailtest.Composer(nil)
	now := time.Now()
	// The ids hold letters a hex hash never does, so "the id is not in
	// the header" cannot be true or false by chance.
	m := outbox.Message{ID: "xyz1", Kind: outbox.KindTest, To: "a@b.fr", Created: now}
	id1 := mailtest.ParseMail(t, mailtest.Render(t, c, m)).Header.Get("Message-ID")
	id2 := mailtest.ParseMail(t, mailtest.Render(t, c, m)).Header.Get("Message-ID")
	m.ID = "xyz2"
	id3 := mailtest.ParseMail(t, mailtest.Render(t, c, m)).Header.Get("Message-ID")
	m.ID = ""
	id4 := mailtest.ParseMail(t, mailtest.Render(t, c, m)).Header.Get("Message-ID")
	id5 := mailtest.ParseMail(t, mailtest.Render(t, c, m)).Header.Get("Message-ID")
	if id1 != id2 || id1 == id3 || id4 == id5 || strings.Contains(id1, "xyz") {
		t.Errorf("Message-IDs: same %q %q, other %q, random %q %q", id1, id2, id3, id4, id5)
	}
}

func TestGroupCode(t *testing.T) {
	for in, want := range map[string]string{
		"12345678":  "1234 5678",
		"1234":      "1234",
		"123456789": "1234 5678 9",
		" 87654321": "8765 4321",
		"":          "",
	} {
		if got := mail.GroupCode(in); got != want {
			t.Errorf("GroupCode(%q) = %q, want %q", in, got, want)
		}
	}
}

var testLocales = locales.Must()
