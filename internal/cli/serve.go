package cli

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"golang.org/x/sync/errgroup"

	"sesame/handlers"
	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/audit"
	"sesame/internal/desk"
	"sesame/internal/invitation"
	"sesame/internal/mail/delivery"
	"sesame/internal/oidc"
	"sesame/internal/password"
	"sesame/internal/ratelimit"
	"sesame/internal/recovery"
	"sesame/internal/staff"
	"sesame/internal/store"
	"sesame/internal/writefail"
	"sesame/locales"
	"sesame/views"
)

// bundle is the translations, parsed once per process.
var bundle = sync.OnceValue(locales.Must)

// services are the domain services over an open store, shared by the
// server and the admin commands.
type services struct {
	store      *store.Store
	accounts   *account.Service
	recovery   *recovery.Service
	activation *activation.Service
	oidc       *oidc.Service
	// staff is the school office's accounts for the desk, desk what
	// they do there for parents.
	staff *staff.Service
	desk  *desk.Service
	// baseURL is the address parents type, for the links the admin
	// commands print.
	baseURL string
	log     *slog.Logger
	// loc is the school's time zone, for the times the admin commands
	// print.
	loc *time.Location
	// school and secretariat are printed on the letters.
	school      string
	secretariat views.Secretariat
}

func newServices(st *store.Store, c serviceConfig, log *slog.Logger) *services {
	acc := &account.Service{
		Store:  st,
		Hasher: password.New(password.DefaultParams, c.HashConcurrency, 10*time.Second),
		Policy: c.Policy,
		Log:    log,
		School: c.School,
	}
	rc := recovery.DefaultConfig
	rc.CodeTTL = c.CodeTTL
	rec := &recovery.Service{Store: st, Accounts: acc, Secret: st.Secret(), Config: rc}
	acc.Audit = store.AuditLog{Store: st, Log: log}
	rec.Audit = acc.Audit
	ac := activation.DefaultConfig
	ac.CodeTTL = c.ActivationTTL
	act := &activation.Service{Store: st, Accounts: acc, Secret: st.Secret(), Config: ac, Zone: c.Location}
	sc := staff.DefaultConfig
	if c.DeskIdle > 0 {
		sc.Idle = c.DeskIdle
	}
	issuer := "Sésame"
	if c.School != "" {
		issuer += " – " + c.School
	}
	stf := &staff.Service{Store: st, Hasher: acc.Hasher, Policy: c.Policy, Secret: st.Secret(), Config: sc,
		BaseURL: c.BaseURL, Issuer: issuer, Lang: c.Lang, Audit: acc.Audit}
	op := oidc.New(st, acc, st.Secret())
	op.Audit, op.Log, op.Issuer = acc.Audit, log, c.BaseURL
	dk := &desk.Service{Store: st, School: st, Accounts: acc, Recovery: rec, Activation: act, Audit: acc.Audit,
		Invitations: &invitation.Service{Store: st}}
	return &services{store: st, accounts: acc, recovery: rec, activation: act, oidc: op, staff: stf, desk: dk, baseURL: c.BaseURL, log: log, loc: c.Location,
		school: c.School, secretariat: c.Secretariat}
}

// Demo parent, documented in the README.
const (
	demoIdentifier = "dupont.marie"
	demoPassword   = "Cartable-Vert-2026"
)

func seedDemo(ctx context.Context, s *services) error {
	if _, err := s.accounts.Get(demoIdentifier); err == nil {
		return nil
	}
	// Two children, as an import would link them, so the demo's code
	// e-mail, step 3 and /espace show which children the identifier is for.
	_, err := s.accounts.Add(ctx, account.Account{
		ID: demoIdentifier, LastName: "Dupont", FirstName: "Marie", Email: "marie.dupont@exemple.fr", Lang: "fr",
		Children: []account.Child{
			{Key: "name:dupont|lucas", LastName: "Dupont", FirstName: "Lucas", Class: "6e A"},
			{Key: "name:dupont|emma", LastName: "Dupont", FirstName: "Emma", Class: "CM2"},
		},
	}, demoPassword)
	if errors.Is(err, account.ErrExists) {
		return nil
	}
	return err
}

