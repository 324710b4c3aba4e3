package cli

import (
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/audit"
	"sesame/internal/mail/outbox"
	"sesame/internal/store"
)

// wakes counts the worker's wake-ups, as the server's worker would get.
type wakes struct{ n atomic.Int32 }

func (w *wakes) Notify() { w.n.Add(1) }

// serving imports the families of adult-pupil.csv into a new data file
// and serves its admin socket, as `sesame serve` does, with a worker
// that only counts its wake-ups. The commands of the test then go
// through the socket, as on a school's server.
func serving(t *testing.T) (data string, st *store.Store, s *services, w *wakes) {
	t.Helper()
	data = newDataFile(t, t.TempDir())
	fixture := filepath.Join("..", "importcsv", "testdata", "families", "adult-pupil.csv")
	if out, code := run(t, "", "accounts", "--data", data, "import", fixture); code != 0 {
		t.Fatalf("import: %s", out)
	}
	for _, id := range []string{"durand.thomas", "dupont.marie"} {
		if out, code := run(t, "Lune-bleue-42\n", "accounts", "--data", data, "set-password", id); code != 0 {
			t.Fatalf("set-password: %s", out)
		}
	}
	st, err := store.Open(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s = testServices(t, st)
	w = &wakes{}
	s.accounts.Mail = w
	admin, err := listenAdmin(data, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(); st.Close() })
	return data, st, s, w
}

func invitations(t *testing.T, st *store.Store) []outbox.Message {
	t.Helper()
	all, err := st.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	var out []outbox.Message
	for _, m := range all {
		if m.Kind == outbox.KindInvitation {
			out = append(out, m)
		}
	}
	return out
}

func mustContain(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s: output lacks %q:\n%s", what, w, out)
		}
	}
}

