package activation

import (
	"errors"
	"time"
)

// State is where a flow stands (state.mermaid beside this file).
type State string

// The states. A flow is created in Verified, once the identifier and the
// code were accepted: before that, nothing is stored for the browser.
const (
	Verified State = "verified" // choosing the password
	Done     State = "done"     // the confirmation
)

// Flow is one parent's activation, in one browser. The browser holds a
// random token; the store keys the flow by its hash (Key).
type Flow struct {
	State   State     `json:"state"`
	Account string    `json:"account"`
	Lang    string    `json:"lang"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// Errors the service returns; the handlers show each as a sentence.
var (
	ErrBadIdentifier = errors.New("activation: not an identifier")
	ErrCodeFormat    = errors.New("activation: a code is 12 letters and digits")
	ErrRefused       = errors.New("activation: identifier and code refused")
	ErrLocked        = errors.New("activation: too many tries for this identifier")
	ErrNoFlow        = errors.New("activation: no flow (expired or never started)")
	ErrStepDone      = errors.New("activation: the password is already set")
	ErrRevoked       = errors.New("activation: the code was revoked or the account changed meanwhile")
	ErrNoCode        = errors.New("activation: no live code")
	ErrActivated     = errors.New("activation: the account already has a password")
	ErrDisabled      = errors.New("activation: the account is disabled")
)
