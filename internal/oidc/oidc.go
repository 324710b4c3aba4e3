// Package oidc is Sésame as the school's OpenID Connect provider, on
// the domain side: the applications the school registers (clients), the
// keys that sign ID tokens, each parent's stable subject identifier,
// access and refresh tokens, and the claims an application receives.
//
// It knows nothing of HTTP or of how things are stored: the protocol
// itself is zitadel/oidc's (internal/oidc/provider adapts it), and the
// store satisfies the Store interface.
package oidc

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"sesame/internal/account"
	"sesame/internal/audit"
)

// Client is an application the school registered: Moodle, Nextcloud,
// the canteen's site. Parents sign in to it with their portal account.
type Client struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// SecretHash is the SHA-256 of the client secret, which is shown
	// once at registration and never stored. Empty for a public client.
	SecretHash []byte `json:"secret_hash,omitempty"`
	// Public clients (a phone app, a single-page site) cannot keep a
	// secret: they must use PKCE with S256 instead.
	Public bool `json:"public,omitempty"`
	// RedirectURIs are matched exactly, character for character.
	RedirectURIs []string `json:"redirect_uris"`
	// PostLogoutURIs are where the application may send the parent
	// after signing them out (matched exactly too).
	PostLogoutURIs []string `json:"post_logout_uris,omitempty"`
	// URL is the application's address, the link on the parent's space.
	URL string `json:"url"`
	// Icon is shown beside the link: an https URL, or a data: URI of a
	// small image the school gave as a file.
	Icon string `json:"icon,omitempty"`
	// Children says the application may receive the children's names
	// and classes (the "children" scope); without it the scope is
	// dropped from its requests.
	Children bool      `json:"children,omitempty"`
	Created  time.Time `json:"created"`
}

// Key is a signing key of ID tokens, kept in the data file.
type Key struct {
	// ID is the JWK's kid.
	ID string `json:"id"`
	// Alg is RS256 (what most relying parties, Moodle included, expect)
	// or ES256.
	Alg string `json:"alg"`
	// Private is the key in PKCS #8 DER.
	Private []byte    `json:"private"`
	Created time.Time `json:"created"`
	// Retired is when a newer key replaced it; zero for the key that
	// signs. A retired key is still published until every token it
	// signed has expired.
	Retired time.Time `json:"retired,omitzero"`
}

// Subject is a parent's identity as applications see it: a random,
// stable identifier that is not the portal identifier, so an
// application's records do not carry it and an identifier that changes
// hands never inherits someone else's data.
type Subject struct {
	Account string    `json:"account"`
	Sub     string    `json:"sub"`
	Created time.Time `json:"created"`
	// Revoked: tokens issued at or before it are refused. A password
	// change and the end of every session set it.
	Revoked time.Time `json:"revoked,omitzero"`
}

// RefreshToken is a grant an application keeps (the offline_access
// scope): it exchanges it for new tokens until it expires or is
// revoked. Only its hash is stored.
type RefreshToken struct {
	Account  string    `json:"account"`
	Client   string    `json:"client"`
	Scopes   []string  `json:"scopes"`
	AuthTime time.Time `json:"auth_time"`
	AMR      []string  `json:"amr,omitempty"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
}

// Errors of the service and its store.
var (
	ErrNotFound = errors.New("oidc: not found")
	ErrExists   = errors.New("oidc: already exists")
	// ErrInvalidToken means a token is unknown, expired, revoked, or
	// was not issued to the client presenting it.
	ErrInvalidToken = errors.New("oidc: invalid or expired token")
	// ErrInvalidClient means an unknown client or a wrong secret.
	ErrInvalidClient = errors.New("oidc: invalid client")
)

// Store is what the provider needs from storage.
type Store interface {
	OIDCClient(id string) (Client, error)
	OIDCClients() ([]Client, error)
	// CreateOIDCClient stores a new client and records ev with it;
	// ErrExists if the id is taken.
	CreateOIDCClient(c Client, ev *audit.Event) error
	// DeleteOIDCClient deletes a client and every refresh token issued
	// to it, and records ev; ErrNotFound if there is no such client.
	DeleteOIDCClient(id string, ev *audit.Event) error

	OIDCKeys() ([]Key, error)
	// AddOIDCKey makes k the signing key: the current one is retired
	// at k.Created, and keys retired before drop are deleted.
	AddOIDCKey(k Key, drop time.Time) error

	// OIDCSubject returns the subject of an account; ErrNotFound if
	// it has none yet.
	OIDCSubject(account string) (Subject, error)
	// EnsureOIDCSubject stores s unless the account has a subject
	// already, and returns the one that is stored.
	EnsureOIDCSubject(s Subject) (Subject, error)
	// OIDCAccountBySub returns the account whose subject is sub.
	OIDCAccountBySub(sub string) (string, error)

	// CreateRefreshToken stores a refresh token under its hash and
	// records ev with it.
	CreateRefreshToken(hash []byte, t RefreshToken, ev *audit.Event) error
	RefreshToken(hash []byte) (RefreshToken, error)
	// ReplaceRefreshToken deletes old and stores t under new, in one
	// transaction, recording ev; ErrNotFound if old is gone (it was
	// used already): a refresh token is used once.
	ReplaceRefreshToken(old, new []byte, t RefreshToken, ev *audit.Event) error
	DeleteRefreshToken(hash []byte) error
}

// Accounts is what the provider needs of the parents' accounts.
type Accounts interface {
	Get(id string) (account.Account, error)
}

// Default lifetimes.
const (
	// DefaultTokenTTL is how long access and ID tokens live.
	DefaultTokenTTL = 15 * time.Minute
	// MaxTokenTTL bounds --oidc-token-ttl: a retired key stays
	// published KeyRetention, which must outlast every token it signed.
	MaxTokenTTL = 12 * time.Hour
	// KeyRetention is how long a retired key stays in the JWKS.
	KeyRetention = 24 * time.Hour
	// RefreshTTL is how long a refresh token lives unused; each use
	// gives a new one for as long again.
	RefreshTTL = 30 * 24 * time.Hour
)

// Service is the provider's domain logic.
type Service struct {
	Store    Store
	Accounts Accounts
	// Audit records grants, refusals and registrations; nil records
	// nothing.
	Audit audit.Log
	Log   *slog.Logger
	Now   func() time.Time
	// TokenTTL is the lifetime of access and ID tokens (DefaultTokenTTL
	// when zero).
	TokenTTL time.Duration
	// Issuer is the base URL, for what the admin commands print; empty
	// when unknown.
	Issuer string

	crypto *Crypto

	mu   sync.RWMutex
	keys *keyRing // parsed once; replaced when keys rotate
}

// New returns the service over st, with the token encryption key
// derived from secret (the data file's own secret).
func New(st Store, accts Accounts, secret []byte) *Service {
	return &Service{Store: st, Accounts: accts, crypto: newCrypto(secret)}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// TTL is the lifetime of access and ID tokens.
func (s *Service) TTL() time.Duration {
	if s.TokenTTL <= 0 {
		return DefaultTokenTTL
	}
	return s.TokenTTL
}

// Crypto encrypts what the provider hands out opaque (authorization
// codes, access tokens).
func (s *Service) Crypto() *Crypto { return s.crypto }

// Record appends an audit event, with the time when it has none.
func (s *Service) Record(e audit.Event) {
	if s.Audit == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	s.Audit.Append(e)
}
