package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/letters"
)

const lettersUsage = `Usage: sesame letters -o FILE [--format pdf|csv] [--not-activated] [--class C]… [--account ID]… [--data FILE]

Prints the activation letters the school hands to families: one A4 page
per adult, with the school's name, the children and their classes, the
identifier, a new activation code, a QR code of the activation link, the
portal's address, the expiry date, short instructions and the
secretariat's contacts, in the parent's language. Pages come sorted by
class, then name, so the office hands them out class by class.

Each letter gets a NEW code: any earlier letter of that adult stops
working. A parent who already chose a password gets no letter (they use
« Mot de passe oublié ? »): without --not-activated they are listed as
skipped; with it they are left out quietly. Disabled accounts get none.

  -o FILE            where to write (readable by you only: it holds codes)
  --format pdf|csv   pdf (default; csv when FILE ends in .csv): the csv has
                     the same fields for a mail merge (UTF-8, ";")
  --not-activated    only adults who have not chosen a password yet
  --class C          only the parents of a pupil in class C (repeatable)
  --account ID       only these adults (repeatable)
`

func runLetters(args []string, stdout, stderr io.Writer) int {
	data, config, rest, err := splitData(args)
	if err != nil {
		fmt.Fprintln(stderr, "sesame letters:", err)
		return 2
	}
	if len(rest) > 0 && (rest[0] == "--help" || rest[0] == "-h" || rest[0] == "help") {
		fmt.Fprint(stdout, lettersUsage)
		return 0
	}
	req := adminRequest{Args: []string{"letters"}}
	for i := 0; i < len(rest); i++ {
		switch a := rest[i]; {
		case (a == "-o" || a == "--output" || a == "-output") && i+1 < len(rest):
			req.OutFile = rest[i+1]
			i++
		case strings.HasPrefix(a, "-o=") || strings.HasPrefix(a, "--output="):
			req.OutFile = a[strings.IndexByte(a, '=')+1:]
		default:
			req.Args = append(req.Args, a)
		}
	}
	if req.OutFile == "" {
		fmt.Fprint(stderr, "sesame letters: give the file to write with -o FILE\n\n", lettersUsage)
		return 2
	}
	if !hasFlag(req.Args, "format") && strings.EqualFold(filepath.Ext(req.OutFile), ".csv") {
		req.Args = append(req.Args, "--format", "csv")
	}
	return runAdmin(data, config, req, stdout, stderr)
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "-"+name || a == "--"+name || strings.HasPrefix(a, "-"+name+"=") || strings.HasPrefix(a, "--"+name+"=") {
			return true
		}
	}
	return false
}

// repeated is a flag given several times: --class 6A --class 6B.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// lettersCmd chooses the adults, issues their codes in one transaction
// (each audited, none logged), and renders the letters as the file the
// client writes.
func lettersCmd(s *services, args []string, out io.Writer) int {
	fs := flag.NewFlagSet("letters", flag.ContinueOnError)
	fs.SetOutput(out)
	format := fs.String("format", "pdf", "pdf or csv")
	notActivated := fs.Bool("not-activated", false, "only adults without a password yet")
	var classes, ids repeated
	fs.Var(&classes, "class", "only the parents of a pupil in this class (repeatable)")
	fs.Var(&ids, "account", "only this adult (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(out, "sesame letters: unexpected %q\n", fs.Arg(0))
		return 2
	}
	if *format != "pdf" && *format != "csv" {
		fmt.Fprintf(out, "sesame letters: --format %q: use pdf or csv\n", *format)
		return 2
	}
	sink, ok := out.(fileSink)
	if !ok {
		fmt.Fprintln(out, "sesame letters: this command makes a file and must be run from the command line")
		return 2
	}
	all, err := s.accounts.List()
	if err != nil {
		fmt.Fprintln(out, "sesame letters:", err)
		return 1
	}
	chosen, skipped, code := chooseForLetters(all, ids, classes, *notActivated, out)
	if code != 0 {
		return code
	}
	if len(chosen) == 0 {
		fmt.Fprintln(out, "sesame letters: no adult to write to (every chosen adult has a password already or is disabled)")
		printSkipped(out, skipped)
		return 1
	}
	want := make([]string, len(chosen))
	byID := make(map[string]account.Account, len(chosen))
	for i, a := range chosen {
		want[i] = a.ID
		byID[a.ID] = a
	}
	issued, err := s.activation.IssueMany(context.Background(), want, activation.ViaLetter)
	if err != nil {
		fmt.Fprintln(out, "sesame letters:", err)
		return 1
	}
	var ls []letters.Letter
	for _, is := range issued {
		if is.Err != nil {
			skipped = append(skipped, fmt.Sprintf("%s: %s", is.Account, describeActivation(is.Err)))
			continue
		}
		a := byID[is.Account]
		if len(classes) > 0 {
			// The letter goes home with the pupil of the class being
			// handed out: that child comes first, for the sort and the
			// « À remettre à » line.
			a.Children = slices.Clone(a.Children)
			sort.SliceStable(a.Children, func(i, j int) bool {
				return inAnyClassChild(a.Children[i], classes) && !inAnyClassChild(a.Children[j], classes)
			})
		}
		ls = append(ls, letters.For(a, is.Code, activation.Link(s.baseURL, a.ID, is.Code), is.Expires))
	}
	letters.Sort(ls)
	school := letters.School{Name: s.school, PortalURL: s.baseURL + "/", Phone: s.secretariat.Phone,
		Email: s.secretariat.Email, Hours: s.secretariat.Hours, Zone: s.zone()}
	var file bytes.Buffer
	if *format == "csv" {
		err = letters.WriteCSV(&file, school, ls)
	} else {
		err = letters.WritePDF(&file, school, ls)
	}
	if err != nil {
		// The codes are issued but no letter carries them: say so, so the
		// operator prints again (which revokes them) rather than wonders.
		fmt.Fprintf(out, "sesame letters: the letters could not be made (%v); the codes issued are unusable: run the command again\n", err)
		return 1
	}
	sink.SetFile(file.Bytes())
	fmt.Fprintf(out, "%d letter(s), valid until %s, by class:\n", len(ls), s.stamp(ls[0].Expires))
	for _, c := range countByClass(ls) {
		fmt.Fprintf(out, "  %-12s %d\n", c.class, c.n)
	}
	printSkipped(out, skipped)
	return 0
}

