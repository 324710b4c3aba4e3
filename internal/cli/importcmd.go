package cli

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"strings"

	"sesame/internal/account"
	"sesame/internal/importcsv"
)

// maxListed bounds each list of a report (--verbose lifts it): a first
// import of 5,000 adults, or September's sync where every class changed,
// is summed up, not scrolled, and a wrong file of megabytes gets a report
// of kilobytes. The counts are always whole.
const maxListed = 50

// cmdImport reads the school's export and applies it (see
// account.Service.Import), printing what the file is and what changed.
func cmdImport(s *services, args []string, req adminRequest, out io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(out)
	var o account.ImportOptions
	fs.BoolVar(&o.SkipInvalid, "skip-invalid", false, "write the good lines even when some are bad (not with --sync)")
	fs.BoolVar(&o.DryRun, "dry-run", false, "print what would change and write nothing")
	fs.BoolVar(&o.Sync, "sync", false, "the file is the whole school: disable the accounts it does not name")
	purge := fs.String("purge-after", "1y", "with --sync: delete accounts disabled by sync longer than this (1y, 18mo, 90d, never)")
	fs.BoolVar(&o.AllowMassDisable, "allow-mass-disable", false, "with --sync: allow disabling more than half of the active accounts")
	verbose := fs.Bool("verbose", false, "list every created and unchanged account")
	if err := fs.Parse(flagsFirst(fs, args)); err != nil {
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintln(out, "sesame accounts import: give one file")
		return 2
	}
	var err error
	if o.PurgeAfter, err = account.ParseRetention(*purge); err != nil {
		fmt.Fprintln(out, "sesame accounts import: --purge-after:", err)
		return 2
	}
	o.Operator = req.operator()
	res, err := importcsv.Parse(bytes.NewReader(req.Input))
	if err != nil {
		fmt.Fprintln(out, "sesame accounts import:", err)
		return 1
	}
	rep, err := s.accounts.Import(res, o)
	if err != nil {
		fmt.Fprintln(out, "sesame accounts import:", err)
		return 1
	}
	printImport(out, res, rep, o, *verbose)
	if !rep.Written && !o.DryRun {
		return 1
	}
	return 0
}

