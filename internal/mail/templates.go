package mail

import (
	"embed"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"

	"sesame/internal/identity"
	"sesame/internal/mail/outbox"

	"sesame/locales"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// templateSet is the pair of templates for one kind of e-mail.
type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// templateSets is parsed once at start-up: the templates are embedded,
// so a parse error is a programming error that the tests catch.
var templateSets = func() map[outbox.Kind]templateSet {
	text := texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/layout.txt.tmpl"))
	html := htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/layout.html.tmpl"))
	sets := map[outbox.Kind]templateSet{}
	for _, k := range []outbox.Kind{outbox.KindRecoveryCode, outbox.KindAccountDisabled, outbox.KindPasswordChanged, outbox.KindTest, outbox.KindInvitation, outbox.KindEmailCode, outbox.KindEmailChanged,
		outbox.KindStaffSetup, outbox.KindEmailChangedOld, outbox.KindEmailChangedNew} {
		sets[k] = templateSet{
			text: texttemplate.Must(texttemplate.Must(text.Clone()).ParseFS(templateFS, "templates/"+string(k)+".txt.tmpl")),
			html: htmltemplate.Must(htmltemplate.Must(html.Clone()).ParseFS(templateFS, "templates/"+string(k)+".html.tmpl")),
		}
	}
	return sets
}()

func (s templateSet) render(v *view) (text, html string, err error) {
	var tb, hb strings.Builder
	tb.Grow(2048)
	hb.Grow(6144)
	if err := s.text.ExecuteTemplate(&tb, "layout", v); err != nil {
		return "", "", err
	}
	if err := s.html.ExecuteTemplate(&hb, "layout", v); err != nil {
		return "", "", err
	}
	return tb.String(), hb.String(), nil
}

// view is what the templates see. Every sentence comes through T or N,
// so the templates hold layout only and the words live in mail.*.json.
type view struct {
	Lang        string
	Subject     string
	School      string
	Name        string
	Code        string // grouped
	Identifiers []identifierLine
	// AccountCount picks singular or plural for sentences about the
	// accounts; with no identifiers listed it is one account.
	AccountCount int
	Minutes      int
	Until        string // when the code expires, as a time of day
	ChangedAt    string // when the password was changed, date and time
	// Link is the invitation's: the recovery's first step with the
	// parent's address filled in (see InvitationLink).
	Link string
	// SetupLink is a staff member's one-time set-up link (its token is
	// the message's Code), and SetupUntil when it stops working.
	SetupLink   string
	SetupUntil  string
	BaseURL     string
	Secretariat Secretariat
	TelURL      htmltemplate.URL
	MailtoURL   htmltemplate.URL

	bundle *locales.Bundle
	data   map[string]any
}

// identifierLine is one identifier as the e-mail lists it, with the
// children its holder is responsible for ("Lucas (6e A), Emma (CM2)"),
// empty when the record names none.
type identifierLine struct {
	ID       string
	Children string
}

func (c *Composer) newView(lang string, m outbox.Message) *view {
	v := &view{
		Lang:    lang,
		School:  oneLine(c.School),
		Name:    oneLine(m.Name),
		BaseURL: c.BaseURL,
		Secretariat: Secretariat{
			Phone: oneLine(c.Secretariat.Phone),
			Email: oneLine(c.Secretariat.Email),
			Hours: oneLine(c.Secretariat.Hours),
		},
		bundle: c.Locales,
	}
	for _, raw := range m.Identifiers {
		if id := oneLine(raw); id != "" {
			v.Identifiers = append(v.Identifiers, identifierLine{ID: id, Children: oneLine(m.Children[raw])})
		}
	}
	v.AccountCount = max(1, len(v.Identifiers))
	v.TelURL = telURL(v.Secretariat.Phone)
	if v.Secretariat.Email != "" && checkRecipient(v.Secretariat.Email) == nil {
		v.MailtoURL = htmltemplate.URL("mailto:" + v.Secretariat.Email)
	}
	if m.Kind == outbox.KindRecoveryCode || m.Kind == outbox.KindEmailCode {
		v.Code = GroupCode(m.Code)
		ttl := c.CodeTTL
		if !m.ExpiresAt.IsZero() && !m.Created.IsZero() && m.ExpiresAt.After(m.Created) {
			// The message's own expiry is the code's: it cannot drift
			// from the configuration the code was issued under.
			ttl = m.ExpiresAt.Sub(m.Created)
		}
		if ttl <= 0 {
			ttl = outbox.DefaultCodeTTL
		}
		v.Minutes = locales.Minutes(ttl)
		until := m.ExpiresAt
		if until.IsZero() {
			until = c.now().Add(ttl)
		}
		v.Until = c.formatTime(lang, "mail.time", until)
	}
	if m.Kind == outbox.KindInvitation {
		// The code the link leads to is the recovery's: the parent is
		// told how long it will be valid once asked for.
		ttl := c.CodeTTL
		if ttl <= 0 {
			ttl = outbox.DefaultCodeTTL
		}
		v.Minutes = locales.Minutes(ttl)
		v.Link = InvitationLink(c.BaseURL, m.To, lang)
	}
	if m.Kind == outbox.KindPasswordChanged || m.Kind == outbox.KindEmailChanged {
		at := m.Created
		if at.IsZero() {
			at = c.now()
		}
		v.ChangedAt = c.formatTime(lang, "mail.datetime", at)
	}
	if m.Kind == outbox.KindStaffSetup {
		v.SetupLink = strings.TrimRight(c.BaseURL, "/") + "/secretariat/installation?t=" + url.QueryEscape(strings.TrimSpace(m.Code))
		v.SetupUntil = c.formatTime(lang, "mail.datetime", m.ExpiresAt)
	}
	identifier, children := "", ""
	if len(v.Identifiers) > 0 {
		identifier, children = v.Identifiers[0].ID, v.Identifiers[0].Children
	}
	v.data = map[string]any{
		"School":     v.School,
		"Name":       v.Name,
		"Code":       v.Code,
		"Minutes":    v.Minutes,
		"Until":      v.Until,
		"ChangedAt":  v.ChangedAt,
		"Identifier": identifier,
		"Children":   children,
		"Phone":      v.Secretariat.Phone,
		"Email":      v.Secretariat.Email,
		"Hours":      v.Secretariat.Hours,
		"BaseURL":    v.BaseURL,
		"Link":       v.Link,
		"NewEmail":   oneLine(m.NewEmail),
		"SetupLink":  v.SetupLink,
		"SetupUntil": v.SetupUntil,
	}
	return v
}

// T returns the sentence id in the e-mail's language.
func (v *view) T(id string) string { return v.bundle.T(v.Lang, id, v.data) }

// N returns the sentence id in the plural form that fits count.
func (v *view) N(id string, count int) string {
	data := make(map[string]any, len(v.data)+1)
	for k, val := range v.data {
		data[k] = val
	}
	return v.bundle.N(v.Lang, id, count, data)
}

// HasHelp reports whether any way to reach the secretariat is configured.
func (v *view) HasHelp() bool {
	return v.Secretariat.Phone != "" || v.Secretariat.Email != "" || v.Secretariat.Hours != ""
}

// formatTime writes t the way a parent writes it; month names and word
// order are in the locale files, not in Go's layouts.
func (c *Composer) formatTime(lang, id string, t time.Time) string {
	return c.Locales.Time(lang, id, t.In(c.location()))
}

// telURL is identity.TelURI as a URL html/template trusts: it refuses
// tel: URLs it did not see built, and only digits and a leading + go
// into this one.
func telURL(phone string) htmltemplate.URL {
	return htmltemplate.URL(identity.TelURI(phone))
}

// InvitationLink is where an invitation e-mail sends the parent: the
// recovery's first step under baseURL (which may carry a path), their
// address filled in and the page in the e-mail's language. Not an
// activation code: an account has one activation code at a time, and a
// letter printed the same week must keep working; the recovery checks
// the mailbox again when the link is used (a code sent to it, valid 30
// minutes). Opening the link writes nothing.
func InvitationLink(baseURL, email, lang string) string {
	q := url.Values{"email": {email}}
	if locales.Valid(lang) {
		q.Set("lang", lang)
	}
	return strings.TrimRight(baseURL, "/") + "/recuperation?" + q.Encode()
}
