package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"sesame/internal/invitation"
)

const inviteUsage = `Usage: sesame invite [--not-activated] [--class C]… [--account ID]… [--rate 5/s] [--force] [--dry-run] [--data FILE]

E-mails each chosen adult who has an e-mail address and no password yet
their identifier, their children and a link to choose their password.
The link opens « Récupérer son identifiant et son mot de passe » with
their address filled in: the parent presses « Valider », receives a
security code at that address, and chooses a password. It carries no
code of its own, so any activation letter the adult also has keeps
working, and the mailbox is checked again when the link is used.

Adults who already have a password are counted and left out; adults
without an address are listed: they need a letter (sesame letters).
An adult invited less than 7 days ago is left out, so the command can
be run again (after an import, or a stop) without mailing anyone twice.

The e-mails are queued in the server's outbox and leave at --rate, so
the school's mail server never refuses a burst; the server must be
running. Each invitation is recorded in the audit log.

  --not-activated   only adults without a password (always so: kept for
                    the same command line as sesame letters)
  --class C         only the parents of a pupil in class C (repeatable)
  --account ID      only these adults (repeatable)
  --rate N/s        how many e-mails leave per second, minute or hour:
                    5/s (default), 300/min, 1000/h
  --force           invite again adults invited less than 7 days ago
  --dry-run         list who would be invited; queue nothing
`

func runInvite(args []string, stdout, stderr io.Writer) int {
	data, config, rest, err := splitData(args)
	if err != nil {
		fmt.Fprintln(stderr, "sesame invite:", err)
		return 2
	}
	if len(rest) > 0 && (rest[0] == "--help" || rest[0] == "-h" || rest[0] == "help") {
		fmt.Fprint(stdout, inviteUsage)
		return 0
	}
	return runAdmin(data, config, adminRequest{Args: append([]string{"invite"}, rest...)}, stdout, stderr)
}

// inviteCmd chooses the adults and queues their invitations in one
// transaction, spaced at --rate, each audited; the worker of the server
// it runs in is woken to send them.
func inviteCmd(s *services, req adminRequest, out io.Writer) int {
	fs := flag.NewFlagSet("invite", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Bool("not-activated", true, "only adults without a password (always so)")
	var classes, ids repeated
	fs.Var(&classes, "class", "only the parents of a pupil in this class (repeatable)")
	fs.Var(&ids, "account", "only this adult (repeatable)")
	rateFlag := fs.String("rate", invitation.DefaultRate.String(), "e-mails per second, minute or hour: 5/s, 300/min, 1000/h")
	force := fs.Bool("force", false, "invite again adults invited less than 7 days ago")
	dryRun := fs.Bool("dry-run", false, "list who would be invited; queue nothing")
	if err := fs.Parse(req.Args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(out, "sesame invite: unexpected %q\n", fs.Arg(0))
		return 2
	}
	rate, err := invitation.ParseRate(*rateFlag)
	if err != nil {
		fmt.Fprintln(out, "sesame invite: --"+err.Error())
		return 2
	}
	o := invitation.Options{Accounts: ids, Classes: classes, Force: *force, Rate: rate, Operator: req.operator()}
	svc := &invitation.Service{Store: s.store}
	sel, err := svc.Select(o)
	var unknown *invitation.UnknownAccountsError
	var noClass *invitation.NoClassError
	switch {
	case errors.As(err, &unknown):
		fmt.Fprintf(out, "sesame invite: %v\n", err)
		return 1
	case errors.As(err, &noClass):
		known := "no account has classes (the export had no class column)"
		if len(noClass.Known) > 0 {
			known = "classes: " + strings.Join(noClass.Known, ", ")
		}
		fmt.Fprintf(out, "sesame invite: %v; %s\n", err, known)
		return 1
	case err != nil:
		fmt.Fprintln(out, "sesame invite:", err)
		return 1
	}
	if *dryRun {
		fmt.Fprintf(out, "would invite %d adult(s) at %s (dry run: nothing queued)\n", len(sel.Invite), rate)
		if len(sel.Invite) > 0 {
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "IDENTIFIER\tNAME\tE-MAIL\tLANG\tCHILDREN")
			for _, a := range sel.Invite {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.Name(), a.Email, orDash(a.Lang), orDash(a.ChildrenLabel()))
			}
			tw.Flush()
		}
		printLeftOut(out, sel)
		return 0
	}
	if len(sel.Invite) == 0 {
		fmt.Fprintln(out, "sesame invite: no adult to invite")
		printLeftOut(out, sel)
		return 1
	}
	// Spacing the e-mails only holds when the worker that sends them is
	// the one running now: queued while the server is stopped, they
	// would all be due at its start and leave in one burst.
	if s.accounts.Mail == nil {
		fmt.Fprintln(out, "sesame invite: the server is not running on this data file: start it (systemctl start sesame), then run this again; "+
			"it queues the e-mails in its outbox and sends them at --rate")
		return 1
	}
	// The command itself is recorded once it has run, with its outcome
	// (execAdmin); each invitation with its own event.
	q, err := svc.Queue(sel, o)
	if errors.Is(err, invitation.ErrChanged) {
		fmt.Fprintln(out, "sesame invite: an account changed while the invitations were prepared (another sesame invite, or a parent choosing a password); nothing was queued: run the command again")
		return 1
	}
	if err != nil {
		fmt.Fprintln(out, "sesame invite:", err)
		return 1
	}
	s.accounts.Mail.Notify()
	fmt.Fprintf(out, "queued %d invitation(s) at %s: the first leaves at %s, the last at %s (%s)\n",
		q.Count, rate, s.clockTime(q.First), s.clockTime(q.Last), s.zone())
	fmt.Fprintln(out, "see them leave with `sesame mail queue`")
	printLeftOut(out, sel)
	return 0
}

// printLeftOut says whom the command left out, and why: counts for the
// adults who need nothing, the list of those who need a letter.
func printLeftOut(out io.Writer, sel invitation.Selection) {
	if n := len(sel.Activated); n > 0 {
		fmt.Fprintf(out, "left out: %d adult(s) who already have a password\n", n)
	}
	if n := len(sel.Recent); n > 0 {
		fmt.Fprintf(out, "left out: %d adult(s) invited less than 7 days ago (--force to invite them again)\n", n)
	}
	if n := len(sel.Disabled); n > 0 {
		fmt.Fprintf(out, "left out: %d disabled account(s)\n", n)
	}
	if len(sel.NoEmail) == 0 {
		return
	}
	fmt.Fprintf(out, "no e-mail address for %d adult(s): they need a letter (sesame letters --not-activated --account ID…):\n", len(sel.NoEmail))
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, a := range sel.NoEmail {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.ID, a.Name(), orDash(a.ChildrenLabel()))
	}
	tw.Flush()
}

// clockTime writes t in the school's zone to the second: invitations
// leave a fraction of a second apart.
func (s *services) clockTime(t time.Time) string {
	return t.In(s.zone()).Format("2006-01-02 15:04:05")
}
