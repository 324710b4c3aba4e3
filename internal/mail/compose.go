// Package mail turns an outbox record (a code was issued, a password was
// changed) into the e-mail a parent reads: subject, text and HTML parts in
// the parent's language, headers built by go-mail's address encoder.
// Delivering it is package delivery's job.
package mail

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strings"
	"time"
	"unicode"

	"sesame/internal/mail/outbox"

	gomail "github.com/wneessen/go-mail"

	"sesame/locales"
)

// Errors returned by Compose. The worker marks such a message failed at
// once: retrying cannot make a malformed message valid.
var (
	// ErrBadRecipient means outbox.Message.To is not one bare, valid address.
	ErrBadRecipient = errors.New("mail: recipient is not a single valid e-mail address")
	// ErrNoCode means a recovery-code message has no code left to send,
	// usually because it was already scrubbed.
	ErrNoCode = errors.New("mail: recovery-code message without a code")
	// ErrUnknownKind means outbox.Message.Kind has no templates.
	ErrUnknownKind = errors.New("mail: unknown message kind")
)

// Secretariat is how parents reach the school office. Every field is
// optional; the e-mails only show the lines that are set.
type Secretariat struct {
	Phone string
	Email string
	Hours string
}

// Composer renders outbox messages into e-mails. It holds only
// configuration and is safe for concurrent use.
type Composer struct {
	// Locales holds the mail.* sentences.
	Locales *locales.Bundle
	// School is the school's name, shown in every e-mail.
	School string
	// BaseURL is the public address of Sésame; its host names the
	// Message-ID domain and the footer links to it.
	BaseURL string
	// MailFrom is the From address, with or without a display name.
	MailFrom string
	// ReplyTo, if set, is where replies go (usually the secretariat),
	// since nobody reads the From mailbox.
	ReplyTo string
	// Secretariat is printed wherever a parent may need help.
	Secretariat Secretariat
	// CodeTTL is announced when a recovery-code message has no ExpiresAt;
	// zero means outbox.DefaultCodeTTL.
	CodeTTL time.Duration
	// Location is the school's time zone (--timezone), in which every
	// time an e-mail prints is written; nil means UTC, never the
	// server's zone, which is rarely the school's.
	Location *time.Location
	// Now is the clock for the Date header; nil means time.Now.
	Now func() time.Time
}

// Validate reports configuration mistakes (a From that is not an address,
// a base URL without a host) so main can refuse to start on them instead
// of failing every message later.
func (c *Composer) Validate() error {
	if c.Locales == nil {
		return errors.New("mail: composer has no locales")
	}
	if _, err := parseFrom(c.MailFrom); err != nil {
		return err
	}
	if c.ReplyTo != "" {
		if err := checkHeaderValue("reply-to address", c.ReplyTo); err != nil {
			return err
		}
		if _, err := netmail.ParseAddress(c.ReplyTo); err != nil {
			return fmt.Errorf("mail: reply-to address %q: %w", c.ReplyTo, err)
		}
	}
	if _, err := c.messageIDHost(); err != nil {
		return err
	}
	return nil
}

// Compose renders m as a multipart (plain text + HTML) e-mail in m.Lang,
// French when the language is unknown. The returned message is ready for
// a Sender; it is not safe to share between goroutines.
func (c *Composer) Compose(m outbox.Message) (*gomail.Msg, error) {
	if err := checkRecipient(m.To); err != nil {
		return nil, err
	}
	set, ok := templateSets[m.Kind]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKind, m.Kind)
	}
	if (m.Kind == outbox.KindRecoveryCode || m.Kind == outbox.KindEmailCode || m.Kind == outbox.KindStaffSetup) && strings.TrimSpace(m.Code) == "" {
		return nil, ErrNoCode
	}
	from, err := parseFrom(c.MailFrom)
	if err != nil {
		return nil, err
	}
	host, err := c.messageIDHost()
	if err != nil {
		return nil, err
	}
	lang := m.Lang
	if !locales.Valid(lang) {
		lang = locales.Default
	}

	v := c.newView(lang, m)
	v.Subject = oneLine(v.T(string("mail." + m.Kind + ".subject")))
	text, html, err := set.render(v)
	if err != nil {
		return nil, fmt.Errorf("mail: rendering %s: %w", m.Kind, err)
	}

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if from.Name == "" {
		// A bare no-reply address says nothing in a mailbox list; the
		// school's name is what parents recognise.
		from.Name = v.T("mail.from_name")
	}
	from.Name = oneLine(from.Name)
	msg.FromMailAddress(from)
	if c.ReplyTo != "" {
		if err := msg.ReplyTo(c.ReplyTo); err != nil {
			return nil, fmt.Errorf("mail: reply-to address: %w", err)
		}
	}
	// The header is written by net/mail's address encoder, which quotes
	// and RFC 2047-encodes the name as needed. go-mail's AddToFormat
	// would paste the name between quotes instead, so a name holding a
	// '"' or a '\' ("Mimi\"") made every e-mail to that parent fail.
	// m.To was checked by checkRecipient.
	msg.ToMailAddress(&netmail.Address{Name: oneLine(m.Name), Address: m.To})
	msg.Subject(v.Subject)
	msg.SetDateWithValue(c.now())
	msg.SetMessageIDWithValue(messageIDLocal(m) + "@" + host)
	// RFC 3834: tells auto-responders (out-of-office, vacation) not to
	// answer; the second header is Exchange's spelling of the same wish.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetGenHeader(gomail.HeaderContentLang, lang)
	msg.SetBodyString(gomail.TypeTextPlain, text)
	msg.AddAlternativeString(gomail.TypeTextHTML, html)
	return msg, nil
}

