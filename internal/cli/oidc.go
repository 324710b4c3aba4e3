package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"sesame/handlers"
	"sesame/internal/audit"
	"sesame/internal/forwardauth"
	"sesame/internal/oidc"
	"sesame/internal/oidc/provider"
)

const oidcUsage = `Usage: sesame oidc COMMAND [options]

The school's applications (Moodle, Nextcloud, a booking site…) sign parents
in with their Espace Parents account through OpenID Connect. The issuer is
the portal's --base-url; applications find everything at
BASE_URL/.well-known/openid-configuration. Every command takes --data
(SESAME_DATA) and goes through the running server's admin socket.

Commands:
  clients add --name NAME --redirect-uri URL [--redirect-uri URL…] [options]
                                     register an application; prints its client ID and,
                                     once, its secret (only a hash is kept)
      --public                       an application that cannot keep a secret (a phone
                                     app, a single-page site): it must use PKCE (S256)
      --post-logout-uri URL          where it may send the parent after signing them out
      --url URL                      its address on the parents' space (default: the
                                     first redirect URI's site)
      --icon URL|FILE                its icon there: an https address, or a PNG, SVG,
                                     JPEG, WebP, GIF or ICO file of at most 32 KB
      --children                     it may receive the children's names and classes
                                     (the "children" scope); without it, it cannot
  clients list                       the registered applications
  clients remove ID                  remove one: its parents are signed out of it
  keys                               the signing keys, current and retired
  rotate-keys [--alg RS256|ES256]    a new signing key (RS256 by default, what most
                                     applications expect); the old one stays published
                                     for a day, until every token it signed has expired
`

func runOIDC(args []string, stdout, stderr io.Writer) int {
	data, config, args, err := splitData(args)
	if err != nil {
		fmt.Fprintln(stderr, "sesame oidc:", err)
		return 2
	}
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprint(stdout, oidcUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	req := adminRequest{Args: append([]string{"oidc"}, args...)}
	// An icon given as a file is read here, by the administrator's
	// command, like an import's CSV: the server may not see the file.
	if len(args) >= 2 && args[0] == "clients" && args[1] == "add" {
		for i, a := range args {
			v, ok := "", false
			switch {
			case (a == "--icon" || a == "-icon") && i+1 < len(args):
				v, ok = args[i+1], true
			case strings.HasPrefix(a, "--icon="), strings.HasPrefix(a, "-icon="):
				_, v, _ = strings.Cut(a, "=")
				ok = true
			}
			if ok && !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
				b, err := readIcon(v)
				if err != nil {
					fmt.Fprintln(stderr, "sesame oidc clients add: --icon:", err)
					return 1
				}
				req.Input = b
			}
		}
	}
	return runAdmin(data, config, req, stdout, stderr)
}

func readIcon(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > oidc.MaxIconSize {
		return nil, fmt.Errorf("%s is %d KB; give an image of at most %d KB", path, fi.Size()>>10, oidc.MaxIconSize>>10)
	}
	return os.ReadFile(path)
}

// oidcCmd runs `sesame oidc …` on s (execAdmin's dispatch).
func oidcCmd(s *services, args []string, req adminRequest, out io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(out, oidcUsage)
		return 2
	}
	ctx := context.Background()
	switch {
	case args[0] == "rotate-keys":
		s.record(req, args)
		return cmdRotateKeys(ctx, s, args[1:], req, out)
	case args[0] == "keys":
		return cmdKeys(s, out)
	case args[0] == "clients" && len(args) >= 2 && args[1] == "add":
		s.record(req, args)
		return cmdClientsAdd(ctx, s, args[2:], req, out)
	case args[0] == "clients" && len(args) == 2 && args[1] == "list":
		return cmdClientsList(s, out)
	case args[0] == "clients" && len(args) >= 2 && args[1] == "remove":
		if len(args) != 3 {
			fmt.Fprintln(out, "sesame oidc clients remove: give exactly one client ID (see sesame oidc clients list)")
			return 2
		}
		s.record(req, args)
		return cmdClientsRemove(ctx, s, args[2], req, out)
	}
	fmt.Fprintf(out, "sesame oidc: unknown command %q\n\n%s", strings.Join(args, " "), oidcUsage)
	return 2
}