// shutdownTimeout bounds how long requests in progress may take to
// finish once the server is told to stop.
const shutdownTimeout = 10 * time.Second

func runServe(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runServeContext(ctx, args, stdout, stderr, nil)
}

// runServeContext is serve's command line, run until ctx is done: by a
// signal in a console, by the service manager's Stop on Windows — the
// same graceful shutdown either way. logTo, when not nil, is where the
// logs go instead of stderr (the Windows event log: a service has no
// stderr); it is given the --log-level.
func runServeContext(ctx context.Context, args []string, stdout, stderr io.Writer, logTo func(slog.Leveler) slog.Handler) int {
	c, code := readServeConfig(args, stdout, stderr)
	if c == nil {
		return code
	}
	log := newLogger(c, stderr)
	if logTo != nil {
		log = slog.New(logTo(c.LogLevel))
	}
	if err := serve(ctx, c, log); err != nil {
		fmt.Fprintln(stderr, "sesame serve:", err)
		return 1
	}
	return 0
}

// newLogger writes to stderr, where systemd's journal or a container
// runtime collects it (the Windows service logs to the event log): key=value lines,
// or one JSON object a line with --log-format json.
func newLogger(c *serveConfig, stderr io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogJSON {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}

// serve runs the portal on c until ctx is done, then stops it; the data
// file is closed only once nothing started here can still use it.
func serve(ctx context.Context, c *serveConfig, log *slog.Logger) error {
	compactAtStart(c.Data, log)
	st, err := store.Create(c.Data, time.Second)
	if err != nil {
		return err
	}
	if m := st.Migrated(); m != nil {
		log.Warn("data file upgraded to a newer schema; the file as it was is kept beside it: to roll back, stop, put back the previous release's binary and this copy",
			"from_schema", m.From, "to_schema", m.To, "copy", m.Backup)
	}
	if r := st.Recovery(); r != nil {
		log.Warn("the previous stop was unclean (killed, crashed, power cut, or a backup copied while serving): the data file was checked and is sound",
			"check_took", r.Took.Round(time.Millisecond).String(), "pending_mails_resumed", r.Pending)
	}
	if err := st.MarkErr(); err != nil {
		log.Warn("cannot record that the data file is in use; the next start will not know whether this stop was clean", "err", err)
	}
	err = serveStore(ctx, c, st, log)
	if cerr := st.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("closing the data file: %w", cerr))
	}
	log.Info("stopped")
	return err
}

