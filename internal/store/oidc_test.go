package store

import (
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/audit"
	"sesame/internal/oidc"
)

// The OpenID Connect migration's entry in migrationTests, found by name
// so that another migration appended before it keeps it right.
func init() {
	for i, m := range migrations {
		if m.name == "OpenID Connect provider" {
			migrationTests[i+1] = struct {
				undo  func(*boltTx) error
				check func(*testing.T, *Store)
			}{
				undo: func(tx *bolt.Tx) error {
					for _, b := range [][]byte{bOIDCClients, bOIDCKeys, bOIDCSubjects, bOIDCSubs, bOIDCRefresh, bOIDCRefreshBy} {
						if err := tx.DeleteBucket(b); err != nil {
							return err
						}
					}
					return nil
				},
				// The buckets are there: an application registers and a
				// parent gets a subject.
				check: func(t *testing.T, s *Store) {
					if err := s.CreateOIDCClient(oidc.Client{ID: "moodle-x", Name: "Moodle"}, nil); err != nil {
						t.Errorf("client after migration: %v", err)
					}
					if _, err := s.EnsureOIDCSubject(oidc.Subject{Account: "dupont.marie", Sub: "s1"}); err != nil {
						t.Errorf("subject after migration: %v", err)
					}
				},
			}
		}
	}
}

