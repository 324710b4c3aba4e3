package cli

import (
	"encoding/csv"
	"strings"
	"testing"
)

// The school's hand corrections, on a real data file: show by name and
// e-mail, edit, export, delete with its confirmation; the audit names
// the operator.
func TestEditShowExportDelete(t *testing.T) {
	data := newDataFile(t, t.TempDir())
	if out, code := run(t, "", "accounts", "--data", data, "add", "--last-name", "N'Diaye", "--first-name", "Awa", "--email", "awa@exemple.fr"); code != 0 {
		t.Fatalf("add: %s", out)
	}
	if out, code := run(t, "", "accounts", "--data", data, "add", "--last-name", "=Martin", "--first-name", "Léo"); code != 0 {
		t.Fatalf("add without e-mail: %s", out)
	}
	for _, who := range []string{"n-diaye.awa", "AWA@exemple.fr", "Awa N'DIAYE", "ndiaye awa"} {
		out, code := run(t, "", "accounts", "--data", data, "show", who)
		if code != 0 || !strings.Contains(out, "identifier        n-diaye.awa") {
			t.Errorf("show %q: %d %s", who, code, out)
		}
	}
	out, code := run(t, "", "accounts", "--data", data, "edit", "n-diaye.awa", "--email", "awa.ndiaye@exemple.fr", "--phone", "06 12 34 56 78")
	if code != 0 || !strings.Contains(out, "e-mail awa@exemple.fr → awa.ndiaye@exemple.fr") || !strings.Contains(out, "phone - → 06 12 34 56 78") {
		t.Fatalf("edit: %d %s", code, out)
	}
	out, code = run(t, "", "accounts", "--data", data, "edit", "n-diaye.awa", "--email", "awa@@exemple")
	if code != 1 || !strings.Contains(out, "invalid e-mail") {
		t.Fatalf("edit with a bad address: %d %s", code, out)
	}
	out, code = run(t, "", "accounts", "--data", data, "edit", "n-diaye.awa", "--phone", "06 12 34 56 78")
	if code != 0 || !strings.Contains(out, "nothing to change") {
		t.Fatalf("edit without change: %d %s", code, out)
	}

	stdout, _, code := runSplit(t, "", "accounts", "--data", data, "export")
	if code != 0 || !strings.HasPrefix(stdout, "\uFEFFidentifiant;civilité;nom;prénom;courriel") {
		t.Fatalf("export: %d %q", code, stdout)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(stdout, "\uFEFF")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("export rows: %v %v", rows, err)
	}
	for _, row := range rows[1:] {
		if row[0] == "martin.leo" && row[2] != "'=Martin" {
			t.Errorf("a formula-like name left unguarded in the export: %q", row[2])
		}
		if row[0] == "n-diaye.awa" && (row[4] != "awa.ndiaye@exemple.fr" || row[5] != "06 12 34 56 78") {
			t.Errorf("export row: %q", row)
		}
	}

	out, code = run(t, "someone-else\n", "accounts", "--data", data, "delete", "n-diaye.awa")
	if code != 1 || !strings.Contains(out, "not confirmed") {
		t.Fatalf("delete with a wrong confirmation: %d %s", code, out)
	}
	out, code = run(t, "n-diaye.awa\n", "accounts", "--data", data, "delete", "n-diaye.awa")
	if code != 0 || !strings.Contains(out, "deleted n-diaye.awa") {
		t.Fatalf("delete: %d %s", code, out)
	}
	if out, code := run(t, "", "accounts", "--data", data, "show", "n-diaye.awa"); code != 1 {
		t.Fatalf("deleted account still shown: %s", out)
	}
	out, _ = run(t, "", "audit", "--data", data, "--since", "1h")
	if strings.Contains(out, "n-diaye.awa") || !strings.Contains(out, "account.deleted") {
		t.Fatalf("audit after delete:\n%s", out)
	}
}