// chooseForLetters applies the options to every account: --account
// names (unknown ones are an error), --class, --not-activated. Adults
// already activated or disabled are skipped with a reason, unless
// --not-activated leaves the activated out quietly.
func chooseForLetters(all []account.Account, ids, classes []string, notActivated bool, out io.Writer) (chosen []account.Account, skipped []string, code int) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[strings.ToLower(strings.TrimSpace(id))] = true
	}
	found := 0
	for _, a := range all {
		if len(ids) > 0 && !want[a.ID] {
			continue
		}
		found++
		if len(classes) > 0 && !inAnyClass(a, classes) {
			continue
		}
		switch {
		case a.State != account.Active:
			skipped = append(skipped, a.ID+": disabled")
		case a.Activated() && notActivated:
		case a.Activated():
			skipped = append(skipped, a.ID+": already has a password (uses « Mot de passe oublié ? »)")
		default:
			chosen = append(chosen, a)
		}
	}
	if len(ids) > 0 && found < len(want) {
		var missing []string
		for id := range want {
			if !slicesContainsID(all, id) {
				missing = append(missing, id)
			}
		}
		sort.Strings(missing)
		fmt.Fprintf(out, "sesame letters: no such account: %s\n", strings.Join(missing, ", "))
		return nil, nil, 1
	}
	if len(classes) > 0 && len(chosen)+len(skipped) == 0 {
		fmt.Fprintf(out, "sesame letters: no account has a child in class %s; classes: %s\n",
			strings.Join(classes, ", "), strings.Join(account.Classes(all), ", "))
		return nil, nil, 1
	}
	return chosen, skipped, 0
}

func inAnyClass(a account.Account, classes []string) bool {
	for _, c := range classes {
		if a.InClass(c) {
			return true
		}
	}
	return false
}

func inAnyClassChild(c account.Child, classes []string) bool {
	return inAnyClass(account.Account{Children: []account.Child{c}}, classes)
}

func slicesContainsID(all []account.Account, id string) bool {
	for _, a := range all {
		if a.ID == id {
			return true
		}
	}
	return false
}

func printSkipped(out io.Writer, skipped []string) {
	if len(skipped) == 0 {
		return
	}
	fmt.Fprintf(out, "No letter for %d adult(s):\n", len(skipped))
	for _, s := range skipped {
		fmt.Fprintln(out, "  "+s)
	}
}

type classCount struct {
	class string
	n     int
}

// countByClass counts letters by their first child's class, as they are
// sorted and handed out.
func countByClass(ls []letters.Letter) []classCount {
	var out []classCount
	for _, l := range ls {
		c := "(no class)"
		if len(l.Children) > 0 && l.Children[0].Class != "" {
			c = l.Children[0].Class
		}
		if n := len(out); n > 0 && out[n-1].class == c {
			out[n-1].n++
			continue
		}
		out = append(out, classCount{c, 1})
	}
	return out
}
