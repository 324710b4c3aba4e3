// Package account is the parents' accounts: who they are, how they sign
// in, their sessions and their passwords. It knows nothing of HTTP or of
// how accounts are stored; the store satisfies the Store interface.
package account

import (
	"errors"
	"strings"
	"time"

	"sesame/internal/audit"
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

// Account is one parent's access to the Espace Parents.
type Account struct {
	ID              string    `json:"id"` // the identifier, lower-case
	LastName        string    `json:"last_name"`
	FirstName       string    `json:"first_name"`
	Email           string    `json:"email"` // normalised; shared by a family is fine
	Lang            string    `json:"lang,omitempty"`
	PasswordHash    string    `json:"password_hash,omitempty"` // empty: imported, never activated
	State           State     `json:"state"`
	Created         time.Time `json:"created"`
	Updated         time.Time `json:"updated"`
	PasswordChanged time.Time `json:"password_changed,omitempty"`
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
	// SaveAccounts writes many accounts in one transaction: an import is
	// all or nothing.
	SaveAccounts(as []Account) error
	// SetPassword stores a new hash and, in the same transaction, revokes
	// every session of the account, deletes its pending recovery codes and
	// queues notice and records ev (when not nil), so none of it can
	// happen without the rest.
	SetPassword(id, hash string, at time.Time, notice *outbox.Message, ev *audit.Event) error
	// UpdateHash replaces the hash after a parameter upgrade, touching
	// nothing else.
	UpdateHash(id, hash string) error
	// CreateSession stores a session and records ev with it.
	CreateSession(tokenHash []byte, s Session, ev *audit.Event) error
	Session(tokenHash []byte) (Session, error)
	DeleteSession(tokenHash []byte) error
}
