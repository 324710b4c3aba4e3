package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sesame/internal/account"
	"sesame/internal/spreadsheet"
)

// cmdEdit corrects an account's details: only the options given change.
func cmdEdit(s *services, args []string, req adminRequest, out io.Writer) int {
	fs := flag.NewFlagSet("edit", flag.ContinueOnError)
	fs.SetOutput(out)
	var e account.Edit
	opt := func(name, usage string, dst **string) {
		fs.Func(name, usage, func(v string) error { *dst = &v; return nil })
	}
	opt("email", "new e-mail address", &e.Email)
	opt("last-name", "new last name", &e.LastName)
	opt("first-name", "new first name", &e.FirstName)
	opt("phone", "new phone number", &e.Phone)
	opt("lang", "language of the e-mails: fr or en", &e.Lang)
	if err := fs.Parse(flagsFirst(fs, args)); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(out, "sesame accounts edit: give exactly one identifier, then the options to change")
		return 2
	}
	a, fields, err := s.accounts.Edit(fs.Arg(0), e, req.operator())
	if err != nil {
		fmt.Fprintln(out, "sesame accounts edit:", describe(err))
		return 1
	}
	if len(fields) == 0 {
		fmt.Fprintf(out, "%s: nothing to change\n", a.ID)
		return 0
	}
	for _, f := range fields {
		fmt.Fprintf(out, "%s: %s %s → %s\n", a.ID, f.Field, orDash(f.Old), orDash(f.New))
	}
	return 0
}

// cmdDelete deletes one account once the operator typed its identifier
// again (sent as the input), or with --yes.
func cmdDelete(s *services, args []string, req adminRequest, out io.Writer) int {
	fs := flag.NewFlagSet("delete", flag.ContinueOnError)
	fs.SetOutput(out)
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	if err := fs.Parse(flagsFirst(fs, args)); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(out, "sesame accounts delete: give exactly one identifier")
		return 2
	}
	a, err := s.accounts.Get(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(out, "sesame accounts delete:", describe(err))
		return 1
	}
	if !*yes && strings.TrimSpace(strings.ToLower(string(req.Input))) != a.ID {
		fmt.Fprintf(out, "sesame accounts delete: not confirmed (the identifier typed was not %s); nothing deleted\n", a.ID)
		return 1
	}
	if _, err := s.accounts.Delete(a.ID, req.operator()); err != nil {
		fmt.Fprintln(out, "sesame accounts delete:", describe(err))
		return 1
	}
	fmt.Fprintf(out, "deleted %s (%s); its sessions are closed and its audit trail anonymised\n", a.ID, a.Name())
	return 0
}

// cmdShow prints the accounts someone looking for who may mean.
func cmdShow(s *services, who string, out io.Writer) int {
	as, err := s.accounts.Find(who)
	if err != nil {
		fmt.Fprintln(out, "sesame accounts show:", describe(err))
		return 1
	}
	if len(as) == 0 {
		fmt.Fprintf(out, "sesame accounts show: no account has the identifier, e-mail address or name %q\n", who)
		return 1
	}
	for i, a := range as {
		if i > 0 {
			fmt.Fprintln(out)
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "identifier\t%s\ncivility\t%s\nlast name\t%s\nfirst name\t%s\ne-mail\t%s\nphone\t%s\nlanguage\t%s\n",
			a.ID, orDash(a.Civility), a.LastName, a.FirstName, orDash(a.Email), orDash(a.Phone), orDash(a.Lang))
		for j, c := range a.Children {
			label := "children"
			if j > 0 {
				label = ""
			}
			fmt.Fprintf(tw, "%s\t%s %s%s\n", label, c.FirstName, c.LastName, classOf(c))
		}
		state := string(a.State)
		if a.State == account.Disabled && a.DisabledBy != "" {
			state += fmt.Sprintf(" (by %s, %s)", a.DisabledBy, s.stamp(a.DisabledAt))
		}
		fmt.Fprintf(tw, "state\t%s\npassword\t%s\ncreated\t%s\nupdated\t%s\npassword changed\t%s\ninvited\t%s\nlast sign-in\t%s\n",
			state, pwState(a), s.stamp(a.Created), s.stamp(a.Updated), s.stamp(a.PasswordChanged), s.stamp(a.Invited), s.stamp(a.LastLogin))
		tw.Flush()
	}
	return 0
}

func classOf(c account.Child) string {
	if c.Class == "" {
		return ""
	}
	return " (" + c.Class + ")"
}

// cmdExport writes every account as CSV, for a data protection access
// request or the school's own records: every field Sésame keeps about
// a parent, but no password hash.
func cmdExport(s *services, out io.Writer) int {
	as, err := s.accounts.List()
	if err != nil {
		fmt.Fprintln(out, "sesame accounts export:", err)
		return 1
	}
	w := spreadsheet.NewWriter(out)
	w.Write("identifiant", "civilité", "nom", "prénom", "courriel", "téléphone", "langue", "enfants",
		"état", "mot de passe choisi", "créé", "modifié", "mot de passe changé", "désactivé le", "désactivé par")
	for _, a := range as {
		kids := make([]string, len(a.Children))
		for i, c := range a.Children {
			kids[i] = c.FirstName + " " + c.LastName + classOf(c)
		}
		chosen := "non"
		if a.Activated() {
			chosen = "oui"
		}
		w.Write(a.ID, a.Civility, a.LastName, a.FirstName, a.Email, a.Phone, a.Lang, spreadsheet.Join(kids),
			string(a.State), chosen, s.isoStamp(a.Created), s.isoStamp(a.Updated), s.isoStamp(a.PasswordChanged),
			s.isoStamp(a.DisabledAt), a.DisabledBy)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(out, "sesame accounts export:", err)
		return 1
	}
	return 0
}
