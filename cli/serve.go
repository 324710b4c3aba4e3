package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"sesame/account"
	"sesame/handlers"
	"sesame/locales"
	"sesame/password"
	"sesame/policy"
	"sesame/recovery"
	"sesame/store"
	"sesame/views"
)

// serveConfig is every option of `sesame serve`, parsed once here and
// passed down; nothing below reads flags or the environment.
type serveConfig struct {
	Addr, Data, BaseURL, School, Lang string
	Phone, Email, Hours               string
	Demo                              bool
	PasswordMin, PasswordMax          int
	HashConcurrency                   int
	LogLevel                          string
	CodeTTL                           time.Duration

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
		if _, ok := account.CleanName(v); v != "" && !ok {
			return optionError(name, v, "must be one line of at most 100 characters")
		}
	}
	if c.Email != "" {
		if _, err := account.NormalizeEmail(c.Email); err != nil {
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
	if _, err := parseLevel(c.LogLevel); err != nil {
		return optionError("log-level", c.LogLevel, "must be debug, info, warn or error")
	}
	return nil
}

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

	app := handlers.New(handlers.Deps{
		Config: handlers.Config{
			School: c.School, BaseURL: c.baseURL, DefaultLang: c.Lang, Demo: c.Demo,
			Secretariat: views.Secretariat{Phone: c.Phone, Email: c.Email, Hours: c.Hours},
		},
		Accounts: s.accounts,
		Recovery: s.recovery,
		Locales:  locales.Must(),
		Log:      log,
		Secret:   st.Secret(),
	})

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		fmt.Fprintf(stderr, "sesame serve: cannot listen on --addr %s: %v\n", c.Addr, err)
		return 1
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
