package mail_test

import (
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"sesame/internal/mail"
	"sesame/internal/mail/mailtest"
	"sesame/internal/mail/outbox"
)

// readBack composes m and reads the written e-mail as a mail client
// would: its From address and its text part.
func readBack(t *testing.T, m outbox.Message, configure func(c *mail.Composer)) (*netmail.Address, string) {
	t.Helper()
	c := mailtest.Composer(mailtest.NewClock())
	if configure != nil {
		configure(c)
	}
	p := mailtest.ParseMail(t, mailtest.Render(t, c, m))
	from, err := p.Header.AddressList("From")
	if err != nil || len(from) != 1 {
		t.Fatalf("From %q: %v", p.Header.Get("From"), err)
	}
	return from[0], p.Text
}

// On a server whose zone is UTC, the code e-mail of a school in Paris
// says the code's end in Paris time, and the minutes in the plural the
// count needs, rounded like the pages (defects 5 and 6).
func TestCodeMailSchoolTime(t *testing.T) {
	old := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = old })
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 30, 3, 20, 0, 0, time.UTC) // 4 h 20 in Paris
	for _, c := range []struct {
		ttl  time.Duration
		want string
	}{
		{30 * time.Minute, "Ce code est valable 30 minutes, jusqu'à 4 h 50."},
		{time.Minute, "Ce code est valable 1 minute, jusqu'à 4 h 21."},
		{90 * time.Second, "Ce code est valable 1 minute, jusqu'à 4 h 21."},
	} {
		m := outbox.Message{Kind: outbox.KindRecoveryCode, To: "a@exemple.fr", Lang: "fr", Code: "12345678",
			Created: created, ExpiresAt: created.Add(c.ttl)}
		_, text := readBack(t, m, func(c *mail.Composer) { c.Location = paris })
		if !strings.Contains(text, c.want) {
			t.Errorf("code-ttl %s: want %q in\n%s", c.ttl, c.want, text)
		}
	}
}

// Without a display name in --mail-from, the sender is the school's
// Espace Parents, encoded by the address encoder (defect 6).
func TestFromNamesTheSchool(t *testing.T) {
	m := mailtest.CodeMessage("id1", time.Date(2026, 11, 30, 3, 20, 0, 0, time.UTC), "fr")
	from, _ := readBack(t, m, nil)
	if from.Name != "Espace Parents – Collège Jean Moulin" || from.Address != "sesame@college-exemple.fr" {
		t.Errorf("From: %q <%s>", from.Name, from.Address)
	}
	from, _ = readBack(t, m, func(c *mail.Composer) { c.MailFrom = `"Secrétariat \"Moulin\"" <sesame@college-exemple.fr>` })
	if from.Name != `Secrétariat "Moulin"` {
		t.Errorf("a configured display name is kept: %q", from.Name)
	}
	from, _ = readBack(t, m, func(c *mail.Composer) { c.School = "" })
	if from.Name != "Espace Parents" {
		t.Errorf("without --school: %q", from.Name)
	}
}
