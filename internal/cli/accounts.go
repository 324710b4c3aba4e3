package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/identity"
	"sesame/internal/store"
)

const accountsUsage = `Usage: sesame accounts COMMAND [options]

Manage parents' accounts. Every command takes --data (SESAME_DATA); when
the server is running on that file, the command goes through its admin
socket, so the portal never has to stop.

Commands:
  import FILE.csv [options]          create or update accounts from the school's export
      --dry-run                      print what would change, write nothing
      --sync                         the file is the whole school: accounts it does not
                                     name are disabled (and listed)
      --purge-after 1y               with --sync: delete accounts disabled by sync for
                                     longer than this (1y, 18mo, 90d, never)
      --skip-invalid                 write the good lines even when some are bad
      --allow-mass-disable           let --sync disable over half of the accounts
      --verbose                      list every created account
                                     The file: a header row; ";" or ","; UTF-8 or
                                     Windows-1252; one line per adult, one line per adult
                                     per pupil, or one line per pupil with responsible
                                     adults 1 and 2 (French or English column names).
  add --last-name N --first-name P [--email E] [--identifier ID] [--lang fr|en]
  edit ID [--email E] [--last-name N] [--first-name P] [--phone T] [--lang fr|en]
  list [--not-activated] [--class C] every account (or those), one per line
  show WHO                           one account in detail: identifier, e-mail or name
  export                             every account as CSV (UTF-8, ";"), for the school's
                                     data protection requests
  delete ID [--yes]                  delete an account and anonymise its audit trail
                                     (asks to type the identifier again, unless --yes)
  disable ID | enable ID             stop or allow sign-in and recovery
  set-password ID                    set a password (asked on the terminal, or read
                                     from standard input; never on the command line)
`

// execAdmin runs one admin command on s and writes what it says to out.
// It is the only implementation: the socket server and the offline
// client both call it, so the output is the same either way. Every
// command that changes something is recorded in the audit log once it
// has run: the command line (never a secret: passwords come on the
// input), the OS user, the account it names, and how it ended — done,
// or refused with the first line it said.
func execAdmin(s *services, req adminRequest, out io.Writer) int {
	account, audited := auditedCommand(req.Args)
	if !audited || s.accounts.Audit == nil {
		return execCommand(s, req, out)
	}
	var said bytes.Buffer
	tee := io.MultiWriter(out, &limitedWriter{w: &said, n: 4096})
	if sink, ok := out.(fileSink); ok {
		// A command that hands a file back (letters) finds its sink.
		tee = teeSink{Writer: tee, fileSink: sink}
	}
	code := execCommand(s, req, tee)
	detail := strings.Join(req.Args, " ")
	ev := audit.Event{Time: time.Now(), Kind: audit.AdminCommand, Account: account, Operator: req.operator(), Outcome: audit.OutcomeDone}
	if code != 0 {
		why, _, _ := strings.Cut(strings.TrimSpace(said.String()), "\n")
		ev.Outcome = audit.Refused(strings.TrimPrefix(why, "sesame "))
	} else if m := createdRe.FindStringSubmatch(said.String()); account == "" && m != nil && req.Args[0] == "accounts" {
		ev.Account = m[1] // accounts add chose the identifier
	} else if len(req.Args) >= 3 && req.Args[0] == "accounts" && req.Args[1] == "delete" {
		// The account is gone and its trail anonymised: this record
		// must not name it again.
		ev.Account = ""
		detail = strings.ReplaceAll(detail, account, "[deleted account]")
	}
	ev.Detail = detail
	s.accounts.Audit.Append(ev)
	return code
}

// createdRe finds the identifier accounts add chose in what it said.
var createdRe = regexp.MustCompile(`^created (\S+) `)

// auditedCommand says whether an admin command changes something, and
// so is recorded, and which account it names, if one.
func auditedCommand(args []string) (string, bool) {
	if len(args) >= 1 && (args[0] == "letters" || args[0] == "invite") {
		return "", true // codes issued, e-mails queued
	}
	if len(args) < 2 {
		return "", false
	}
	first := func() string {
		for _, a := range args[2:] {
			if !strings.HasPrefix(a, "-") {
				if id, err := identity.NormalizeIdentifier(a); err == nil {
					return id
				}
				return ""
			}
		}
		return ""
	}
	switch args[0] + " " + args[1] {
	case "accounts import", "staff add", "staff disable", "staff reset":
		return "", true
	case "accounts add":
		for i, a := range args {
			if (a == "--identifier" || a == "-identifier") && i+1 < len(args) {
				id, _ := identity.NormalizeIdentifier(args[i+1])
				return id, true
			}
		}
		return "", true
	case "accounts edit", "accounts delete", "accounts disable", "accounts enable", "accounts set-password":
		return first(), true
	case "activation issue":
		if len(args) == 3 {
			return first(), true
		}
		return "", true
	}
	return "", false
}

