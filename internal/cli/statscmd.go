package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/identity"
	"sesame/internal/store"
)

const statsUsage = `Usage: sesame stats [--class C]… [--data FILE]

Who has activated, by class: the adults imported (active accounts with a
child in the class), how many were sent an invitation e-mail, were
printed a letter, have chosen a password (activated), have signed in at
least once, and the latest sign-in in the class; then a total. An adult
with children in two classes counts in both classes, and once in the
total. Disabled accounts are not counted. Times are in the school's zone.
Who has not activated: sesame accounts list --not-activated [--class C].
`

func runStats(args []string, stdout, stderr io.Writer) int {
	data, config, rest, err := splitData(args)
	if err != nil {
		fmt.Fprintln(stderr, "sesame stats:", err)
		return 2
	}
	if len(rest) > 0 && (rest[0] == "--help" || rest[0] == "-h" || rest[0] == "help") {
		fmt.Fprint(stdout, statsUsage)
		return 0
	}
	return runAdmin(data, config, adminRequest{Args: append([]string{"stats"}, rest...)}, stdout, stderr)
}

// statsRow is one line of `sesame stats`.
type statsRow struct {
	Class                                        string
	Adults, Invited, Letter, Activated, SignedIn int
	LastLogin                                    time.Time
}

func (r *statsRow) add(a account.Account, st activation.Status) {
	r.Adults++
	if !a.Invited.IsZero() || !st.Invited.IsZero() {
		r.Invited++
	}
	if !st.LetterPrinted.IsZero() {
		r.Letter++
	}
	if a.Activated() {
		r.Activated++
	}
	if !a.LastLogin.IsZero() {
		r.SignedIn++
		if a.LastLogin.After(r.LastLogin) {
			r.LastLogin = a.LastLogin
		}
	}
}

// noClass is the row of the adults none of whose children has a class
// (or who have no children: an account added by hand).
const noClass = "(no class)"

// classStats counts the active accounts by class, and once each in the
// total. With classes, only those rows, and the total over their adults.
func classStats(all []account.Account, statuses map[string]activation.Status, classes []string) (rows []statsRow, total statsRow, disabled int) {
	label := map[string]string{} // folded class → as first written
	for _, c := range account.Classes(all) {
		label[identity.FoldName(c)] = c
	}
	byClass := map[string]*statsRow{}
	total.Class = "TOTAL"
	for _, a := range all {
		if a.State != account.Active {
			disabled++
			continue
		}
		if len(classes) > 0 && !inAnyClass(a, classes) {
			continue
		}
		st := statuses[a.ID]
		seen := map[string]bool{}
		for _, ch := range a.Children {
			k := identity.FoldName(ch.Class)
			if k == "" || seen[k] || (len(classes) > 0 && !inAnyClassChild(ch, classes)) {
				continue
			}
			seen[k] = true
			if byClass[k] == nil {
				byClass[k] = &statsRow{Class: label[k]}
			}
			byClass[k].add(a, st)
		}
		if len(seen) == 0 && len(classes) == 0 {
			if byClass[""] == nil {
				byClass[""] = &statsRow{Class: noClass}
			}
			byClass[""].add(a, st)
		}
		total.add(a, st)
	}
	for k, r := range byClass {
		if k != "" {
			rows = append(rows, *r)
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Class < rows[j].Class })
	if r := byClass[""]; r != nil {
		rows = append(rows, *r)
	}
	return rows, total, disabled
}

// statsCmd prints the counts by class and the total.
func statsCmd(s *services, args []string, out io.Writer) int {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.SetOutput(out)
	var classes repeated
	fs.Var(&classes, "class", "only this class (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(out, "sesame stats: unexpected %q\n", fs.Arg(0))
		return 2
	}
	all, err := s.accounts.List()
	if err != nil && !errors.Is(err, store.ErrCorrupt) {
		fmt.Fprintln(out, "sesame stats:", err)
		return 1
	}
	statuses, serr := s.activation.Statuses()
	if serr != nil {
		fmt.Fprintln(out, "sesame stats:", serr)
		return 1
	}
	rows, total, disabled := classStats(all, statuses, classes)
	if len(classes) > 0 && total.Adults == 0 {
		known := "no account has classes (the export had no class column)"
		if cs := account.Classes(all); len(cs) > 0 {
			known = "classes: " + strings.Join(cs, ", ")
		}
		fmt.Fprintf(out, "sesame stats: no active account has a child in class %s; %s\n", strings.Join(classes, ", "), known)
		return 1
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tADULTS\tINVITED\tLETTER\tACTIVATED\tSIGNED IN\tLAST SIGN-IN")
	for _, r := range append(rows, total) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%d\t%s\n", r.Class, r.Adults, r.Invited, r.Letter,
			percent(r.Activated, r.Adults), r.SignedIn, s.minute(r.LastLogin))
	}
	tw.Flush()
	fmt.Fprintf(out, "An adult with children in two classes counts in both; TOTAL counts each adult once. Times in %s.\n", s.zone())
	if disabled > 0 {
		fmt.Fprintf(out, "%d disabled account(s) not counted.\n", disabled)
	}
	return reportBroken(out, "sesame stats", err)
}

// percent is "12 (40 %)", the share a school watches grow.
func percent(n, of int) string {
	if of == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%d%%)", n, n*100/of)
}

// minute writes t in the school's zone, "-" for never.
func (s *services) minute(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(s.zone()).Format("2006-01-02 15:04")
}
