// Package recovery is « Récupérer son identifiant et son mot de passe »:
// the three-step flow in which a parent proves they hold the e-mail
// address the school knows, with a security code, and chooses a new
// password. It knows nothing of HTTP or of storage.
//
// The flow is an explicit state machine (state.mermaid beside this file):
//
//	CodeSent --right code--> Verified --password set--> Done
//
// Every operation checks the state before acting, so a request for a
// later step arriving early is refused, never acted upon.
package recovery

import (
	"errors"
	"time"
)

// State is where a flow stands.
type State string

// The states. A flow is created in CodeSent (step 1 done), whatever the
// address: an unknown address gets a flow too, so nothing tells it apart.
const (
	CodeSent State = "code_sent" // step 2: waiting for the code
	Verified State = "verified"  // step 3: choosing the password
	Done     State = "done"      // confirmation
)

// Flow is one parent's recovery, in one browser. The browser holds a
// random id; the store keys the flow by its hash.
type Flow struct {
	State   State     `json:"state"`
	Email   string    `json:"email"`
	Lang    string    `json:"lang"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// Accounts are the identifiers this flow may set a password for,
	// known only once the code was verified.
	Accounts []string `json:"accounts,omitempty"`
	// Chosen is the identifier whose password was set.
	Chosen string `json:"chosen,omitempty"`
}

// allowed lists, for each operation, the states it may start from.
var allowed = map[string][]State{
	"verify": {CodeSent},
	"resend": {CodeSent},
	"set":    {Verified},
}

func (f Flow) can(op string) bool {
	for _, s := range allowed[op] {
		if f.State == s {
			return true
		}
	}
	return false
}

// Code is the pending security code of an address. Only its HMAC is
// kept, so the data file never holds a usable code.
type Code struct {
	MAC      []byte    `json:"mac"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
	Attempts int       `json:"attempts"`
	Used     bool      `json:"used"`
}

// History is what the store knows of an address's codes: the pending
// one (nil if none) and when codes were issued in the last day.
type History struct {
	Code   *Code
	Issued []time.Time
}

// Errors a step can end with; the handlers show each as a sentence.
var (
	ErrBadEmail    = errors.New("recovery: not an e-mail address")
	ErrNoFlow      = errors.New("recovery: no flow (expired or never started)")
	ErrWrongStep   = errors.New("recovery: not possible at this step")
	ErrCodeFormat  = errors.New("recovery: a code is 8 digits")
	ErrCodeWrong   = errors.New("recovery: wrong code")
	ErrCodeExpired = errors.New("recovery: code expired, used or never sent")
	ErrCodeLocked  = errors.New("recovery: too many wrong codes")
	ErrCooldown    = errors.New("recovery: wait before asking for a new code")
	ErrLimit       = errors.New("recovery: too many codes asked for this address")
	ErrNotAllowed  = errors.New("recovery: this identifier is not one of the address's")
)
