package cli

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"sesame/internal/mail/delivery"
	"sesame/internal/policy"
	"sesame/internal/recovery"
	"sesame/views"
)

// configFrom parses args and the environment as `sesame serve` does.
func configFrom(t *testing.T, args ...string) (*serveConfig, error) {
	t.Helper()
	fs, o := serveFlags(io.Discard)
	if err := parse(fs.FlagSet, args); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return parseServeConfig(*o)
}

func TestParseServeConfigDefaults(t *testing.T) {
	c, err := configFrom(t, "--addr", "127.0.0.1:9000")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"Addr", c.Addr, "127.0.0.1:9000"},
		{"Data", c.Data, "sesame.db"},
		{"BaseURL", c.BaseURL.String(), "http://localhost:9000"},
		{"Lang", c.Lang, "fr"},
		{"Secretariat", c.Secretariat, views.Secretariat{}},
		{"Demo", c.Demo, false},
		{"Services.School", c.Services.School, ""},
		{"Services.Policy", c.Services.Policy.MinLen, policy.DefaultMinLen},
		{"Services.HashConcurrency", c.Services.HashConcurrency, 0},
		{"Services.CodeTTL", c.Services.CodeTTL, recovery.DefaultConfig.CodeTTL},
		{"LogLevel", c.LogLevel, slog.LevelInfo},
		{"SMTP", c.SMTP == nil, true},
		{"MailFrom", c.MailFrom, "Sésame <no-reply@localhost>"},
		{"MailReplyTo", c.MailReplyTo, ""},
		{"Retention", c.Retention, 30 * 24 * time.Hour},
		{"MailRetry", c.MailRetry, 10 * time.Second},
		{"TrustedProxies", len(c.TrustedProxies), 0},
		{"TLS", c.TLS == nil, true},
		{"Pprof", c.Pprof, ""},
		{"RateLimits", c.RateLimits, true},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
}

// Every option given, from the command line or the environment, comes
// out typed; the SMTP password is read from its file, which wins over
// SESAME_SMTP_PASSWORD.
func TestParseServeConfigTyped(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "smtp-password")
	if err := os.WriteFile(pwFile, []byte("mot-de-passe-smtp\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SESAME_SMTP_PASSWORD", "from-the-environment")
	t.Setenv("SESAME_MAIL_RETRY", "250ms")
	t.Setenv("SESAME_SECRETARIAT_HOURS", "8h-17h")
	c, err := configFrom(t,
		"--addr", ":8443", "--data", "/var/lib/sesame/s.db", "--base-url", "https://parents.ecole.fr/portail/",
		"--school", "École Jules Ferry", "--secretariat-phone", "01 23 45 67 89", "--secretariat-email", "secretariat@ecole.fr",
		"--lang", "en", "--demo", "--password-min", "10", "--password-max", "40", "--hash-concurrency", "3",
		"--code-ttl", "20m", "--log-level", "debug",
		"--smtp-url", "smtp://portail@smtp.ecole.fr:2525", "--smtp-tls", "opportunistic", "--smtp-password-file", pwFile,
		"--mail-reply-to", "secretariat@ecole.fr", "--outbox-retention", "48h",
		"--trusted-proxy", "127.0.0.1, 10.0.0.0/8,::1", "--pprof", "127.0.0.1:6060", "--rate-limits", "off",
	)
	if err != nil {
		t.Fatal(err)
	}
	var proxies []string
	for _, n := range c.TrustedProxies {
		proxies = append(proxies, n.String())
	}
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"Addr", c.Addr, ":8443"},
		{"Data", c.Data, "/var/lib/sesame/s.db"},
		{"BaseURL", c.BaseURL.String(), "https://parents.ecole.fr/portail"},
		{"Lang", c.Lang, "en"},
		{"Secretariat", c.Secretariat, views.Secretariat{Phone: "01 23 45 67 89", Email: "secretariat@ecole.fr", Hours: "8h-17h"}},
		{"Demo", c.Demo, true},
		{"Services.School", c.Services.School, "École Jules Ferry"},
		{"Services.Policy", [2]int{c.Services.Policy.MinLen, c.Services.Policy.MaxLen}, [2]int{10, 40}},
		{"Services.HashConcurrency", c.Services.HashConcurrency, 3},
		{"Services.CodeTTL", c.Services.CodeTTL, 20 * time.Minute},
		{"LogLevel", c.LogLevel, slog.LevelDebug},
		{"SMTP", *c.SMTP, delivery.SMTPConfig{Host: "smtp.ecole.fr", Port: 2525, Username: "portail", Password: "mot-de-passe-smtp", TLS: delivery.TLSOpportunistic}},
		{"MailFrom", c.MailFrom, "Sésame <no-reply@parents.ecole.fr>"},
		{"MailReplyTo", c.MailReplyTo, "secretariat@ecole.fr"},
		{"Retention", c.Retention, 48 * time.Hour},
		{"MailRetry", c.MailRetry, 250 * time.Millisecond},
		{"TrustedProxies", proxies, []string{"127.0.0.1/32", "10.0.0.0/8", "::1/128"}},
		{"TLS", c.TLS == nil, true},
		{"Pprof", c.Pprof, "127.0.0.1:6060"},
		{"RateLimits", c.RateLimits, false},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s = %#v, want %#v", f.name, f.got, f.want)
		}
	}
	// Read once: the server keeps the password it read at start-up.
	os.Remove(pwFile)
	if c.SMTP.Password != "mot-de-passe-smtp" {
		t.Errorf("password changed after the file went away")
	}
}

// Without --smtp-password-file, SESAME_SMTP_PASSWORD gives the password.
func TestParseServeConfigSMTPPasswordFromEnv(t *testing.T) {
	t.Setenv("SESAME_SMTP_PASSWORD", "from-the-environment")
	c, err := configFrom(t, "--smtp-url", "smtps://portail@smtp.ecole.fr")
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP.Password != "from-the-environment" || !c.SMTP.ImplicitTLS {
		t.Errorf("SMTP = %+v", *c.SMTP)
	}
	if s := c.SMTP.String(); strings.Contains(s, "from-the-environment") {
		t.Errorf("String() shows the password: %s", s)
	}
}
