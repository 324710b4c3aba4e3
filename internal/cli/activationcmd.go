package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"sesame/internal/account"
	"sesame/internal/activation"
)

const activationUsage = `Usage: sesame activation issue ID [ID…] [--data FILE]

Gives each account a new activation code, for a parent who has no
password yet: the parent types it with their identifier at
BASE-URL/activation (« Première connexion ? Activer mon compte »), or
opens the link printed here, and chooses a password. The code is valid
--activation-ttl (8 weeks by default) and only once; any earlier code
of the account stops working. An account that already has a password
gets none: its parent uses « Récupérer son identifiant et son mot de
passe ». Letters for many parents at once: sesame letters.
`

func runActivation(args []string, stdout, stderr io.Writer) int {
	data, config, rest, err := splitData(args)
	if err != nil {
		fmt.Fprintln(stderr, "sesame activation:", err)
		return 2
	}
	if len(rest) == 0 || rest[0] == "--help" || rest[0] == "-h" || rest[0] == "help" {
		fmt.Fprint(stdout, activationUsage)
		if len(rest) == 0 {
			return 2
		}
		return 0
	}
	return runAdmin(data, config, adminRequest{Args: append([]string{"activation"}, rest...)}, stdout, stderr)
}

// activationCmd runs `activation issue ID…` on s: one transaction for
// every code, each recorded in the audit log (never the code).
func activationCmd(s *services, args []string, out io.Writer) int {
	if len(args) < 2 || args[0] != "issue" {
		fmt.Fprint(out, activationUsage)
		return 2
	}
	issued, err := s.activation.IssueMany(context.Background(), args[1:], activation.ViaAdmin)
	if err != nil {
		fmt.Fprintln(out, "sesame activation issue:", err)
		return 1
	}
	code := 0
	for _, is := range issued {
		if is.Err != nil {
			fmt.Fprintf(out, "sesame activation issue: %s: %s\n", is.Account, describeActivation(is.Err))
			code = 1
			continue
		}
		fmt.Fprintf(out, "activation code for %s: %s\nlink: %s\nvalid until: %s; any earlier code of %s no longer works\n",
			is.Account, is.Code, activation.Link(s.baseURL, is.Account, is.Code), s.stamp(is.Expires), is.Account)
	}
	return code
}

// describeActivation says why an account got no code, in words for the
// IT person.
func describeActivation(err error) string {
	switch {
	case errors.Is(err, activation.ErrActivated):
		return "the account already has a password: its parent uses « Récupérer son identifiant et son mot de passe »"
	case errors.Is(err, activation.ErrDisabled):
		return "the account is disabled: enable it first (sesame accounts enable ID)"
	case errors.Is(err, account.ErrNotFound):
		return "no such account"
	}
	return err.Error()
}
