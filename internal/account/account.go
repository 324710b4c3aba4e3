// Package account is the parents' accounts: who they are, how they sign
// in, their sessions and their passwords. It knows nothing of HTTP or of
// how accounts are stored; the store satisfies the Store interface.
package account

import (
	"errors"
	"sort"
	"strings"
	"time"

	"sesame/internal/audit"
	"sesame/internal/identity"
	"sesame/internal/mail/outbox"
)

// State says whether an account may sign in.
type State string

// Account states. A disabled account keeps its data but cannot sign in
// or recover its password; the school re-enables it.
const (
	Active   State = "active"
	Disabled State = "disabled"
)

// Account is one parent's access to the Espace Parents: the adult who
// signs in, linked to the pupils they are responsible for.
type Account struct {
	ID        string `json:"id"` // the identifier, lower-case
	Civility  string `json:"civility,omitempty"`
	LastName  string `json:"last_name"`
	FirstName string `json:"first_name"`
	// Email is normalised; a family may share it. Empty for an adult the
	// school has no address for: they start with a printed letter.
	Email string `json:"email"`
	Phone string `json:"phone,omitempty"`
	Lang  string `json:"lang,omitempty"`
	// Children are the pupils this adult is responsible for, as the
	// school's last export listed them, sorted by class then name.
	Children        []Child   `json:"children,omitempty"`
	PasswordHash    string    `json:"password_hash,omitempty"` // empty: imported, never activated
	State           State     `json:"state"`
	Created         time.Time `json:"created"`
	Updated         time.Time `json:"updated"`
	PasswordChanged time.Time `json:"password_changed,omitempty"`
	// DisabledAt and DisabledBy say when and why the account was
	// disabled: DisabledBySync (absent from the school's last export,
	// deleted after the retention) or DisabledByAdmin (kept until the
	// school enables it). Both are empty while the account is active.
	DisabledAt time.Time `json:"disabled_at,omitzero"`
	DisabledBy string    `json:"disabled_by,omitempty"`
	// Invited is when `sesame invite` last queued an invitation e-mail
	// for this adult, in the transaction that queued it; zero: never. A
	// rerun within a week leaves the adult out (see internal/invitation).
	Invited time.Time `json:"invited,omitzero"`
	// LastLogin is when the parent last signed in, written in the
	// transaction that creates the session (no disk sync of its own);
	// zero: never, or not since Sésame records it.
	LastLogin time.Time `json:"last_login,omitzero"`
}

// Why an account was disabled (Account.DisabledBy).
const (
	DisabledBySync  = "sync"
	DisabledByAdmin = "admin"
)

// Child is a pupil an adult is responsible for. Pupils are stored inside
// their adults' accounts, as the exports give them: the import is their
// only writer, and the file is their only source.
type Child struct {
	// Key identifies the pupil across imports: the export's pupil number
	// when it has one, else the folded last and first names.
	Key       string `json:"key"`
	LastName  string `json:"last_name"`
	FirstName string `json:"first_name"`
	Class     string `json:"class,omitempty"`
}

// Label is how a parent recognises a child: "Lucas (6e A)".
func (c Child) Label() string {
	if c.Class == "" {
		return c.FirstName
	}
	return c.FirstName + " (" + c.Class + ")"
}

// ChildrenLabel lists the children for a parent who must tell two
// identifiers apart: "Lucas (6e A), Emma (CM2)". Empty without children.
func (a Account) ChildrenLabel() string {
	labels := make([]string, len(a.Children))
	for i, c := range a.Children {
		labels[i] = c.Label()
	}
	return strings.Join(labels, ", ")
}

// Activated reports whether the parent has chosen a password yet.
func (a Account) Activated() bool { return a.PasswordHash != "" }

// Name is how the portal greets the parent: "Marie Dupont".
func (a Account) Name() string { return strings.TrimSpace(a.FirstName + " " + a.LastName) }

// Session is a signed-in browser. Only a hash of its token is stored, so
// a copy of the data file does not hand out live sessions.
type Session struct {
	Account string    `json:"account"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// Errors the service returns; handlers turn them into localized messages.
var (
	ErrNotFound           = errors.New("account: not found")
	ErrExists             = errors.New("account: identifier already taken")
	ErrInvalidCredentials = errors.New("account: invalid credentials")
	ErrDisabled           = errors.New("account: disabled")
	ErrNoSession          = errors.New("account: no such session")
)

// Store is what the account service needs from storage.
type Store interface {
	Account(id string) (Account, error)
	AccountsByEmail(email string) ([]Account, error)
	Accounts() ([]Account, error)
	CreateAccount(a Account) error
	UpdateAccount(a Account) error
	// ApplyImport writes an import in one transaction, all or nothing:
	// the accounts in put are created or replaced, those in purge deleted
	// with their sessions (their audit trail anonymised), and events
	// recorded.
	ApplyImport(put []Account, purge []string, events []audit.Event) error
	// DeleteAccount deletes one account like a purge and records ev.
	DeleteAccount(id string, ev audit.Event) error
	// SetPassword stores a new hash and, in the same transaction, revokes
	// every session of the account, deletes its pending recovery codes and
	// its activation code, and queues notice and records ev (when not
	// nil), so none of it can happen without the rest.
	SetPassword(id, hash string, at time.Time, notice *outbox.Message, ev *audit.Event) error
	// UpdateHash replaces the hash after a parameter upgrade, touching
	// nothing else.
	UpdateHash(id, hash string) error
	// CreateSession stores a session and records ev with it.
	CreateSession(tokenHash []byte, s Session, ev *audit.Event) error
	Session(tokenHash []byte) (Session, error)
	DeleteSession(tokenHash []byte) error
}

// InClass reports whether one of the account's children is in class,
// compared as identity.FoldName folds them, so "6e A", "6E-A" and "6ea"
// name one class. It is how every command's --class chooses accounts.
func (a Account) InClass(class string) bool {
	want := identity.FoldName(class)
	for _, c := range a.Children {
		if identity.FoldName(c.Class) == want {
			return true
		}
	}
	return false
}

// Classes returns the classes of the accounts' children, sorted, each
// once as first written: what a --class that matched nothing can offer.
func Classes(as []Account) []string {
	seen := make(map[string]bool)
	var out []string
	for _, a := range as {
		for _, c := range a.Children {
			if k := identity.FoldName(c.Class); k != "" && !seen[k] {
				seen[k] = true
				out = append(out, c.Class)
			}
		}
	}
	sort.Strings(out)
	return out
}
