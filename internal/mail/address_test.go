package mail_test

import (
	"bytes"
	"context"
	"math/rand"
	netmail "net/mail"
	"reflect"
	"strings"
	"testing"
	"testing/quick"
	"time"

	gomail "github.com/wneessen/go-mail"

	"sesame/internal/account"
	"sesame/internal/identity"
	"sesame/internal/mail/delivery"
	"sesame/internal/mail/mailtest"
	"sesame/internal/mail/outbox"
)

// composer is configured like a school's.
var composer = mailtest.Composer(mailtest.NewClock())

// accepted returns the e-mail a parent with these names gets when their
// password changes, when identity accepts both names.
func accepted(last, first string) (outbox.Message, bool) {
	a := account.Account{Email: "marie.dupont@exemple.fr"}
	var err error
	if a.LastName, err = identity.NormalizeName(last); err != nil {
		return outbox.Message{}, false
	}
	if a.FirstName, err = identity.NormalizeName(first); err != nil {
		return outbox.Message{}, false
	}
	return outbox.Message{Kind: outbox.KindPasswordChanged, To: a.Email, Lang: "fr", Name: a.Name(),
		Identifiers: []string{"dupont.marie"}, Created: composer.Now()}, true
}

// checkReadBack requires the written message data to parse, with a To
// header that net/mail reads back as m's name and address.
func checkReadBack(t *testing.T, m outbox.Message, data []byte) {
	t.Helper()
	parsed, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Errorf("name %q: the written message does not parse: %v", m.Name, err)
		return
	}
	to, err := parsed.Header.AddressList("To")
	if want := []*netmail.Address{{Name: m.Name, Address: m.To}}; err != nil || !reflect.DeepEqual(to, want) {
		t.Errorf("name %q: To header %q reads back as %v, %v; want %v", m.Name, parsed.Header.Get("To"), to, err, want[0])
	}
}

// checkNames is the property: once identity accepts a last and a first
// name, the e-mail to that parent composes, writes, and reads back with
// the parent's name and address. It reports whether identity accepted
// the names (those it refuses never reach an account).
func checkNames(t *testing.T, last, first string) bool {
	t.Helper()
	m, ok := accepted(last, first)
	if !ok {
		return false
	}
	msg, err := composer.Compose(m)
	if err != nil {
		t.Errorf("name %q: Compose: %v", m.Name, err)
		return true
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		t.Errorf("name %q: WriteTo: %v", m.Name, err)
		return true
	}
	checkReadBack(t, m, buf.Bytes())
	return true
}

// TestNamesCompose sends the table's e-mails through a real SMTP
// conversation and reads them as the server received them.
func TestNamesCompose(t *testing.T) {
	names := [][2]string{
		{"Dupont", "Marie"},
		{"O'Brien", "Seán"},
		{"N’Diaye", "Aïssatou"},
		{"Le Goff", "Hervé"},
		{"de La Tour d'Auvergne", "Jean-Pierre"},
		{"Lœuillet", "Lætitia"},
		{"Dupont (née Martin)", "Marie"},
		{"Martin, Jr", "Paul"},
		{"Martin; Paul", "x=?utf-8?q?y?="},
		{"=?utf-8?q?=41?=", "Marie"},
		{"李", "伟"},
		{"محمد", "علي"},
		{"Ἀλέξανδρος", "Ὀδυσσεύς"},
		{strings.Repeat("é", 100), strings.Repeat("Ŵ", 100)},
		{strings.Repeat("a ", 49) + "a", strings.Repeat("b", 100)},
		{"🙂", "Zoé"},
		{"Dupont:", "Marie."},
		{"[Dupont]", "{Marie}"},
	}
	var sent []outbox.Message
	var msgs []*gomail.Msg
	for _, n := range names {
		m, ok := accepted(n[0], n[1])
		if !ok {
			t.Fatalf("identity refuses %q, %q", n[0], n[1])
		}
		msg, err := composer.Compose(m)
		if err != nil {
			t.Errorf("name %q: Compose: %v", m.Name, err)
			continue
		}
		sent, msgs = append(sent, m), append(msgs, msg)
	}
	if _, ok := accepted(`Mimi"`, "Marie"); ok {
		t.Errorf(`identity accepts the last name Mimi", which no school writes`)
	}
	srv := mailtest.NewServer(t)
	sender := delivery.NewSender(delivery.SMTPConfig{Host: srv.Host(), Port: srv.Port(), TLS: delivery.TLSNone, Timeout: 5 * time.Second})
	for i, err := range sender.Send(context.Background(), msgs) {
		if err != nil {
			t.Errorf("name %q: Send: %v", sent[i].Name, err)
		}
	}
	got := srv.Received()
	if len(got) != len(sent) {
		t.Fatalf("the server received %d messages, want %d", len(got), len(sent))
	}
	for i, r := range got {
		if !reflect.DeepEqual(r.To, []string{sent[i].To}) {
			t.Errorf("name %q: envelope recipients %q", sent[i].Name, r.To)
		}
		checkReadBack(t, sent[i], r.Data)
	}
}