// limitedWriter keeps at most n bytes: what a command said, for the
// reason of a refusal.
type limitedWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if room := l.n - l.w.Len(); room > 0 {
		l.w.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// teeSink is a tee that still takes a file, for the commands that make
// one.
type teeSink struct {
	io.Writer
	fileSink
}

// execCommand runs one admin command on s.
func execCommand(s *services, req adminRequest, out io.Writer) int {
	args := req.Args
	if len(args) == 2 && args[0] == "mail" && args[1] == "queue" {
		return mailQueue(s, out)
	}
	if len(args) == 2 && args[0] == "backup" {
		return backupCmd(s, args[1], out)
	}
	if len(args) >= 1 && args[0] == "check" {
		return checkCmd(s, args[1:], out)
	}
	if len(args) == 1 && args[0] == "compact" {
		return compactCmd(s, out)
	}
	if len(args) >= 1 && args[0] == "audit" {
		return auditCmd(s, args[1:], out)
	}
	if len(args) >= 1 && args[0] == "letters" {
		return lettersCmd(s, args[1:], out)
	}
	if len(args) >= 1 && args[0] == "invite" {
		return inviteCmd(s, req, out)
	}
	if len(args) >= 1 && args[0] == "stats" {
		return statsCmd(s, args[1:], out)
	}
	if len(args) >= 1 && args[0] == "activation" {
		return activationCmd(s, args[1:], out)
	}
	if len(args) >= 1 && args[0] == "oidc" {
		return oidcCmd(s, args[1:], req, out)
	}
	if len(args) >= 1 && args[0] == "staff" {
		return staffCmd(s, args[1:], req, out)
	}
	if len(args) < 2 || args[0] != "accounts" {
		fmt.Fprint(out, accountsUsage)
		return 2
	}
	ctx := context.Background()
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "import":
		return cmdImport(s, rest, req, out)
	case "add":
		return cmdAdd(ctx, s, rest, out)
	case "edit":
		return cmdEdit(s, rest, req, out)
	case "delete":
		return cmdDelete(s, rest, req, out)
	case "list":
		return cmdList(s, rest, out)
	case "export":
		return cmdExport(s, out)
	case "show":
		if len(rest) == 0 {
			fmt.Fprintln(out, "sesame accounts show: give an identifier, an e-mail address or a name")
			return 2
		}
		return cmdShow(s, strings.Join(rest, " "), out)
	case "disable", "enable", "set-password":
		if len(rest) != 1 {
			fmt.Fprintf(out, "sesame accounts %s: give exactly one identifier\n", cmd)
			return 2
		}
		return cmdOne(ctx, s, cmd, rest[0], req, out)
	}
	fmt.Fprintf(out, "sesame accounts: unknown command %q\n\n%s", cmd, accountsUsage)
	return 2
}

func cmdAdd(ctx context.Context, s *services, args []string, out io.Writer) int {
	fs := flag.NewFlagSet("add", flag.ContinueOnError)
	fs.SetOutput(out)
	var a account.Account
	fs.StringVar(&a.ID, "identifier", "", "identifier (default: generated from the names, e.g. dupont.marie)")
	fs.StringVar(&a.LastName, "last-name", "", "last name")
	fs.StringVar(&a.FirstName, "first-name", "", "first name")
	fs.StringVar(&a.Email, "email", "", "e-mail address given to the school (none: the parent needs a letter)")
	fs.StringVar(&a.Lang, "lang", "", "preferred language: fr or en")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if a.ID == "" {
		a.ID = identity.GenerateIdentifier(a.LastName, a.FirstName, func(id string) bool {
			_, err := s.accounts.Get(id)
			return err == nil
		})
	}
	a, err := s.accounts.Add(ctx, a, "")
	if err != nil {
		fmt.Fprintln(out, "sesame accounts add:", describe(err))
		return 1
	}
	if a.Email == "" {
		fmt.Fprintf(out, "created %s (%s, no e-mail); no password yet: the parent needs an activation letter\n", a.ID, a.Name())
		return 0
	}
	fmt.Fprintf(out, "created %s (%s, %s); no password yet: the parent chooses one with « Récupérer son identifiant et son mot de passe »\n", a.ID, a.Name(), a.Email)
	return 0
}

