// Package recovery is « Récupérer son identifiant et son mot de passe »:
// the three-step flow in which a parent proves they hold the e-mail
// address the school knows, with a security code, and chooses a new
// password. It knows nothing of HTTP or of storage.
//
// The flow is an explicit state machine (state.mermaid beside this file):
//
//	CodeSent --right code--> Verified --password set--> Done
//	Done --another identifier--> Verified   (an address shared by a family)
//
// Every operation checks the state before acting, so a request for a
// later step arriving early is refused, never acted upon, and one for a
// step already done (a form posted again after Back) is told so.
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
	// Chosen is the identifier whose password was set last.
	Chosen string `json:"chosen,omitempty"`
	// Set lists the identifiers whose password this flow has set. Each
	// identifier of the address is allowed once per verified flow: a
	// family sets each parent's, but a phone left on the confirmation
	// cannot be used to change an identifier's password again without a
	// new code.
	Set []string `json:"set,omitempty"`
	// NoNewCode is true when step 1 issued no code, the cooldown or a
	// limit holding it back; step 2 then says so (see News).
	NoNewCode bool `json:"no_new_code,omitempty"`
}

// Remaining returns the identifiers this flow may still set a password
// for, in the order of Accounts.
func (f Flow) Remaining() []string {
	var out []string
	for _, id := range f.Accounts {
		if !contains(f.Set, id) {
			out = append(out, id)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Step is the step the flow is at, as the parent counts them: 2 for
// CodeSent, 3 for Verified, 4 for the confirmation (Done).
func (f Flow) Step() int {
	switch f.State {
	case CodeSent:
		return 2
	case Verified:
		return 3
	case Done:
		return 4
	}
	return 1
}

// allowed lists, for each operation, the states it may start from.
var allowed = map[string][]State{
	"verify":  {CodeSent},
	"resend":  {CodeSent},
	"set":     {Verified},
	"another": {Done},
}

// steps gives the step each operation belongs to.
var steps = map[string]int{"verify": 2, "resend": 2, "set": 3}

func (f Flow) can(op string) bool {
	for _, s := range allowed[op] {
		if f.State == s {
			return true
		}
	}
	return false
}

// refuse is the error for op when the flow cannot do it: ErrStepDone
// when the flow is already past op's step, ErrWrongStep otherwise.
func (f Flow) refuse(op string) error {
	if n, ok := steps[op]; ok && f.Step() > n {
		return ErrStepDone
	}
	return ErrWrongStep
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
	ErrStepDone    = errors.New("recovery: this step is already done")
	ErrCodeFormat  = errors.New("recovery: a code is 8 digits")
	ErrCodeWrong   = errors.New("recovery: wrong code")
	ErrCodeExpired = errors.New("recovery: code expired, used or never sent")
	ErrCodeLocked  = errors.New("recovery: too many wrong codes")
	ErrCooldown    = errors.New("recovery: wait before asking for a new code")
	ErrLimit       = errors.New("recovery: too many codes asked for this address")
	ErrNotAllowed  = errors.New("recovery: this identifier is not one of the address's")
)
