package provider

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"sync"
	"time"

	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
)

// Lifetimes of what the provider keeps in memory.
const (
	// PendingTTL is how long a parent has to sign in once an
	// application sent them: long enough for a recovery by e-mail in the
	// middle (codes live 30 minutes).
	PendingTTL = time.Hour
	// CodeTTL is how long an authorization code may wait for its
	// exchange (the security rules: at most 60 s).
	CodeTTL = 60 * time.Second
	// MaxRequests bounds the authorization requests held at once: a
	// flood of them fills this, never the memory (each is at most a few
	// kilobytes, the size of a URL).
	MaxRequests = 20_000
	// spentTTL is how long a used code is remembered, so a second use
	// is recognised and what the first one gave revoked (RFC 6749
	// §4.1.2).
	spentTTL = 10 * time.Minute
)

// Authorization requests and codes live in memory, not in the data file:
// they last a minute to an hour, a GET /authorize creates one for
// every application a parent opens, and the portal's rule is no store
// write on a page view. A restart loses them: a parent in the middle of
// signing in lands on their own space after the password (the
// application is one click away there), and a code not yet exchanged is
// refused, so the application starts its sign-in again, which a parent
// still signed in to the portal goes through without seeing it.

var (
	errUnknownRequest = errors.New("oidc: unknown or expired authorization request")
	errFull           = errors.New("oidc: too many authorization requests in progress")
)

// authRequest is one sign-in an application asked for. It implements
// op.AuthRequest; the provider hands out copies.
type authRequest struct {
	ID         string
	ClientID   string
	ClientName string
	Req        zoidc.AuthRequest
	Created    time.Time
	// HintSub is the subject of the id_token_hint, if one was sent: a
	// session of another parent does not answer it silently.
	HintSub string

	// Set once the parent is known.
	Account  string
	AuthTime time.Time
	done     bool
	// Browser is the hash of the portal session that completed the
	// request: only that browser gets the code at the callback. Without
	// it, whoever knew the request's ID (the one who started it, say,
	// then sent its login link to a signed-in parent) could fetch a code
	// for that parent.
	Browser []byte
	// Subject is the account's, filled when the code is exchanged.
	Subject string

	Code   string
	CodeAt time.Time
}

func (a *authRequest) GetID() string         { return a.ID }
func (a *authRequest) GetACR() string        { return "" }
func (a *authRequest) GetAMR() []string      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string { return []string{a.ClientID} }
func (a *authRequest) GetAuthTime() time.Time {
	return a.AuthTime
}
func (a *authRequest) GetClientID() string { return a.ClientID }
func (a *authRequest) GetCodeChallenge() *zoidc.CodeChallenge {
	if a.Req.CodeChallenge == "" {
		return nil
	}
	return &zoidc.CodeChallenge{Challenge: a.Req.CodeChallenge, Method: a.Req.CodeChallengeMethod}
}
func (a *authRequest) GetNonce() string                    { return a.Req.Nonce }
func (a *authRequest) GetRedirectURI() string              { return a.Req.RedirectURI }
func (a *authRequest) GetResponseType() zoidc.ResponseType { return a.Req.ResponseType }
func (a *authRequest) GetResponseMode() zoidc.ResponseMode { return a.Req.ResponseMode }
func (a *authRequest) GetScopes() []string                 { return a.Req.Scopes }
func (a *authRequest) GetState() string                    { return a.Req.State }
func (a *authRequest) GetSubject() string                  { return a.Subject }
func (a *authRequest) Done() bool                          { return a.done }

// needsLogin says whether the parent must type their password even when
// signed in to the portal since authTime: prompt=login, a max_age that
// passed, or an id_token_hint naming someone else (hintOK false).
func (a *authRequest) needsLogin(authTime, now time.Time, hintOK bool) bool {
	if slices.Contains(a.Req.Prompt, zoidc.PromptLogin) || !hintOK {
		return true
	}
	if a.Req.MaxAge != nil && now.Sub(authTime) > time.Duration(*a.Req.MaxAge)*time.Second {
		return true
	}
	return false
}

