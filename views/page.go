// Package views holds the HTML of every screen as templ components, one
// component per screen or recovery step, named after what the parent
// sees. Components only display: they get every sentence through Page.T
// and never decide anything.
package views

import (
	"strconv"
)

// Secretariat is how a parent reaches the school office when stuck.
type Secretariat struct {
	Phone, Email, Hours string
}

// Page is what every screen needs besides its own data.
type Page struct {
	Lang   string
	School string
	Demo   bool
	// CSRF is the token each state-changing form posts back.
	CSRF        string
	Secretariat Secretariat
	// Tel is the tel: link of Secretariat.Phone, without spaces
	// (identity.TelURI); empty when the phone is not a number.
	Tel string
	// Path is the current path, for the language links.
	Path string
	// StaticVersion is inserted in asset URLs so they can be cached for long.
	StaticVersion string
	// Tr translates a message ID with optional template data.
	Tr func(id string, data any) string
	// Tn translates a message ID with plural forms.
	Tn func(id string, n int, data map[string]any) string
}

// T translates id with no data.
func (p Page) T(id string) string { return p.Tr(id, nil) }

// Tf translates id with data given as key, value pairs.
func (p Page) Tf(id string, kv ...any) string {
	data := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		data[kv[i].(string)] = kv[i+1]
	}
	return p.Tr(id, data)
}

// Asset returns the versioned URL of an embedded static file.
func (p Page) Asset(name string) string {
	return "/static/" + p.StaticVersion + "/" + name
}

// LangURL returns the current page's URL in another language.
func (p Page) LangURL(lang string) string {
	path := p.Path
	if path == "" {
		path = "/"
	}
	return path + "?lang=" + lang
}

// Langs returns the languages the switch offers.
func (p Page) Langs() []string { return []string{"fr", "en"} }

func itoa(n int) string { return strconv.Itoa(n) }