// A name stored before identity refused quotes (or by a tool that skips
// it) still composes: the header is built by the address encoder, which
// quotes what needs quoting, not by pasting the name between quotes.
func TestUnbalancedQuoteComposes(t *testing.T) {
	for _, name := range []string{`Marie Mimi"`, `"`, `Marie \`, `a" <evil@exemple.fr>, "b`} {
		m := outbox.Message{Kind: outbox.KindPasswordChanged, To: "marie@exemple.fr", Lang: "fr", Name: name}
		msg, err := composer.Compose(m)
		if err != nil {
			t.Errorf("Compose with name %q: %v", name, err)
			continue
		}
		var buf bytes.Buffer
		if _, err := msg.WriteTo(&buf); err != nil {
			t.Errorf("WriteTo with name %q: %v", name, err)
			continue
		}
		parsed, err := netmail.ReadMessage(&buf)
		if err != nil {
			t.Errorf("name %q: %v", name, err)
			continue
		}
		to, err := parsed.Header.AddressList("To")
		if want := []*netmail.Address{{Name: name, Address: m.To}}; err != nil || !reflect.DeepEqual(to, want) {
			t.Errorf("name %q: To header %q reads back as %v, %v", name, parsed.Header.Get("To"), to, err)
		}
	}
}

// nameRunes is where the generator draws from: the characters a school's
// records hold, and those that mean something in a mail header.
var nameRunes = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" +
	" \u00a0'’-.,;:()[]{}!?=_/*+&#%$|~^`" +
	"éèêëàâäçîïôöùûüÿñÉÈÀÇŒœÆæßøłđ\u0301\u0300" +
	"李伟王芳محمدعليἈλέξανδροςДмитрийאברהם🙂")

// refusedRunes are some characters identity refuses in names; a few are
// mixed in so that the property is tried next to the boundary too.
var refusedRunes = []rune(`"\<>@` + "\u200b\u202e\ufeff\t\r\n\x00\x7f\u2028")

// randomName is a name for testing/quick.
type randomName string

// Generate draws 1 to 120 runes, one in a hundred from refusedRunes.
func (randomName) Generate(r *rand.Rand, _ int) reflect.Value {
	b := make([]rune, 1+r.Intn(120))
	for i := range b {
		if r.Intn(100) == 0 {
			b[i] = refusedRunes[r.Intn(len(refusedRunes))]
		} else {
			b[i] = nameRunes[r.Intn(len(nameRunes))]
		}
	}
	return reflect.ValueOf(randomName(b))
}

func TestNamesComposeProperty(t *testing.T) {
	checked := 0
	prop := func(last, first randomName) bool {
		if checkNames(t, string(last), string(first)) {
			checked++
		}
		return !t.Failed()
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 3000}); err != nil {
		t.Fatal(err)
	}
	// Most draws hold a refused character; make sure enough were not,
	// or the property proved nothing.
	if checked < 100 {
		t.Fatalf("only %d of 3000 random name pairs passed identity; the generator needs fixing", checked)
	}
	t.Logf("%d of 3000 random name pairs accepted and mailed", checked)
}
