package cli

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"sesame/internal/activation"
	"sesame/internal/forwardauth"
	"sesame/internal/identity"
	"sesame/internal/legal"
	"sesame/internal/mail"
	"sesame/internal/mail/delivery"
	"sesame/internal/oidc"
	"sesame/internal/policy"
	"sesame/internal/recovery"
	"sesame/internal/staff"
	"sesame/locales"
	"sesame/views"
)

// serveOptions is what the command line and the SESAME_* environment
// say for `sesame serve`, as the flag package reads it: text, numbers
// and durations, checked by nothing yet. parseServeConfig turns it into
// a serveConfig.
type serveOptions struct {
	Addr, Data, BaseURL, School, Lang  string
	Phone, Email, Hours                string
	Demo                               bool
	PasswordMin, PasswordMax           int
	HashConcurrency                    int
	LogLevel, LogFormat                string
	MetricsAddr                        string
	CodeTTL, ActivationTTL             time.Duration
	SMTPURL, SMTPTLS, SMTPPasswordFile string
	SMTPCA                             string
	MailFrom, MailReplyTo              string
	Retention, MailRetry               time.Duration
	TrustedProxy, TLSCert, TLSKey      string
	Pprof                              string
	RateLimits                         string
	TrustedNetwork                     string
	DeskNetwork                        string
	DeskIdle                           time.Duration
	LegalDir                           string
	Timezone                           string
	OIDCTokenTTL                       time.Duration
	ForwardAuthDomains                 string
	// Config is the configuration file (--config or SESAME_CONFIG);
	// PrintExample asks for the example file instead of serving.
	Config       string
	PrintExample bool
	// SMTPPassword is SESAME_SMTP_PASSWORD, from the environment or the
	// configuration file (never an option: the command line is public).
	SMTPPassword string
}

// defaultMailRetry is the first retry delay of a deferred e-mail; later
// ones double, up to 15 minutes.
const defaultMailRetry = 10 * time.Second

// defaultTimezone is where most schools are; the server's zone (UTC on
// most VMs and containers) is never what a parent reads.
const defaultTimezone = "Europe/Paris"

