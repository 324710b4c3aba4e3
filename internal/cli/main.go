package cli

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	// The school's --timezone must load on a bare host or a scratch
	// container without /usr/share/zoneinfo: the zone data is embedded
	// (about 420 kB more in the binary), never taken from the server's zone.
	_ "time/tzdata"

	"golang.org/x/term"
)

var flagErrHelp = flag.ErrHelp

type flagSetWith struct{ *flag.FlagSet }

const mainUsage = `Sésame: the sign-in and password recovery of a school's Espace Parents.

Usage:
  sesame serve [options]        run the portal (sesame serve --help lists every option)
  sesame serve --demo           try it: a demo parent and a banner, nothing else needed
  sesame accounts COMMAND       import, add, list, show, disable, enable parents' accounts,
                                set a password (sesame accounts --help)
  sesame mail test --to ADDRESS  check the SMTP settings by sending one e-mail
  sesame mail queue             what the outbox holds: pending, sent, failed e-mails
  sesame audit [--account ID] [--since 7d]
                                sign-ins, recoveries, password changes, admin commands
  sesame backup FILE            a consistent copy of the data file, even while serving
  sesame check [--repair-to NEW]
                                check the data file; copy what is readable to a new file
  sesame compact                give the space of expired records back to the disk
                                (now if the server is stopped, else at its next start)
  sesame restore BACKUP         put a backup in place of the data file (server stopped);
                                mails the current file already sent are not sent again
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
	case "backup":
		return runBackup(args[1:], stdout, stderr)
	case "check":
		return runCheck(args[1:], stdout, stderr)
	case "compact":
		return runCompact(args[1:], stdout, stderr)
	case "restore":
		return runRestore(args[1:], stdout, stderr)
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

// splitData takes --data FILE out of an admin command line, wherever it
// stands, and falls back to SESAME_DATA then sesame.db.
func splitData(args []string) (string, []string, error) {
	data := os.Getenv("SESAME_DATA")
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--data" || a == "-data":
			if i+1 >= len(args) {
				return "", nil, fmt.Errorf("--data needs a file path")
			}
			data = args[i+1]
			i++
		case strings.HasPrefix(a, "--data="):
			data = strings.TrimPrefix(a, "--data=")
		default:
			rest = append(rest, a)
		}
	}
	if data == "" {
		data = "sesame.db"
	}
	return data, rest, nil
}

func runAccounts(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	data, args, err := splitData(args)
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
	case "set-password":
		pw, err := readPassword(stdin, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "sesame accounts set-password:", err)
			return 1
		}
		req.Input = []byte(pw)
	}
	return runAdmin(data, req, stdout, stderr)
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
