// Package locales holds every sentence a parent or a school reads, in
// French (the default) and English, and looks them up by message ID.
//
// Messages live in embedded go-i18n JSON files named AREA.LANG.json, so
// each area of the product (ui, policy, mail…) owns its own pair of files
// and a test can check that both languages define the same IDs.
package locales

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed *.json
var files embed.FS

// Default is the language used when nothing better is known: the
// parents' portal is French first.
const Default = "fr"

// Supported lists the languages Sésame speaks, default first.
var Supported = []string{"fr", "en"}

// Bundle translates message IDs. It is safe for concurrent use and is
// built once at start-up, so no request parses a locale file.
type Bundle struct {
	bundle  *i18n.Bundle
	locs    map[string]*i18n.Localizer
	ids     map[string]map[string]bool
	matcher language.Matcher
}

// Load parses the embedded message files.
func Load() (*Bundle, error) {
	b := &Bundle{
		bundle: i18n.NewBundle(language.French),
		locs:   map[string]*i18n.Localizer{},
		ids:    map[string]map[string]bool{},
	}
	entries, err := fs.Glob(files, "*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range entries {
		mf, err := b.bundle.LoadMessageFileFS(files, name)
		if err != nil {
			return nil, fmt.Errorf("locales: %s: %w", name, err)
		}
		lang := mf.Tag.String()
		if b.ids[lang] == nil {
			b.ids[lang] = map[string]bool{}
		}
		for _, m := range mf.Messages {
			b.ids[lang][m.ID] = true
		}
	}
	tags := make([]language.Tag, len(Supported))
	for i, l := range Supported {
		tags[i] = language.MustParse(l)
		// The localizer falls back to French for any missing ID, but a
		// test makes sure none is missing.
		b.locs[l] = i18n.NewLocalizer(b.bundle, l, Default)
	}
	b.matcher = language.NewMatcher(tags)
	return b, nil
}

// Must is Load for tests and main, where a broken embedded file is a
// programming error.
func Must() *Bundle {
	b, err := Load()
	if err != nil {
		panic(err)
	}
	return b
}

// T returns the message id in lang, filled with data (a map or struct,
// may be nil). An unknown id comes back as the id itself rather than an
// error, so a slip shows on screen instead of breaking the page; the
// catalogue test catches it before that.
//
// When data is a map holding "PluralCount", that count picks the plural
// form, so views can pass plural messages through T like any other.
func (b *Bundle) T(lang, id string, data any) string {
	lc := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if m, ok := data.(map[string]any); ok {
		if n, ok := m["PluralCount"].(int); ok {
			lc.PluralCount = n
		}
	}
	return b.localize(lang, lc)
}

// N is T for messages with plural forms ("one", "other"); count picks the
// form and is also available to the template as .Count.
func (b *Bundle) N(lang, id string, count int, data map[string]any) string {
	if data == nil {
		data = map[string]any{}
	}
	data["Count"] = count
	return b.localize(lang, &i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
}

func (b *Bundle) localize(lang string, lc *i18n.LocalizeConfig) string {
	loc, ok := b.locs[lang]
	if !ok {
		loc = b.locs[Default]
	}
	s, err := loc.Localize(lc)
	if err != nil || s == "" {
		return lc.MessageID
	}
	return s
}

// Has reports whether id is defined in lang, for the catalogue test.
func (b *Bundle) Has(lang, id string) bool { return b.ids[lang][id] }

// IDs returns every message ID defined in lang, sorted.
func (b *Bundle) IDs(lang string) []string {
	out := make([]string, 0, len(b.ids[lang]))
	for id := range b.ids[lang] {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Valid reports whether lang is one of the supported language codes.
func Valid(lang string) bool {
	for _, l := range Supported {
		if l == lang {
			return true
		}
	}
	return false
}

// Match picks the supported language that best fits an Accept-Language
// header, or "" when none does (the caller then uses the school's
// default).
func (b *Bundle) Match(acceptLanguage string) string {
	if strings.TrimSpace(acceptLanguage) == "" || len(acceptLanguage) > 512 {
		return ""
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return ""
	}
	_, idx, conf := b.matcher.Match(tags...)
	if conf == language.No {
		return ""
	}
	return Supported[idx]
}