// serveFlags is the table of serve's options: the command line's
// flags, the SESAME_* variables and the configuration file's keys all
// come from it, and so does packaging/sesame.env.example.
func serveFlags(out io.Writer) (*flagSetWith, *serveOptions) {
	o := &serveOptions{}
	fs := newFlagSet("sesame serve [options]", "Runs the Espace Parents: the login page and password recovery, for parents' browsers.", out)
	fs.StringVar(&o.Addr, "addr", ":8080", "address and port to listen on, e.g. :8080 or 127.0.0.1:8080")
	dataFlag(fs, &o.Data)
	fs.StringVar(&o.BaseURL, "base-url", "", "the address parents type to reach the portal, e.g. https://parents.ecole.fr, or https://college.fr/parents behind a proxy that keeps the path; every link, cookie and e-mail is built from it (default http://localhost:PORT)")
	fs.StringVar(&o.School, "school", "", "the school's name, shown on every page and in e-mails")
	fs.StringVar(&o.Phone, "secretariat-phone", "", "the school office's phone number, shown wherever a parent may be stuck")
	fs.StringVar(&o.Email, "secretariat-email", "", "the school office's e-mail address, shown with the phone number")
	fs.StringVar(&o.Hours, "secretariat-hours", "", "the school office's opening hours, e.g. \"lundi-vendredi 8h-17h\"")
	fs.StringVar(&o.Lang, "lang", "fr", "language for browsers that ask for neither French nor English: fr or en")
	fs.BoolVar(&o.Demo, "demo", false, "demonstration mode: adds a demo parent (see README) and shows a banner; never on a real school's portal")
	fs.IntVar(&o.PasswordMin, "password-min", policy.DefaultMinLen, "minimum password length in characters")
	fs.IntVar(&o.PasswordMax, "password-max", policy.DefaultMaxLen, "maximum password length in characters")
	fs.IntVar(&o.HashConcurrency, "hash-concurrency", 0, "how many password hashes may run at once (each takes ~19 MiB); 0 means one per CPU")
	fs.StringVar(&o.LogLevel, "log-level", "info", "how much to log: debug, info, warn or error")
	fs.StringVar(&o.LogFormat, "log-format", "text", "how log lines are written to stderr: text (key=value, for people and journald) or json (one object a line, for a log collector)")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics at /metrics on this address, on its own port, e.g. 127.0.0.1:9464 (off by default; never on --addr)")
	fs.StringVar(&o.SMTPURL, "smtp-url", "", "the school's SMTP server: smtp://user@host:587 (STARTTLS) or smtps://user@host:465 (TLS); without it, e-mails wait in the outbox")
	fs.StringVar(&o.SMTPTLS, "smtp-tls", "mandatory", "mandatory (never send in clear), opportunistic, or none (plain SMTP, only for a trusted relay on the same network)")
	fs.StringVar(&o.SMTPPasswordFile, "smtp-password-file", "", "a file holding the SMTP password (or set SESAME_SMTP_PASSWORD), so it never appears in the command line")
	fs.StringVar(&o.SMTPCA, "smtp-ca", "", "a PEM file of CA certificates to trust for the SMTP server's certificate, in addition to the system's, e.g. an academic relay's private CA")
	fs.StringVar(&o.MailFrom, "mail-from", "", "the e-mails' sender, e.g. no-reply@ecole.fr; without a display name, e-mails come from \"Espace Parents – SCHOOL\" (default no-reply@ the base URL's host)")
	fs.StringVar(&o.MailReplyTo, "mail-reply-to", "", "where parents' replies go, e.g. the school office's address")
	durationVar(fs, &o.Retention, "outbox-retention", 30*24*time.Hour, "how long sent and failed e-mails stay listed in `sesame mail queue` (without their codes)")
	durationVar(fs, &o.MailRetry, "mail-retry", defaultMailRetry, "how long an e-mail the SMTP server did not take waits before its first retry; each later retry waits twice as long, up to 15m")
	fs.StringVar(&o.TrustedProxy, "trusted-proxy", "", "reverse proxies (nginx, Caddy, IIS) whose X-Forwarded-For is believed, as comma-separated addresses or CIDRs, e.g. 127.0.0.1,10.0.0.0/8")
	fs.StringVar(&o.TrustedNetwork, "trusted-network", "", "the school's own networks (its Wi-Fi on parents' evening), as comma-separated addresses or CIDRs, e.g. 192.168.0.0/16: clients there are exempt from the per-client-address limits only (the per-identifier and per-e-mail limits stay); behind a proxy, the address from --trusted-proxy's X-Forwarded-For is the one checked")
	fs.StringVar(&o.DeskNetwork, "desk-network", "", "the networks the school office's desk (/secretariat) answers from, as comma-separated addresses or CIDRs, e.g. 192.168.10.0/24: anyone else gets a refusal page (default: everywhere; staff sign in with a password and a second factor all the same); behind a proxy, the address from --trusted-proxy's X-Forwarded-For is the one checked")
	durationVar(fs, &o.DeskIdle, "desk-idle-timeout", staff.DefaultConfig.Idle, "how long a staff session at the desk lives without a request, at most 30m (the tests use a few seconds)")
	fs.StringVar(&o.LegalDir, "legal-dir", "", "a folder of the school's own texts, in Markdown, for the legal notice, personal data and accessibility pages: mentions-legales.fr.md, mentions-legales.en.md, donnees-personnelles.fr.md, donnees-personnelles.en.md, accessibilite.fr.md, accessibilite.en.md (a missing file shows the built-in text)")
	fs.StringVar(&o.TLSCert, "tls-cert", "", "serve https directly with this certificate file (PEM, full chain); needs --tls-key")
	fs.StringVar(&o.TLSKey, "tls-key", "", "the private key file (PEM) of --tls-cert")
	fs.StringVar(&o.Pprof, "pprof", "", "serve Go's profiler on this loopback address, e.g. 127.0.0.1:6060 (off by default; for performance work)")
	fs.StringVar(&o.RateLimits, "rate-limits", "on", "on: slow down repeated logins and recoveries per client address, identifier and e-mail; off: only for load tests on loopback (the per-address code limits in the data file stay)")
	fs.StringVar(&o.Timezone, "timezone", defaultTimezone, "the school's time zone, for every time shown on pages, in e-mails and by the admin commands, e.g. Europe/Paris or Indian/Reunion (the server's own zone is not used)")
	durationVar(fs, &o.CodeTTL, "code-ttl", recovery.DefaultConfig.CodeTTL, "how long a security code stays valid, e.g. 30m (tests use a few seconds)")
	durationVar(fs, &o.ActivationTTL, "activation-ttl", activation.DefaultConfig.CodeTTL, "how long an activation code (on a letter or in an invitation) stays valid, e.g. 56d; the letter prints its expiry date")
	durationVar(fs, &o.OIDCTokenTTL, "oidc-token-ttl", oidc.DefaultTokenTTL, "how long the access and ID tokens given to the school's applications (sesame oidc clients) stay valid, from 1s to 12h")
	fs.StringVar(&o.ForwardAuthDomains, "forward-auth-domains", "", "share the sign-in with applications behind a reverse proxy (GET /auth/verify): the school's host names, comma-separated, each covering its subdomains, e.g. ecole.fr; the login page only sends browsers back to them")
	fs.StringVar(&o.Config, "config", "", "read options from this file of SESAME_*=value lines (a systemd EnvironmentFile); the command line and the environment win over it")
	fs.BoolVar(&o.PrintExample, "print-config-example", false, "print a configuration file listing every key with its default, and exit")
	w := newFlagSetWith(fs)
	w.extras["SESAME_SMTP_PASSWORD"] = &o.SMTPPassword
	return w, o
}