// record puts an admin command that changes something in the audit.
func (s *services) record(req adminRequest, args []string) {
	if s.accounts.Audit != nil {
		s.accounts.Audit.Append(audit.Event{Time: time.Now(), Kind: audit.AdminCommand, Detail: "oidc " + strings.Join(args, " "), Operator: req.operator()})
	}
}

// stringList is a flag given several times.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func cmdClientsAdd(ctx context.Context, s *services, args []string, req adminRequest, out io.Writer) int {
	fs := flag.NewFlagSet("clients add", flag.ContinueOnError)
	fs.SetOutput(out)
	var spec oidc.ClientSpec
	var redirects, logouts stringList
	fs.StringVar(&spec.Name, "name", "", "the application's name, as parents know it")
	fs.Var(&redirects, "redirect-uri", "an address it comes back to (repeat for several)")
	fs.Var(&logouts, "post-logout-uri", "an address it may send the parent to after signing them out (repeat for several)")
	fs.BoolVar(&spec.Public, "public", false, "it cannot keep a secret: PKCE (S256) is required")
	fs.StringVar(&spec.URL, "url", "", "its address on the parents' space")
	fs.StringVar(&spec.Icon, "icon", "", "its icon: an https address or an image file")
	fs.BoolVar(&spec.Children, "children", false, "it may receive the children's names and classes")
	if err := fs.Parse(flagsFirst(fs, args)); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(out, "sesame oidc clients add: unexpected %q (options start with --)\n", fs.Arg(0))
		return 2
	}
	spec.RedirectURIs, spec.PostLogoutURIs = redirects, logouts
	if spec.Icon != "" && !strings.HasPrefix(spec.Icon, "https://") && !strings.HasPrefix(spec.Icon, "http://") {
		spec.IconData, spec.IconType = req.Input, oidc.IconTypes[strings.ToLower(filepath.Ext(spec.Icon))]
		if spec.IconData == nil {
			spec.IconData = []byte{}
		}
		spec.Icon = ""
	}
	c, secret, err := s.oidc.RegisterClient(ctx, spec, req.operator())
	var se *oidc.SpecError
	switch {
	case errors.As(err, &se):
		fmt.Fprintln(out, "sesame oidc clients add:", se.Msg)
		return 2
	case err != nil:
		fmt.Fprintln(out, "sesame oidc clients add:", err)
		return 1
	}
	fmt.Fprintf(out, "Registered %s.\n\n", c.Name)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  client ID\t%s\n", c.ID)
	if secret != "" {
		fmt.Fprintf(tw, "  client secret\t%s\n", secret)
	} else {
		fmt.Fprintf(tw, "  client secret\tnone (public client: PKCE with S256)\n")
	}
	if s.oidc.Issuer != "" {
		fmt.Fprintf(tw, "  issuer\t%s\n", s.oidc.Issuer)
		fmt.Fprintf(tw, "  discovery\t%s/.well-known/openid-configuration\n", s.oidc.Issuer)
	} else {
		fmt.Fprintf(tw, "  issuer\tthe portal's --base-url (discovery: BASE_URL/.well-known/openid-configuration)\n")
	}
	for _, u := range c.RedirectURIs {
		fmt.Fprintf(tw, "  redirect URI\t%s\n", u)
	}
	for _, u := range c.PostLogoutURIs {
		fmt.Fprintf(tw, "  post-logout URI\t%s\n", u)
	}
	scopes := "openid profile email offline_access"
	if c.Children {
		scopes += " children"
	}
	fmt.Fprintf(tw, "  scopes\t%s\n", scopes)
	tw.Flush()
	if secret != "" {
		fmt.Fprintln(out, "\nCopy the secret into the application's settings now: it is not shown again (only its hash is kept).")
	}
	return 0
}

