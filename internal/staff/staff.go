// Package staff is the school office's own accounts, kept apart from the
// parents': who may use the secretariat desk, with which role, how they
// sign in (a password and always a second factor) and their sessions. It
// knows nothing of HTTP or of how members are stored; the store satisfies
// Store.
//
// Staff are not parents (security.md): another bucket, another cookie, a
// 30-minute idle timeout, TOTP per RFC 6238 with a ±1 step window and
// replays refused, recovery codes kept as HMACs, and one-time set-up
// links valid 24 hours, kept as a hash.
//
// A member's life:
//
//	add / reset --> Pending --set-up (password, TOTP, recovery codes)--> Active
//	Active --disable--> Disabled --reset--> Pending
package staff

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"sesame/internal/audit"
	"sesame/internal/mail/outbox"
)

// Role says what a staff member may do at the desk.
type Role string

// The roles. Both help one parent at a time and read the school's view;
// only an admin changes many accounts at once (the import) or ends other
// members' sessions.
const (
	Secretariat Role = "secretariat"
	Admin       Role = "admin"
)

// ParseRole reads a role as the command line writes it.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case Secretariat, Admin:
		return r, nil
	}
	return "", ErrBadRole
}

// State says whether a member may sign in.
type State string

// The states of a member.
const (
	// Pending: added or reset, waiting for the set-up link to be used.
	Pending State = "pending"
	Active  State = "active"
	// Disabled members keep their record (the audit names them) but
	// cannot sign in; a reset sends a new set-up link.
	Disabled State = "disabled"
)

// Member is one person of the school office.
type Member struct {
	// Email is the member's work address, normalised: their sign-in
	// name and the record's key.
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  Role   `json:"role"`
	State State  `json:"state"`
	// PasswordHash is argon2id, as parents' (package password).
	PasswordHash string `json:"password_hash,omitempty"`
	// TOTP is the authenticator's secret, sealed (AES-GCM under a key
	// derived from the data file's secret, bound to Email): it never
	// shows in a dump of the record, and a record copied onto another
	// member is useless.
	TOTP []byte `json:"totp,omitempty"`
	// TOTPStep is the last time step whose code was accepted: that code
	// and every earlier one are refused from then on (no replay).
	TOTPStep int64 `json:"totp_step,omitempty"`
	// RecoveryCodes are the HMACs of the unused backup codes; a used one
	// is removed.
	RecoveryCodes [][]byte `json:"recovery_codes,omitempty"`
	// Setup is the pending set-up link, nil once used or when none.
	Setup *Setup `json:"setup,omitempty"`
	// Failures are the recent refused sign-ins; LockedUntil is set when
	// they reach Config.MaxFailures.
	Failures    []time.Time `json:"failures,omitempty"`
	LockedUntil time.Time   `json:"locked_until,omitzero"`
	Created     time.Time   `json:"created"`
	Updated     time.Time   `json:"updated"`
	LastLogin   time.Time   `json:"last_login,omitzero"`
}

// Setup is a one-time set-up link and what its first step chose.
type Setup struct {
	// TokenHash is the SHA-256 of the link's token: the data file never
	// holds a usable link.
	TokenHash []byte    `json:"token_hash"`
	Expires   time.Time `json:"expires"`
	// PasswordHash and TOTP are chosen at the link's first step and
	// become the member's only once a code from the authenticator proves
	// the enrolment.
	PasswordHash string `json:"password_hash,omitempty"`
	TOTP         []byte `json:"totp,omitempty"`
	// Tries counts wrong enrolment codes; Config.MaxFailures of them
	// kill the link.
	Tries int `json:"tries,omitempty"`
}

// Operator is how the audit log names the member: "staff:" and the
// address.
func (m Member) Operator() string { return "staff:" + m.Email }

// IsAdmin reports whether the member has the admin role.
func (m Member) IsAdmin() bool { return m.Role == Admin }

// Session is a signed-in browser of a member. Only the hash of its
// token is stored.
type Session struct {
	Member  string    `json:"member"`
	Created time.Time `json:"created"`
	// Expires is the session's hard end (Config.SessionTTL), whatever
	// the activity; the idle timeout is kept in memory (see Service).
	Expires time.Time `json:"expires"`
	IP      string    `json:"ip,omitempty"`
	// Agent is a short description of the browser, for the member to
	// recognise their sessions in the list.
	Agent string `json:"agent,omitempty"`
}

// Errors the service returns; the handlers localize them.
var (
	ErrNotFound = errors.New("staff: no such member")
	ErrExists   = errors.New("staff: a member already has this address")
	ErrBadRole  = errors.New("staff: the role must be secretariat or admin")
	ErrBadName  = errors.New("staff: the name must be one line of 1 to 100 characters")
	// ErrInvalidCredentials is every refused sign-in (unknown address,
	// wrong password, wrong second factor, disabled member) but a lock.
	ErrInvalidCredentials = errors.New("staff: invalid credentials")
	// ErrSetupInvalid is a set-up link that is unknown, used or expired.
	ErrSetupInvalid = errors.New("staff: set-up link invalid, used or expired")
	// ErrWrongCode is a wrong code at the enrolment step.
	ErrWrongCode = errors.New("staff: wrong authenticator code")
	// ErrNoSession is no valid session; ErrIdle (which wraps it) one
	// ended by the idle timeout.
	ErrNoSession = errors.New("staff: no such session")
	ErrIdle      = fmt.Errorf("%w: ended after inactivity", ErrNoSession)
	// ErrForbidden is an action the member's role does not allow.
	ErrForbidden = errors.New("staff: not allowed for this role")
)

// Locked says a member had too many refused sign-ins, and until when
// their sign-in is refused.
type Locked struct{ Until time.Time }

func (e *Locked) Error() string {
	return "staff: too many refused sign-ins, locked until " + e.Until.UTC().Format(time.RFC3339)
}

// Change is what the store writes with a member, in the same
// transaction.
type Change struct {
	Events []audit.Event
	Mail   *outbox.Message
	// EndSessions deletes every session of the member.
	EndSessions bool
	// Session, when not nil, is a new session to store under Hash.
	Session *NewSession
}

// NewSession is a session to create and the hash of its token.
type NewSession struct {
	Hash    []byte
	Session Session
}

// Store is what the service needs from storage.
type Store interface {
	// StaffMember returns the member with this (normalised) address, or
	// ErrNotFound.
	StaffMember(email string) (Member, error)
	// StaffMembers returns every member, by address.
	StaffMembers() ([]Member, error)
	// CreateStaff stores a new member (ErrExists if the address is
	// taken) with ch, in one transaction.
	CreateStaff(m Member, ch Change) error
	// ChangeStaff runs fn on the member and writes the member as fn left
	// it, and the Change it returned, in one transaction, even when fn
	// returns an error: a refused sign-in must be counted. ErrNotFound
	// without running fn when there is no such member.
	ChangeStaff(email string, fn func(*Member) (Change, error)) error
	// StaffSession returns the session under hash, or ErrNoSession.
	StaffSession(hash []byte) (Session, error)
	// StaffSessions returns every stored session by the hex of its hash.
	StaffSessions() (map[string]Session, error)
	// DeleteStaffSession ends one session and records ev when not nil.
	DeleteStaffSession(hash []byte, ev *audit.Event) error
}
