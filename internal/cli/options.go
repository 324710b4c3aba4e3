// Package cli is the sesame command: `serve` runs the portal, and the
// admin commands (accounts, mail, …) let a school's IT person manage it,
// through the running server's admin socket when it runs, or on the data
// file directly when it does not.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// envPrefix is the prefix of every environment variable that stands for
// an option: --base-url is SESAME_BASE_URL.
const envPrefix = "SESAME_"

func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// newFlagSet returns a flag set whose usage lists each option with its
// environment variable.
func newFlagSet(name, summary string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: %s\n\n%s\n\nOptions (each can also be set with the environment variable shown):\n", name, summary)
		fs.VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" && f.DefValue != "false" {
				def = fmt.Sprintf(" (default %q)", f.DefValue)
			}
			env := " [" + envName(f.Name) + "]"
			if cliOnly[f.Name] && f.Name != "config" {
				env = "" // a command, not a setting
			}
			fmt.Fprintf(out, "  --%s %s%s\n      %s\n", f.Name, env, def, f.Usage)
		})
	}
	return fs
}

// flagSetWith is a flag set that remembers where each option's value
// came from (the command line, a SESAME_* variable or a line of the
// configuration file), so an error names the place to fix.
type flagSetWith struct {
	*flag.FlagSet
	// from maps an option's name to where its value came from; an
	// option left at its default is absent.
	from map[string]source
	// extras are the file and environment keys that are not options,
	// such as SESAME_SMTP_PASSWORD (never on a command line).
	extras map[string]*string
	// setting is where the values being Set now come from; setErr is
	// the first value refused, with that place.
	setting source
	setErr  error
}

// source is where an option's value came from: the command line
// (file == "", line 0, env false), the environment, or a file's line.
type source struct {
	env  bool
	file string
	line int
}

// cliOnly options are read from the command line only: --config is the
// file (or SESAME_CONFIG), and --print-config-example a command.
var cliOnly = map[string]bool{"config": true, "print-config-example": true}

// newFlagSetWith wraps fs once all its flags are defined: each value is
// tracked so that a refused one is reported with where it came from.
func newFlagSetWith(fs *flag.FlagSet) *flagSetWith {
	w := &flagSetWith{FlagSet: fs, from: map[string]source{}, extras: map[string]*string{}}
	fs.VisitAll(func(f *flag.Flag) { f.Value = &trackedValue{Value: f.Value, name: f.Name, fs: w} })
	return w
}

// trackedValue records where its flag was set from, and turns a refused
// value into one line naming that place with an example.
type trackedValue struct {
	flag.Value
	name string
	fs   *flagSetWith
}

func (v *trackedValue) Set(s string) error {
	if err := v.Value.Set(s); err != nil {
		if v.fs.setErr == nil {
			v.fs.setErr = v.fs.explain(&optError{Name: v.name, Value: s, Why: valueHint(v.Value, err)}, v.fs.setting)
		}
		return err
	}
	v.fs.from[v.name] = v.fs.setting
	return nil
}

// IsBoolFlag keeps --demo working without a value.
func (v *trackedValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// valueHint says what a value of this kind looks like.
func valueHint(v flag.Value, err error) string {
	if _, ok := v.(*durationValue); ok {
		return err.Error()
	}
	if g, ok := v.(flag.Getter); ok {
		switch g.Get().(type) {
		case bool:
			return "expected true or false"
		case int, int64, uint, uint64:
			return "expected a whole number, e.g. 12"
		case float64:
			return "expected a number, e.g. 1.5"
		}
	}
	return err.Error()
}

// durationValue is a duration option that also takes days: 30d, 1d12h,
// as well as Go's 90s, 30m, 12h.
type durationValue time.Duration

// durationVar defines a duration option that accepts days.
func durationVar(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var((*durationValue)(p), name, usage)
}

func (d *durationValue) Set(s string) error {
	v, err := parseDays(s)
	if err != nil {
		return err
	}
	*d = durationValue(v)
	return nil
}

func (d *durationValue) String() string { return fmtDuration(time.Duration(*d)) }

func (d *durationValue) Get() any { return time.Duration(*d) }

// parseDays reads a duration with an optional leading number of days:
// 30d, 1d12h, 45m.
func parseDays(s string) (time.Duration, error) {
	bad := fmt.Errorf("expected a duration such as 90s, 30m, 12h, 30d or 1d12h")
	t := strings.TrimSpace(s)
	var days time.Duration
	if i := strings.IndexByte(t, 'd'); i >= 0 {
		n, err := strconv.ParseUint(t[:i], 10, 16)
		if err != nil {
			return 0, bad
		}
		days, t = time.Duration(n)*24*time.Hour, t[i+1:]
		if t == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(t)
	if err != nil || d < 0 {
		return 0, bad
	}
	return days + d, nil
}

// fmtDuration writes d the way an operator writes it: 30d, 1d12h, 15m,
// 10s, rather than Go's 720h0m0s.
func fmtDuration(d time.Duration) string {
	if d <= 0 {
		return d.String()
	}
	var b strings.Builder
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&b, "%dd", days)
		d -= days * 24 * time.Hour
		if d == 0 {
			return b.String()
		}
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return b.String() + s
}

// knownKeys are the keys a configuration file may hold: one per option
// of `sesame serve`, and SESAME_SMTP_PASSWORD.
func knownKeys() map[string]bool {
	fs, _ := serveFlags(io.Discard)
	keys := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		if !cliOnly[f.Name] {
			keys[envName(f.Name)] = true
		}
	})
	for k := range fs.extras {
		keys[k] = true
	}
	return keys
}

