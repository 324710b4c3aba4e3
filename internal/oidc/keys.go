package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"sesame/internal/audit"
)

// Signature algorithms a key may use.
const (
	RS256 = "RS256"
	ES256 = "ES256"
)

// rsaBits is the RSA key size: 2048 bits is what relying parties
// expect and signs an ID token in about a millisecond.
const rsaBits = 2048

// ParsedKey is a key ready to sign or to publish.
type ParsedKey struct {
	ID      string
	Alg     string
	Signer  crypto.Signer
	Public  crypto.PublicKey
	Retired time.Time
}

type keyRing struct {
	current   *ParsedKey
	published []ParsedKey
	// until is when the ring must be rebuilt: the next retired key
	// leaves the JWKS then.
	until time.Time
}

// ErrNoKey means the data file has no signing key yet (serve creates
// one at start).
var ErrNoKey = errors.New("oidc: no signing key")

// GenerateKey makes a new signing key for alg.
func GenerateKey(alg string, now time.Time) (Key, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case RS256:
		priv, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return Key{}, fmt.Errorf("unknown signing algorithm %q: use RS256 or ES256", alg)
	}
	if err != nil {
		return Key{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return Key{}, err
	}
	return Key{ID: randomString(12), Alg: alg, Private: der, Created: now}, nil
}

func parseKey(k Key) (ParsedKey, error) {
	raw, err := x509.ParsePKCS8PrivateKey(k.Private)
	if err != nil {
		return ParsedKey{}, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	signer, ok := raw.(crypto.Signer)
	if !ok {
		return ParsedKey{}, fmt.Errorf("signing key %s: not a signing key", k.ID)
	}
	switch signer.(type) {
	case *rsa.PrivateKey:
		if k.Alg != RS256 {
			return ParsedKey{}, fmt.Errorf("signing key %s: an RSA key recorded as %s", k.ID, k.Alg)
		}
	case *ecdsa.PrivateKey:
		if k.Alg != ES256 {
			return ParsedKey{}, fmt.Errorf("signing key %s: an EC key recorded as %s", k.ID, k.Alg)
		}
	default:
		return ParsedKey{}, fmt.Errorf("signing key %s: unsupported key type", k.ID)
	}
	return ParsedKey{ID: k.ID, Alg: k.Alg, Signer: signer, Public: signer.Public(), Retired: k.Retired}, nil
}

// EnsureKey creates the first signing key (RS256) when the data file
// has none. serve calls it at start; it writes only that once.
func (s *Service) EnsureKey() error {
	keys, err := s.Store.OIDCKeys()
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.Retired.IsZero() {
			return s.LoadKeys()
		}
	}
	k, err := GenerateKey(RS256, s.now())
	if err != nil {
		return err
	}
	if err := s.Store.AddOIDCKey(k, time.Time{}); err != nil {
		return err
	}
	return s.LoadKeys()
}

// LoadKeys reads and parses the keys, once: signing then needs no store
// read and no parsing.
func (s *Service) LoadKeys() error {
	keys, err := s.Store.OIDCKeys()
	if err != nil {
		return err
	}
	now := s.now()
	ring := &keyRing{}
	for _, k := range keys {
		if !k.Retired.IsZero() && !now.Before(k.Retired.Add(KeyRetention)) {
			continue
		}
		pk, err := parseKey(k)
		if err != nil {
			return err
		}
		if k.Retired.IsZero() {
			if ring.current != nil {
				return fmt.Errorf("the data file has two current signing keys (%s, %s): run `sesame oidc rotate-keys`", ring.current.ID, k.ID)
			}
			c := pk
			ring.current = &c
		} else if end := k.Retired.Add(KeyRetention); ring.until.IsZero() || end.Before(ring.until) {
			ring.until = end
		}
		ring.published = append(ring.published, pk)
	}
	s.mu.Lock()
	s.keys = ring
	s.mu.Unlock()
	return nil
}

func (s *Service) ring() (*keyRing, error) {
	s.mu.RLock()
	ring := s.keys
	s.mu.RUnlock()
	if ring == nil || (!ring.until.IsZero() && !s.now().Before(ring.until)) {
		if err := s.LoadKeys(); err != nil {
			return nil, err
		}
		s.mu.RLock()
		ring = s.keys
		s.mu.RUnlock()
	}
	return ring, nil
}

// SigningKey is the key that signs ID tokens now.
func (s *Service) SigningKey() (ParsedKey, error) {
	ring, err := s.ring()
	if err != nil {
		return ParsedKey{}, err
	}
	if ring.current == nil {
		return ParsedKey{}, ErrNoKey
	}
	return *ring.current, nil
}

// PublishedKeys are the keys of the JWKS: the current one and those
// retired less than KeyRetention ago, whose tokens may still be alive.
func (s *Service) PublishedKeys() ([]ParsedKey, error) {
	ring, err := s.ring()
	if err != nil {
		return nil, err
	}
	return ring.published, nil
}

// RotateKeys makes a new signing key for alg. The previous one stops
// signing at once and stays published for KeyRetention; keys retired
// longer ago are deleted. It returns the new key and the published
// ones.
func (s *Service) RotateKeys(ctx context.Context, alg, operator string) (Key, error) {
	now := s.now()
	k, err := GenerateKey(alg, now)
	if err != nil {
		return Key{}, err
	}
	if err := s.Store.AddOIDCKey(k, now.Add(-KeyRetention)); err != nil {
		return Key{}, err
	}
	s.Record(audit.Event{Time: now, Kind: audit.OIDCKeysRotated, Detail: "new " + alg + " key " + k.ID, Operator: operator, IP: audit.IP(ctx)})
	return k, s.LoadKeys()
}

// Keys lists the stored keys (without their private part's use), for
// the admin command.
func (s *Service) Keys() ([]Key, error) { return s.Store.OIDCKeys() }
