package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"sesame/internal/store"
)

// sesame staff on a real data file: add prints a one-time link and
// queues its e-mail, list shows the member, reset and disable change
// them, and the audit names the OS user, the outcome, never a full
// address.
func TestStaffCommands(t *testing.T) {
	data := newDataFile(t, t.TempDir())
	out, code := run(t, "", "staff", "--data", data, "add", "--email", "Claire.Martin@ecole.fr", "--name", "Claire Martin", "--role", "admin")
	link := regexp.MustCompile(`http://localhost:8080/secretariat/installation\?t=[A-Za-z0-9_-]{43}`).FindString(out)
	if code != 0 || link == "" || !strings.Contains(out, "usable once") {
		t.Fatalf("staff add: %d %s", code, out)
	}
	for _, bad := range [][]string{
		{"add", "--email", "claire.martin@ecole.fr", "--name", "Claire", "--role", "admin"},
		{"add", "--email", "x@ecole.fr", "--name", "X", "--role", "root"},
		{"add", "--email", "not-an-address", "--name", "X", "--role", "admin"},
		{"add", "--email", "y@ecole.fr"},
		{"disable", "nobody@ecole.fr"},
		{"reset"},
		{"frobnicate"},
	} {
		if out, code := run(t, "", append([]string{"staff", "--data", data}, bad...)...); code == 0 {
			t.Errorf("staff %v: accepted\n%s", bad, out)
		}
	}
	out, code = run(t, "", "staff", "--data", data, "list")
	if code != 0 || !strings.Contains(out, "claire.martin@ecole.fr") || !strings.Contains(out, "pending (set-up link until") || !strings.Contains(out, "1 member(s)") {
		t.Fatalf("staff list: %d %s", code, out)
	}
	out, code = run(t, "", "staff", "--data", data, "reset", "claire.martin@ecole.fr")
	link2 := regexp.MustCompile(`/secretariat/installation\?t=\S+`).FindString(out)
	if code != 0 || link2 == "" || strings.Contains(link, link2) {
		t.Fatalf("staff reset: %d %s", code, out)
	}
	if out, code := run(t, "", "staff", "--data", data, "disable", "claire.martin@ecole.fr"); code != 0 || !strings.Contains(out, "now disabled") {
		t.Fatalf("staff disable: %d %s", code, out)
	}
	// The links: e-mailed (the outbox holds two set-up messages) and
	// dead once the member is disabled.
	st, err := store.Open(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := st.Outbox()
	s := testServices(t, st)
	tok := link2[strings.Index(link2, "t=")+2:]
	_, setupErr := s.staff.SetupMember(tok)
	st.Close()
	if len(msgs) != 2 || msgs[0].Kind != "staff_setup" || setupErr == nil {
		t.Errorf("outbox %+v; link of a disabled member: %v", msgs, setupErr)
	}

	out, _ = run(t, "", "audit", "--data", data)
	for _, want := range []string{"staff.created", "staff.reset", "staff.disabled", "admin.command", "done", "refused: staff add: a member already has this address"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "claire.martin@ecole.fr") || strings.Contains(out, "x@ecole.fr") {
		t.Errorf("an address in clear in the audit:\n%s", out)
	}
	if !regexp.MustCompile(`cli:\S+`).MatchString(out) {
		t.Errorf("no operator in the audit:\n%s", out)
	}
	_ = context.Background()
}

// The audit of one account finds what happened to its family's address
// and every admin command on it, with the outcome.
func TestAuditAccountFindsAddressAndAdminActions(t *testing.T) {
	data := newDataFile(t, t.TempDir())
	for _, first := range []string{"Marie", "Paul"} {
		if out, code := run(t, "", "accounts", "--data", data, "add", "--last-name", "Dupont", "--first-name", first, "--email", "famille@exemple.fr"); code != 0 {
			t.Fatalf("add: %s", out)
		}
	}
	if out, code := run(t, "", "accounts", "--data", data, "disable", "DUPONT.PAUL"); code != 0 {
		t.Fatalf("disable: %s", out)
	}
	if out, code := run(t, "", "accounts", "--data", data, "disable", "dupont.paul"); code != 0 || !strings.Contains(out, "already disabled") {
		t.Fatalf("disable again: %s", out)
	}
	if _, code := run(t, "", "accounts", "--data", data, "edit", "dupont.paul", "--email", "pas-une-adresse"); code == 0 {
		t.Fatal("edit with a bad address succeeded")
	}
	st, err := store.Open(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s := testServices(t, st)
	if _, _, err := s.recovery.Start(context.Background(), "famille@exemple.fr", "fr"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, code := run(t, "", "audit", "--data", data, "--account", "dupont.paul")
	for _, want := range []string{"recovery.started", "dupont.marie,dupont.paul", "account.disabled", "accounts disable DUPONT.PAUL",
		"admin.command", "done", "accounts add", "refused: accounts edit: invalid e-mail address"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("audit --account dupont.paul lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "famille@exemple.fr") {
		t.Errorf("the family's address in clear:\n%s", out)
	}
	out, _ = run(t, "", "audit", "--data", data, "--account", "dupont.marie")
	if strings.Contains(out, "account.disabled") {
		t.Errorf("Paul's disabling shown for Marie:\n%s", out)
	}
}
