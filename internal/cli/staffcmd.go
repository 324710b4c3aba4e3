package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"sesame/internal/identity"
	"sesame/internal/staff"
)

const staffUsage = `Usage: sesame staff COMMAND [options] [--data FILE]

The school office's accounts for the secretariat desk (BASE-URL/secretariat),
separate from the parents' accounts. A member signs in with their address,
a password and a second factor (an authenticator app), which they choose
themselves through a one-time set-up link.

Commands:
  add --email E --name "N" --role secretariat|admin
                       a new member; prints their set-up link (valid 24 h,
                       usable once), also e-mailed to them
  list                 every member: role, state, last sign-in
  disable EMAIL        stop a member signing in; ends their sessions
  reset EMAIL          a new set-up link (lost phone, forgotten password, a
                       member coming back): their password, second factor and
                       recovery codes are cleared and their sessions ended

Roles: secretariat helps one parent at a time and reads the school's view;
admin may also import the school's export at the desk and end other
members' sessions.
`

func runStaff(args []string, stdout, stderr io.Writer) int {
	data, config, rest, err := splitData(args)
	if err != nil {
		fmt.Fprintln(stderr, "sesame staff:", err)
		return 2
	}
	if len(rest) == 0 || rest[0] == "--help" || rest[0] == "-h" || rest[0] == "help" {
		fmt.Fprint(stdout, staffUsage)
		if len(rest) == 0 {
			return 2
		}
		return 0
	}
	return runAdmin(data, config, adminRequest{Args: append([]string{"staff"}, rest...)}, stdout, stderr)
}

// staffCmd runs `staff …` on s for the operator of req.
func staffCmd(s *services, args []string, req adminRequest, out io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(out, staffUsage)
		return 2
	}
	ctx := context.Background()
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "add":
		fs := flag.NewFlagSet("staff add", flag.ContinueOnError)
		fs.SetOutput(out)
		email := fs.String("email", "", "the member's work address: their sign-in name")
		name := fs.String("name", "", "their name, as the audit log and the desk show it")
		role := fs.String("role", "", "secretariat or admin")
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if fs.NArg() > 0 || *email == "" || *name == "" || *role == "" {
			fmt.Fprintln(out, "sesame staff add: give --email, --name and --role (secretariat or admin)")
			return 2
		}
		r, err := staff.ParseRole(*role)
		if err != nil {
			fmt.Fprintln(out, "sesame staff add: --role must be secretariat or admin")
			return 2
		}
		m, link, err := s.staff.Add(ctx, *email, *name, r, req.operator())
		if err != nil {
			fmt.Fprintln(out, "sesame staff add:", describeStaff(err))
			return 1
		}
		fmt.Fprintf(out, "added %s (%s, %s); set-up link, valid until %s and usable once (also e-mailed to them):\n%s\n",
			m.Email, m.Name, m.Role, s.stamp(m.Setup.Expires), link)
		return 0
	case "list":
		if len(rest) > 0 {
			fmt.Fprintln(out, "sesame staff list: no argument expected")
			return 2
		}
		ms, err := s.staff.List()
		if err != nil {
			fmt.Fprintln(out, "sesame staff list:", err)
			return 1
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "E-MAIL\tNAME\tROLE\tSTATE\tLAST SIGN-IN")
		for _, m := range ms {
			state := string(m.State)
			if m.State == staff.Pending && m.Setup != nil {
				state += " (set-up link until " + s.stamp(m.Setup.Expires) + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Email, m.Name, m.Role, state, s.stamp(m.LastLogin))
		}
		tw.Flush()
		fmt.Fprintf(out, "%d member(s)\n", len(ms))
		return 0
	case "disable", "reset":
		if len(rest) != 1 {
			fmt.Fprintf(out, "sesame staff %s: give exactly one address\n", cmd)
			return 2
		}
		if cmd == "disable" {
			m, err := s.staff.Disable(ctx, rest[0], req.operator())
			if err != nil {
				fmt.Fprintln(out, "sesame staff disable:", describeStaff(err))
				return 1
			}
			fmt.Fprintf(out, "%s is now disabled; their sessions were ended\n", m.Email)
			return 0
		}
		m, link, err := s.staff.Reset(ctx, rest[0], req.operator())
		if err != nil {
			fmt.Fprintln(out, "sesame staff reset:", describeStaff(err))
			return 1
		}
		fmt.Fprintf(out, "%s must set up their access again; their sessions were ended. Set-up link, valid until %s and usable once (also e-mailed to them):\n%s\n",
			m.Email, s.stamp(m.Setup.Expires), link)
		return 0
	}
	fmt.Fprintf(out, "sesame staff: unknown command %q\n\n%s", cmd, staffUsage)
	return 2
}

// describeStaff says why a staff command failed, for the IT person.
func describeStaff(err error) string {
	switch {
	case errors.Is(err, staff.ErrNotFound):
		return "no member has this address (sesame staff list)"
	case errors.Is(err, staff.ErrExists):
		return "a member already has this address"
	case errors.Is(err, identity.ErrInvalidEmail):
		return "invalid e-mail address: " + identity.Reason(err)
	case errors.Is(err, staff.ErrBadName):
		return "--name must be one line of 1 to 100 characters"
	}
	return err.Error()
}