func cmdClientsList(s *services, out io.Writer) int {
	cs, err := s.oidc.Clients()
	if err != nil {
		fmt.Fprintln(out, "sesame oidc clients list:", err)
		return 1
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT ID\tNAME\tTYPE\tREDIRECT URIS\tCHILDREN\tREGISTERED")
	for _, c := range cs {
		kind := "confidential"
		if c.Public {
			kind = "public"
		}
		children := "no"
		if c.Children {
			children = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, kind, strings.Join(c.RedirectURIs, " "), children,
			c.Created.In(s.zone()).Format("2006-01-02 15:04"))
	}
	tw.Flush()
	fmt.Fprintf(out, "%d application(s)\n", len(cs))
	return 0
}

func cmdClientsRemove(ctx context.Context, s *services, id string, req adminRequest, out io.Writer) int {
	c, err := s.oidc.RemoveClient(ctx, id, req.operator())
	switch {
	case errors.Is(err, oidc.ErrNotFound):
		fmt.Fprintf(out, "sesame oidc clients remove: no application %q (see sesame oidc clients list)\n", id)
		return 1
	case err != nil:
		fmt.Fprintln(out, "sesame oidc clients remove:", err)
		return 1
	}
	fmt.Fprintf(out, "removed %s (%s): its refresh tokens are revoked and its access tokens refused\n", c.ID, c.Name)
	return 0
}

func cmdKeys(s *services, out io.Writer) int {
	keys, err := s.oidc.Keys()
	if err != nil {
		fmt.Fprintln(out, "sesame oidc keys:", err)
		return 1
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY ID\tALGORITHM\tCREATED\tSTATE")
	for _, k := range keys {
		state := "signing"
		if !k.Retired.IsZero() {
			state = "retired " + k.Retired.In(s.zone()).Format("2006-01-02 15:04") + ", published until " +
				k.Retired.Add(oidc.KeyRetention).In(s.zone()).Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.Alg, k.Created.In(s.zone()).Format("2006-01-02 15:04"), state)
	}
	tw.Flush()
	if len(keys) == 0 {
		fmt.Fprintln(out, "no key yet: the server makes one at its first start")
	}
	return 0
}

func cmdRotateKeys(ctx context.Context, s *services, args []string, req adminRequest, out io.Writer) int {
	fs := flag.NewFlagSet("rotate-keys", flag.ContinueOnError)
	fs.SetOutput(out)
	alg := fs.String("alg", oidc.RS256, "RS256 (default, what most applications expect) or ES256")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *alg != oidc.RS256 && *alg != oidc.ES256 {
		fmt.Fprintf(out, "sesame oidc rotate-keys: invalid --alg %q: use RS256 or ES256\n", *alg)
		return 2
	}
	k, err := s.oidc.RotateKeys(ctx, *alg, req.operator())
	if err != nil {
		fmt.Fprintln(out, "sesame oidc rotate-keys:", err)
		return 1
	}
	fmt.Fprintf(out, "new %s signing key %s; the previous one stays published until %s\n", k.Alg, k.ID,
		k.Created.Add(oidc.KeyRetention).In(s.zone()).Format("2006-01-02 15:04"))
	return 0
}

// parseOIDC reads --oidc-token-ttl and --forward-auth-domains.
func parseOIDC(o *serveOptions, c *serveConfig) error {
	if err := checkDuration("oidc-token-ttl", o.OIDCTokenTTL, time.Second, oidc.MaxTokenTTL); err != nil {
		return err
	}
	c.OIDCTokenTTL = o.OIDCTokenTTL
	fa, err := forwardauth.Parse(o.ForwardAuthDomains, c.BaseURL)
	if err != nil {
		return optionError("forward-auth-domains", o.ForwardAuthDomains, err.Error())
	}
	c.ForwardAuth = fa
	return nil
}

// serveOIDC sets up the OpenID Connect provider for serve: the first
// signing key of a new data file, and the provider the handlers call.
func serveOIDC(c *serveConfig, s *services, deps *handlers.Deps, log *slog.Logger) error {
	s.oidc.TokenTTL = c.OIDCTokenTTL
	s.oidc.Issuer = c.BaseURL.String()
	if err := s.oidc.EnsureKey(); err != nil {
		return fmt.Errorf("OpenID Connect signing key: %w", err)
	}
	p, err := provider.New(provider.Config{Service: s.oidc, Accounts: s.accounts, BaseURL: c.BaseURL, Secret: s.store.Secret(), Log: log})
	if err != nil {
		return fmt.Errorf("OpenID Connect provider: %w", err)
	}
	deps.OIDC = p
	deps.Config.ForwardAuth = c.ForwardAuth
	// zitadel's op logs through slog's default logger: make it the
	// portal's, so its lines go where the others go, in their format.
	slog.SetDefault(log)
	return nil
}
