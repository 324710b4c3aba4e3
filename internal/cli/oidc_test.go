package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The school's applications, on the data file directly: registered (the
// secret printed once, an icon read from a file), listed, refused when
// the registration is wrong, removed; keys listed and rotated; every
// change in the audit.
func TestOIDCCommands(t *testing.T) {
	dir := t.TempDir()
	data := newDataFile(t, dir)
	icon := filepath.Join(dir, "moodle.png")
	if err := os.WriteFile(icon, []byte("\x89PNG\r\n\x1a\nicon"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := run(t, "", "oidc", "--data", data, "clients", "add", "--name", "Moodle", "--redirect-uri", "https://moodle.exemple.fr/cb",
		"--redirect-uri", "https://moodle.exemple.fr/cb2", "--icon", icon, "--children")
	id := regexp.MustCompile(`client ID\s+(moodle-[a-z2-7]{8})`).FindStringSubmatch(out)
	secret := regexp.MustCompile(`client secret\s+(\S{43})`).FindStringSubmatch(out)
	if code != 0 || id == nil || secret == nil || !regexp.MustCompile(`scopes\s+openid profile email offline_access children`).MatchString(out) ||
		!strings.Contains(out, "not shown again") {
		t.Fatalf("clients add: %d\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--name", "X"}, "--redirect-uri: give at least one"},
		{[]string{"--name", "X", "--redirect-uri", "http://x.exemple.fr/cb"}, "must be https"},
		{[]string{"--name", "X", "--redirect-uri", "https://x.exemple.fr/cb", "--icon", filepath.Join(dir, "none.png")}, "no such file"},
		{[]string{"--redirect-uri", "https://x.exemple.fr/cb"}, "--name"},
		{[]string{"--name", "X", "--redirect-uri", "https://x.exemple.fr/cb", "extra"}, `unexpected "extra"`},
	} {
		out, code := run(t, "", append([]string{"oidc", "--data", data, "clients", "add"}, tc.args...)...)
		if code == 0 || !strings.Contains(out, tc.want) {
			t.Errorf("clients add %v: %d\n%s", tc.args, code, out)
		}
	}
	out, _ = run(t, "", "oidc", "--data", data, "clients", "add", "--name", "Appli", "--public", "--redirect-uri", "https://appli.exemple.fr/cb")
	if !strings.Contains(out, "none (public client: PKCE with S256)") {
		t.Fatalf("public client: %s", out)
	}
	out, code = run(t, "", "oidc", "--data", data, "clients", "list")
	if code != 0 || !strings.Contains(out, id[1]) || !strings.Contains(out, "confidential") || !strings.Contains(out, "public") ||
		!strings.Contains(out, "2 application(s)") || strings.Contains(out, secret[1]) {
		t.Fatalf("clients list: %d\n%s", code, out)
	}
	out, code = run(t, "", "oidc", "--data", data, "keys")
	if code != 0 || !strings.Contains(out, "no key yet") {
		t.Fatalf("keys before the first start: %d\n%s", code, out)
	}
	out, code = run(t, "", "oidc", "--data", data, "rotate-keys", "--alg", "ES256")
	if code != 0 || !strings.Contains(out, "new ES256 signing key") {
		t.Fatalf("rotate-keys: %d\n%s", code, out)
	}
	if out, code = run(t, "", "oidc", "--data", data, "rotate-keys", "--alg", "HS256"); code != 2 {
		t.Fatalf("rotate-keys HS256: %d\n%s", code, out)
	}
	out, _ = run(t, "", "oidc", "--data", data, "keys")
	if !strings.Contains(out, "ES256") || !strings.Contains(out, "signing") {
		t.Fatalf("keys: %s", out)
	}
	out, code = run(t, "", "oidc", "--data", data, "clients", "remove", id[1])
	if code != 0 || !strings.Contains(out, "removed "+id[1]+" (Moodle)") {
		t.Fatalf("clients remove: %d\n%s", code, out)
	}
	if out, code = run(t, "", "oidc", "--data", data, "clients", "remove", id[1]); code != 1 || !strings.Contains(out, "no application") {
		t.Fatalf("clients remove again: %d\n%s", code, out)
	}
	out, _ = run(t, "", "audit", "--data", data)
	for _, want := range []string{"oidc clients add --name Moodle", "oidc.client_added", "oidc.client_removed", "oidc.keys_rotated"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, secret[1]) {
		t.Error("the audit holds the secret")
	}
	if out, code = run(t, "", "oidc", "--data", data, "nonsense"); code != 2 || !strings.Contains(out, "unknown command") {
		t.Fatalf("unknown command: %d\n%s", code, out)
	}
}
