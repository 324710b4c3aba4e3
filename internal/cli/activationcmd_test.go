package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"sesame/internal/audit"
	"sesame/internal/store"
)

var issuedRe = regexp.MustCompile(`activation code for (\S+): (\S+)\nlink: (\S+)\nvalid until: (.+); any earlier code`)

// `sesame activation issue` prints a code and its link under the base
// URL, which the activation page accepts; a parent who has a password,
// or an unknown identifier, gets none.
func TestActivationIssue(t *testing.T) {
	t.Setenv("SESAME_BASE_URL", "https://college.example/parents")
	t.Setenv("SESAME_TIMEZONE", "Europe/Paris")
	data := newDataFile(t, t.TempDir())
	for _, who := range [][]string{{"Dupont", "Marie"}, {"Martin", "Luc"}} {
		if out, code := run(t, "", "accounts", "--data", data, "add", "--last-name", who[0], "--first-name", who[1], "--email", strings.ToLower(who[1])+"@exemple.fr"); code != 0 {
			t.Fatalf("add: %s", out)
		}
	}
	if out, code := run(t, "Lune-bleue-42\n", "accounts", "--data", data, "set-password", "martin.luc"); code != 0 {
		t.Fatalf("set-password: %s", out)
	}
	out, code := run(t, "", "activation", "--data", data, "issue", "Dupont.Marie", "martin.luc", "nobody")
	if code != 1 {
		t.Fatalf("issue: %d %s", code, out)
	}
	m := issuedRe.FindStringSubmatch(out)
	if m == nil || m[1] != "dupont.marie" || m[3] != "https://college.example/parents/activation?id=dupont.marie&code="+m[2] ||
		!strings.HasSuffix(m[4], "(Europe/Paris)") {
		t.Fatalf("issue output:\n%s", out)
	}
	for _, want := range []string{"martin.luc: the account already has a password", "nobody: no such account"} {
		if !strings.Contains(out, want) {
			t.Errorf("issue output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "activation code for") != 1 {
		t.Fatalf("codes for refused accounts:\n%s", out)
	}

	st, err := store.Open(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := testServices(t, st)
	if s.activation.Config.CodeTTL != 56*24*time.Hour {
		t.Fatalf("code lifetime %s", s.activation.Config.CodeTTL)
	}
	evs, _ := st.Audit(time.Time{}, "dupont.marie")
	if len(evs) == 0 || evs[len(evs)-1].Kind != audit.ActivationIssued || strings.Contains(evs[len(evs)-1].Detail, m[2]) {
		t.Fatalf("audit: %+v", evs)
	}
	if _, _, err := s.activation.Verify(context.Background(), "", "dupont.marie", m[2], "fr"); err != nil {
		t.Fatalf("the printed code: %v", err)
	}
	if out, code := run(t, "", "activation", "--data", data); code != 2 || !strings.Contains(out, "Usage: sesame activation issue") {
		t.Fatalf("no arguments: %d %s", code, out)
	}
}