// serveConfig is `sesame serve`'s configuration, parsed and checked
// once by parseServeConfig: whoever holds one may use every field
// without checking it again.
type serveConfig struct {
	// Addr is the HOST:PORT to listen on.
	Addr string
	// Data is the data file's path.
	Data string
	// BaseURL is the address parents type, without a trailing slash.
	BaseURL *url.URL
	// Lang is the default language, fr or en.
	Lang string
	// Secretariat is how parents reach the school office; each field is
	// one line, Email a valid address when set.
	Secretariat views.Secretariat
	// Demo adds the demo parent and the banner.
	Demo bool
	// Services is what the account and recovery services need.
	Services serviceConfig
	// LogLevel is the least severe level logged.
	LogLevel slog.Level
	// LogJSON writes log lines as JSON objects rather than key=value.
	LogJSON bool
	// MetricsAddr is where /metrics is served; empty: nowhere.
	MetricsAddr string
	// SMTP is the school's server with its password; nil when
	// --smtp-url is not given.
	SMTP *delivery.SMTPConfig
	// MailFrom and MailReplyTo are the e-mails' sender and reply
	// address; MailFrom defaults to no-reply@ the base URL's host.
	MailFrom, MailReplyTo string
	// Retention is how long sent and failed e-mails stay in the outbox.
	Retention time.Duration
	// MailRetry is the first retry delay of a deferred e-mail.
	MailRetry time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []*net.IPNet
	// TrustedNetworks are the school's own networks, exempt from the
	// per-address limits (--trusted-network).
	TrustedNetworks []*net.IPNet
	// DeskNetworks are the only networks the desk answers from
	// (--desk-network); empty: everywhere.
	DeskNetworks []*net.IPNet
	// Legal is the school's texts for the legal pages (--legal-dir),
	// rendered once; empty: the built-in texts.
	Legal legal.Texts
	// TLS serves https with the loaded certificate; nil serves http.
	TLS *tls.Config
	// Pprof is the loopback address of the profiler; empty: none.
	Pprof string
	// RateLimits is false only for load tests (--rate-limits off).
	RateLimits bool
	// OIDCTokenTTL is the lifetime of the applications' access and ID
	// tokens.
	OIDCTokenTTL time.Duration
	// ForwardAuth is --forward-auth-domains; nil when off.
	ForwardAuth *forwardauth.Config
}

