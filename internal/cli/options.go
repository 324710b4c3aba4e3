// Package cli is the sesame command: `serve` runs the portal, and the
// admin commands (accounts, mail, …) let a school's IT person manage it,
// through the running server's admin socket when it runs, or on the data
// file directly when it does not.
package cli

import (
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
			fmt.Fprintf(out, "  --%s  [%s]%s\n      %s\n", f.Name, envName(f.Name), def, f.Usage)
		})
	}
	return fs
}

// applyEnv sets every flag not given on the command line from its
// environment variable, if set. Flags win over the environment.
func applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = &envError{fmt.Sprintf("invalid %s %q (for --%s): %v", envName(f.Name), v, f.Name, e)}
			}
		}
	})
	return err
}

// parse parses args then the environment.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	return applyEnv(fs)
}

// optionError names the option a bad value came from.
func optionError(name, value, why string) error {
	return fmt.Errorf("invalid --%s %q: %s", name, value, why)
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
		return optionError(name, d.String(), fmt.Sprintf("must be between %s and %s", min, max))
	}
	return nil
}

// envError is a bad value in an environment variable.
type envError struct{ msg string }

func (e *envError) Error() string { return e.msg }
