package views

import (
	"time"

	"github.com/a-h/templ"
)

// DeskNav is the signed-in staff member as every desk page shows them,
// and which section of the desk the page belongs to.
type DeskNav struct {
	Name, Email string
	Admin       bool
	// Section is "search", "school", "outbox", "audit", "import" or
	// "sessions": its link is marked as the current page.
	Section string
}

// DeskSignInForm is the state of the desk's sign-in form.
type DeskSignInForm struct {
	Email string
	// Error and Notice are message IDs, with ErrorData for the lockout's
	// time.
	Error     string
	ErrorData map[string]any
	Notice    string
}

// DeskSetupView is what a set-up step shows.
type DeskSetupView struct {
	// Token is the set-up link's, carried from step to step.
	Token string
	Name  string
	Email string
	// FieldErrors maps a field to its message IDs.
	FieldErrors map[string][]string
	Rules       []RuleView
	// Secret is the authenticator's secret, grouped by four, and QR the
	// data: URL of the PNG of its otpauth:// URI.
	Secret string
	QR     templ.SafeURL
	// Codes are the recovery codes, shown once at the end.
	Codes []string
}

// DeskSession is one live session in the sessions list.
type DeskSession struct {
	ID                string
	Member            string
	Created, LastSeen string
	IP, Agent         string
	Current           bool
}

// DeskSessionsView is the sessions page.
type DeskSessionsView struct {
	Sessions []DeskSession
	Notice   string
}

// Stamp writes a time for the desk: the date and the time of day, in the
// zone the handler already put it in; a dash for none.
func Stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("02/01/2006 15:04")
}

// DeskHit is one parent in the search's results.
type DeskHit struct {
	ID, Name, Email string
	// Children is "Lucas (6e A), Emma (CM2)".
	Children string
	// State is a message ID: not yet activated, active, disabled.
	State string
	// StateKind is the badge's look: "ok", "wait" or "ko".
	StateKind string
}

// DeskSearchView is the search page and its results.
type DeskSearchView struct {
	Query string
	// Searched is false before anything was typed.
	Searched bool
	TooShort bool
	Hits     []DeskHit
	Total    int
}