// serveStore runs the HTTP server, the mail worker, the sweeper, the
// profiler and the admin socket over st, and returns once every one of
// them has returned.
func serveStore(ctx context.Context, c *serveConfig, st *store.Store, log *slog.Logger) error {
	s := newServices(st, c.Services, log)
	if c.Demo {
		if err := seedDemo(ctx, s); err != nil {
			return fmt.Errorf("demo account: %w", err)
		}
	}
	transport, mailbox := mailTransport(c, log)
	// One reporter for every writer of the data file: a full disk is
	// logged at a bounded rate, and /readyz hears of it from either side.
	writes := writefail.New(log, 0, nil)
	worker := &delivery.Worker{Queue: st, Composer: c.composer(), Transport: transport, Log: log, RetryBase: c.MailRetry, Writes: writes}
	s.accounts.Mail, s.recovery.Mail, s.staff.Mail, s.desk.Mail = worker, worker, worker, worker
	deps := handlerDeps(c, s, mailbox, log)
	if err := serveOIDC(c, s, &deps, log); err != nil {
		return err
	}
	deps.Writes, deps.Ready = writes, readiness(worker, writes, st)
	var set *metrics.Set
	var metricsLn net.Listener
	if c.MetricsAddr != "" {
		// Listened on before anything starts, so a taken port stops the
		// start-up with its reason rather than leave monitoring blind.
		var err error
		if metricsLn, err = net.Listen("tcp", c.MetricsAddr); err != nil {
			return fmt.Errorf("cannot listen on --metrics-addr %s: %w", c.MetricsAddr, err)
		}
		defer metricsLn.Close()
		set = metrics.NewSet()
		deps.Metrics = handlers.NewMetrics(set)
		registerMetrics(set, worker, st)
	}
	app := handlers.New(deps)

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on --addr %s: %w", c.Addr, err)
	}
	if c.TLS != nil {
		ln = tls.NewListener(ln, c.TLS)
	}
	// The admin socket answers until everything else has stopped, and
	// waits for the commands it is running before the file closes. A
	// portal without one still serves parents: the admin commands then
	// need the service stopped, and say so.
	if admin, err := listenAdmin(c.Data, s); err != nil {
		log.Warn("no admin socket: admin commands (accounts, backup, mail queue…) need the service stopped while they run",
			"socket", socketPath(c.Data), "err", err)
	} else {
		defer admin.Close()
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		err := app.Listener(ln)
		if gctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("http server: %w", cmp.Or(err, errors.New("stopped")))
	})
	g.Go(func() error {
		<-gctx.Done()
		log.Info("shutting down: finishing requests in progress")
		if err := app.ShutdownWithTimeout(shutdownTimeout); err != nil {
			log.Warn("shutdown", "err", err)
		}
		// Fiber forgets a listener it has not started serving yet.
		ln.Close()
		return nil
	})
	// The worker finishes the message the SMTP server is receiving and
	// records it as sent before it returns; the others stay due.
	g.Go(func() error { keepRunning(gctx, log, "mail worker", worker.Run); return nil })
	g.Go(func() error { sweep(gctx, st, c.Retention, log, writes); return nil })
	if c.Pprof != "" {
		g.Go(func() error { servePprof(gctx, c.Pprof, log); return nil })
	}
	metricsAt := ""
	if metricsLn != nil {
		metricsAt = metricsLn.Addr().String()
		g.Go(func() error { serveMetrics(gctx, metricsLn, set, log); return nil })
	}
	log.Info("Sésame is ready", "addr", ln.Addr().String(), "metrics_addr", metricsAt, "base_url", c.BaseURL.String(), "data", c.Data, "demo", c.Demo)
	if c.Demo {
		log.Info("demo parent", "identifier", demoIdentifier, "note", "password in README")
	}
	return g.Wait()
}

// readyWindow is how long a refused write keeps /readyz at "not ready".
// The web side never hears of a write that succeeds, so the state
// clears this long after the last failure, or at once when the mail
// worker records a message.
const readyWindow = 15 * time.Second

// readiness is /readyz's question: not ready while the mail worker is
// paused or the data file refused a write lately. It never writes (a
// probe must not fill a disk) and says why without a path or a secret.
func readiness(w *delivery.Worker, writes *writefail.Reporter, st outboxCounter) func() error {
	return func() error {
		if err := w.Ready(); err != nil {
			return err
		}
		// One read transaction over the pending messages only.
		if n, err := st.CountOutbox(time.Now()); err == nil && n.OverdueCodes > 0 {
			return fmt.Errorf("%d security-code e-mails waited longer than their code is valid (%d e-mails pending; see `sesame mail queue`)",
				n.OverdueCodes, n.Pending)
		}
		if err := writes.Recent(readyWindow); err != nil {
			why := "write refused"
			var errno syscall.Errno
			if errors.As(err, &errno) {
				why = errno.Error()
			}
			return fmt.Errorf("the data file cannot be written (%s)", why)
		}
		return nil
	}
}

// mailTransport is where e-mails go: the SMTP server, the demo mailbox
// (returned too, for its page), or nowhere yet.
func mailTransport(c *serveConfig, log *slog.Logger) (delivery.Transport, *delivery.Mailbox) {
	switch {
	case c.SMTP != nil:
		log.Info("mail goes through SMTP", "server", c.SMTP.String())
		return delivery.NewSender(*c.SMTP), nil
	case c.Demo:
		mailbox := delivery.NewMailbox(50)
		log.Info("demo mode: e-mails go to the local mailbox", "url", c.BaseURL.String()+"/dev/mailbox")
		return mailbox, mailbox
	}
	log.Warn("no SMTP server configured (--smtp-url): e-mails wait in the outbox until one is; see `sesame mail queue`")
	return nil, nil
}