// sesame invite on a real data file through the admin socket: who is
// chosen and who is left out, the rate as each e-mail's first attempt,
// the week's rule and --force, the audit, the refusals.
func TestInviteCommand(t *testing.T) {
	data := newDataFile(t, t.TempDir())
	fixture := filepath.Join("..", "importcsv", "testdata", "families", "adult-pupil.csv")
	if out, code := run(t, "", "accounts", "--data", data, "import", fixture); code != 0 {
		t.Fatalf("import: %s", out)
	}
	// The server stopped: a dry run answers, a real run is refused (the
	// e-mails would all be due at the server's start, in one burst).
	out, code := run(t, "", "invite", "--data", data, "--class", "6e A", "--dry-run")
	if code != 0 {
		t.Fatalf("offline dry run: %d %s", code, out)
	}
	mustContain(t, "offline dry run", out, "would invite 5 adult(s) at 5/s (dry run: nothing queued)",
		"IDENTIFIER      NAME            E-MAIL                    LANG  CHILDREN\n",
		"dupont.marie    Marie DUPONT    marie.dupont@exemple.fr   -     Emma (4e B), Lucas (6e A)\n",
		"nguyen.thi-mai  Thi Mai NGUYEN  mai.nguyen@exemple.fr     -     Bao (6e A)\n")
	if out, code := run(t, "", "invite", "--data", data); code != 1 || !strings.Contains(out, "the server is not running on this data file") {
		t.Fatalf("offline run: %d %s", code, out)
	}

	data, st, _, w := serving(t)
	start := time.Now()
	out, code = run(t, "", "invite", "--data", data, "--class", "6EA", "--rate", "2/s")
	if code != 0 {
		t.Fatalf("invite --class: %d %s", code, out)
	}
	mustContain(t, "invite --class", out, "queued 3 invitation(s) at 2/s: the first leaves at ", "left out: 2 adult(s) who already have a password")
	if !regexp.MustCompile(`the first leaves at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, the last at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(`).MatchString(out) {
		t.Errorf("times: %s", out)
	}
	if w.n.Load() != 1 {
		t.Errorf("worker woken %d times, want 1", w.n.Load())
	}
	msgs := invitations(t, st)
	var to []string
	for i, m := range msgs {
		to = append(to, m.Identifiers[0]+" "+m.To)
		if want := msgs[0].NextAttempt.Add(time.Duration(i) * 500 * time.Millisecond); !m.NextAttempt.Equal(want) {
			t.Errorf("%s: first attempt %v, want %v (2/s)", m.To, m.NextAttempt, want)
		}
		if m.Status != outbox.StatusPending || m.NextAttempt.Before(start) {
			t.Errorf("%s: %s at %v", m.To, m.Status, m.NextAttempt)
		}
	}
	if want := []string{"dupont.jean jean.dupont@exemple.fr", "durand.julie durand.julie@exemple.fr", "nguyen.thi-mai mai.nguyen@exemple.fr"}; !slices.Equal(to, want) {
		t.Fatalf("invited %q, want %q", to, want)
	}
	events, err := st.Audit(start.Add(-time.Minute), "")
	if err != nil {
		t.Fatal(err)
	}
	var evs []string
	for _, e := range events {
		switch e.Kind {
		case audit.InvitationQueued:
			evs = append(evs, e.Account+" "+e.Email+" "+e.Operator)
		case audit.AdminCommand:
			if !strings.HasPrefix(e.Detail, "invite") {
				continue // the fixture's import and passwords
			}
			evs = append(evs, "command: "+e.Detail+" "+e.Operator+" "+e.Outcome)
		}
	}
	op := adminRequest{User: osUser()}.operator()
	// The command is recorded once it has run, with its outcome.
	if want := []string{"dupont.jean j•••@exemple.fr " + op, "durand.julie d•••@exemple.fr " + op,
		"nguyen.thi-mai m•••@exemple.fr " + op, "command: invite --class 6EA --rate 2/s " + op + " done"}; !slices.Equal(evs, want) {
		t.Errorf("audit %q, want %q", evs, want)
	}

	// Run again: nobody is mailed twice within a week.
	out, code = run(t, "", "invite", "--data", data, "--class", "6e A")
	if code != 1 {
		t.Fatalf("rerun: %d %s", code, out)
	}
	mustContain(t, "rerun", out, "no adult to invite", "left out: 2 adult(s) who already have a password",
		"left out: 3 adult(s) invited less than 7 days ago (--force to invite them again)")

	// The whole school: the class already invited is left out, adults
	// without an address are listed for a letter.
	out, code = run(t, "", "invite", "--data", data)
	if code != 0 {
		t.Fatalf("whole school: %d %s", code, out)
	}
	mustContain(t, "whole school", out, "queued 10 invitation(s) at 5/s", "left out: 3 adult(s) invited less than 7 days ago",
		"no e-mail address for 2 adult(s): they need a letter (sesame letters --not-activated --account ID…):",
		"  garcon.laetitia  Lætitia GARÇON  Inès (5e B)", "  le-goff.herve    Hervé LE GOFF   Noé (5e B)")
	if n := len(invitations(t, st)); n != 13 {
		t.Fatalf("%d invitations queued in all, want 13", n)
	}
	// --force mails one adult again; named adults and classes intersect.
	out, code = run(t, "", "invite", "--data", data, "--account", "dupont.jean", "--account", "durand.julie", "--class", "4e B", "--force")
	if code != 0 || !strings.Contains(out, "queued 1 invitation(s)") {
		t.Fatalf("--force: %d %s", code, out)
	}
	if all := invitations(t, st); all[len(all)-1].To != "jean.dupont@exemple.fr" {
		t.Fatalf("--force invited %s", all[len(all)-1].To)
	}
	if a, _ := st.Account("dupont.jean"); a.Invited.Before(start) {
		t.Errorf("Invited not recorded: %v", a.Invited)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--account", "personne", "--account", "dupont.jean"}, 1, "sesame invite: no such account: personne"},
		{[]string{"--class", "3e Z"}, 1, "sesame invite: no account has a child in class 3e Z; classes: 4e A, 4e B, 5e A, 5e B, 6e A, 6e B"},
		{[]string{"--rate", "vite"}, 2, "sesame invite: --rate \"vite\": want a number of e-mails from 1 to 10000"},
		{[]string{"--rate", "5/jour"}, 2, "the period is s, min or h"},
		{[]string{"dupont.jean"}, 2, "sesame invite: unexpected \"dupont.jean\""},
	} {
		out, code := run(t, "", append([]string{"invite", "--data", data}, c.args...)...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("invite %q: %d %s; want %d and %q", c.args, code, out, c.code, c.want)
		}
	}
	if n := len(invitations(t, st)); n != 14 {
		t.Fatalf("a refused command queued mail: %d invitations", n)
	}
}

