package mail_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"sesame/internal/mail/mailtest"
	"sesame/internal/mail/outbox"
)

// TestComposeChildren: the code e-mail lists each identifier with the
// children its holder is responsible for, in both parts and both
// languages; an identifier without children, and a record queued before
// records carried children, show as they always did.
func TestComposeChildren(t *testing.T) {
	clock := mailtest.NewClock()
	c := mailtest.Composer(clock)
	family := func(lang string) outbox.Message {
		return outbox.Message{Kind: outbox.KindRecoveryCode, To: "famille@exemple.fr", Lang: lang, Code: "12345678",
			Identifiers: []string{"bernard.claire", "bernard.hugo", "roux.paul"},
			Children: map[string]string{
				"bernard.claire": "Lucas (6e A), Emma (CM2)",
				"roux.paul":      "Nina",
				"someone.else":   "Zoé (5e B)", // not listed: never shown
			},
			Created: clock.Now(), ExpiresAt: clock.Now().Add(30 * time.Minute)}
	}
	// A record as the outbox stored it before it had children: the
	// field is absent from the JSON.
	var old outbox.Message
	if err := json.Unmarshal([]byte(`{"id":"0000000000000042","kind":"recovery_code","to":"marie.dupont@exemple.fr","lang":"en",`+
		`"name":"Marie Dupont","identifiers":["mdupont"],"code":"87654321","expires_at":"2025-11-26T14:35:00Z",`+
		`"created":"2025-11-26T14:05:00Z","status":"pending","attempts":0,"next_attempt":"2025-11-26T14:05:00Z"}`), &old); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		msg  outbox.Message
		// text are whole lines of the plain-text part; html are pieces
		// of the HTML part; not is in neither part.
		text []string
		html []string
		not  []string
	}{
		{
			name: "family, fr",
			msg:  family("fr"),
			text: []string{"Identifiants associés à cette adresse e-mail :", "  - bernard.claire — Lucas (6e A), Emma (CM2)", "  - bernard.hugo", "  - roux.paul — Nina",
				"Plusieurs identifiants utilisent cette adresse : après le code, vous choisirez celui dont vous voulez changer le mot de passe."},
			html: []string{`<li><strong data-testid="identifier">bernard.claire</strong> — <span data-testid="children">Lucas (6e A), Emma (CM2)</span></li>`,
				`<li><strong data-testid="identifier">bernard.hugo</strong></li>`,
				`<li><strong data-testid="identifier">roux.paul</strong> — <span data-testid="children">Nina</span></li>`},
			not: []string{"Zoé", "someone.else"},
		},
		{
			name: "family, en",
			msg:  family("en"),
			text: []string{"Usernames linked to this e-mail address:", "  - bernard.claire — Lucas (6e A), Emma (CM2)", "  - bernard.hugo", "  - roux.paul — Nina"},
			html: []string{`<li><strong data-testid="identifier">bernard.claire</strong> — <span data-testid="children">Lucas (6e A), Emma (CM2)</span></li>`,
				`<li><strong data-testid="identifier">bernard.hugo</strong></li>`},
			not: []string{"Zoé", "someone.else"},
		},
		{
			name: "one identifier with children, en",
			msg: outbox.Message{Kind: outbox.KindRecoveryCode, To: "a@exemple.fr", Lang: "en", Code: "12345678", Name: "Claire Bernard",
				Identifiers: []string{"bernard.claire"}, Children: map[string]string{"bernard.claire": "Lucas (6e A)"}},
			text: []string{"Hello Claire Bernard,", "Username linked to this e-mail address:", "  - bernard.claire — Lucas (6e A)"},
			html: []string{`<strong data-testid="identifier">bernard.claire</strong> — <span data-testid="children">Lucas (6e A)</span>`},
			not:  []string{"Several usernames"},
		},
		{
			name: "no children, fr",
			msg: outbox.Message{Kind: outbox.KindRecoveryCode, To: "a@exemple.fr", Lang: "fr", Code: "12345678",
				Identifiers: []string{"dupont.marie", "dupont.paul"}},
			text: []string{"  - dupont.marie", "  - dupont.paul"},
			html: []string{`<li><strong data-testid="identifier">dupont.marie</strong></li>`, `<li><strong data-testid="identifier">dupont.paul</strong></li>`},
			not:  []string{" — ", `data-testid="children"`},
		},
		{
			name: "record queued before children existed, en",
			msg:  old,
			text: []string{"Hello Marie Dupont,", "Username linked to this e-mail address:", "  - mdupont", "This code is valid for 30 minutes, until 15:35."},
			html: []string{`<li><strong data-testid="identifier">mdupont</strong></li>`},
			not:  []string{" — ", `data-testid="children"`},
		},
		{
			// Children come from the school's file: a line break cannot
			// start a new line of the e-mail, markup is only text.
			name: "children from a hostile file, fr",
			msg: outbox.Message{Kind: outbox.KindRecoveryCode, To: "a@exemple.fr", Lang: "fr", Code: "12345678",
				Identifiers: []string{"x.y"}, Children: map[string]string{"x.y": "Léo (<b>6e</b>)\r\nBcc: eve@exemple.fr"}},
			text: []string{"  - x.y — Léo (<b>6e</b>) Bcc: eve@exemple.fr"},
			html: []string{`<span data-testid="children">Léo (&lt;b&gt;6e&lt;/b&gt;) Bcc: eve@exemple.fr</span>`},
			not:  []string{"<b>6e</b>)</span>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mailtest.ParseMail(t, mailtest.Render(t, c, tt.msg))
			text := strings.ReplaceAll(p.Text, "\r\n", "\n")
			lines := map[string]bool{}
			for _, l := range strings.Split(text, "\n") {
				lines[l] = true
			}
			for _, want := range tt.text {
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