// printImport writes the import's report: the file as understood, then
// each kind of change, then one summary line.
func printImport(out io.Writer, res *importcsv.Result, rep account.ImportReport, o account.ImportOptions, verbose bool) {
	sep := "semicolon (;)"
	if res.Delimiter == ',' {
		sep = "comma (,)"
	}
	fmt.Fprintf(out, "File: %s, separator %s, %s; %d adult(s)", res.Encoding, sep, res.Shape.Describe(), len(res.Adults))
	if n := pupils(res); n > 0 {
		fmt.Fprintf(out, ", %d pupil(s)", n)
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Columns used:")
	for _, c := range res.Columns {
		fmt.Fprintf(out, "  %-28s %s\n", fmt.Sprintf("%q", c.Header), c.Meaning)
	}
	if len(res.IgnoredColumns) > 0 {
		q := make([]string, len(res.IgnoredColumns))
		for i, c := range res.IgnoredColumns {
			q[i] = fmt.Sprintf("%q", c)
		}
		more := ""
		if res.MoreIgnoredColumns > 0 {
			more = fmt.Sprintf(" … and %d more", res.MoreIgnoredColumns)
		}
		fmt.Fprintf(out, "Columns ignored: %s%s\n", strings.Join(q, ", "), more)
	} else {
		fmt.Fprintln(out, "Columns ignored: none")
	}

	var noEmail []string
	for _, ad := range res.Adults {
		if ad.Email == "" {
			noEmail = append(noEmail, fmt.Sprintf("line %s: %s", lines(ad.Lines), adult(ad)))
		}
	}
	limit := maxListed
	if verbose {
		limit = -1
	}
	section(out, "Adults without e-mail (they will need a printed letter)", noEmail, limit)

	var warn []string
	for _, w := range res.Warnings {
		warn = append(warn, w.String())
	}
	section(out, "Warnings", warn, limit)
	var rejected []string
	for _, e := range rep.Rejected {
		rejected = append(rejected, e.String())
	}
	section(out, "Rejected", rejected, limit)
	var amb []string
	for _, a := range rep.Ambiguous {
		amb = append(amb, fmt.Sprintf("line %s: %s could be %s: %s", lines(a.Lines), a.Name, strings.Join(a.Candidates, " or "), a.Why))
	}
	section(out, "Ambiguous (nothing done for them)", amb, limit)
	section(out, "Created", changes(rep.Created, func(c account.Change) string {
		return fmt.Sprintf("+ %s  %s%s  (line %s)", c.Account.ID, who(c.Account), children(c.Account), lines(c.Lines))
	}), limit)
	section(out, "Updated", changes(rep.Updated, func(c account.Change) string {
		parts := make([]string, len(c.Fields))
		for i, f := range c.Fields {
			parts[i] = fmt.Sprintf("%s %s → %s", f.Field, orDash(f.Old), orDash(f.New))
		}
		return fmt.Sprintf("~ %s  %s (found by %s, line %s): %s", c.Account.ID, displayName(c.Account), c.MatchedBy, lines(c.Lines), strings.Join(parts, "; "))
	}), limit)
	section(out, "Enabled again (back in the export)", changes(rep.Enabled, func(c account.Change) string {
		return fmt.Sprintf("+ %s  %s", c.Account.ID, displayName(c.Account))
	}), limit)
	section(out, "Disabled (absent from the export; deleted after "+account.FormatRetention(o.PurgeAfter)+")", changes(rep.Disabled, func(c account.Change) string {
		return fmt.Sprintf("- %s  %s", c.Account.ID, who(c.Account))
	}), limit)
	section(out, "Deleted (disabled by sync for more than "+account.FormatRetention(o.PurgeAfter)+"; audit trail anonymised)", changes(rep.Purged, func(c account.Change) string {
		return fmt.Sprintf("x %s  %s, disabled on %s", c.Account.ID, displayName(c.Account), c.Account.DisabledAt.Format("2006-01-02"))
	}), limit)

	verb := "Done"
	switch {
	case o.DryRun:
		verb = "Dry run, nothing written; would have"
	case !rep.Written:
		verb = "Nothing was written: " + rep.Refused + ". Would have"
	}
	fmt.Fprintf(out, "%s: created %d, updated %d, unchanged %d", verb, len(rep.Created), len(rep.Updated), rep.Unchanged)
	if o.Sync {
		fmt.Fprintf(out, ", enabled %d, disabled %d, deleted %d", len(rep.Enabled), len(rep.Disabled), len(rep.Purged))
	}
	fmt.Fprintf(out, ", rejected %d line(s), ambiguous %d\n", len(rep.Rejected), len(rep.Ambiguous))
}

// section prints a titled list, at most limit items (-1: all).
func section(out io.Writer, title string, items []string, limit int) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(out, "%s (%d):\n", title, len(items))
	for i, it := range items {
		if limit >= 0 && i == limit {
			fmt.Fprintf(out, "  … and %d more (--verbose lists them all)\n", len(items)-limit)
			break
		}
		fmt.Fprintln(out, "  "+it)
	}
}

func changes(cs []account.Change, f func(account.Change) string) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = f(c)
	}
	return out
}

func pupils(res *importcsv.Result) int {
	seen := make(map[string]bool)
	for _, ad := range res.Adults {
		for _, p := range ad.Children {
			seen[p.Key] = true
		}
	}
	return len(seen)
}

// lines lists an adult's lines, the first few: an adult on more lines
// than a family has children is a sign of a wrong file, not a list to
// read.
func lines(ls []int) string {
	const most = 6
	s := make([]string, 0, min(len(ls), most))
	for i, l := range ls {
		if i == most {
			s = append(s, fmt.Sprintf("… (%d lines)", len(ls)))
			break
		}
		s = append(s, fmt.Sprint(l))
	}
	return strings.Join(s, ", ")
}

// adult names an adult of the file for the report.
func adult(ad importcsv.Adult) string {
	n := strings.TrimSpace(ad.FirstName + " " + ad.LastName)
	if n == "" {
		return ad.Email
	}
	return n
}

// who is an account's name and address for a report line.
func who(a account.Account) string {
	n := a.Name()
	if a.Email == "" {
		return n + " (no e-mail)"
	}
	if n == "" {
		return a.Email
	}
	return n + " <" + a.Email + ">"
}

func children(a account.Account) string {
	if l := a.ChildrenLabel(); l != "" {
		return " — " + l
	}
	return ""
}

// displayName is the account's name, or its address when the school's
// file named the adult by e-mail only.
func displayName(a account.Account) string {
	if n := a.Name(); n != "" {
		return n
	}
	return orDash(a.Email)
}
