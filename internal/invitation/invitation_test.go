package invitation_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/invitation"
	"sesame/internal/mail/outbox"
	"sesame/internal/store"
)

func TestParseRate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want invitation.Rate
		gap  time.Duration // between two e-mails
		err  bool
	}{
		{"5/s", invitation.Rate{N: 5, Per: time.Second}, 200 * time.Millisecond, false},
		{"5", invitation.Rate{N: 5, Per: time.Second}, 200 * time.Millisecond, false},
		{" 300/min ", invitation.Rate{N: 300, Per: time.Minute}, 200 * time.Millisecond, false},
		{"1000/h", invitation.Rate{N: 1000, Per: time.Hour}, 3600 * time.Millisecond, false},
		{"3/s", invitation.Rate{N: 3, Per: time.Second}, 333333333, false},
		{"0/s", invitation.Rate{}, 0, true},
		{"-1/s", invitation.Rate{}, 0, true},
		{"5/day", invitation.Rate{}, 0, true},
		{"vite", invitation.Rate{}, 0, true},
		{"20000/s", invitation.Rate{}, 0, true},
	} {
		got, err := invitation.ParseRate(c.in)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v, error %v", c.in, got, err, c.want, c.err)
			continue
		}
		if !c.err && got.At(1) != c.gap {
			t.Errorf("%q: second e-mail after %v, want %v", c.in, got.At(1), c.gap)
		}
	}
	// No drift: the 3,000th e-mail at 3/s leaves 1,000 s after the first.
	if at := (invitation.Rate{N: 3, Per: time.Second}).At(3000); at != 1000*time.Second {
		t.Errorf("3/s: e-mail 3000 at %v", at)
	}
}

// clock is the test's time, moved by hand.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func setup(t *testing.T) (*store.Store, *invitation.Service, *clock) {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "sesame.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: time.Date(2026, 9, 7, 18, 0, 0, 0, time.UTC)}
	kid := func(first, class string) account.Child {
		return account.Child{Key: "name:" + first, LastName: "X", FirstName: first, Class: class}
	}
	for _, a := range []account.Account{
		{ID: "martin.anne", LastName: "Martin", FirstName: "Anne", Email: "anne@exemple.fr", Lang: "en", Children: []account.Child{kid("Léo", "6e A"), kid("Zoé", "CM2")}},
		{ID: "martin.paul", LastName: "Martin", FirstName: "Paul", Email: "anne@exemple.fr", Children: []account.Child{kid("Léo", "6e A")}},
		{ID: "petit.luc", LastName: "Petit", FirstName: "Luc", Children: []account.Child{kid("Inès", "6e A")}}, // no address
		{ID: "roux.eva", LastName: "Roux", FirstName: "Eva", Email: "eva@exemple.fr", PasswordHash: "x", Children: []account.Child{kid("Tom", "6e B")}},
		{ID: "blanc.ines", LastName: "Blanc", FirstName: "Inès", Email: "ines@exemple.fr", State: account.Disabled, Children: []account.Child{kid("Max", "6e B")}},
		{ID: "noir.jean", LastName: "Noir", FirstName: "Jean", Email: "jean@exemple.fr", Children: []account.Child{kid("Lou", "5e C")}},
	} {
		if a.State == "" {
			a.State = account.Active
		}
		a.Created, a.Updated = c.t, c.t
		if err := st.CreateAccount(a); err != nil {
			t.Fatal(err)
		}
	}
	return st, &invitation.Service{Store: st, Now: c.Now}, c
}

func ids(as []account.Account) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