// serviceConfig is the part of the configuration the domain services
// use, for the server and for the admin commands run on the file.
type serviceConfig struct {
	School          string
	Policy          *policy.Policy
	HashConcurrency int
	CodeTTL         time.Duration
	// ActivationTTL is how long an activation code stays valid.
	ActivationTTL time.Duration
	// BaseURL is the address parents type (--base-url, without a
	// trailing slash), for the links the admin commands print.
	BaseURL string
	// Location is the school's time zone (--timezone): every time shown
	// to a parent or an operator is in it.
	Location *time.Location
	// Secretariat is how parents reach the school office, printed on
	// the activation letters.
	Secretariat views.Secretariat
	// Lang is the portal's default language (--lang), for the staff
	// set-up e-mails.
	Lang string
	// DeskIdle ends an idle staff session (--desk-idle-timeout).
	DeskIdle time.Duration
}

// parseServeConfig checks every option and returns them typed. The
// first bad option ends it with an error naming that option. It reads
// the SMTP password (SESAME_SMTP_PASSWORD, --smtp-password-file) and
// the TLS certificate: nothing after it reads a file or the
// environment for the configuration.
func parseServeConfig(o serveOptions) (*serveConfig, error) {
	c := &serveConfig{
		Demo:        o.Demo,
		MailReplyTo: o.MailReplyTo,
		Secretariat: views.Secretariat{Phone: o.Phone, Email: o.Email, Hours: o.Hours},
	}
	for _, step := range []func(*serveOptions, *serveConfig) error{
		parseListen, parsePortal, parseServices, parseMail, parseNetwork, parseLegal, parseLogLevel, parseOIDC,
	} {
		if err := step(&o, c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// parseListen reads --addr, --data and --base-url, which defaults to
// http://localhost and --addr's port.
func parseListen(o *serveOptions, c *serveConfig) error {
	if err := checkAddr(o.Addr); err != nil {
		return err
	}
	if o.Data == "" {
		return optionError("data", o.Data, "a file path is needed")
	}
	c.Addr, c.Data = o.Addr, o.Data
	u, err := o.baseURL()
	c.BaseURL = u
	return err
}

// baseURL is --base-url, by default http://localhost and --addr's port.
func (o *serveOptions) baseURL() (*url.URL, error) {
	raw := o.BaseURL
	if raw == "" {
		_, port, _ := net.SplitHostPort(o.Addr)
		raw = "http://localhost:" + port
	}
	return parseBaseURL(raw)
}

// parsePortal reads what the pages show: --lang, the school's name and
// its office's contact details.
func parsePortal(o *serveOptions, c *serveConfig) error {
	if !locales.Valid(o.Lang) {
		return optionError("lang", o.Lang, "must be fr or en")
	}
	c.Lang = o.Lang
	for _, opt := range []struct{ name, value string }{
		{"school", o.School}, {"secretariat-phone", o.Phone}, {"secretariat-email", o.Email}, {"secretariat-hours", o.Hours},
	} {
		if _, err := identity.CleanText(opt.value, 100); opt.value != "" && err != nil {
			return optionError(opt.name, opt.value, "must be one line of at most 100 characters")
		}
	}
	if o.Email != "" {
		if _, err := identity.NormalizeEmail(o.Email); err != nil {
			return optionError("secretariat-email", o.Email, "not an e-mail address")
		}
	}
	return nil
}

// parseServices reads the password policy, --hash-concurrency,
// --code-ttl and --activation-ttl.
func parseServices(o *serveOptions, c *serveConfig) error {
	sc, err := o.serviceConfig()
	c.Services = sc
	return err
}

func (o *serveOptions) serviceConfig() (serviceConfig, error) {
	pol, err := policy.New(o.PasswordMin, o.PasswordMax)
	if err != nil || o.PasswordMin < 8 {
		return serviceConfig{}, optionError("password-min", fmt.Sprint(o.PasswordMin), "lengths must satisfy 8 <= min <= max")
	}
	if o.HashConcurrency < 0 || o.HashConcurrency > 64 {
		return serviceConfig{}, optionError("hash-concurrency", fmt.Sprint(o.HashConcurrency), "must be from 0 to 64")
	}
	if err := checkDuration("code-ttl", o.CodeTTL, time.Second, 24*time.Hour); err != nil {
		return serviceConfig{}, err
	}
	if err := checkDuration("activation-ttl", o.ActivationTTL, time.Second, 366*24*time.Hour); err != nil {
		return serviceConfig{}, err
	}
	// Never longer than security.md's 30 minutes: a shared office PC
	// left signed in is the risk this timeout closes.
	if err := checkDuration("desk-idle-timeout", o.DeskIdle, time.Second, staff.DefaultConfig.Idle); err != nil {
		return serviceConfig{}, err
	}
	loc, err := loadTimezone(o.Timezone)
	if err != nil {
		return serviceConfig{}, err
	}
	base, err := o.baseURL()
	if err != nil {
		return serviceConfig{}, err
	}
	return serviceConfig{School: o.School, Policy: pol, HashConcurrency: o.HashConcurrency, CodeTTL: o.CodeTTL,
		ActivationTTL: o.ActivationTTL, BaseURL: base.String(), Location: loc,
		Secretariat: views.Secretariat{Phone: o.Phone, Email: o.Email, Hours: o.Hours}, Lang: o.Lang, DeskIdle: o.DeskIdle}, nil
}

// loadTimezone reads --timezone from the zone data embedded in the
// binary (time/tzdata), so it works on a bare host without
// /usr/share/zoneinfo. "Local" is refused: it is the server's zone,
// which is what the option exists to avoid.
func loadTimezone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, optionError("timezone", name, "must name a zone, e.g. Europe/Paris or Indian/Reunion")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, optionError("timezone", name, "unknown time zone; use a name such as Europe/Paris or Indian/Reunion")
	}
	return loc, nil
}

// parseMail reads the SMTP server, the outbox's timings and the
// e-mails' sender, and checks that a message can be composed with them.
func parseMail(o *serveOptions, c *serveConfig) error {
	switch o.SMTPTLS {
	case "mandatory", "opportunistic", "none":
	default:
		return optionError("smtp-tls", o.SMTPTLS, "must be mandatory, opportunistic or none")
	}
	if o.SMTPURL != "" {
		cfg, err := o.smtpConfig()
		if err != nil {
			return err
		}
		c.SMTP = &cfg
	} else if _, err := loadSMTPCA(o.SMTPCA); err != nil {
		// Unused without --smtp-url, but a bad file is said at once.
		return err
	}
	if err := checkDuration("outbox-retention", o.Retention, time.Hour, 10*365*24*time.Hour); err != nil {
		return err
	}
	if err := checkDuration("mail-retry", o.MailRetry, 100*time.Millisecond, 15*time.Minute); err != nil {
		return err
	}
	c.Retention, c.MailRetry = o.Retention, o.MailRetry
	c.MailFrom = o.MailFrom
	if c.MailFrom == "" {
		// A bare address: the composer names the sender after the
		// school (mail.from_name), which parents recognise in a list.
		c.MailFrom = "no-reply@" + c.BaseURL.Hostname()
	}
	if err := c.composer().Validate(); err != nil {
		return optionError("mail-from", c.MailFrom, err.Error())
	}
	return nil
}

// smtpConfig reads --smtp-url, --smtp-tls and the password from
// --smtp-password-file or SESAME_SMTP_PASSWORD (environment or file).
func (o *serveOptions) smtpConfig() (delivery.SMTPConfig, error) {
	cfg, err := delivery.ParseSMTPURL(o.SMTPURL, o.SMTPTLS)
	if err != nil {
		return cfg, optionError("smtp-url", redactURL(o.SMTPURL), err.Error())
	}
	if o.SMTPPassword != "" {
		cfg = cfg.WithPassword(o.SMTPPassword)
	}
	if o.SMTPPasswordFile != "" {
		b, err := os.ReadFile(o.SMTPPasswordFile)
		if err != nil {
			return cfg, optionError("smtp-password-file", o.SMTPPasswordFile, err.Error())
		}
		cfg = cfg.WithPassword(strings.TrimRight(string(b), "\r\n"))
	}
	if o.SMTPCA != "" {
		if cfg.TLS == delivery.TLSNone {
			return cfg, optionError("smtp-ca", o.SMTPCA, "has no use with --smtp-tls none, which never encrypts; use --smtp-tls mandatory")
		}
		pool, err := loadSMTPCA(o.SMTPCA)
		if err != nil {
			return cfg, err
		}
		cfg.TLSConfig = &tls.Config{RootCAs: pool}
	}
	return cfg, nil
}

// loadSMTPCA reads --smtp-ca: the system's roots plus every certificate
// in the PEM file. In addition, not instead: a relay that later moves to
// a public certificate keeps working, and trusting the system's roots
// too grants nothing they do not already have on this machine. Empty
// gives nil. Anything but certificates (a private key by mistake) is
// refused.
func loadSMTPCA(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, optionError("smtp-ca", path, err.Error())
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	n := 0
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, optionError("smtp-ca", path, "holds a "+block.Type+", not only CA certificates (-----BEGIN CERTIFICATE-----)")
		}
		n++
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, optionError("smtp-ca", path, fmt.Sprintf("cannot read certificate %d: %v", n, err))
		}
		pool.AddCert(cert)
	}
	if n == 0 {
		return nil, optionError("smtp-ca", path, "no PEM certificate in it (-----BEGIN CERTIFICATE-----)")
	}
	return pool, nil
}

