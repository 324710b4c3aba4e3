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
	Done     State = "done"     // the confirmation (and the optional e-mail step's form)
	// EmailSent: after the password, the parent gave an address; a code
	// went to it, to be typed back (email.go).
	EmailSent State = "email_sent"
)

// Flow is one parent's activation, in one browser. The browser holds a
// random token; the store keys the flow by its hash (Key).
type Flow struct {
	State   State     `json:"state"`
	Account string    `json:"account"`
	Lang    string    `json:"lang"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`

	// The optional e-mail step (email.go): the address typed
	// (normalised), the HMAC of the code sent to it, until when that code
	// is valid, the wrong tries at it, how many codes the flow sent and
	// when the last one left. EmailSet is the address this flow
	// confirmed, for the confirmation to say so.
	Email        string    `json:"email,omitempty"`
	EmailMAC     []byte    `json:"email_mac,omitempty"`
	EmailExpires time.Time `json:"email_expires,omitzero"`
	EmailTries   int       `json:"email_tries,omitempty"`
	EmailCodes   int       `json:"email_codes,omitempty"`
	EmailSentAt  time.Time `json:"email_sent_at,omitzero"`
	EmailSet     string    `json:"email_set,omitempty"`
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
	// The e-mail step's.
	ErrNotYet          = errors.New("activation: the password comes first")
	ErrBadEmail        = errors.New("activation: not an e-mail address")
	ErrSameEmail       = errors.New("activation: already the account's address")
	ErrEmailLimit      = errors.New("activation: this flow sent as many codes as it may")
	ErrEmailCodeFormat = errors.New("activation: a security code is 8 digits")
	ErrEmailCodeDead   = errors.New("activation: the e-mail code expired or had too many wrong tries")
	ErrEmailCodeWrong  = errors.New("activation: wrong e-mail code")
)