// Each adult lands in one list: invited, activated, disabled, without
// an address, or invited less than a week ago; --account and --class
// narrow, and both together intersect.
func TestSelect(t *testing.T) {
	st, svc, c := setup(t)
	type lists struct{ invite, activated, disabled, noEmail, recent []string }
	get := func(o invitation.Options) lists {
		t.Helper()
		sel, err := svc.Select(o)
		if err != nil {
			t.Fatalf("Select(%+v): %v", o, err)
		}
		return lists{ids(sel.Invite), ids(sel.Activated), ids(sel.Disabled), ids(sel.NoEmail), ids(sel.Recent)}
	}
	none := []string{}
	for _, tc := range []struct {
		name string
		o    invitation.Options
		want lists
	}{
		{"everyone", invitation.Options{}, lists{[]string{"martin.anne", "martin.paul", "noir.jean"}, []string{"roux.eva"}, []string{"blanc.ines"}, []string{"petit.luc"}, none}},
		{"class 6e A, spelt otherwise", invitation.Options{Classes: []string{"6EA"}}, lists{[]string{"martin.anne", "martin.paul"}, none, none, []string{"petit.luc"}, none}},
		{"two classes", invitation.Options{Classes: []string{"6e B", "5e C"}}, lists{[]string{"noir.jean"}, []string{"roux.eva"}, []string{"blanc.ines"}, none, none}},
		{"accounts", invitation.Options{Accounts: []string{"Martin.Paul", "roux.eva"}}, lists{[]string{"martin.paul"}, []string{"roux.eva"}, none, none, none}},
		{"accounts and class", invitation.Options{Accounts: []string{"martin.paul", "noir.jean"}, Classes: []string{"5e C"}}, lists{[]string{"noir.jean"}, none, none, none, none}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := get(tc.o); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}

	// Invited six days and 23 hours ago: left out, unless forced; a week
	// ago: invited again.
	a, _ := st.Account("martin.paul")
	a.Invited = c.t.Add(-invitation.Cooldown + time.Hour)
	b, _ := st.Account("noir.jean")
	b.Invited = c.t.Add(-invitation.Cooldown)
	for _, x := range []account.Account{a, b} {
		if err := st.UpdateAccount(x); err != nil {
			t.Fatal(err)
		}
	}
	if got := get(invitation.Options{}); !reflect.DeepEqual(got.invite, []string{"martin.anne", "noir.jean"}) || !reflect.DeepEqual(got.recent, []string{"martin.paul"}) {
		t.Errorf("a week's rule: %+v", got)
	}
	if got := get(invitation.Options{Force: true}); !reflect.DeepEqual(got.invite, []string{"martin.anne", "martin.paul", "noir.jean"}) || len(got.recent) != 0 {
		t.Errorf("--force: %+v", got)
	}

	var unknown *invitation.UnknownAccountsError
	if _, err := svc.Select(invitation.Options{Accounts: []string{"martin.anne", "personne", "Bad Id!"}}); !errors.As(err, &unknown) ||
		!reflect.DeepEqual(unknown.IDs, []string{"Bad Id!", "personne"}) {
		t.Errorf("unknown accounts: %v", err)
	}
	var noClass *invitation.NoClassError
	if _, err := svc.Select(invitation.Options{Classes: []string{"4e D"}}); !errors.As(err, &noClass) ||
		!reflect.DeepEqual(noClass.Known, []string{"5e C", "6e A", "6e B", "CM2"}) {
		t.Errorf("unknown class: %v", err)
	}
}

// Queue writes each account's Invited, its e-mail spaced at the rate and
// its audit event in one transaction; a stale choice queues nothing.
func TestQueue(t *testing.T) {
	st, svc, c := setup(t)
	o := invitation.Options{Rate: invitation.Rate{N: 2, Per: time.Second}, Operator: "cli:secretariat"}
	sel, err := svc.Select(o)
	if err != nil {
		t.Fatal(err)
	}
	q, err := svc.Queue(sel, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := (invitation.Queued{Count: 3, First: c.t, Last: c.t.Add(time.Second)}); q != want {
		t.Fatalf("Queue = %+v, want %+v", q, want)
	}
	msgs, err := st.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	type mail struct {
		To, Lang, Name string
		IDs            []string
		Children       map[string]string
		Next, Expires  time.Time
		Status         outbox.Status
	}
	var got []mail
	for _, m := range msgs {
		if m.Kind != outbox.KindInvitation || !m.Created.Equal(c.t) || m.Code != "" {
			t.Errorf("message %+v", m)
		}
		got = append(got, mail{m.To, m.Lang, m.Name, m.Identifiers, m.Children, m.NextAttempt, m.ExpiresAt, m.Status})
	}
	exp := func(d time.Duration) time.Time { return c.t.Add(d + invitation.Expiry) }
	want := []mail{
		{"anne@exemple.fr", "en", "Anne Martin", []string{"martin.anne"}, map[string]string{"martin.anne": "Léo (6e A), Zoé (CM2)"}, c.t, exp(0), outbox.StatusPending},
		{"anne@exemple.fr", "", "Paul Martin", []string{"martin.paul"}, map[string]string{"martin.paul": "Léo (6e A)"}, c.t.Add(500 * time.Millisecond), exp(500 * time.Millisecond), outbox.StatusPending},
		{"jean@exemple.fr", "", "Jean Noir", []string{"noir.jean"}, map[string]string{"noir.jean": "Lou (5e C)"}, c.t.Add(time.Second), exp(time.Second), outbox.StatusPending},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("outbox:\n%+v\nwant\n%+v", got, want)
	}
	// Only what is due leaves: the worker reads the pending index.
	if due, _ := st.Due(c.t.Add(600*time.Millisecond), 10); len(due) != 2 {
		t.Errorf("due at +600ms: %d, want 2", len(due))
	}
	for _, id := range []string{"martin.anne", "martin.paul", "noir.jean"} {
		if a, _ := st.Account(id); !a.Invited.Equal(c.t) {
			t.Errorf("%s: Invited %v", id, a.Invited)
		}
	}
	if a, _ := st.Account("petit.luc"); !a.Invited.IsZero() {
		t.Errorf("petit.luc invited without an address")
	}
	events, err := st.Audit(time.Time{}, "")
	if err != nil {
		t.Fatal(err)
	}
	var evs []string
	for _, e := range events {
		if e.Kind == audit.InvitationQueued {
			evs = append(evs, e.Account+" "+e.Email+" "+e.Operator+" "+e.Detail)
		}
	}
	wantEvs := []string{
		"martin.anne a•••@exemple.fr cli:secretariat invitation e-mail queued, to leave at 2026-09-07T18:00:00Z (rate 2/s)",
		"martin.paul a•••@exemple.fr cli:secretariat invitation e-mail queued, to leave at 2026-09-07T18:00:00Z (rate 2/s)",
		"noir.jean j•••@exemple.fr cli:secretariat invitation e-mail queued, to leave at 2026-09-07T18:00:01Z (rate 2/s)",
	}
	if !reflect.DeepEqual(evs, wantEvs) {
		t.Errorf("audit:\n%q\nwant\n%q", evs, wantEvs)
	}

	// A rerun an hour later finds them invited: nothing to do.
	c.t = c.t.Add(time.Hour)
	sel2, _ := svc.Select(invitation.Options{})
	if len(sel2.Invite) != 0 || len(sel2.Recent) != 3 {
		t.Fatalf("rerun: invite %v, recent %v", ids(sel2.Invite), ids(sel2.Recent))
	}

	// Two runs at once: the second's choice is stale, and queues nothing.
	sel3, _ := svc.Select(invitation.Options{Force: true})
	sel4, _ := svc.Select(invitation.Options{Force: true})
	if _, err := svc.Queue(sel3, o); err != nil {
		t.Fatal(err)
	}
	before, _ := st.Outbox()
	if _, err := svc.Queue(sel4, o); !errors.Is(err, invitation.ErrChanged) {
		t.Fatalf("stale choice: %v, want ErrChanged", err)
	}
	if after, _ := st.Outbox(); len(after) != len(before) || len(after) != 6 {
		t.Fatalf("stale choice queued mail: %d then %d", len(before), len(after))
	}
	// A parent who activates meanwhile: the same.
	sel5, _ := svc.Select(invitation.Options{Force: true})
	if err := st.SetPassword("noir.jean", "hash", c.t, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Queue(sel5, o); !errors.Is(err, invitation.ErrChanged) {
		t.Fatalf("activated meanwhile: %v, want ErrChanged", err)
	}
}