// redactURL hides a password in an SMTP URL before it is printed.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// parseNetwork reads the trusted proxies, the TLS certificate, the
// profiler's address and --rate-limits.
func parseNetwork(o *serveOptions, c *serveConfig) error {
	proxies, err := parseProxies("trusted-proxy", o.TrustedProxy)
	if err != nil {
		return err
	}
	c.TrustedProxies = proxies
	if c.TrustedNetworks, err = parseProxies("trusted-network", o.TrustedNetwork); err != nil {
		return err
	}
	if c.DeskNetworks, err = parseProxies("desk-network", o.DeskNetwork); err != nil {
		return err
	}
	if c.TLS, err = loadTLS(o.TLSCert, o.TLSKey); err != nil {
		return err
	}
	if o.Pprof != "" {
		host, _, err := net.SplitHostPort(o.Pprof)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return optionError("pprof", o.Pprof, "must be a loopback address and port, e.g. 127.0.0.1:6060")
		}
	}
	c.Pprof = o.Pprof
	switch o.MetricsAddr {
	case "", "off":
	default:
		if err := checkAddr(o.MetricsAddr); err != nil {
			return optionError("metrics-addr", o.MetricsAddr, "expected HOST:PORT, e.g. 127.0.0.1:9464")
		}
		if _, port, _ := net.SplitHostPort(o.MetricsAddr); o.MetricsAddr == o.Addr && port != "0" {
			return optionError("metrics-addr", o.MetricsAddr, "must be another port than --addr: the parents' port never shows the metrics")
		}
		c.MetricsAddr = o.MetricsAddr
	}
	if o.RateLimits != "on" && o.RateLimits != "off" {
		return optionError("rate-limits", o.RateLimits, "must be on or off")
	}
	c.RateLimits = o.RateLimits == "on"
	return nil
}

