package mail

import (
	"errors"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestComposeKinds renders every kind in both languages and checks
// what each must (and must not) say.
func TestComposeKinds(t *testing.T) {
	clock := newClock()
	c := testComposer(clock)
	changedAt := time.Date(2025, 11, 26, 22, 7, 0, 0, time.UTC) // 23 h 07 in the school's zone
	tests := []struct {
		name    string
		msg     Message
		subject string
		want    []string
		wantNot []string
		text    []string // only in the plain-text part
	}{
		{
			name: "recovery code, one identifier, fr",
			msg: Message{Kind: KindRecoveryCode, To: "a@exemple.fr", Lang: "fr", Identifiers: []string{"mdupont"},
				Code: "87654321", Created: clock.Now(), ExpiresAt: clock.Now().Add(time.Minute)},
			subject: "8765 4321 est votre code Sésame",
			want: []string{"Bonjour,", "Identifiant associé à cette adresse e-mail :", "mdupont",
				"Ce code est valable 1 minute, jusqu'à 15 h 06.", "ignorez ce message : rien ne change sur votre compte sans ce code",
				"Ne communiquez ce code à personne"},
			wantNot: []string{"Plusieurs identifiants", "Identifiants associés"},
		},
		{
			name:    "recovery code without expiry uses CodeTTL, en",
			msg:     Message{Kind: KindRecoveryCode, To: "a@exemple.fr", Lang: "en", Code: "11112222"},
			subject: "1111 2222 is your Sésame security code",
			want:    []string{"Hello,", "valid for 30 minutes, until 15:35", "nothing changes on your account without this code", "school office"},
			wantNot: []string{"Username"},
		},
		{
			name: "account disabled, fr",
			msg: Message{Kind: KindAccountDisabled, To: "a@exemple.fr", Lang: "fr", Name: "Paul Martin",
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
			msg:     Message{Kind: KindAccountDisabled, To: "a@exemple.fr", Lang: "en", Identifiers: []string{"a1", "a2"}},
			subject: "Your Parents' area account is disabled",
			want:    []string{"The accounts linked to this e-mail address are disabled", "To have them enabled again", "Phone: 01 23 45 67 89", "a1", "a2"},
		},
		{
			name: "password changed, fr",
			msg: Message{Kind: KindPasswordChanged, To: "a@exemple.fr", Lang: "fr", Identifiers: []string{"mdupont"},
				Created: changedAt, Code: "99998888"},
			subject: "Votre mot de passe de l'Espace Parents a été modifié",
			want: []string{"Le mot de passe de l'identifiant mdupont a été modifié le 26 novembre 2025 à 23 h 07.",
				"contactez tout de suite le secrétariat de l'établissement", "ne contient pas votre mot de passe"},
			wantNot: []string{"9999", "Ce code"},
		},
		{
			name: "password changed on the 1st, en",
			msg: Message{Kind: KindPasswordChanged, To: "a@exemple.fr", Lang: "en", Identifiers: []string{"mdupont"},
				Created: time.Date(2025, 3, 1, 8, 5, 0, 0, time.UTC)},
			subject: "Your Parents' area password has been changed",
			want:    []string{"The password for the username mdupont was changed on 1 March 2025 at 09:05.", "contact the school office straight away"},
		},
		{
			name:    "password changed on the 1st, fr",
			msg:     Message{Kind: KindPasswordChanged, To: "a@exemple.fr", Lang: "fr", Created: time.Date(2025, 3, 1, 8, 5, 0, 0, time.UTC)},
			subject: "Votre mot de passe de l'Espace Parents a été modifié",
			want:    []string{"Le mot de passe de votre compte a été modifié le 1er mars 2025 à 9 h 05."},
		},
		{
			name:    "test, unknown language falls back to French",
			msg:     Message{Kind: KindTest, To: "it@exemple.fr", Lang: "de"},
			subject: "Message de test de Sésame",
			want:    []string{"Ce message de test confirme que Sésame peut envoyer des e-mails", "Vous n'avez rien à faire."},
		},
		{
			name:    "test, en",
			msg:     Message{Kind: KindTest, To: "it@exemple.fr", Lang: "en"},
			subject: "Sésame test message",
			want:    []string{"This test message confirms that Sésame can send e-mails"},
			text:    []string{"Parents' area: https://parents.college-exemple.fr/"},
		},
	}
	ids := testLocales.IDs("fr")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parseMail(t, render(t, c, tt.msg))
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
	c := testComposer(nil)
	tests := []struct {
		name string
		msg  Message
		want error
	}{
		{"CRLF in address", Message{Kind: KindTest, To: "a@b.fr\r\nBcc: c@d.fr"}, ErrBadRecipient},
		{"NUL in address", Message{Kind: KindTest, To: "a@b.fr\x00"}, ErrBadRecipient},
		{"two addresses", Message{Kind: KindTest, To: "a@b.fr, c@d.fr"}, ErrBadRecipient},
		{"display name", Message{Kind: KindTest, To: "Eve <a@b.fr>"}, ErrBadRecipient},
		{"not an address", Message{Kind: KindTest, To: "nobody"}, ErrBadRecipient},
		{"empty", Message{Kind: KindTest}, ErrBadRecipient},
		{"code scrubbed", Message{Kind: KindRecoveryCode, To: "a@b.fr"}, ErrNoCode},
		{"unknown kind", Message{Kind: "newsletter", To: "a@b.fr"}, ErrUnknownKind},
	}
	for _, tt := range tests {
		if _, err := c.Compose(tt.msg); !errors.Is(err, tt.want) {
			t.Errorf("%s: Compose error = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestComposerValidate(t *testing.T) {
	good := testComposer(nil)
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	tests := []struct {
		name   string
		change func(*Composer)
		want   string
	}{
		{"no from", func(c *Composer) { c.MailFrom = "" }, "--mail-from"},
		{"bad from", func(c *Composer) { c.MailFrom = "not an address" }, "from address"},
		{"CRLF in from", func(c *Composer) { c.MailFrom = "a@b.fr\r\nBcc: x@y.fr" }, "control character"},
		{"CRLF in reply-to", func(c *Composer) { c.ReplyTo = "a@b.fr\nBcc: x@y.fr" }, "control character"},
		{"no locales", func(c *Composer) { c.Locales = nil }, "locales"},
		{"no host anywhere", func(c *Composer) { c.BaseURL = "/relative"; c.MailFrom = "local" }, ""},
	}
	for _, tt := range tests {
		c := testComposer(nil)
		tt.change(c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate() = %v, want an error mentioning %q", tt.name, err, tt.want)
		}
	}
	// Without a base URL the From domain names the Message-IDs.
	c := testComposer(nil)
	c.BaseURL = ""
	p := parseMail(t, render(t, c, Message{Kind: KindTest, To: "a@b.fr"}))
	if id := p.Header.Get("Message-ID"); !strings.HasSuffix(id, "@college-exemple.fr>") {
		t.Errorf("Message-ID = %q", id)
	}
}

// TestMessageIDStable: the same outbox message keeps its Message-ID
// across attempts; different messages get different ones.
func TestMessageIDStable(t *testing.T) {
	c := testComposer(nil)
	now := time.Now()
	m := Message{ID: "abc", Kind: KindTest, To: "a@b.fr", Created: now}
	id1 := parseMail(t, render(t, c, m)).Header.Get("Message-ID")
	id2 := parseMail(t, render(t, c, m)).Header.Get("Message-ID")
	m.ID = "abd"
	id3 := parseMail(t, render(t, c, m)).Header.Get("Message-ID")
	m.ID = ""
	id4 := parseMail(t, render(t, c, m)).Header.Get("Message-ID")
	id5 := parseMail(t, render(t, c, m)).Header.Get("Message-ID")
	if id1 != id2 || id1 == id3 || id4 == id5 || strings.Contains(id1, "abc") {
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
		if got := GroupCode(in); got != want {
			t.Errorf("GroupCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskAddress(t *testing.T) {
	for in, want := range map[string]string{
		"marie.dupont@exemple.fr": "m•••@exemple.fr",
		"é@exemple.fr":            "é•••@exemple.fr",
		"@exemple.fr":             "•••@exemple.fr",
		"a@b@exemple.fr":          "a•••@exemple.fr",
		"no-at-sign":              "•••",
		"":                        "•••",
	} {
		if got := MaskAddress(in); got != want {
			t.Errorf("MaskAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScrub(t *testing.T) {
	m := Message{To: "Marie.Dupont@exemple.fr", Code: "12345678"}
	got := scrub(m, "550 <marie.dupont@EXEMPLE.fr> refused; subject 1234 5678 / 12345678")
	if want := "550 <M•••@exemple.fr> refused; subject •••• / ••••"; got != want {
		t.Errorf("scrub = %q, want %q", got, want)
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"Marie Dupont":            "Marie Dupont",
		" Marie\r\nBcc: x@y ":     "Marie Bcc: x@y",
		"a\x00b\tc\u2028d\u0085e": "a b c d e",
		"Jean  -  Pierre":         "Jean - Pierre",
		"Zoé Lefèvre-N'Diaye":     "Zoé Lefèvre-N'Diaye",
		"\r\n":                    "",
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCatalog: every sentence a template asks for exists in both
// languages, and both languages define the same mail.* IDs.
func TestCatalog(t *testing.T) {
	used := map[string]bool{}
	re := regexp.MustCompile(`\.[TN] "(mail\.[a-z0-9_.]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, path)
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []Kind{KindRecoveryCode, KindAccountDisabled, KindPasswordChanged, KindTest} {
		used["mail."+string(k)+".subject"] = true
	}
	used["mail.from_name"], used["mail.datetime"], used["mail.time"] = true, true, true
	for i := 1; i <= 12; i++ {
		used["mail.month."+itoa(i)] = true
	}
	if len(used) < 30 {
		t.Fatalf("found only %d IDs in the templates; is the pattern right?", len(used))
	}
	for id := range used {
		for _, lang := range []string{"fr", "en"} {
			if !testLocales.Has(lang, id) {
				t.Errorf("%s: %s is used but not defined", lang, id)
			}
		}
	}
	mailIDs := func(lang string) []string {
		var out []string
		for _, id := range testLocales.IDs(lang) {
			if strings.HasPrefix(id, "mail.") {
				out = append(out, id)
			}
		}
		return out
	}
	fr, en := mailIDs("fr"), mailIDs("en")
	if !slices.Equal(fr, en) {
		t.Errorf("fr and en define different mail.* IDs:\nfr %v\nen %v", fr, en)
	}
	for _, id := range fr {
		if !used[id] {
			t.Errorf("%s is defined but never used", id)
		}
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return "1" + string(rune('0'+i-10))
}

func TestTelURL(t *testing.T) {
	for in, want := range map[string]string{
		"01 23 45 67 89":            "tel:0123456789",
		"+33 (0)1.23.45.67":         "tel:+3301234567",
		"01 23 45 67 89 (standard)": "",
		"call us":                   "",
		"12":                        "",
	} {
		if got := string(telURL(in)); got != want {
			t.Errorf("telURL(%q) = %q, want %q", in, got, want)
		}
	}
}