// GroupCode writes a code in groups of four digits ("12345678" →
// "1234 5678"), the form parents read and type more reliably.
func GroupCode(code string) string {
	code = strings.TrimSpace(code)
	if len(code) <= 4 {
		return code
	}
	var b strings.Builder
	b.Grow(len(code) + len(code)/4)
	for i, r := range []rune(code) {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (c *Composer) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Composer) location() *time.Location {
	if c.Location != nil {
		return c.Location
	}
	return time.UTC
}

// messageIDHost is the right-hand side of Message-IDs: the public host
// of Sésame, so the IDs are unique to this installation and look like
// the rest of its mail to spam filters.
func (c *Composer) messageIDHost() (string, error) {
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err == nil && u.Hostname() != "" && checkHeaderValue("", u.Hostname()) == nil {
			return u.Hostname(), nil
		}
	}
	if from, err := parseFrom(c.MailFrom); err == nil {
		if at := strings.LastIndexByte(from.Address, '@'); at >= 0 && at < len(from.Address)-1 {
			return from.Address[at+1:], nil
		}
	}
	return "", fmt.Errorf("mail: base URL %q has no host to name Message-IDs after", c.BaseURL)
}

// messageIDLocal is derived from the outbox ID when there is one, so a
// message sent again after a lost server reply carries the same
// Message-ID and mailboxes that fold duplicates show it once. Hashing
// keeps the outbox ID itself out of the headers.
func messageIDLocal(m outbox.Message) string {
	if m.ID == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		return hex.EncodeToString(b[:])
	}
	sum := sha256.Sum256([]byte("sesame-mail-id\x00" + m.ID + "\x00" + m.Created.UTC().Format(time.RFC3339Nano)))
	return hex.EncodeToString(sum[:16])
}

func parseFrom(s string) (*netmail.Address, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("mail: no From address configured (--mail-from)")
	}
	if err := checkHeaderValue("from address", s); err != nil {
		return nil, err
	}
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("mail: from address %q: %w", s, err)
	}
	return a, nil
}

// checkRecipient accepts only one bare address: the outbox stores the
// address the parent gave, and anything else (a display name, a second
// address, a line break) means the value was tampered with.
func checkRecipient(to string) error {
	if err := checkHeaderValue("", to); err != nil {
		return fmt.Errorf("%w: it contains a control character", ErrBadRecipient)
	}
	a, err := netmail.ParseAddress(to)
	if err != nil || a.Name != "" || a.Address != to {
		return ErrBadRecipient
	}
	return nil
}

// checkHeaderValue rejects control characters in configuration values
// that end up in headers; those come from the operator, who should hear
// about the mistake rather than see it silently changed.
func checkHeaderValue(what, s string) error {
	if i := strings.IndexFunc(s, isControl); i >= 0 {
		return fmt.Errorf("mail: %s contains a control character (%U)", what, []rune(s[i:])[0])
	}
	return nil
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029'
}

// oneLine neutralises values that come from data rather than
// configuration (a parent's name, the school's name): control characters
// become spaces and runs of spaces collapse, so a CR/LF can never start a
// new header, and the name still reads normally.
func oneLine(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return isControl(r) || unicode.IsSpace(r) && r != ' ' }) < 0 &&
		!strings.Contains(s, "  ") {
		return strings.TrimSpace(s)
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return isControl(r) || unicode.IsSpace(r) }), " ")
}