// spent is a code that was exchanged: its request, and the refresh
// token that exchange gave, if any.
type spent struct {
	at      time.Time
	request string
	client  string
	account string
	refresh string
}

// requests holds the authorization requests in progress and their codes.
type requests struct {
	mu    sync.Mutex
	byID  map[string]*authRequest
	codes map[string]string // code → request ID
	spent map[string]*spent // code → what its exchange gave
	swept time.Time
	max   int
	now   func() time.Time
}

func newRequests(now func() time.Time) *requests {
	return &requests{byID: map[string]*authRequest{}, codes: map[string]string{}, spent: map[string]*spent{}, max: MaxRequests, now: now}
}

// sweep drops what expired, at most once a minute unless forced (the
// map is full). Callers hold mu.
func (r *requests) sweep(force bool) {
	now := r.now()
	if !force && now.Sub(r.swept) < time.Minute {
		return
	}
	r.swept = now
	for id, a := range r.byID {
		if now.Sub(a.Created) > PendingTTL || (a.Code != "" && now.Sub(a.CodeAt) > CodeTTL) {
			r.drop(a, id)
		}
	}
	for code, s := range r.spent {
		if now.Sub(s.at) > spentTTL {
			delete(r.spent, code)
		}
	}
}

func (r *requests) drop(a *authRequest, id string) {
	if a.Code != "" {
		delete(r.codes, a.Code)
	}
	delete(r.byID, id)
}

func (r *requests) add(a *authRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweep(false)
	if len(r.byID) >= r.max {
		r.sweep(true)
		if len(r.byID) >= r.max {
			return errFull
		}
	}
	a.ID = randomID()
	a.Created = r.now()
	r.byID[a.ID] = a
	return nil
}

// get returns a copy of the live request id.
func (r *requests) get(id string) (authRequest, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.byID[id]
	if !ok || r.now().Sub(a.Created) > PendingTTL {
		return authRequest{}, errUnknownRequest
	}
	return *a, nil
}

// complete records who signed in for request id, in the browser whose
// portal session has the hash browser.
func (r *requests) complete(id, account string, authTime time.Time, browser []byte) (authRequest, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.byID[id]
	if !ok || r.now().Sub(a.Created) > PendingTTL {
		return authRequest{}, errUnknownRequest
	}
	a.Account, a.AuthTime, a.done, a.Browser = account, authTime, true, browser
	return *a, nil
}

// setCode gives request id its code; an earlier code (the callback
// loaded twice) stops working.
func (r *requests) setCode(id, code string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.byID[id]
	if !ok || !a.done {
		return errUnknownRequest
	}
	if a.Code != "" {
		delete(r.codes, a.Code)
	}
	a.Code, a.CodeAt = code, r.now()
	r.codes[code] = id
	return nil
}

// byCode takes the request of code out: a code works once, whatever the
// exchange's outcome. A code seen before reports reused with what its
// first exchange gave.
func (r *requests) byCode(code string) (a authRequest, reused *spent, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.spent[code]; ok {
		c := *s
		return authRequest{}, &c, errUnknownRequest
	}
	id, ok := r.codes[code]
	if !ok {
		return authRequest{}, nil, errUnknownRequest
	}
	p := r.byID[id]
	r.drop(p, id)
	r.spent[code] = &spent{at: r.now(), request: id, client: p.ClientID, account: p.Account}
	if r.now().Sub(p.CodeAt) > CodeTTL {
		return authRequest{}, nil, errUnknownRequest
	}
	return *p, nil, nil
}

// gaveRefresh notes the refresh token the exchange of code gave.
func (r *requests) gaveRefresh(code, token string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.spent[code]; ok {
		s.refresh = token
	}
}

func (r *requests) delete(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.byID[id]; ok {
		r.drop(a, id)
	}
}

// len is how many requests are held, for the tests.
func (r *requests) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byID)
}

func randomID() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
