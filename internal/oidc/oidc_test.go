package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/oidc"
	"sesame/internal/store"
)

var t0 = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func (c *clock) set(t time.Time)     { c.t = t }

type env struct {
	st    *store.Store
	svc   *oidc.Service
	clock *clock
}

// newEnv is the service on a real data file, with one parent.
func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "sesame.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := account.Account{ID: "dupont.marie", FirstName: "Marie", LastName: "Dupont", Email: "marie@exemple.fr", Lang: "fr",
		State: account.Active, PasswordHash: "x", Created: t0,
		Children: []account.Child{{Key: "1", FirstName: "Lucas", LastName: "Dupont", Class: "6e A"}}}
	if err := st.CreateAccount(a); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: t0}
	svc := oidc.New(st, &account.Service{Store: st}, st.Secret())
	svc.Now = c.now
	svc.Audit = store.AuditLog{Store: st}
	return &env{st: st, svc: svc, clock: c}
}

func TestRegisterClient(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		spec oidc.ClientSpec
		err  string // part of the message; "" for success
	}{
		{"no name", oidc.ClientSpec{RedirectURIs: []string{"https://m.example/cb"}}, "--name"},
		{"no redirect", oidc.ClientSpec{Name: "Moodle"}, "--redirect-uri: give at least one"},
		{"http elsewhere", oidc.ClientSpec{Name: "Moodle", RedirectURIs: []string{"http://m.example/cb"}}, "must be https"},
		{"fragment", oidc.ClientSpec{Name: "Moodle", RedirectURIs: []string{"https://m.example/cb#x"}}, "without #"},
		{"relative", oidc.ClientSpec{Name: "Moodle", RedirectURIs: []string{"/cb"}}, "give a full address"},
		{"custom scheme", oidc.ClientSpec{Name: "Moodle", RedirectURIs: []string{"moodle://cb"}}, "must be an https address"},
		{"bad logout", oidc.ClientSpec{Name: "Moodle", RedirectURIs: []string{"https://m.example/cb"}, PostLogoutURIs: []string{"ftp://x"}}, "--post-logout-uri"},
		{"icon http", oidc.ClientSpec{Name: "Moodle", RedirectURIs: []string{"https://m.example/cb"}, Icon: "http://m.example/i.png"}, "--icon"},
		{"icon too big", oidc.ClientSpec{Name: "Moodle", RedirectURIs: []string{"https://m.example/cb"}, IconData: make([]byte, oidc.MaxIconSize+1), IconType: "image/png"}, "at most 32 KB"},
		{"two lines", oidc.ClientSpec{Name: "Moo\ndle", RedirectURIs: []string{"https://m.example/cb"}}, "--name"},
		{"loopback http", oidc.ClientSpec{Name: "Test", RedirectURIs: []string{"http://127.0.0.1:9000/cb"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.svc.RegisterClient(ctx, tc.spec, "cli:test")
			var se *oidc.SpecError
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.err != "" && (!errors.As(err, &se) || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("err = %v, want a SpecError saying %q", err, tc.err)
			}
		})
	}

	c, secret, err := e.svc.RegisterClient(ctx, oidc.ClientSpec{
		Name: "Moodle du collège", RedirectURIs: []string{"https://moodle.example/cb", "https://moodle.example/cb"},
		PostLogoutURIs: []string{"https://moodle.example/"}, IconData: []byte("\x89PNG"), IconType: "image/png", Children: true,
	}, "cli:test")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.ID, "moodle-du-college-") || len(c.ID) != len("moodle-du-college-")+8 {
		t.Errorf("id %q", c.ID)
	}
	if len(secret) != 43 || c.Public || len(c.RedirectURIs) != 1 || c.URL != "https://moodle.example/" ||
		c.Icon != "data:image/png;base64,iVBORw==" || !c.Children || len(c.PostLogoutURIs) != 1 {
		t.Errorf("client %+v, secret %q", c, secret)
	}
	stored, err := e.svc.Client(c.ID)
	if err != nil || strings.Contains(string(stored.SecretHash), secret) || len(stored.SecretHash) != 32 {
		t.Fatalf("stored %+v %v", stored, err)
	}
	// The secret authenticates; anything else does not, alike.
	if _, err := e.svc.AuthenticateClient(c.ID, secret); err != nil {
		t.Errorf("right secret: %v", err)
	}
	for _, tc := range []struct{ id, secret string }{{c.ID, secret + "x"}, {c.ID, ""}, {"unknown", secret}} {
		if _, err := e.svc.AuthenticateClient(tc.id, tc.secret); !errors.Is(err, oidc.ErrInvalidClient) {
			t.Errorf("AuthenticateClient(%q, %q) = %v", tc.id, tc.secret, err)
		}
	}
	// A public client has no secret, and none authenticates it.
	pub, psecret, err := e.svc.RegisterClient(ctx, oidc.ClientSpec{Name: "App", RedirectURIs: []string{"https://app.example/cb"}, Public: true}, "cli:test")
	if err != nil || psecret != "" || !pub.Public || pub.SecretHash != nil {
		t.Fatalf("public: %+v %q %v", pub, psecret, err)
	}
	if _, err := e.svc.AuthenticateClient(pub.ID, ""); !errors.Is(err, oidc.ErrInvalidClient) {
		t.Errorf("public client with an empty secret: %v", err)
	}
	list, _ := e.svc.Clients()
	if len(list) != 3 || list[0].Name != "App" {
		t.Errorf("Clients: %+v", list)
	}
	if _, err := e.svc.RemoveClient(ctx, pub.ID, "cli:test"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Client(pub.ID); !errors.Is(err, oidc.ErrNotFound) {
		t.Errorf("removed client: %v", err)
	}
	evs, _ := e.st.Audit(time.Time{}, "")
	kinds := map[audit.Kind]int{}
	for _, ev := range evs {
		kinds[ev.Kind]++
		if strings.Contains(ev.Detail, secret) {
			t.Errorf("the audit holds the secret: %+v", ev)
		}
	}
	if kinds[audit.OIDCClientAdded] != 3 || kinds[audit.OIDCClientRemoved] != 1 {
		t.Errorf("audit %v", kinds)
	}
}