func cmdList(s *services, args []string, out io.Writer) int {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	fs.SetOutput(out)
	notActivated := fs.Bool("not-activated", false, "only accounts whose parent has not chosen a password yet")
	class := fs.String("class", "", "only the parents of a pupil in this class (e.g. \"6e A\")")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	all, err := s.accounts.List()
	// Broken records are reported after the good ones are listed.
	if err != nil && !errors.Is(err, store.ErrCorrupt) {
		fmt.Fprintln(out, "sesame accounts list:", err)
		return 1
	}
	var as []account.Account
	for _, a := range all {
		if (*notActivated && a.Activated()) || (*class != "" && !a.InClass(*class)) {
			continue
		}
		as = append(as, a)
	}
	if *class != "" && len(as) == 0 {
		known := "no account has classes (the export had no class column)"
		if cs := account.Classes(all); len(cs) > 0 {
			known = "classes: " + strings.Join(cs, ", ")
		}
		fmt.Fprintf(out, "sesame accounts list: no account has a child in class %q; %s\n", *class, known)
		return 1
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IDENTIFIER\tNAME\tE-MAIL\tCHILDREN\tSTATE\tPASSWORD")
	for _, a := range as {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Name(), orDash(a.Email), orDash(a.ChildrenLabel()), a.State, pwState(a))
	}
	tw.Flush()
	fmt.Fprintf(out, "%d account(s)\n", len(as))
	return reportBroken(out, "sesame accounts list", err)
}

// reportBroken ends a listing that left out records it could not read:
// it names them (keys only) and points at `sesame check`, and the
// command exits 1 so a script notices.
func reportBroken(out io.Writer, cmd string, err error) int {
	if err == nil {
		return 0
	}
	fmt.Fprintf(out, "%s: %v\nsome records could not be read: run `sesame check` and restore a backup or use --repair-to\n", cmd, err)
	return 1
}

func cmdOne(ctx context.Context, s *services, cmd, id string, req adminRequest, out io.Writer) int {
	var a account.Account
	var err error
	switch cmd {
	case "show":
		a, err = s.accounts.Get(id)
	case "disable", "enable":
		// Recorded with the change, in its transaction, with the OS user.
		st, kind := account.Disabled, audit.AccountDisabled
		if cmd == "enable" {
			st, kind = account.Active, audit.AccountEnabled
		}
		a, err = s.accounts.SetStateAs(id, st, audit.Event{Kind: kind, Operator: req.operator(), Detail: "by hand"})
		if errors.Is(err, account.ErrSameState) {
			fmt.Fprintf(out, "%s is already %s\n", a.ID, a.State)
			return 0
		}
	case "set-password":
		pw := strings.TrimRight(string(req.Input), "\r\n")
		a, err = s.accounts.AdminSetPassword(ctx, id, pw)
	}
	if err != nil {
		fmt.Fprintf(out, "sesame accounts %s: %s\n", cmd, describe(err))
		return 1
	}
	switch cmd {
	case "disable", "enable":
		fmt.Fprintf(out, "%s is now %s\n", a.ID, a.State)
		return 0
	case "set-password":
		fmt.Fprintf(out, "password set for %s; every session of the account was closed\n", a.ID)
		return 0
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "identifier\t%s\nlast name\t%s\nfirst name\t%s\ne-mail\t%s\nlanguage\t%s\nstate\t%s\npassword\t%s\ncreated\t%s\nupdated\t%s\npassword changed\t%s\n",
		a.ID, a.LastName, a.FirstName, a.Email, orDash(a.Lang), a.State, pwState(a),
		s.stamp(a.Created), s.stamp(a.Updated), s.stamp(a.PasswordChanged))
	tw.Flush()
	return 0
}

// flagsFirst moves options, with their values, before the other
// arguments, so `import FILE --sync --purge-after 1y` means what it
// says (the flag package stops at the first argument that is not an
// option). fs tells which options take a value.
func flagsFirst(fs *flag.FlagSet, args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil && !isBool(f) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return append(flags, rest...)
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// describe says what went wrong in words for the IT person.
func describe(err error) string {
	var pe *account.PolicyError
	switch {
	case errors.As(err, &pe):
		ids := make([]string, len(pe.Rules))
		for i, r := range pe.Rules {
			ids[i] = string(r)
		}
		return "the password breaks the policy: " + strings.Join(ids, ", ")
	case errors.Is(err, account.ErrNotFound):
		return "no such account"
	case errors.Is(err, account.ErrExists):
		return "this identifier is already taken"
	case errors.Is(err, identity.ErrInvalidIdentifier):
		return "invalid identifier (letters a-z, digits, '.', '-', '_'; 2 to 64): " + identity.Reason(err)
	case errors.Is(err, identity.ErrInvalidEmail):
		return "invalid e-mail address: " + identity.Reason(err)
	}
	return err.Error()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func pwState(a account.Account) string {
	if a.Activated() {
		return "set"
	}
	return "not yet chosen"
}

// stamp writes t in the school's zone and names the zone, so an
// operator on a UTC server reads the time the parents saw.
func (s *services) stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(s.zone()).Format("2006-01-02 15:04") + " (" + s.zone().String() + ")"
}

// isoStamp writes t for a spreadsheet, in the school's zone: sortable,
// and read as a date by Excel and LibreOffice; "" for a zero time.
func (s *services) isoStamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.zone()).Format("2006-01-02 15:04")
}

// zone is the school's time zone; UTC for services built without one
// (tests), never the server's.
func (s *services) zone() *time.Location {
	if s.loc == nil {
		return time.UTC
	}
	return s.loc
}