// parse reads the options: the command line first, then for each
// option not given there its SESAME_* variable, then the configuration
// file (--config, or SESAME_CONFIG), then the default. A bad value is
// an *optError-based error naming where it came from; --help prints the
// usage and returns flag.ErrHelp.
func parse(fs *flagSetWith, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {}
	out := fs.Output()
	fs.SetOutput(io.Discard)
	fs.setting = source{}
	err := fs.Parse(args)
	fs.Usage = usage
	fs.SetOutput(out)
	if errors.Is(err, flag.ErrHelp) {
		usage()
		return err
	}
	if fs.setErr != nil {
		return fs.setErr
	}
	if err != nil {
		return fmt.Errorf("%v (--help lists the options)", err)
	}
	var file *envFile
	if cf := fs.Lookup("config"); cf != nil {
		path, from := cf.Value.String(), "--config"
		if _, given := fs.from["config"]; !given {
			path, from = os.Getenv(envName("config")), envName("config")
		}
		if path != "" {
			b, err := os.ReadFile(path)
			switch {
			case errors.Is(err, os.ErrNotExist):
				return fmt.Errorf("%s %q: no such file", from, path)
			case errors.Is(err, os.ErrPermission):
				return fmt.Errorf("%s %q: permission denied (run as the service's user, or let it read the file)", from, path)
			case err != nil:
				return fmt.Errorf("%s %q: %v", from, path, err)
			}
			if file, err = parseEnvFile(path, b, knownKeys()); err != nil {
				return err
			}
		}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || cliOnly[f.Name] || fs.setErr != nil {
			return
		}
		key := envName(f.Name)
		if v, ok := os.LookupEnv(key); ok {
			fs.setting = source{env: true}
			// The same value in the file: it is most likely there from
			// systemd's EnvironmentFile, so name the file's line.
			if fv, inFile := file.value(key); inFile && fv.Value == v {
				fs.setting = source{env: true, file: file.Path, line: fv.Line}
			}
			fs.Set(f.Name, v)
		} else if fv, ok := file.value(key); ok {
			fs.setting = source{file: file.Path, line: fv.Line}
			fs.Set(f.Name, fv.Value)
		}
	})
	if fs.setErr != nil {
		return fs.setErr
	}
	for key, p := range fs.extras {
		if v, ok := os.LookupEnv(key); ok {
			*p = v
		} else if fv, ok := file.value(key); ok {
			*p = fv.Value
		}
	}
	return nil
}

func (f *envFile) value(key string) (envFileValue, bool) {
	if f == nil {
		return envFileValue{}, false
	}
	v, ok := f.Values[key]
	return v, ok
}

// optError is a bad option value, named by its flag; explain names the
// place it came from instead.
type optError struct{ Name, Value, Why string }

func (e *optError) Error() string { return fmt.Sprintf("invalid --%s %q: %s", e.Name, e.Value, e.Why) }

// optionError names the option a bad value came from.
func optionError(name, value, why string) error {
	return &optError{Name: name, Value: value, Why: why}
}

// explain rewrites an *optError to name where its value came from: the
// SESAME_* variable, or the file and line. Other errors pass unchanged.
func (fs *flagSetWith) explain(err error, src source) error {
	var oe *optError
	if !errors.As(err, &oe) {
		return err
	}
	switch {
	case src.file != "" && src.env:
		return fmt.Errorf("invalid %s %q (as in %s line %d): %s", envName(oe.Name), oe.Value, src.file, src.line, oe.Why)
	case src.file != "":
		return fmt.Errorf("%s line %d: invalid %s %q: %s", src.file, src.line, envName(oe.Name), oe.Value, oe.Why)
	case src.env:
		return fmt.Errorf("invalid %s %q: %s", envName(oe.Name), oe.Value, oe.Why)
	}
	return err
}

// explainOption is explain for an error found after parsing, by the
// option's recorded origin.
func (fs *flagSetWith) explainOption(err error) error {
	var oe *optError
	if !errors.As(err, &oe) {
		return err
	}
	return fs.explain(err, fs.from[oe.Name])
}

func checkAddr(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return optionError("addr", v, "expected HOST:PORT, e.g. :8080 or 127.0.0.1:8080")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return optionError("addr", v, "the port must be a number from 0 to 65535")
	}
	if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
		return optionError("addr", v, "not a host name or IP address")
	}
	return nil
}

func parseBaseURL(v string) (*url.URL, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, optionError("base-url", v, "expected the address parents type, e.g. https://parents.ecole.fr")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

func checkDuration(name string, d, min, max time.Duration) error {
	if d < min || d > max {
		return optionError(name, fmtDuration(d), fmt.Sprintf("must be between %s and %s", fmtDuration(min), fmtDuration(max)))
	}
	return nil
}