// parseProxies reads --trusted-proxy or --trusted-network (option):
// addresses (a single host each) or CIDRs, separated by commas.
func parseProxies(option, v string) ([]*net.IPNet, error) {
	if v == "" {
		return nil, nil
	}
	var nets []*net.IPNet
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if !strings.Contains(part, "/") {
			if ip := net.ParseIP(part); ip != nil && ip.To4() != nil {
				part += "/32"
			} else {
				part += "/128"
			}
		}
		_, n, err := net.ParseCIDR(part)
		if err != nil {
			return nil, optionError(option, v, "expected addresses or CIDRs separated by commas, e.g. 127.0.0.1,10.0.0.0/8")
		}
		nets = append(nets, n)
	}
	return nets, nil
}

// loadTLS loads --tls-cert and --tls-key; neither gives nil (http).
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	if (certFile == "") != (keyFile == "") {
		return nil, optionError("tls-cert", certFile, "--tls-cert and --tls-key go together")
	}
	if certFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, optionError("tls-cert", certFile, "cannot load the certificate and key: "+err.Error())
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// parseLegal reads the school's texts from --legal-dir, once: a missing
// folder or an unreadable file stops the start.
func parseLegal(o *serveOptions, c *serveConfig) error {
	if o.LegalDir == "" {
		return nil
	}
	texts, err := legal.Load(o.LegalDir)
	if err != nil {
		return optionError("legal-dir", o.LegalDir, err.Error())
	}
	c.Legal = texts
	return nil
}

