package cli

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"sesame/internal/mail/delivery"
	"sesame/internal/mail/mailtest"
	"sesame/internal/mail/outbox"
	"sesame/internal/policy"
	"sesame/internal/recovery"
	"sesame/internal/store"
	"sesame/views"
)

// configFrom parses args and the environment as `sesame serve` does.
func configFrom(t *testing.T, args ...string) (*serveConfig, error) {
	t.Helper()
	fs, o := serveFlags(io.Discard)
	if err := parse(fs, args); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	c, err := parseServeConfig(*o)
	return c, fs.explainOption(err)
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
		{"MailFrom", c.MailFrom, "no-reply@localhost"},
		{"Services.Location", c.Services.Location.String(), "Europe/Paris"},
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
	t.Setenv("SESAME_TIMEZONE", "Indian/Reunion")
	c, err := configFrom(t,
		"--addr", ":8443", "--data", "/var/lib/sesame/s.db", "--base-url", "https://parents.ecole.fr/portail/",
		"--school", "École Jules Ferry", "--secretariat-phone", "01 23 45 67 89", "--secretariat-email", "secretariat@ecole.fr",
		"--lang", "en", "--demo", "--password-min", "10", "--password-max", "40", "--hash-concurrency", "3",
		"--code-ttl", "20m", "--activation-ttl", "90d", "--log-level", "debug",
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
		{"Services.ActivationTTL", c.Services.ActivationTTL, 90 * 24 * time.Hour},
		{"LogLevel", c.LogLevel, slog.LevelDebug},
		{"SMTP", *c.SMTP, delivery.SMTPConfig{Host: "smtp.ecole.fr", Port: 2525, Username: "portail", Password: "mot-de-passe-smtp", TLS: delivery.TLSOpportunistic}},
		{"MailFrom", c.MailFrom, "no-reply@parents.ecole.fr"},
		{"Services.Location", c.Services.Location.String(), "Indian/Reunion"},
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

// utcServer makes the process's zone UTC for the test, as on most VMs
// and containers.
func utcServer(t *testing.T) {
	old := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = old })
}

// --timezone reaches the e-mails: on a UTC server, a school in Paris
// reads Paris time in the code e-mail (defect 5).
func TestTimezoneReachesTheMail(t *testing.T) {
	utcServer(t)
	c, err := configFrom(t, "--data", "s.db", "--timezone", "Europe/Paris", "--school", "Collège Jean Moulin")
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 30, 3, 20, 0, 0, time.UTC)
	msg, err := c.composer().Compose(outbox.Message{Kind: outbox.KindRecoveryCode, To: "a@exemple.fr", Lang: "fr",
		Code: "12345678", Created: created, ExpiresAt: created.Add(30 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	p := mailtest.ParseMail(t, buf.Bytes())
	if !strings.Contains(p.Text, "valable 30 minutes, jusqu'à 4 h 50.") {
		t.Errorf("code e-mail:\n%s", p.Text)
	}
	if from, _ := p.Header.AddressList("From"); len(from) != 1 || from[0].Name != "Espace Parents – Collège Jean Moulin" {
		t.Errorf("From: %q", p.Header.Get("From"))
	}
}

// The admin commands print times in the school's zone and name it, on
// the file and through the server's socket alike (defect 5).
func TestAdminTimesInSchoolZone(t *testing.T) {
	utcServer(t)
	t.Setenv("SESAME_TIMEZONE", "Indian/Reunion")
	data := newDataFile(t, t.TempDir())
	run(t, "", "accounts", "--data", data, "add", "--last-name", "Dupont", "--first-name", "Marie", "--email", "m@exemple.fr")
	reunion, _ := time.LoadLocation("Indian/Reunion")
	out, code := run(t, "", "accounts", "--data", data, "show", "dupont.marie")
	m := regexp.MustCompile(`created\s+(\S+ \S+) \(Indian/Reunion\)`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("accounts show:\n%s", out)
	}
	if at, err := time.ParseInLocation("2006-01-02 15:04", m[1], reunion); err != nil || time.Since(at).Abs() > 2*time.Minute {
		t.Errorf("created %s is not now in La Réunion (%v)", m[1], err)
	}
	out, _ = run(t, "", "audit", "--data", data)
	if !strings.Contains(out, "TIME (Indian/Reunion)") || !strings.Contains(out, m[1][:13]) {
		t.Errorf("audit:\n%s", out)
	}
	st, err := store.Open(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sc, err := envServiceConfig()
	if err != nil {
		t.Fatal(err)
	}
	admin, err := listenAdmin(data, newServices(st, sc, slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	t.Setenv("SESAME_TIMEZONE", "UTC") // the server's zone answers, not the client's
	out, _ = run(t, "", "accounts", "--data", data, "show", "dupont.marie")
	if !strings.Contains(out, "(Indian/Reunion)") {
		t.Errorf("through the socket:\n%s", out)
	}
}

// --trusted-network (or SESAME_TRUSTED_NETWORK) and --legal-dir are read
// once, at start: the networks parsed, the school's texts rendered.
func TestTrustedNetworkAndLegalDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "donnees-personnelles.fr.md"), []byte("Texte *du collège*."), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SESAME_TRUSTED_NETWORK", "192.168.0.0/16, 10.1.2.3")
	c, err := configFrom(t, "--legal-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	var nets []string
	for _, n := range c.TrustedNetworks {
		nets = append(nets, n.String())
	}
	if !reflect.DeepEqual(nets, []string{"192.168.0.0/16", "10.1.2.3/32"}) {
		t.Errorf("TrustedNetworks = %v", nets)
	}
	if got := c.Legal.HTML("donnees-personnelles", "fr"); !strings.Contains(got, "<em>du collège</em>") {
		t.Errorf("legal text = %q", got)
	}
}

// Issue 12: --log-format and --metrics-addr (and their SESAME_*
// variables) are read once; metrics are off unless asked for, and a bad
// value names the option.
func TestLogFormatAndMetricsAddr(t *testing.T) {
	c, err := configFrom(t, "--data", "x.db")
	if err != nil || c.LogJSON || c.MetricsAddr != "" {
		t.Fatalf("defaults: json %v metrics %q, %v", c.LogJSON, c.MetricsAddr, err)
	}
	t.Setenv("SESAME_LOG_FORMAT", "json")
	t.Setenv("SESAME_METRICS_ADDR", "127.0.0.1:9464")
	c, err = configFrom(t, "--data", "x.db")
	if err != nil || !c.LogJSON || c.MetricsAddr != "127.0.0.1:9464" {
		t.Fatalf("from the environment: json %v metrics %q, %v", c.LogJSON, c.MetricsAddr, err)
	}
	if c, err = configFrom(t, "--data", "x.db", "--metrics-addr", "off"); err != nil || c.MetricsAddr != "" {
		t.Fatalf("--metrics-addr off: %q, %v", c.MetricsAddr, err)
	}
	for args, want := range map[string]string{
		"--log-format=yaml":    `invalid --log-format "yaml": must be text or json`,
		"--metrics-addr=9464":  `invalid --metrics-addr "9464": expected HOST:PORT`,
		"--metrics-addr=:8080": `invalid --metrics-addr ":8080": must be another port than --addr`,
	} {
		if _, err := configFrom(t, "--data", "x.db", args); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", args, err, want)
		}
	}
	t.Setenv("SESAME_LOG_FORMAT", "xml")
	if _, err := configFrom(t, "--data", "x.db"); err == nil || !strings.Contains(err.Error(), `invalid SESAME_LOG_FORMAT "xml"`) {
		t.Errorf("bad SESAME_LOG_FORMAT: %v", err)
	}
}
