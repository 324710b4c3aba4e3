package cli

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	// The school's --timezone must load on a bare host or a scratch
	// container without /usr/share/zoneinfo: the zone data is embedded
	// (about 420 kB more in the binary), never taken from the server's zone.
	_ "time/tzdata"

	"golang.org/x/term"
)

var flagErrHelp = flag.ErrHelp

const mainUsage = `Sésame: the sign-in and password recovery of a school's Espace Parents.

Usage:
  sesame serve [options]        run the portal (sesame serve --help lists every option)
  sesame serve --demo           try it: a demo parent and a banner, nothing else needed
  sesame accounts COMMAND       import, add, list, show, disable, enable parents' accounts,
                                set a password (sesame accounts --help)
  sesame activation issue ID    a new activation code (and its link) for a parent
                                without a password yet
  sesame letters -o lettres.pdf [--class C] [--not-activated]
                                the activation letters to hand out, one page per adult
                                (sesame letters --help)
  sesame invite [--class C] [--dry-run]
                                e-mail the adults without a password a link to choose one,
                                at --rate (sesame invite --help)
  sesame stats [--class C]      who has activated, by class: invited, letter, activated,
                                signed in, last sign-in
  sesame staff COMMAND          the school office's accounts for the desk
                                (/secretariat): add, list, disable, reset
  sesame mail test --to ADDRESS  check the SMTP settings by sending one e-mail
  sesame mail queue             what the outbox holds: pending, sent, failed e-mails
  sesame audit [--account ID] [--since 7d]
                                sign-ins, recoveries, password changes, admin commands
  sesame oidc COMMAND           the school's applications that sign parents in with their
                                account (OpenID Connect): clients add, list, remove; rotate-keys
  sesame backup FILE            a consistent copy of the data file, even while serving
  sesame check [--repair-to NEW]
                                check the data file; copy what is readable to a new file
  sesame compact                give the space of expired records back to the disk
                                (now if the server is stopped, else at its next start)
  sesame restore BACKUP         put a backup in place of the data file (server stopped);
                                mails the current file already sent are not sent again
  sesame service install|uninstall|start|stop [--config FILE]
                                the Windows service (Windows only; on Linux, systemd)
  sesame version                the version, commit, build date and Go version
  sesame help                   this text

Every option can also be set with an environment variable: --base-url is
SESAME_BASE_URL, --data is SESAME_DATA, and so on.
`

// Main runs the sesame command with args (without the program name) and
// returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:], stdout, stderr)
	case "accounts":
		return runAccounts(args[1:], stdin, stdout, stderr)
	case "mail":
		return runMail(args[1:], stdout, stderr)
	case "audit":
		return runAudit(args[1:], stdout, stderr)
	case "activation":
		return runActivation(args[1:], stdout, stderr)
	case "invite":
		return runInvite(args[1:], stdout, stderr)
	case "stats":
		return runStats(args[1:], stdout, stderr)
	case "letters":
		return runLetters(args[1:], stdout, stderr)
	case "oidc":
		return runOIDC(args[1:], stdout, stderr)
	case "staff":
		return runStaff(args[1:], stdout, stderr)
	case "backup":
		return runBackup(args[1:], stdout, stderr)
	case "check":
		return runCheck(args[1:], stdout, stderr)
	case "compact":
		return runCompact(args[1:], stdout, stderr)
	case "restore":
		return runRestore(args[1:], stdout, stderr)
	case "service":
		return runService(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		return runVersion(args[1:], stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, mainUsage)
		return 0
	}
	fmt.Fprintf(stderr, "sesame: unknown command %q\n\n%s", args[0], mainUsage)
	return 2
}

func dataFlag(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "data", "sesame.db", "the data file (accounts, sessions, outbox); serve creates it (and its folder, owner-only) if missing")
}

// splitData takes --data FILE and --config FILE out of an admin command
// line, wherever they stand. Without --data, the data file is
// SESAME_DATA, else the configuration file's SESAME_DATA (--config, or
// SESAME_CONFIG), else sesame.db; config is the file given, for the
// service settings (time zone, code lifetime…) of a command run on the
// file directly.
func splitData(args []string) (data, config string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "data" && name != "config") {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return "", "", nil, fmt.Errorf("--%s needs a file path", name)
			}
			value = args[i+1]
			i++
		}
		if name == "data" {
			data = value
		} else {
			config = value
		}
	}
	if data == "" {
		// The environment, the file and the default, as serve reads
		// them: a bad configuration is refused here, naming its line.
		if _, data, err = adminConfig(config); err != nil {
			return "", "", nil, err
		}
	}
	return data, config, rest, nil
}

func runAccounts(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	data, config, args, err := splitData(args)
	if err != nil {
		fmt.Fprintln(stderr, "sesame accounts:", err)
		return 2
	}
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprint(stdout, accountsUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	req := adminRequest{Args: append([]string{"accounts"}, args...)}
	switch args[0] {
	case "import":
		file := ""
		for _, a := range args[1:] {
			if !strings.HasPrefix(a, "-") {
				file = a
				break
			}
		}
		if file == "" {
			fmt.Fprintln(stderr, "sesame accounts import: give the CSV file to import")
			return 2
		}
		b, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintln(stderr, "sesame accounts import:", err)
			return 1
		}
		req.Input = b
	case "delete":
		if !slices.Contains(args, "--yes") && !slices.Contains(args, "-yes") {
			fmt.Fprint(stderr, "This deletes the account for good (its audit trail is anonymised). Type its identifier again to confirm: ")
			line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
			if err != nil && err != io.EOF {
				fmt.Fprintln(stderr, "sesame accounts delete:", err)
				return 1
			}
			req.Input = []byte(strings.TrimSpace(line))
		}
	case "set-password":
		pw, err := readPassword(stdin, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "sesame accounts set-password:", err)
			return 1
		}
		req.Input = []byte(pw)
	}
	return runAdmin(data, config, req, stdout, stderr)
}

// readPassword asks twice on a terminal, without echo; from a pipe it
// reads the first line. Never from the command line, where other users
// and shell history would see it.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "New password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", fmt.Errorf("the two passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("no password on standard input")
	}
	return line, nil
}
