package oidc

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"sesame/internal/account"
	"sesame/internal/audit"
)

// Crypto is AES-256-GCM under a key derived from the data file's
// secret: authorization codes and access tokens are opaque to everyone
// else and cannot be forged or altered, and need no storage.
type Crypto struct{ aead cipher.AEAD }

func newCrypto(secret []byte) *Crypto {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("sesame oidc token encryption"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &Crypto{aead: aead}
}

// Encrypt seals s; the result is URL-safe.
func (c *Crypto) Encrypt(s string) (string, error) {
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(s)+c.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(c.aead.Seal(nonce, nonce, []byte(s), nil)), nil
}

// ErrUndecryptable is a token this server did not seal (or altered).
var ErrUndecryptable = errors.New("oidc: token cannot be opened")

// Decrypt opens what Encrypt sealed.
func (c *Crypto) Decrypt(s string) (string, error) {
	if len(s) > 4096 {
		return "", ErrUndecryptable
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) < c.aead.NonceSize()+c.aead.Overhead() {
		return "", ErrUndecryptable
	}
	n := c.aead.NonceSize()
	out, err := c.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", ErrUndecryptable
	}
	return string(out), nil
}

// AccessToken is what an access token stands for. It travels inside
// the token itself, sealed by Crypto, so userinfo needs no token store;
// revocation is checked against the parent's Subject.Revoked.
type AccessToken struct {
	Account string   `json:"a"`
	Client  string   `json:"c"`
	Scopes  []string `json:"s"`
	// Issued and Expires are Unix milliseconds.
	Issued  int64 `json:"i"`
	Expires int64 `json:"e"`
}

// NewAccessToken returns the ID of a new access token (the provider
// seals it with the subject) and its expiry.
func (s *Service) NewAccessToken(accountID, clientID string, scopes []string) (string, time.Time, error) {
	now := s.now()
	exp := now.Add(s.TTL())
	raw, err := json.Marshal(AccessToken{Account: accountID, Client: clientID, Scopes: scopes, Issued: now.UnixMilli(), Expires: exp.UnixMilli()})
	if err != nil {
		return "", time.Time{}, err
	}
	// No ':' in it: the provider joins it to the subject with one.
	return base64.RawURLEncoding.EncodeToString(raw), exp, nil
}

// CheckAccessToken decodes a token ID the provider unsealed and checks
// it is alive: not expired, its account active and not revoked since,
// its client still registered, and sub the account's subject. It
// returns the token and the account.
func (s *Service) CheckAccessToken(tokenID, sub string) (AccessToken, account.Account, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tokenID)
	if err != nil {
		return AccessToken{}, account.Account{}, ErrInvalidToken
	}
	var t AccessToken
	if err := json.Unmarshal(raw, &t); err != nil || t.Account == "" {
		return AccessToken{}, account.Account{}, ErrInvalidToken
	}
	if s.now().UnixMilli() >= t.Expires {
		return t, account.Account{}, ErrInvalidToken
	}
	a, err := s.liveAccount(t.Account, sub, time.UnixMilli(t.Issued))
	if err != nil {
		return t, a, err
	}
	if _, err := s.Client(t.Client); err != nil {
		return t, a, ErrInvalidToken
	}
	return t, a, nil
}

// liveAccount returns the account if it is active, its subject is sub
// and nothing revoked its grants after issued.
func (s *Service) liveAccount(id, sub string, issued time.Time) (account.Account, error) {
	a, err := s.Accounts.Get(id)
	if err != nil || a.State != account.Active {
		return account.Account{}, ErrInvalidToken
	}
	subj, err := s.Store.OIDCSubject(id)
	if err != nil || subj.Sub != sub || !issued.After(subj.Revoked) {
		return account.Account{}, ErrInvalidToken
	}
	return a, nil
}

// Subject returns the account's subject, creating it the first time the
// parent signs in to an application (a token request, never a page
// view).
func (s *Service) Subject(accountID string) (string, error) {
	subj, err := s.Store.OIDCSubject(accountID)
	if err == nil {
		return subj.Sub, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return "", err
	}
	subj, err = s.Store.EnsureOIDCSubject(Subject{Account: accountID, Sub: newSub(), Created: s.now()})
	return subj.Sub, err
}

// newSub is 128 random bits in hex: no relation to the identifier or the
// name, and safe as a user name in any application.
func newSub() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Grant is what a token request carries over from the parent's
// sign-in: who, for which application, with what scopes.
type Grant struct {
	Account  string
	Client   string
	Scopes   []string
	AuthTime time.Time
	AMR      []string
}

// NewRefreshToken stores a refresh token for g and returns it; ev is
// recorded with it.
func (s *Service) NewRefreshToken(g Grant, ev *audit.Event) (string, error) {
	tok := randomString(32)
	now := s.now()
	t := RefreshToken{Account: g.Account, Client: g.Client, Scopes: g.Scopes, AuthTime: g.AuthTime, AMR: g.AMR, Created: now, Expires: now.Add(RefreshTTL)}
	if err := s.Store.CreateRefreshToken(refreshHash(tok), t, ev); err != nil {
		return "", err
	}
	return tok, nil
}

