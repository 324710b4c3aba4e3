package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"sesame/handlers"
	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/identity"
	"sesame/internal/mail"
	"sesame/internal/mail/delivery"
	"sesame/internal/password"
	"sesame/internal/policy"
	"sesame/internal/ratelimit"
	"sesame/internal/recovery"
	"sesame/internal/store"
	"sesame/locales"
	"sesame/views"
)

// serveConfig is every option of `sesame serve`, parsed once here and
// passed down; nothing below reads flags or the environment.
type serveConfig struct {
	Addr, Data, BaseURL, School, Lang  string
	Phone, Email, Hours                string
	Demo                               bool
	PasswordMin, PasswordMax           int
	HashConcurrency                    int
	LogLevel                           string
	CodeTTL                            time.Duration
	SMTPURL, SMTPTLS, SMTPPasswordFile string
	MailFrom, MailReplyTo              string
	Retention                          time.Duration
	TrustedProxy, TLSCert, TLSKey      string
	Pprof                              string
	RateLimits                         string

	proxies []*net.IPNet

	baseURL *url.URL
}

func serveFlags(out io.Writer) (*flagSetWith, *serveConfig) {
	c := &serveConfig{}
	fs := newFlagSet("sesame serve [options]", "Runs the Espace Parents: the login page and password recovery, for parents' browsers.", out)
	fs.StringVar(&c.Addr, "addr", ":8080", "address and port to listen on, e.g. :8080 or 127.0.0.1:8080")
	dataFlag(fs, &c.Data)
	fs.StringVar(&c.BaseURL, "base-url", "", "the address parents type to reach the portal, e.g. https://parents.ecole.fr; every link in e-mails is built from it (default http://localhost:PORT)")
	fs.StringVar(&c.School, "school", "", "the school's name, shown on every page and in e-mails")
	fs.StringVar(&c.Phone, "secretariat-phone", "", "the school office's phone number, shown wherever a parent may be stuck")
	fs.StringVar(&c.Email, "secretariat-email", "", "the school office's e-mail address, shown with the phone number")
	fs.StringVar(&c.Hours, "secretariat-hours", "", "the school office's opening hours, e.g. \"lundi-vendredi 8h-17h\"")
	fs.StringVar(&c.Lang, "lang", "fr", "language for browsers that ask for neither French nor English: fr or en")
	fs.BoolVar(&c.Demo, "demo", false, "demonstration mode: adds a demo parent (see README) and shows a banner; never on a real school's portal")
	fs.IntVar(&c.PasswordMin, "password-min", policy.DefaultMinLen, "minimum password length in characters")
	fs.IntVar(&c.PasswordMax, "password-max", policy.DefaultMaxLen, "maximum password length in characters")
	fs.IntVar(&c.HashConcurrency, "hash-concurrency", 0, "how many password hashes may run at once (each takes ~19 MiB); 0 means one per CPU")
	fs.StringVar(&c.LogLevel, "log-level", "info", "how much to log: debug, info, warn or error")
	fs.StringVar(&c.SMTPURL, "smtp-url", "", "the school's SMTP server: smtp://user@host:587 (STARTTLS) or smtps://user@host:465 (TLS); without it, e-mails wait in the outbox")
	fs.StringVar(&c.SMTPTLS, "smtp-tls", "mandatory", "mandatory (never send in clear), opportunistic, or none (plain SMTP, only for a trusted relay on the same network)")
	fs.StringVar(&c.SMTPPasswordFile, "smtp-password-file", "", "a file holding the SMTP password (or set SESAME_SMTP_PASSWORD), so it never appears in the command line")
	fs.StringVar(&c.MailFrom, "mail-from", "", "the e-mails' sender, e.g. \"Espace Parents <no-reply@ecole.fr>\" (default no-reply@ the base URL's host)")
	fs.StringVar(&c.MailReplyTo, "mail-reply-to", "", "where parents' replies go, e.g. the school office's address")
	fs.DurationVar(&c.Retention, "outbox-retention", 30*24*time.Hour, "how long sent and failed e-mails stay listed in `sesame mail queue` (without their codes)")
	fs.StringVar(&c.TrustedProxy, "trusted-proxy", "", "reverse proxies (nginx, Caddy, IIS) whose X-Forwarded-For is believed, as comma-separated addresses or CIDRs, e.g. 127.0.0.1,10.0.0.0/8")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "serve https directly with this certificate file (PEM, full chain); needs --tls-key")
	fs.StringVar(&c.TLSKey, "tls-key", "", "the private key file (PEM) of --tls-cert")
	fs.StringVar(&c.Pprof, "pprof", "", "serve Go's profiler on this loopback address, e.g. 127.0.0.1:6060 (off by default; for performance work)")
	fs.StringVar(&c.RateLimits, "rate-limits", "on", "on: slow down repeated logins and recoveries per client address, identifier and e-mail; off: only for load tests on loopback (the per-address code limits in the data file stay)")
	fs.DurationVar(&c.CodeTTL, "code-ttl", recovery.DefaultConfig.CodeTTL, "how long a security code stays valid, e.g. 30m (tests use a few seconds)")
	return &flagSetWith{fs}, c
}

