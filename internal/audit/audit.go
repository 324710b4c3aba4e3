// Package audit is the record of who did what and when: sign-ins,
// recoveries, activations, password changes and admin commands, kept in
// the data file for a year so the school can answer "was it me?". It
// never holds a secret: no password, code, session id or key.
package audit

import (
	"context"
	"strings"
	"time"

	"sesame/internal/mail/outbox"
)

// Kind names what happened.
type Kind string

// What the audit log records.
const (
	LoginOK         Kind = "login.ok"
	LoginFailed     Kind = "login.failed"
	RecoveryStarted Kind = "recovery.started"
	RecoveryResent  Kind = "recovery.resent"
	// RecoveryUnknown is step 1 for addresses the school does not know,
	// one record per client address and hour with a count (see Count).
	RecoveryUnknown Kind = "recovery.unknown"
	// RecoveryLimited is step 1 or "send a new code" for a known address
	// that got no new code (cooldown, hourly or daily limit), one record
	// per account, client address and hour with a count.
	RecoveryLimited  Kind = "recovery.limited"
	CodeFailed       Kind = "recovery.code_failed"
	CodeOK           Kind = "recovery.code_ok"
	PasswordChanged  Kind = "password.changed"
	AdminCommand     Kind = "admin.command"
	AccountsImported Kind = "admin.import"
	// What the school did to one account (import, sync, the command
	// line); Operator says who.
	AccountCreated  Kind = "account.created"
	AccountUpdated  Kind = "account.updated"
	AccountDisabled Kind = "account.disabled"
	AccountEnabled  Kind = "account.enabled"
	AccountDeleted  Kind = "account.deleted"
	// ActivationIssued is an activation code issued for a letter, an
	// invitation or by the admin (the code itself is never recorded).
	ActivationIssued Kind = "activation.issued"
	// ActivationOK is an activation code accepted: the parent may choose
	// a password.
	ActivationOK Kind = "activation.ok"
	// The refused activation codes, told apart here though the parent is
	// told the same thing for each: a wrong code, a right code past its
	// date, a code for an account that already has a password (the code
	// was used, or the account activated another way) or none live, a
	// disabled account, an identifier no account has (one record per
	// client address and hour, with a count), and an identifier locked
	// after too many wrong tries (one record per identifier, client
	// address and hour).
	ActivationWrong    Kind = "activation.wrong"
	ActivationExpired  Kind = "activation.expired"
	ActivationUsed     Kind = "activation.used"
	ActivationNoCode   Kind = "activation.no_code"
	ActivationDisabled Kind = "activation.disabled"
	ActivationUnknown  Kind = "activation.unknown"
	ActivationLocked   Kind = "activation.locked"
	// InvitationQueued is an invitation e-mail queued by `sesame invite`
	// for one adult (the address masked, the operator named).
	InvitationQueued Kind = "invitation.queued"
	// The optional e-mail step after activation: a code sent to the
	// address the parent typed, a wrong code, and the address confirmed
	// (the account's e-mail set; old and new masked in the detail).
	EmailCodeSent   Kind = "email.code_sent"
	EmailCodeFailed Kind = "email.code_failed"
	EmailConfirmed  Kind = "email.confirmed"
	// OpenID Connect: an application registered or removed, signing
	// keys rotated; a parent signed in to an application (a code or a
	// refresh token exchanged for tokens), signed out from one; and a
	// request refused (an authorization request, hourly counts per
	// client address, or a token request), Detail saying why.
	OIDCClientAdded   Kind = "oidc.client_added"
	OIDCClientRemoved Kind = "oidc.client_removed"
	OIDCKeysRotated   Kind = "oidc.keys_rotated"
	OIDCGrant         Kind = "oidc.grant"
	OIDCRefresh       Kind = "oidc.refresh"
	OIDCLogout        Kind = "oidc.logout"
	OIDCRefused       Kind = "oidc.refused"

	// The school office's staff accounts (package staff): created or
	// reset by the command line, the set-up done, sign-ins and their
	// refusals, sessions ended.
	StaffCreated      Kind = "staff.created"
	StaffReset        Kind = "staff.reset"
	StaffDisabled     Kind = "staff.disabled"
	StaffEnrolled     Kind = "staff.enrolled"
	StaffLoginOK      Kind = "staff.login.ok"
	StaffLoginFailed  Kind = "staff.login.failed"
	StaffLocked       Kind = "staff.locked"
	StaffLogout       Kind = "staff.logout"
	StaffSessionEnded Kind = "staff.session_ended"
	// StaffDenied is a staff member refused an action their role does
	// not allow (the server checks every one).
	StaffDenied Kind = "staff.denied"

	// What the school office did for a parent at the desk (package
	// desk); Operator names the staff member and Outcome whether it was
	// done.
	DeskCodeSent      Kind = "desk.code_sent"
	DeskEmailChanged  Kind = "desk.email_changed"
	DeskDisabled      Kind = "desk.disabled"
	DeskEnabled       Kind = "desk.enabled"
	DeskLimitsLifted  Kind = "desk.limits_lifted"
	DeskLetter        Kind = "desk.letter"
	DeskSessionsEnded Kind = "desk.sessions_ended"
	DeskMailRetried   Kind = "desk.mail_retried"
	DeskImport        Kind = "desk.import"
)