func TestKeysRotate(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.SigningKey(); !errors.Is(err, oidc.ErrNoKey) {
		t.Fatalf("before EnsureKey: %v", err)
	}
	if err := e.svc.EnsureKey(); err != nil {
		t.Fatal(err)
	}
	k1, err := e.svc.SigningKey()
	if _, isRSA := k1.Signer.(*rsa.PrivateKey); err != nil || k1.Alg != oidc.RS256 || !isRSA {
		t.Fatalf("first key: %+v %v", k1, err)
	}
	// EnsureKey again keeps it.
	if err := e.svc.EnsureKey(); err != nil {
		t.Fatal(err)
	}
	if k, _ := e.svc.SigningKey(); k.ID != k1.ID {
		t.Fatalf("EnsureKey replaced the key")
	}
	e.clock.add(time.Hour)
	k2, err := e.svc.RotateKeys(context.Background(), oidc.ES256, "cli:test")
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := e.svc.SigningKey()
	if _, isEC := cur.Signer.(*ecdsa.PrivateKey); cur.ID != k2.ID || !isEC {
		t.Fatalf("after rotation the signing key is %s %s", cur.ID, cur.Alg)
	}
	ids := func() string {
		pub, err := e.svc.PublishedKeys()
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, k := range pub {
			s = append(s, k.ID)
		}
		return strings.Join(s, ",")
	}
	// The old key is still published while its tokens may live…
	if got := ids(); !strings.Contains(got, k1.ID) || !strings.Contains(got, k2.ID) {
		t.Fatalf("published after rotation: %s", got)
	}
	// …and no longer once KeyRetention has passed, without a restart.
	e.clock.add(oidc.KeyRetention)
	if got := ids(); got != k2.ID {
		t.Fatalf("published a day later: %s", got)
	}
	if _, err := e.svc.RotateKeys(context.Background(), "HS256", "cli:test"); err == nil {
		t.Fatal("HS256 accepted")
	}
}

