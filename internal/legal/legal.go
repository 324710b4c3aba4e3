// Package legal holds the texts a public school must publish on its
// portal — legal notice, personal data, accessibility statement — when
// the school provides its own (--legal-dir). They are Markdown files,
// rendered once at start to HTML that can hold no script: raw HTML in
// the Markdown is dropped, and so are javascript: and similar links.
package legal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// The pages, by the name of their address and of their files.
const (
	Notice        = "mentions-legales"
	PersonalData  = "donnees-personnelles"
	Accessibility = "accessibilite"
)

// Pages lists the pages in the order the footer shows them.
var Pages = []string{Notice, PersonalData, Accessibility}

// Langs are the languages a school may write its texts in.
var Langs = []string{"fr", "en"}

// Texts is the school's rendered HTML by page and language
// (Texts[Notice]["en"]); a page or language missing from it shows the
// built-in text.
type Texts map[string]map[string]string

// HTML returns the school's text for page in lang, or "".
func (t Texts) HTML(page, lang string) string {
	return t[page][lang]
}

// maxSize bounds one file: these are pages of text, not documents.
const maxSize = 256 << 10

// Load reads dir's PAGE.LANG.md files and renders them. A missing or
// unreadable folder or file, an oversized file, or a Markdown file with
// another name (a typo would silently show the default) is an error.
func Load(dir string) (Texts, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, cleanErr(err)
	}
	known := map[string][2]string{}
	var names []string
	for _, p := range Pages {
		for _, l := range Langs {
			name := p + "." + l + ".md"
			known[name] = [2]string{p, l}
			names = append(names, name)
		}
	}
	sort.Strings(names)
	t := Texts{}
	for _, e := range entries {
		name := e.Name()
		key, ok := known[name]
		if !ok {
			if strings.HasSuffix(strings.ToLower(name), ".md") || strings.HasSuffix(strings.ToLower(name), ".html") {
				return nil, fmt.Errorf("%s: unexpected file; the names are %s", name, strings.Join(names, ", "))
			}
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, cleanErr(err))
		}
		if len(b) > maxSize {
			return nil, fmt.Errorf("%s: larger than %d KiB", name, maxSize>>10)
		}
		html, err := Render(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if t[key[0]] == nil {
			t[key[0]] = map[string]string{}
		}
		t[key[0]][key[1]] = html
	}
	return t, nil
}

// cleanErr drops the path an *os.PathError repeats: the caller names it.
func cleanErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// md is goldmark without its unsafe option: raw HTML blocks and inline
// tags come out as a comment, dangerous link schemes as empty links.
var md = goldmark.New(goldmark.WithParserOptions(
	parser.WithASTTransformers(util.Prioritized(demoteHeadings{}, 100)),
))

// Render turns Markdown into HTML safe to put in a page.
func Render(src []byte) (string, error) {
	var buf bytes.Buffer
	if err := md.Convert(src, &buf); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// demoteHeadings moves every heading one level down: the page's title is
// its only h1, so a school's "# Mentions légales" becomes an h2 and the
// outline stays whole.
type demoteHeadings struct{}

func (demoteHeadings) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering && h.Level < 6 {
			h.Level++
		}
		return ast.WalkContinue, nil
	})
}
