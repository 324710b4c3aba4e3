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

// DeskParentView is a parent's page at the desk.
type DeskParentView struct {
	ID, Name, Civility, LastName, FirstName string
	// Email is the full address: staff see it whole.
	Email, Phone, Lang string
	Children           []DeskChild
	// State is a message ID and StateKind its badge's look; Disabled
	// says why and since when (a message ID with DisabledAt).
	State, StateKind     string
	Disabled, DisabledAt string
	Activated            bool
	PasswordChanged      string
	Created              string
	// LastLogin is empty when the parent never signed in.
	LastLogin string
	Sessions  int
	// Family are the other accounts at the same address.
	Family []DeskHit
	Code   DeskCode
	Letter DeskLetter
	Mails  []DeskMail
	Events []DeskEvent
	// Notice and Error are the last action's result, with data.
	Notice, Error string
	NoticeData    map[string]any
	Actions       []DeskActionLink
}

// DeskChild is one child as the parent's page lists them.
type DeskChild struct{ Name, Class string }

// Line is the child as one line: "Hugo Bernard — 5e B".
func (c DeskChild) Line() string {
	if c.Class == "" {
		return c.Name
	}
	return c.Name + " — " + c.Class
}

// DeskCode is where the address's security code stands.
type DeskCode struct {
	// Has is false when no code was ever issued (or none is kept).
	Has              bool
	Issued, Until    string
	Attempts, Max    int
	Used, Live, Dead bool
	// IssuedToday counts the codes of the last 24 hours; Next is when a
	// new one can be had (empty: now), Limited whether by the hourly or
	// daily limit.
	IssuedToday int
	Next        string
	Limited     bool
}

// DeskLetter is where the account's activation code stands.
type DeskLetter struct {
	Has           bool
	Issued, Until string
	// Via is a message ID: letter, invitation, by hand.
	Via  string
	Live bool
	// Letter and Invite are when a letter was last printed and an
	// invitation sent; Codes how many codes were ever issued.
	Letter, Invite string
	Codes          int
	// Refusals are the recent wrong tries; LockedUntil is set while they
	// lock the identifier.
	Refusals, MaxTries int
	LockedUntil        string
}

// DeskMail is one e-mail in a list.
type DeskMail struct {
	ID, When, To string
	// Kind and Status are message IDs; StatusKind the badge's look.
	Kind, Status, StatusKind string
	Attempts                 int
	// Error is the mail server's last answer, as it gave it.
	Error, SentAt string
	// Retry offers « retry now »; RetryOK is false when the message
	// cannot be sent again (its code is gone).
	Retry bool
}

// DeskEvent is one line of an audit history.
type DeskEvent struct {
	When string
	// Kind is a message ID when one exists, else the raw kind.
	Kind, Account, Operator, Outcome, Detail, IP, Email string
	// Refused marks an outcome that was a refusal.
	Refused bool
	Count   int
	Last    string
}

// DeskActionLink is an action offered on a parent's page: its
// confirmation page's path and label.
type DeskActionLink struct{ Name, Label string }

// DeskConfirmView is the confirmation an action asks for, without
// JavaScript like with it.
type DeskConfirmView struct {
	ID, Name, Email string
	// Action is the action's path segment; Title, Body and Submit its
	// message IDs, Body with BodyData.
	Action, Title, Body, Submit string
	BodyData                    map[string]any
	// AskEmail shows the new address field, with Value and its error.
	AskEmail   bool
	Value      string
	FieldError string
	// Download says the answer is a file to print (the letter).
	Download bool
}

// DeskClass is one line of the counts by class.
type DeskClass struct {
	// Class is empty for children without a class.
	Class                        string
	Accounts, Activated, NoLogin int
	// Percent is the share of activated accounts, rounded.
	Percent int
}

// DeskSchoolView is the school's view: the counts by class and for the
// whole school.
type DeskSchoolView struct {
	Classes []DeskClass
	Total   DeskClass
}

// DeskOutboxView is the list of e-mails not delivered.
type DeskOutboxView struct {
	Mails           []DeskMail
	Pending, Failed int
	Notice, Error   string
}

// DeskLogView is the school's audit log with its filters.
type DeskLogView struct {
	Account, Operator, Kind, From, To string
	// Kinds are the kinds the filter offers: value and label.
	Kinds  [][2]string
	Events []DeskEvent
	Total  int
	Error  string
}

// DeskImportView is the import page: the form, then the dry run's report
// and its confirmation, then the import's report.
type DeskImportView struct {
	Sync, SkipInvalid bool
	// Report is the import's report, in the member's language; nil
	// before a file was read.
	Report *DeskImportReport
	// ErrorDetail says, after Error, why the file could not be read.
	ErrorDetail string
	// Token confirms the dry run just shown; empty when there is none.
	Token string
	// Done is true once the import was applied; Refused when it was not.
	Done, Refused bool
	Error         string
}

// DeskImportReport is what an import read and did, each sentence
// already in the member's language (the handler words it from the
// import's structured report).
type DeskImportReport struct {
	File, Columns, Ignored string
	Sections               []DeskReportSection
	// Refused says why the import was not applied, when it was not.
	Refused string
	Summary string
}

// DeskReportSection is one list of the report: its title with the
// count, its first items, and how many more there are.
type DeskReportSection struct {
	Title string
	Items []string
	More  string
}