func (c *serveConfig) validate() error {
	if err := checkAddr(c.Addr); err != nil {
		return err
	}
	if c.Data == "" {
		return optionError("data", c.Data, "a file path is needed")
	}
	if c.BaseURL == "" {
		_, port, _ := net.SplitHostPort(c.Addr)
		c.BaseURL = "http://localhost:" + port
	}
	u, err := parseBaseURL(c.BaseURL)
	if err != nil {
		return err
	}
	c.baseURL = u
	if !locales.Valid(c.Lang) {
		return optionError("lang", c.Lang, "must be fr or en")
	}
	for name, v := range map[string]string{"school": c.School, "secretariat-phone": c.Phone, "secretariat-email": c.Email, "secretariat-hours": c.Hours} {
		if _, err := identity.CleanText(v, 100); v != "" && err != nil {
			return optionError(name, v, "must be one line of at most 100 characters")
		}
	}
	if c.Email != "" {
		if _, err := identity.NormalizeEmail(c.Email); err != nil {
			return optionError("secretariat-email", c.Email, "not an e-mail address")
		}
	}
	if _, err := policy.New(c.PasswordMin, c.PasswordMax); err != nil || c.PasswordMin < 8 {
		return optionError("password-min", fmt.Sprint(c.PasswordMin), "lengths must satisfy 8 <= min <= max")
	}
	if c.HashConcurrency < 0 || c.HashConcurrency > 64 {
		return optionError("hash-concurrency", fmt.Sprint(c.HashConcurrency), "must be from 0 to 64")
	}
	if err := checkDuration("code-ttl", c.CodeTTL, time.Second, 24*time.Hour); err != nil {
		return err
	}
	if c.SMTPURL != "" {
		if _, err := c.smtpConfig(); err != nil {
			return err
		}
	}
	switch c.SMTPTLS {
	case "mandatory", "opportunistic", "none":
	default:
		return optionError("smtp-tls", c.SMTPTLS, "must be mandatory, opportunistic or none")
	}
	if err := checkDuration("outbox-retention", c.Retention, time.Hour, 10*365*24*time.Hour); err != nil {
		return err
	}
	if c.MailFrom == "" {
		c.MailFrom = "Sésame <no-reply@" + c.baseURL.Hostname() + ">"
	}
	if err := c.composer().Validate(); err != nil {
		return optionError("mail-from", c.MailFrom, err.Error())
	}
	if c.TrustedProxy != "" {
		for _, part := range strings.Split(c.TrustedProxy, ",") {
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
				return optionError("trusted-proxy", c.TrustedProxy, "expected addresses or CIDRs separated by commas, e.g. 127.0.0.1,10.0.0.0/8")
			}
			c.proxies = append(c.proxies, n)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return optionError("tls-cert", c.TLSCert, "--tls-cert and --tls-key go together")
	}
	if c.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			return optionError("tls-cert", c.TLSCert, "cannot load the certificate and key: "+err.Error())
		}
	}
	if c.RateLimits != "on" && c.RateLimits != "off" {
		return optionError("rate-limits", c.RateLimits, "must be on or off")
	}
	if c.Pprof != "" {
		host, _, err := net.SplitHostPort(c.Pprof)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return optionError("pprof", c.Pprof, "must be a loopback address and port, e.g. 127.0.0.1:6060")
		}
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return optionError("log-level", c.LogLevel, "must be debug, info, warn or error")
	}
	return nil
}