func parseLogLevel(o *serveOptions, c *serveConfig) error {
	if err := c.LogLevel.UnmarshalText([]byte(o.LogLevel)); err != nil {
		return optionError("log-level", o.LogLevel, "must be debug, info, warn or error")
	}
	switch o.LogFormat {
	case "text", "json":
		c.LogJSON = o.LogFormat == "json"
	default:
		return optionError("log-format", o.LogFormat, "must be text or json")
	}
	return nil
}

func (c *serveConfig) composer() *mail.Composer {
	return &mail.Composer{
		Locales: bundle(), School: c.Services.School, BaseURL: c.BaseURL.String(),
		MailFrom: c.MailFrom, ReplyTo: c.MailReplyTo, CodeTTL: c.Services.CodeTTL,
		Secretariat: mail.Secretariat(c.Secretariat), Location: c.Services.Location,
	}
}

// loadServeConfig reads serve's options from args, the environment and
// the configuration file, and checks them; an error names where the bad
// value came from. With --print-config-example it returns (nil, nil)
// and o.PrintExample is set.
func loadServeConfig(args []string, out io.Writer) (*serveConfig, *serveOptions, error) {
	fs, o := serveFlags(out)
	if err := parse(fs, args); err != nil {
		return nil, o, err
	}
	if fs.NArg() > 0 {
		return nil, o, fmt.Errorf("unexpected argument %q (options start with --)", fs.Arg(0))
	}
	if o.PrintExample {
		return nil, o, nil
	}
	c, err := parseServeConfig(*o)
	return c, o, fs.explainOption(err)
}

// readServeConfig parses serve's command line, the environment and the
// configuration file, and checks them. On failure it has said why on
// stderr, in one line, and returns the exit status.
func readServeConfig(args []string, stdout, stderr io.Writer) (*serveConfig, int) {
	c, o, err := loadServeConfig(args, stderr)
	if err != nil {
		return nil, usageExit(fmt.Errorf("sesame serve: %w", err), stderr)
	}
	if o.PrintExample {
		io.WriteString(stdout, configExample())
		return nil, 0
	}
	return c, 0
}

// adminConfig is the configuration of the admin commands run on the
// data file: the defaults, overridden by the configuration file
// (config, or SESAME_CONFIG when empty), then by the same SESAME_*
// environment variables the server reads. It gives the data file too,
// for commands run without --data.
func adminConfig(config string) (serviceConfig, string, error) {
	fs, o := serveFlags(io.Discard)
	var args []string
	if config != "" {
		args = []string{"--config", config}
	}
	if err := parse(fs, args); err != nil {
		return serviceConfig{}, "", err
	}
	sc, err := o.serviceConfig()
	return sc, o.Data, fs.explainOption(err)
}

// envServiceConfig is adminConfig's service settings from the
// environment (and SESAME_CONFIG).
func envServiceConfig() (serviceConfig, error) {
	sc, _, err := adminConfig("")
	return sc, err
}
