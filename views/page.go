// Package views holds the HTML of every screen as templ components, one
// component per screen or recovery step, named after what the parent
// sees. Components only display: they get every sentence through Page.T
// and never decide anything.
package views

import (
	"strconv"
	"strings"

	"github.com/a-h/templ"
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
	// Path is the current path without Base, for the language links.
	Path string
	// Base is the path the portal is served under ("/parents" for
	// --base-url https://college.fr/parents), empty at the root. Every
	// URL a view writes goes through URL, which prepends it.
	Base string
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

// URL returns the address of the site's path (root-absolute, e.g.
// "/recuperation") as the browser must ask for it: under Base when the
// portal is hosted under a path. The views write no other local URL.
func (p Page) URL(path string) string { return p.Base + path }

// SafeURL is URL for an href or an action.
func (p Page) SafeURL(path string) templ.SafeURL { return templ.SafeURL(p.URL(path)) }

// Asset returns the versioned URL of an embedded static file.
func (p Page) Asset(name string) string {
	return p.URL("/static/" + p.StaticVersion + "/" + name)
}

// LangURL returns the current page's URL in another language.
func (p Page) LangURL(lang string) string {
	path := p.Path
	if path == "" {
		path = "/"
	}
	if strings.Contains(path, "?") {
		// A desk page keeps its query (a search, a set-up link).
		return p.URL(path) + "&lang=" + lang
	}
	return p.URL(path) + "?lang=" + lang
}

// Langs returns the languages the switch offers.
func (p Page) Langs() []string { return []string{"fr", "en"} }

func itoa(n int) string { return strconv.Itoa(n) }