func TestOIDCClients(t *testing.T) {
	s, _ := open(t)
	c := oidc.Client{ID: "moodle-abc", Name: "Moodle", SecretHash: []byte{1, 2}, RedirectURIs: []string{"https://m.example/cb"}, Created: t0}
	ev := &audit.Event{Time: t0, Kind: audit.OIDCClientAdded, Detail: "client moodle-abc"}
	if err := s.CreateOIDCClient(c, ev); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOIDCClient(c, nil); !errors.Is(err, oidc.ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	got, err := s.OIDCClient("moodle-abc")
	if err != nil || got.Name != "Moodle" || len(got.RedirectURIs) != 1 || string(got.SecretHash) != "\x01\x02" {
		t.Fatalf("OIDCClient: %+v %v", got, err)
	}
	all, err := s.OIDCClients()
	if err != nil || len(all) != 1 {
		t.Fatalf("OIDCClients: %+v %v", all, err)
	}
	if evs, _ := s.Audit(time.Time{}, ""); len(evs) != 1 || evs[0].Kind != audit.OIDCClientAdded {
		t.Fatalf("audit: %+v", evs)
	}
	// Removing it deletes its refresh tokens, not another client's.
	mine := oidc.RefreshToken{Account: "a", Client: "moodle-abc", Expires: t0.Add(time.Hour)}
	other := oidc.RefreshToken{Account: "a", Client: "nextcloud-x", Expires: t0.Add(time.Hour)}
	if err := s.CreateRefreshToken([]byte("h1"), mine, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRefreshToken([]byte("h2"), other, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOIDCClient("moodle-abc", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RefreshToken([]byte("h1")); !errors.Is(err, oidc.ErrNotFound) {
		t.Fatalf("the removed client's refresh token: %v", err)
	}
	if _, err := s.RefreshToken([]byte("h2")); err != nil {
		t.Fatalf("another client's refresh token: %v", err)
	}
	if err := s.DeleteOIDCClient("moodle-abc", nil); !errors.Is(err, oidc.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	checkIndexes(t, s)
}

func TestOIDCKeysRotate(t *testing.T) {
	s, _ := open(t)
	k1 := oidc.Key{ID: "k1", Alg: "RS256", Private: []byte("x"), Created: t0}
	if err := s.AddOIDCKey(k1, time.Time{}); err != nil {
		t.Fatal(err)
	}
	k2 := oidc.Key{ID: "k2", Alg: "ES256", Private: []byte("y"), Created: t0.Add(time.Hour)}
	if err := s.AddOIDCKey(k2, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	keys, _ := s.OIDCKeys()
	byID := map[string]oidc.Key{}
	for _, k := range keys {
		byID[k.ID] = k
	}
	if len(keys) != 2 || !byID["k1"].Retired.Equal(k2.Created) || !byID["k2"].Retired.IsZero() {
		t.Fatalf("after the first rotation: %+v", keys)
	}
	// A third key: k1, retired before drop, goes; k2 is retired.
	k3 := oidc.Key{ID: "k3", Alg: "RS256", Private: []byte("z"), Created: t0.Add(48 * time.Hour)}
	if err := s.AddOIDCKey(k3, t0.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	keys, _ = s.OIDCKeys()
	byID = map[string]oidc.Key{}
	for _, k := range keys {
		byID[k.ID] = k
	}
	if _, ok := byID["k1"]; ok || len(keys) != 2 || !byID["k2"].Retired.Equal(k3.Created) || !byID["k3"].Retired.IsZero() {
		t.Fatalf("after the second rotation: %+v", keys)
	}
}

func TestOIDCSubjects(t *testing.T) {
	s, _ := open(t)
	a := acct("dupont.marie", "marie@exemple.fr")
	if err := s.CreateAccount(a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OIDCSubject(a.ID); !errors.Is(err, oidc.ErrNotFound) {
		t.Fatalf("subject before: %v", err)
	}
	got, err := s.EnsureOIDCSubject(oidc.Subject{Account: a.ID, Sub: "sub-1", Created: t0})
	if err != nil || got.Sub != "sub-1" {
		t.Fatalf("EnsureOIDCSubject: %+v %v", got, err)
	}
	// A second one never replaces it: the subject is stable.
	got, err = s.EnsureOIDCSubject(oidc.Subject{Account: a.ID, Sub: "sub-2", Created: t0})
	if err != nil || got.Sub != "sub-1" {
		t.Fatalf("EnsureOIDCSubject again: %+v %v", got, err)
	}
	if id, err := s.OIDCAccountBySub("sub-1"); err != nil || id != a.ID {
		t.Fatalf("OIDCAccountBySub: %q %v", id, err)
	}
	if _, err := s.OIDCAccountBySub("sub-2"); !errors.Is(err, oidc.ErrNotFound) {
		t.Fatalf("OIDCAccountBySub of the refused one: %v", err)
	}

	// A password change revokes: refresh tokens go, the subject is marked.
	if err := s.CreateRefreshToken([]byte("h1"), oidc.RefreshToken{Account: a.ID, Client: "c", Expires: t0.Add(time.Hour)}, nil); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if err := s.SetPassword(a.ID, "hash", t0, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RefreshToken([]byte("h1")); !errors.Is(err, oidc.ErrNotFound) {
		t.Fatalf("refresh token after a password change: %v", err)
	}
	subj, err := s.OIDCSubject(a.ID)
	if err != nil || subj.Sub != "sub-1" || subj.Revoked.Before(before) {
		t.Fatalf("subject after a password change: %+v %v", subj, err)
	}

	// Deleting the account forgets its subject: the identifier given
	// again starts afresh.
	if err := s.DeleteAccount(a.ID, audit.Event{Time: t0, Kind: audit.AccountDeleted}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OIDCSubject(a.ID); !errors.Is(err, oidc.ErrNotFound) {
		t.Fatalf("subject after delete: %v", err)
	}
	if _, err := s.OIDCAccountBySub("sub-1"); !errors.Is(err, oidc.ErrNotFound) {
		t.Fatalf("sub index after delete: %v", err)
	}
	checkIndexes(t, s)
}

func TestOIDCRefreshTokens(t *testing.T) {
	s, _ := open(t)
	tok := oidc.RefreshToken{Account: "a", Client: "c", Scopes: []string{"openid"}, Created: t0, Expires: t0.Add(time.Hour)}
	if err := s.CreateRefreshToken([]byte("old"), tok, &audit.Event{Time: t0, Kind: audit.OIDCGrant}); err != nil {
		t.Fatal(err)
	}
	tok.Expires = t0.Add(2 * time.Hour)
	if err := s.ReplaceRefreshToken([]byte("old"), []byte("new"), tok, nil); err != nil {
		t.Fatal(err)
	}
	// Used twice: refused, and the new one stays.
	if err := s.ReplaceRefreshToken([]byte("old"), []byte("newer"), tok, nil); !errors.Is(err, oidc.ErrNotFound) {
		t.Fatalf("second use: %v", err)
	}
	if got, err := s.RefreshToken([]byte("new")); err != nil || !got.Expires.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("new token: %+v %v", got, err)
	}
	if _, err := s.RefreshToken([]byte("newer")); !errors.Is(err, oidc.ErrNotFound) {
		t.Fatalf("the refused replacement was stored: %v", err)
	}
	// The sweep takes the expired one only.
	if err := s.CreateRefreshToken([]byte("short"), oidc.RefreshToken{Account: "b", Client: "c", Expires: t0.Add(time.Minute)}, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SweepOIDC(t0.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("SweepOIDC: %d %v", n, err)
	}
	if _, err := s.RefreshToken([]byte("new")); err != nil {
		t.Fatalf("the live token was swept: %v", err)
	}
	if err := s.DeleteRefreshToken([]byte("new")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RefreshToken([]byte("new")); !errors.Is(err, oidc.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	checkIndexes(t, s)
	// The records are checked by `sesame check` like every other.
	if probs, err := s.Check(10); err != nil || len(probs) != 0 {
		t.Fatalf("check: %v %v", probs, err)
	}
}

// checkIndexes: every index entry of refresh tokens points at a token of
// that account, and every token has its entry.
func checkIndexes(t *testing.T, s *Store) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		n := 0
		err := tx.Bucket(bOIDCRefreshBy).ForEach(func(k, _ []byte) error {
			n++
			for i, c := range k {
				if c == 0 {
					var tok oidc.RefreshToken
					if ok, err := get(tx.Bucket(bOIDCRefresh), k[i+1:], &tok); err != nil || !ok || tok.Account != string(k[:i]) {
						t.Errorf("index entry %q points nowhere", k)
					}
					return nil
				}
			}
			t.Errorf("index entry %q has no separator", k)
			return nil
		})
		if m := tx.Bucket(bOIDCRefresh).Stats().KeyN; m != n {
			t.Errorf("%d refresh tokens, %d index entries", m, n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