func handlerDeps(c *serveConfig, s *services, mailbox *delivery.Mailbox, log *slog.Logger) handlers.Deps {
	deps := handlers.Deps{
		Config: handlers.Config{
			School: c.Services.School, BaseURL: c.BaseURL, DefaultLang: c.Lang, Demo: c.Demo,
			TrustedProxies: c.TrustedProxies, Secretariat: c.Secretariat, Location: c.Services.Location,
			TrustedNetworks: c.TrustedNetworks, Legal: c.Legal, DeskNetworks: c.DeskNetworks,
		},
		Staff:      s.staff,
		Desk:       s.desk,
		Accounts:   s.accounts,
		Recovery:   s.recovery,
		Activation: s.activation,
		Locales:    bundle(),
		Log:        log,
		Secret:     s.store.Secret(),
	}
	if mailbox != nil {
		deps.Mailbox = mailbox
	}
	if !c.RateLimits {
		log.Warn("rate limits are off (--rate-limits off): for load tests only")
		deps.Limits = &ratelimit.Limits{}
	}
	return deps
}

// sweep deletes expired sessions, flows and codes, and sent or failed
// e-mails past the retention, every few minutes.
func sweep(ctx context.Context, st *store.Store, retention time.Duration, log *slog.Logger, writes *writefail.Reporter) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		sweepOnce(st, retention, log, writes)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweepOnce is one pass of the sweeper. A panic (bbolt meeting a damaged
// page) is logged and the server goes on: the next pass tries again, and
// `sesame check` says what is damaged.
func sweepOnce(st *store.Store, retention time.Duration, log *slog.Logger, writes *writefail.Reporter) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverLog(log, "sweep")
	// A refused write is told by the shared reporter, at its bounded
	// rate, like every other writer's; anything else is the sweep's own.
	failed := func(what string, err error) {
		if writefail.Is(err) {
			writes.Failed("sweeper", err)
			return
		}
		log.Warn(what, "err", err)
	}
	now := time.Now()
	if n, err := st.Sweep(now); err != nil {
		failed("sweep", err)
	} else if n > 0 {
		log.Debug("swept expired records", "count", n)
	}
	if _, err := st.SweepOutbox(now.Add(-retention)); err != nil {
		failed("outbox sweep", err)
	}
	if _, err := st.SweepAudit(now.Add(-audit.Retention)); err != nil {
		failed("audit sweep", err)
	}
	if _, err := st.SweepOIDC(now); err != nil {
		failed("refresh token sweep", err)
	}
}

// recoverLog, deferred, turns a panic into one error line: the panic's
// value only (bbolt's messages name pages, not data), never a stack
// dump of arguments.
func recoverLog(log *slog.Logger, what string) {
	if r := recover(); r != nil {
		log.Error(what+" failed: the data file may be damaged; run `sesame check`", "panic", fmt.Sprint(r))
	}
}

// restartDelay spaces the restarts of a background loop that panicked,
// so a damaged page read at each pass does not flood the log.
var restartDelay = 5 * time.Second

// keepRunning runs run until ctx is done, restarting it a few seconds
// after a panic (a damaged page met by a background loop), so that one
// bad record neither kills the server nor stops the loop for good.
func keepRunning(ctx context.Context, log *slog.Logger, what string, run func(context.Context)) {
	for ctx.Err() == nil {
		func() {
			defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
			defer recoverLog(log, what)
			run(ctx)
		}()
		select {
		case <-ctx.Done():
		case <-time.After(restartDelay):
		}
	}
}

// usageExit ends a command whose options could not be read: --help has
// printed the usage; any other error is said in one line (with the
// place the bad value came from and an example), not the whole usage.
func usageExit(err error, stderr io.Writer) int {
	if errors.Is(err, flagErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, err)
	return 2
}
