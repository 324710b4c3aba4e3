package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"sesame/internal/identity"
)

const auditUsage = `Usage: sesame audit [--account ID] [--since WHEN] [--data FILE]

Prints the audit log: sign-ins, recoveries, password changes, admin
commands and what the school office did at the desk, with time, account,
who acted for the school (cli:USER, staff:ADDRESS) and how it ended,
client address — never a secret, and addresses masked. --account ID
also finds the events of the address the account shares with its family
and the school's actions on it. Step 1
for unknown addresses and requests refused a new code are counted per
client address and hour (×N until HH:MM:SS) and kept 30 days; the rest
is kept a year. WHEN is a
date (2026-09-01), a date and time (2026-09-01T08:00), or a duration back
from now (24h, 7d).
`

func runAudit(args []string, stdout, stderr io.Writer) int {
	data, config, rest, err := splitData(args)
	if err != nil {
		fmt.Fprintln(stderr, "sesame audit:", err)
		return 2
	}
	for _, a := range rest {
		if a == "--help" || a == "-h" {
			fmt.Fprint(stdout, auditUsage)
			return 0
		}
	}
	return runAdmin(data, config, adminRequest{Args: append([]string{"audit"}, rest...)}, stdout, stderr)
}

func auditCmd(s *services, args []string, out io.Writer) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(out)
	account := fs.String("account", "", "only this identifier's events, its address's and the school's actions on it")
	since := fs.String("since", "", "only events after this date, time or duration back")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	from, err := parseSince(*since, time.Now(), s.zone())
	if err != nil {
		fmt.Fprintf(out, "sesame audit: invalid --since %q: use 2026-09-01, 2026-09-01T08:00, 24h or 7d\n", *since)
		return 2
	}
	if *account != "" {
		if id, err := identity.NormalizeIdentifier(*account); err == nil {
			*account = id
		}
	}
	evs, err := s.store.Audit(from, *account)
	if err != nil {
		fmt.Fprintln(out, "sesame audit:", err)
		return 1
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME ("+s.zone().String()+")\tEVENT\tACCOUNT\tBY\tOUTCOME\tE-MAIL\tADDRESS\tDETAIL")
	for _, e := range evs {
		detail := e.Detail
		if e.Aggregated() {
			// One record per client and hour: say how many, until when.
			detail = strings.TrimPrefix(detail+fmt.Sprintf(", ×%d until %s", e.Count, e.Last.In(s.zone()).Format("15:04:05")), ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.In(s.zone()).Format("2006-01-02 15:04:05"), e.Kind,
			orDash(e.Account), orDash(e.Operator), orDash(e.Outcome), orDash(e.Email), orDash(e.IP), orDash(detail))
	}
	tw.Flush()
	fmt.Fprintf(out, "%d event(s)\n", len(evs))
	return 0
}

// parseSince reads --since: a duration back from now, or a date and
// time in the school's zone loc.
func parseSince(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) > 1 && s[len(s)-1] == 'd' {
		var n int
		if _, err := fmt.Sscanf(s, "%dd", &n); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time")
}