// sesame stats: counts by class and the total, exactly, with the last
// sign-in in the school's zone.
func TestStatsCommand(t *testing.T) {
	data, st, s, _ := serving(t)
	reunion, err := time.LoadLocation("Indian/Reunion") // UTC+4, no summer time
	if err != nil {
		t.Fatal(err)
	}
	s.loc = reunion
	// Two sign-ins: the session's transaction records them.
	for id, at := range map[string]time.Time{
		"dupont.marie":  time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC),
		"durand.thomas": time.Date(2026, 11, 21, 17, 5, 0, 0, time.UTC),
	} {
		if err := st.CreateSession([]byte("token-"+id), account.Session{Account: id, Created: at, Expires: at.Add(time.Hour)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.activation.IssueMany(context.Background(), []string{"garcon.laetitia", "le-goff.herve"}, activation.ViaLetter); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, "", "invite", "--data", data, "--class", "6e A"); code != 0 {
		t.Fatalf("invite: %s", out)
	}
	if out, code := run(t, "", "accounts", "--data", data, "disable", "santos.ana"); code != 0 {
		t.Fatalf("disable: %s", out)
	}
	out, _, code := runSplit(t, "", "stats", "--data", data)
	if code != 0 {
		t.Fatalf("stats: %d %s", code, out)
	}
	const want = `CLASS  ADULTS  INVITED  LETTER  ACTIVATED  SIGNED IN  LAST SIGN-IN
4e A   3       0        0       0 (0%)     0          -
4e B   4       1        0       1 (25%)    1          2026-11-20 12:30
5e A   2       0        0       0 (0%)     0          -
5e B   4       0        2       0 (0%)     0          -
6e A   5       3        0       2 (40%)    2          2026-11-21 21:05
6e B   3       0        0       0 (0%)     0          -
TOTAL  16      3        2       2 (12%)    2          2026-11-21 21:05
An adult with children in two classes counts in both; TOTAL counts each adult once. Times in Indian/Reunion.
1 disabled account(s) not counted.
`
	if out != want {
		t.Errorf("stats:\n%s\nwant:\n%s", out, want)
	}
	out, _, code = runSplit(t, "", "stats", "--data", data, "--class", "4E B", "--class", "5e b")
	const wantClasses = `CLASS  ADULTS  INVITED  LETTER  ACTIVATED  SIGNED IN  LAST SIGN-IN
4e B   4       1        0       1 (25%)    1          2026-11-20 12:30
5e B   4       0        2       0 (0%)     0          -
TOTAL  8       1        2       1 (12%)    1          2026-11-20 12:30
An adult with children in two classes counts in both; TOTAL counts each adult once. Times in Indian/Reunion.
1 disabled account(s) not counted.
`
	if code != 0 || out != wantClasses {
		t.Errorf("stats --class: %d\n%s\nwant:\n%s", code, out, wantClasses)
	}
	if out, code := run(t, "", "stats", "--data", data, "--class", "3e Z"); code != 1 || !strings.Contains(out, "no active account has a child in class 3e Z; classes: 4e A") {
		t.Errorf("stats --class 3e Z: %d %s", code, out)
	}
}