// smtpConfig reads --smtp-url, --smtp-tls and the password from
// --smtp-password-file or SESAME_SMTP_PASSWORD.
func (c *serveConfig) smtpConfig() (delivery.SMTPConfig, error) {
	cfg, err := delivery.ParseSMTPURL(c.SMTPURL, c.SMTPTLS)
	if err != nil {
		return cfg, optionError("smtp-url", redactURL(c.SMTPURL), err.Error())
	}
	if pw := os.Getenv("SESAME_SMTP_PASSWORD"); pw != "" {
		cfg = cfg.WithPassword(pw)
	}
	if c.SMTPPasswordFile != "" {
		b, err := os.ReadFile(c.SMTPPasswordFile)
		if err != nil {
			return cfg, optionError("smtp-password-file", c.SMTPPasswordFile, err.Error())
		}
		cfg = cfg.WithPassword(strings.TrimRight(string(b), "\r\n"))
	}
	return cfg, nil
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

func (c *serveConfig) composer() *mail.Composer {
	return &mail.Composer{
		Locales: bundle(), School: c.School, BaseURL: c.baseURL.String(),
		MailFrom: c.MailFrom, ReplyTo: c.MailReplyTo, CodeTTL: c.CodeTTL,
		Secretariat: mail.Secretariat{Phone: c.Phone, Email: c.Email, Hours: c.Hours},
	}
}

// bundle is the translations, parsed once per process.
var bundle = sync.OnceValue(locales.Must)

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// services are the domain services over an open store, shared by the
// server and the admin commands.
type services struct {
	store    *store.Store
	accounts *account.Service
	recovery *recovery.Service
	log      *slog.Logger
}

func newServices(st *store.Store, c *serveConfig, log *slog.Logger) (*services, error) {
	pol, err := policy.New(c.PasswordMin, c.PasswordMax)
	if err != nil {
		return nil, err
	}
	acc := &account.Service{
		Store:  st,
		Hasher: password.New(password.DefaultParams, c.HashConcurrency, 10*time.Second),
		Policy: pol,
		Log:    log,
		School: c.School,
	}
	rc := recovery.DefaultConfig
	rc.CodeTTL = c.CodeTTL
	rec := &recovery.Service{Store: st, Accounts: acc, Secret: st.Secret(), Config: rc}
	acc.Audit = store.AuditLog{Store: st, Log: log}
	rec.Audit = acc.Audit
	return &services{store: st, accounts: acc, recovery: rec, log: log}, nil
}

// Demo parent, documented in the README.
const (
	demoIdentifier = "dupont.marie"
	demoPassword   = "Cartable-2026"
)

func seedDemo(ctx context.Context, s *services) error {
	if _, err := s.accounts.Get(demoIdentifier); err == nil {
		return nil
	}
	_, err := s.accounts.Add(ctx, account.Account{
		ID: demoIdentifier, LastName: "Dupont", FirstName: "Marie", Email: "marie.dupont@exemple.fr", Lang: "fr",
	}, demoPassword)
	if errors.Is(err, account.ErrExists) {
		return nil
	}
	return err
}

func runServe(args []string, stdout, stderr io.Writer) int {
	fs, c := serveFlags(stderr)
	if err := parse(fs.FlagSet, args); err != nil {
		return usageExit(err, stderr)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sesame serve: unexpected argument %q (options start with --)\n", fs.Arg(0))
		return 2
	}
	if err := c.validate(); err != nil {
		fmt.Fprintln(stderr, "sesame serve:", err)
		return 2
	}
	level, _ := parseLevel(c.LogLevel)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	st, err := store.Open(c.Data, time.Second)
	if err != nil {
		fmt.Fprintln(stderr, "sesame serve:", err)
		return 1
	}
	defer st.Close()
	s, err := newServices(st, c, log)
	if err != nil {
		fmt.Fprintln(stderr, "sesame serve:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if c.Demo {
		if err := seedDemo(ctx, s); err != nil {
			fmt.Fprintln(stderr, "sesame serve: demo account:", err)
			return 1
		}
	}

	var transport delivery.Transport
	var mailbox *delivery.Mailbox
	switch {
	case c.SMTPURL != "":
		cfg, _ := c.smtpConfig()
		transport = delivery.NewSender(cfg)
		log.Info("mail goes through SMTP", "server", cfg.String())
	case c.Demo:
		mailbox = delivery.NewMailbox(50)
		transport = mailbox
		log.Info("demo mode: e-mails go to the local mailbox", "url", c.baseURL.String()+"/dev/mailbox")
	default:
		log.Warn("no SMTP server configured (--smtp-url): e-mails wait in the outbox until one is; see `sesame mail queue`")
	}
	worker := &delivery.Worker{Queue: st, Composer: c.composer(), Transport: transport, Log: log}
	s.accounts.Mail, s.recovery.Mail = worker, worker
	go worker.Run(ctx)
	go sweep(ctx, st, c.Retention, log)

	deps := handlers.Deps{
		Config: handlers.Config{
			School: c.School, BaseURL: c.baseURL, DefaultLang: c.Lang, Demo: c.Demo, TrustedProxies: c.proxies,
			Secretariat: views.Secretariat{Phone: c.Phone, Email: c.Email, Hours: c.Hours},
		},
		Accounts: s.accounts,
		Recovery: s.recovery,
		Locales:  bundle(),
		Log:      log,
		Secret:   st.Secret(),
	}
	if mailbox != nil {
		deps.Mailbox = mailbox
	}
	if c.RateLimits == "off" {
		log.Warn("rate limits are off (--rate-limits off): for load tests only")
		deps.Limits = &ratelimit.Limits{}
	}
	app := handlers.New(deps)

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		fmt.Fprintf(stderr, "sesame serve: cannot listen on --addr %s: %v\n", c.Addr, err)
		return 1
	}
	if c.TLSCert != "" {
		cert, _ := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	if c.Pprof != "" {
		go servePprof(c.Pprof, log)
	}
	admin, err := listenAdmin(c.Data, s)
	if err != nil {
		ln.Close()
		fmt.Fprintln(stderr, "sesame serve: admin socket:", err)
		return 1
	}
	defer admin.Close()

	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	log.Info("Sésame is ready", "addr", ln.Addr().String(), "base_url", c.baseURL.String(), "data", c.Data, "demo", c.Demo)
	if c.Demo {
		log.Info("demo parent", "identifier", demoIdentifier, "note", "password in README")
	}
	select {
	case err := <-errc:
		if err != nil {
			fmt.Fprintln(stderr, "sesame serve:", err)
			return 1
		}
	case <-ctx.Done():
		log.Info("shutting down: finishing requests in progress")
		if err := app.ShutdownWithTimeout(10 * time.Second); err != nil {
			log.Warn("shutdown", "err", err)
		}
	}
	return 0
}

// usageExit ends a command whose options could not be read: the flag
// package has already printed its own complaint and the usage.
// sweep deletes expired sessions, flows and codes, and sent or failed
// e-mails past the retention, every few minutes.
func sweep(ctx context.Context, st *store.Store, retention time.Duration, log *slog.Logger) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		now := time.Now()
		if n, err := st.Sweep(now); err != nil {
			log.Warn("sweep", "err", err)
		} else if n > 0 {
			log.Debug("swept expired records", "count", n)
		}
		if _, err := st.SweepOutbox(now.Add(-retention)); err != nil {
			log.Warn("outbox sweep", "err", err)
		}
		if _, err := st.SweepAudit(now.Add(-audit.Retention)); err != nil {
			log.Warn("audit sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func usageExit(err error, stderr io.Writer) int {
	if errors.Is(err, flagErrHelp) {
		return 0
	}
	var ee *envError
	if errors.As(err, &ee) {
		fmt.Fprintln(stderr, err)
	}
	return 2
}