// Outcomes of an action done for the school (Event.Outcome).
const (
	OutcomeDone = "done"
)

// Refused is the Outcome of an action that was refused, with why, in
// words for the school ("refused: no e-mail address").
func Refused(why string) string { return "refused: " + why }

// Event is one line of the audit log.
type Event struct {
	Time    time.Time `json:"time"`
	Kind    Kind      `json:"kind"`
	Account string    `json:"account,omitempty"` // identifier, when known
	Email   string    `json:"email,omitempty"`   // masked
	IP      string    `json:"ip,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	// Operator is who acted for the school: "cli:" and the OS user for
	// a command, or a staff member; empty for what parents do.
	Operator string `json:"operator,omitempty"`
	// Outcome is what became of an action done for the school:
	// OutcomeDone, or Refused and why. Empty for what parents do.
	Outcome string `json:"outcome,omitempty"`
	// Count > 0 makes the event an aggregate: events of the same kind,
	// account and client address within one hour share one record,
	// which counts them and keeps the first one's time and e-mail and
	// the last one's time (Last). A flood of step 1 for unknown
	// addresses thus costs one record an hour per client, not one per
	// request; aggregates are kept AggregateRetention, not Retention.
	Count int       `json:"count,omitempty"`
	Last  time.Time `json:"last,omitzero"`
}

// Names reports whether the event is about account id: its Account,
// or one of the identifiers it lists (a recovery names every account of
// the address, "dupont.marie,dupont.paul").
func (e Event) Names(id string) bool {
	if id == "" || e.Account == "" {
		return false
	}
	for a := range strings.SplitSeq(e.Account, ",") {
		if a == id {
			return true
		}
	}
	return false
}

// MaskDetail masks every e-mail address written in a detail the way the
// rest of the log does (outbox.MaskAddress: "m•••@exemple.fr"): a
// command line or a message may name one, and the log keeps no address
// in clear.
func MaskDetail(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	words := strings.Fields(s)
	for i, w := range words {
		if at := strings.IndexByte(w, '@'); at >= 0 {
			start := strings.LastIndexAny(w[:at], "=<(\"'") + 1
			end := len(w)
			for end > at+1 && strings.ContainsRune(",;.)>\"'", rune(w[end-1])) {
				end--
			}
			words[i] = w[:start] + outbox.MaskAddress(w[start:end]) + w[end:]
		}
	}
	return strings.Join(words, " ")
}

// Aggregated reports whether e is counted in an hourly record rather
// than kept alone.
func (e Event) Aggregated() bool { return e.Count > 0 }

// Group is what aggregated events share to be counted in one record
// (with the hour): kind, account and client address. Not the e-mail:
// a flood of made-up addresses from one client is one record.
func (e Event) Group() string { return string(e.Kind) + "\x00" + e.Account + "\x00" + e.IP }

// Retention is how long events are kept by default.
const Retention = 365 * 24 * time.Hour

// AggregateRetention is how long aggregated events (unknown addresses,
// refused codes) are kept. A school investigates abuse within days of
// it — who flooded the recovery page, from where, when — and a month
// covers a holiday; what a parent asks about ("was it me?") is an
// individual event about their account, kept a year.
const AggregateRetention = 30 * 24 * time.Hour

// Log appends events. Appending never fails the action it records: an
// audit write error is logged by the implementation, not returned.
type Log interface {
	Append(e Event)
}

type ipKey struct{}

// WithIP returns a context carrying the client's address, so domain
// services can record it without knowing HTTP.
func WithIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, ipKey{}, ip)
}

// IP returns the client's address carried by ctx, or "".
func IP(ctx context.Context) string {
	s, _ := ctx.Value(ipKey{}).(string)
	return s
}

// Discard is a Log that records nothing, for tests that do not look.
type Discard struct{}

// Append does nothing.
func (Discard) Append(Event) {}