// UseRefreshToken checks a refresh token: known, alive, its account
// active and unrevoked. It does not consume it: RotateRefreshToken does,
// once the client is authenticated.
func (s *Service) UseRefreshToken(tok string) (RefreshToken, error) {
	if tok == "" || len(tok) > 200 {
		return RefreshToken{}, ErrInvalidToken
	}
	t, err := s.Store.RefreshToken(refreshHash(tok))
	if err != nil {
		return RefreshToken{}, ErrInvalidToken
	}
	if !s.now().Before(t.Expires) {
		return t, ErrInvalidToken
	}
	a, err := s.Accounts.Get(t.Account)
	if err != nil || a.State != account.Active {
		return t, ErrInvalidToken
	}
	if subj, err := s.Store.OIDCSubject(t.Account); err == nil && !t.Created.After(subj.Revoked) {
		return t, ErrInvalidToken
	}
	if _, err := s.Client(t.Client); err != nil {
		return t, ErrInvalidToken
	}
	return t, nil
}

// RotateRefreshToken replaces old by a new token with scopes (a subset
// of the old ones) and returns it; a token used twice is refused.
func (s *Service) RotateRefreshToken(old string, scopes []string, ev *audit.Event) (string, error) {
	t, err := s.UseRefreshToken(old)
	if err != nil {
		return "", err
	}
	for _, sc := range scopes {
		if !slices.Contains(t.Scopes, sc) {
			return "", ErrInvalidToken
		}
	}
	now := s.now()
	if len(scopes) > 0 {
		t.Scopes = scopes
	}
	t.Created, t.Expires = now, now.Add(RefreshTTL)
	tok := randomString(32)
	if err := s.Store.ReplaceRefreshToken(refreshHash(old), refreshHash(tok), t, ev); err != nil {
		if errors.Is(err, ErrNotFound) {
			return "", ErrInvalidToken
		}
		return "", err
	}
	return tok, nil
}

// RevokeRefreshToken deletes a refresh token if it was issued to
// client (RFC 7009: anything else is ignored, not an error).
func (s *Service) RevokeRefreshToken(tok, client string) error {
	if tok == "" || len(tok) > 200 {
		return nil
	}
	return s.revokeRefreshHash(refreshHash(tok), client)
}

// RevokeRefreshTokenID is RevokeRefreshToken for a token known by its
// RefreshTokenID.
func (s *Service) RevokeRefreshTokenID(id, client string) error {
	h, err := hex.DecodeString(strings.TrimPrefix(id, refreshIDPrefix))
	if !strings.HasPrefix(id, refreshIDPrefix) || err != nil || len(h) != sha256.Size {
		return nil
	}
	return s.revokeRefreshHash(h, client)
}

func (s *Service) revokeRefreshHash(h []byte, client string) error {
	t, err := s.Store.RefreshToken(h)
	if err != nil || t.Client != client {
		return nil
	}
	return s.Store.DeleteRefreshToken(h)
}

const refreshIDPrefix = "rt."

// RefreshTokenID names a refresh token without giving it away: its
// hash, as the store keys it (the revocation endpoint passes it back).
func RefreshTokenID(tok string) string { return refreshIDPrefix + hex.EncodeToString(refreshHash(tok)) }

// IsRefreshTokenID reports whether id is a RefreshTokenID.
func IsRefreshTokenID(id string) bool { return strings.HasPrefix(id, refreshIDPrefix) }

func refreshHash(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// Scopes the provider knows.
const (
	ScopeOpenID   = "openid"
	ScopeProfile  = "profile"
	ScopeEmail    = "email"
	ScopeOffline  = "offline_access"
	ScopeChildren = "children"
)

// ChildClaim is one child in the "children" claim.
type ChildClaim struct {
	FirstName string `json:"given_name"`
	LastName  string `json:"family_name"`
	Class     string `json:"class,omitempty"`
}

// Claims are what an application learns of a parent for scopes.
type Claims struct {
	Profile       bool
	Name          string
	GivenName     string
	FamilyName    string
	Username      string
	Locale        string
	Email         string
	EmailVerified bool
	Children      []ChildClaim // nil unless the children scope was granted
}

// ClaimsFor returns the claims of a for scopes. The e-mail address is
// one the school gave and parents receive their codes at, hence
// verified; a parent the school has no address for gets no e-mail
// claim at all.
func ClaimsFor(a account.Account, scopes []string) Claims {
	var c Claims
	if slices.Contains(scopes, ScopeProfile) {
		c.Profile = true
		c.Name, c.GivenName, c.FamilyName = a.Name(), a.FirstName, a.LastName
		c.Username = a.ID
		c.Locale = a.Lang
		if c.Locale == "" {
			c.Locale = "fr"
		}
	}
	if slices.Contains(scopes, ScopeEmail) && a.Email != "" {
		c.Email, c.EmailVerified = a.Email, true
	}
	if slices.Contains(scopes, ScopeChildren) {
		c.Children = make([]ChildClaim, 0, len(a.Children))
		for _, ch := range a.Children {
			c.Children = append(c.Children, ChildClaim{FirstName: ch.FirstName, LastName: ch.LastName, Class: ch.Class})
		}
	}
	return c
}

// GrantDetail is the audit's description of a grant: the application
// and the scopes.
func GrantDetail(c Client, scopes []string) string {
	return "client " + c.ID + " (" + c.Name + "), scopes " + strings.Join(scopes, " ")
}

// SessionEnded is recorded when an application signs a parent out of
// the portal (RP-initiated logout).
func (s *Service) SessionEnded(ctx context.Context, accountID, clientID string) {
	s.Record(audit.Event{Kind: audit.OIDCLogout, Account: accountID, Detail: "client " + clientID, IP: audit.IP(ctx)})
}