func TestAccessTokens(t *testing.T) {
	e := newEnv(t)
	c, _, err := e.svc.RegisterClient(context.Background(), oidc.ClientSpec{Name: "Moodle", RedirectURIs: []string{"https://m.example/cb"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := e.svc.Subject("dupont.marie")
	if err != nil || len(sub) != 32 {
		t.Fatalf("Subject: %q %v", sub, err)
	}
	if again, _ := e.svc.Subject("dupont.marie"); again != sub {
		t.Fatalf("subject changed: %q then %q", sub, again)
	}
	id, exp, err := e.svc.NewAccessToken("dupont.marie", c.ID, []string{"openid", "profile"})
	if err != nil || !exp.Equal(t0.Add(oidc.DefaultTokenTTL)) || strings.Contains(id, ":") {
		t.Fatalf("NewAccessToken: %q %v %v", id, exp, err)
	}
	// Sealed, it round-trips; altered, it does not open.
	sealed, err := e.svc.Crypto().Encrypt(id + ":" + sub)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := e.svc.Crypto().Decrypt(sealed); err != nil || plain != id+":"+sub {
		t.Fatalf("Decrypt: %q %v", plain, err)
	}
	tampered := []byte(sealed)
	tampered[len(tampered)/2] ^= 1
	if _, err := e.svc.Crypto().Decrypt(string(tampered)); err == nil {
		t.Fatal("an altered token opened")
	}
	other := oidc.New(e.st, nil, []byte("another school's secret, 32 b!!"))
	if _, err := other.Crypto().Decrypt(sealed); err == nil {
		t.Fatal("another key opened the token")
	}

	for _, tc := range []struct {
		name  string
		setup func()
		sub   string
		ok    bool
	}{
		{"fresh", func() {}, sub, true},
		{"another subject", func() {}, "someone-else", false},
		{"expired", func() { e.clock.add(oidc.DefaultTokenTTL) }, sub, false},
		{"after a password change", func() {
			e.clock.set(time.Now()) // the store marks revocation with the wall clock
			if err := e.st.SetPassword("dupont.marie", "h", time.Now(), nil, nil); err != nil {
				t.Fatal(err)
			}
		}, sub, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.clock.set(t0)
			tc.setup()
			tok, a, err := e.svc.CheckAccessToken(id, tc.sub)
			if tc.ok != (err == nil) {
				t.Fatalf("CheckAccessToken: %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && (a.ID != "dupont.marie" || tok.Client != c.ID || len(tok.Scopes) != 2) {
				t.Fatalf("token %+v account %s", tok, a.ID)
			}
		})
	}
	// A token issued after the revocation is good.
	e.clock.set(time.Now().Add(time.Second))
	id2, _, _ := e.svc.NewAccessToken("dupont.marie", c.ID, []string{"openid"})
	if _, _, err := e.svc.CheckAccessToken(id2, sub); err != nil {
		t.Fatalf("token after the revocation: %v", err)
	}
	// Removing the client kills its tokens at once.
	if _, err := e.svc.RemoveClient(context.Background(), c.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.CheckAccessToken(id2, sub); !errors.Is(err, oidc.ErrInvalidToken) {
		t.Fatalf("token of a removed client: %v", err)
	}
}

func TestRefreshTokens(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.svc.RegisterClient(context.Background(), oidc.ClientSpec{Name: "Moodle", RedirectURIs: []string{"https://m.example/cb"}}, "")
	if _, err := e.svc.Subject("dupont.marie"); err != nil {
		t.Fatal(err)
	}
	e.clock.set(time.Now())
	g := oidc.Grant{Account: "dupont.marie", Client: c.ID, Scopes: []string{"openid", "offline_access", "profile"}, AuthTime: e.clock.t}
	tok, err := e.svc.NewRefreshToken(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rt, err := e.svc.UseRefreshToken(tok); err != nil || rt.Account != g.Account || len(rt.Scopes) != 3 {
		t.Fatalf("UseRefreshToken: %+v %v", rt, err)
	}
	// Asking for more scopes than granted is refused.
	if _, err := e.svc.RotateRefreshToken(tok, []string{"email"}, nil); !errors.Is(err, oidc.ErrInvalidToken) {
		t.Fatalf("wider scopes: %v", err)
	}
	tok2, err := e.svc.RotateRefreshToken(tok, []string{"openid"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The old one is spent; the new one has the narrower scopes.
	if _, err := e.svc.RotateRefreshToken(tok, nil, nil); !errors.Is(err, oidc.ErrInvalidToken) {
		t.Fatalf("reused refresh token: %v", err)
	}
	if rt, err := e.svc.UseRefreshToken(tok2); err != nil || len(rt.Scopes) != 1 {
		t.Fatalf("rotated: %+v %v", rt, err)
	}
	// Revoking through another client does nothing; through its own, it goes.
	_ = e.svc.RevokeRefreshToken(tok2, "another")
	if _, err := e.svc.UseRefreshToken(tok2); err != nil {
		t.Fatalf("revoked by another client: %v", err)
	}
	_ = e.svc.RevokeRefreshToken(tok2, c.ID)
	if _, err := e.svc.UseRefreshToken(tok2); !errors.Is(err, oidc.ErrInvalidToken) {
		t.Fatalf("after revocation: %v", err)
	}
	// Expired.
	tok3, _ := e.svc.NewRefreshToken(g, nil)
	e.clock.add(oidc.RefreshTTL)
	if _, err := e.svc.UseRefreshToken(tok3); !errors.Is(err, oidc.ErrInvalidToken) {
		t.Fatalf("expired: %v", err)
	}
	// A disabled parent's tokens are refused.
	e.clock.set(time.Now())
	tok4, _ := e.svc.NewRefreshToken(g, nil)
	a, _ := e.st.Account("dupont.marie")
	a.State = account.Disabled
	if err := e.st.UpdateAccount(a); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UseRefreshToken(tok4); !errors.Is(err, oidc.ErrInvalidToken) {
		t.Fatalf("disabled parent: %v", err)
	}
}

func TestClaims(t *testing.T) {
	a := account.Account{ID: "dupont.marie", FirstName: "Marie", LastName: "Dupont", Email: "marie@exemple.fr",
		Children: []account.Child{{FirstName: "Lucas", LastName: "Dupont", Class: "6e A"}, {FirstName: "Emma", LastName: "Martin"}}}
	for _, tc := range []struct {
		scopes   []string
		name     string
		email    string
		locale   string
		children int // -1: no claim
	}{
		{[]string{"openid"}, "", "", "", -1},
		{[]string{"openid", "profile"}, "Marie Dupont", "", "fr", -1},
		{[]string{"openid", "email"}, "", "marie@exemple.fr", "", -1},
		{[]string{"openid", "children"}, "", "", "", 2},
	} {
		c := oidc.ClaimsFor(a, tc.scopes)
		got := -1
		if c.Children != nil {
			got = len(c.Children)
		}
		if c.Name != tc.name || c.Email != tc.email || c.EmailVerified != (tc.email != "") || c.Locale != tc.locale || got != tc.children {
			t.Errorf("%v: %+v", tc.scopes, c)
		}
		if tc.name != "" && (c.GivenName != "Marie" || c.FamilyName != "Dupont" || c.Username != "dupont.marie") {
			t.Errorf("%v: profile %+v", tc.scopes, c)
		}
	}
	kids := oidc.ClaimsFor(a, []string{"children"}).Children
	if kids[0] != (oidc.ChildClaim{FirstName: "Lucas", LastName: "Dupont", Class: "6e A"}) || kids[1].Class != "" {
		t.Errorf("children %+v", kids)
	}
	// No address: no e-mail claim rather than an empty one.
	a.Email = ""
	if c := oidc.ClaimsFor(a, []string{"email"}); c.Email != "" || c.EmailVerified {
		t.Errorf("no address: %+v", c)
	}
}
