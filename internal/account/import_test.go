package account_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/importcsv"
)

// pupil builds a file's pupil keyed by name, as the parser does without
// a pupil number column.
func pupil(last, first, class string) importcsv.Pupil {
	return importcsv.Pupil{Key: "name:" + strings.ToLower(last) + "|" + strings.ToLower(first), LastName: last, FirstName: first, Class: class}
}

func adultRow(line int, last, first, email string, kids ...importcsv.Pupil) importcsv.Adult {
	return importcsv.Adult{Lines: []int{line}, LastName: last, FirstName: first, Email: email, Children: kids}
}

func result(adults ...importcsv.Adult) *importcsv.Result {
	return &importcsv.Result{Adults: adults, Shape: importcsv.ShapeAdultPupil}
}

func ids(cs []account.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Account.ID)
	}
	slices.Sort(out)
	return out
}

// The school's year: a first import, then next September's export with
// a changed e-mail, a new sibling, a family that left and a renamed
// class, in sync mode; then the year after, when the retention ends.
func TestImportAcrossYears(t *testing.T) {
	s, st, clk, _ := newService(t)
	lucas, emma := pupil("Bernard", "Lucas", "6e A"), pupil("Bernard", "Emma", "CM2")
	year1 := result(
		importcsv.Adult{Lines: []int{2, 3}, LastName: "Bernard", FirstName: "Claire", Email: "claire.bernard@exemple.fr", Children: []importcsv.Pupil{lucas, emma}},
		adultRow(4, "Durand", "Julie", "julie.durand@exemple.fr", pupil("Durand", "Noé", "5e B")),
		adultRow(5, "Martin", "Paul", "", pupil("Martin", "Léa", "4e C")),
		adultRow(6, "Petit", "Anne", "anne.petit@exemple.fr", pupil("Petit", "Tom", "3e A")),
	)
	rep, err := s.Import(year1, account.ImportOptions{Sync: true, PurgeAfter: account.DefaultPurgeAfter, Operator: "cli:root"})
	if err != nil || !rep.Written {
		t.Fatalf("first import: %+v %v", rep, err)
	}
	if got := ids(rep.Created); !slices.Equal(got, []string{"bernard.claire", "durand.julie", "martin.paul", "petit.anne"}) {
		t.Fatalf("created %v", got)
	}
	claire, _ := st.Account("bernard.claire")
	if claire.ChildrenLabel() != "Lucas (6e A), Emma (CM2)" && claire.ChildrenLabel() != "Emma (CM2), Lucas (6e A)" {
		t.Fatalf("children: %q", claire.ChildrenLabel())
	}
	if claire.Children[0].Class != "6e A" { // sorted by class
		t.Fatalf("children not sorted by class: %+v", claire.Children)
	}
	if paul, _ := st.Account("martin.paul"); paul.Email != "" {
		t.Fatalf("an adult without e-mail got %q", paul.Email)
	}
	// Julie activates; the import must never touch her password.
	if _, err := s.AdminSetPassword(context.Background(), "durand.julie", "Cartable-Vert-2026"); err != nil {
		t.Fatal(err)
	}
	before, _ := st.Account("durand.julie")

	// Next September.
	clk.t = clk.t.AddDate(1, 0, 0)
	lucas.Class, emma.Class = "5e A", "6e B"
	year2 := result(
		importcsv.Adult{Lines: []int{2, 3, 4}, LastName: "BERNARD", FirstName: "Claire", Email: "claire.bernard@exemple.fr",
			Children: []importcsv.Pupil{lucas, emma, pupil("Bernard", "Hugo", "CP")}},
		adultRow(5, "Durand", "Julie", "julie.nouvelle@exemple.fr", pupil("Durand", "Noé", "4e B")),
		adultRow(6, "Martin", "Paul", "", pupil("Martin", "Léa", "3e C")),
	)
	dry, err := s.Import(year2, account.ImportOptions{Sync: true, DryRun: true, PurgeAfter: account.DefaultPurgeAfter})
	if err != nil || dry.Written {
		t.Fatalf("dry run: %+v %v", dry, err)
	}
	if after, _ := st.Account("durand.julie"); after.Email != before.Email {
		t.Fatal("the dry run wrote")
	}
	rep, err = s.Import(year2, account.ImportOptions{Sync: true, PurgeAfter: account.DefaultPurgeAfter, Operator: "cli:root"})
	if err != nil || !rep.Written {
		t.Fatalf("sync: %+v %v", rep, err)
	}
	if len(rep.Created) != 0 {
		t.Fatalf("a changed e-mail created %v", ids(rep.Created))
	}
	if got := ids(rep.Updated); !slices.Equal(got, []string{"bernard.claire", "durand.julie", "martin.paul"}) {
		t.Fatalf("updated %v", got)
	}
	if got := ids(rep.Disabled); !slices.Equal(got, []string{"petit.anne"}) {
		t.Fatalf("disabled %v", got)
	}
	if !slices.Equal(ids(dry.Updated), ids(rep.Updated)) || !slices.Equal(ids(dry.Disabled), ids(rep.Disabled)) {
		t.Fatal("the dry run announced other changes than the import made")
	}
	julie, _ := st.Account("durand.julie")
	if julie.Email != "julie.nouvelle@exemple.fr" || julie.PasswordHash != before.PasswordHash || julie.Children[0].Class != "4e B" {
		t.Fatalf("julie after sync: %+v", julie)
	}
	for _, c := range rep.Updated {
		if c.Account.ID == "durand.julie" && c.MatchedBy != "name and a child" {
			t.Errorf("julie found by %q", c.MatchedBy)
		}
	}
	claire, _ = st.Account("bernard.claire")
	if len(claire.Children) != 3 || claire.LastName != "BERNARD" {
		t.Fatalf("claire after sync: %+v", claire)
	}
	anne, _ := st.Account("petit.anne")
	if anne.State != account.Disabled || anne.DisabledBy != account.DisabledBySync {
		t.Fatalf("anne: %+v", anne)
	}
	ev, _ := st.Audit(time.Time{}, "durand.julie")
	if !slices.ContainsFunc(ev, func(e audit.Event) bool {
		return e.Kind == audit.AccountUpdated && strings.Contains(e.Detail, "e-mail") && !strings.Contains(e.Detail, "julie.nouvelle") && e.Operator == "cli:root"
	}) {
		t.Fatalf("no masked e-mail change in the audit: %+v", ev)
	}

	// Idempotent.
	again, _ := s.Import(year2, account.ImportOptions{Sync: true, PurgeAfter: account.DefaultPurgeAfter})
	if len(again.Updated)+len(again.Created)+len(again.Disabled)+len(again.Purged) != 0 || again.Unchanged != 3 {
		t.Fatalf("the same file twice: %+v", again)
	}

	// A year and a day later, Anne's account goes, her audit trail
	// anonymised; Anne's family coming back before that gets it back.
	clk.t = clk.t.AddDate(1, 0, 1)
	rep, err = s.Import(year2, account.ImportOptions{Sync: true, PurgeAfter: account.DefaultPurgeAfter})
	if err != nil || !rep.Written || !slices.Equal(ids(rep.Purged), []string{"petit.anne"}) {
		t.Fatalf("purge: %+v %v", rep, err)
	}
	if _, err := st.Account("petit.anne"); err != account.ErrNotFound {
		t.Fatalf("purged account still there: %v", err)
	}
	all, _ := st.Audit(time.Time{}, "")
	for _, e := range all {
		if e.Account == "petit.anne" || strings.Contains(e.Detail, "petit.anne") || strings.Contains(e.Email, "anne") {
			t.Fatalf("the purge left the identifier in the audit: %+v", e)
		}
	}
}

func TestImportKeepsTheLanguageAParentChose(t *testing.T) {
	s, st, _, _ := newService(t)
	ad := adultRow(2, "Smith", "John", "john@exemple.fr")
	s.Import(result(ad), account.ImportOptions{})
	if a, _ := st.Account("smith.john"); a.Lang != "" {
		t.Fatalf("lang %q", a.Lang)
	}
	ad.Lang = "fr"
	s.Import(result(ad), account.ImportOptions{})
	if a, _ := st.Account("smith.john"); a.Lang != "fr" {
		t.Fatalf("a blank language was not filled: %q", a.Lang)
	}
	if err := s.SetLang("smith.john", "en"); err != nil { // the parent switches
		t.Fatal(err)
	}
	rep, _ := s.Import(result(ad), account.ImportOptions{})
	if a, _ := st.Account("smith.john"); a.Lang != "en" || rep.Unchanged != 1 {
		t.Fatalf("the export overrode the parent's language: %q %+v", a.Lang, rep)
	}
}

func TestImportReenablesAccountsBackInTheExport(t *testing.T) {
	s, st, clk, _ := newService(t)
	f := result(adultRow(2, "Petit", "Anne", "anne@exemple.fr"), adultRow(3, "Roux", "Max", "max@exemple.fr"))
	s.Import(f, account.ImportOptions{Sync: true})
	s.Import(result(adultRow(2, "Roux", "Max", "max@exemple.fr")), account.ImportOptions{Sync: true})
	s.SetState("roux.max", account.Disabled) // by hand: stays disabled
	clk.t = clk.t.Add(time.Hour)
	rep, _ := s.Import(f, account.ImportOptions{Sync: true})
	if !slices.Equal(ids(rep.Enabled), []string{"petit.anne"}) {
		t.Fatalf("enabled %v", ids(rep.Enabled))
	}
	if max, _ := st.Account("roux.max"); max.State != account.Disabled || max.DisabledBy != account.DisabledByAdmin {
		t.Fatalf("a sync enabled an account the school disabled by hand: %+v", max)
	}
}

func TestImportReportsAmbiguityInsteadOfGuessing(t *testing.T) {
	s, st, _, _ := newService(t)
	kid := pupil("Nguyen", "Lan", "CE1")
	// Two accounts with the same name and child (a duplicate made by hand).
	s.Import(result(adultRow(2, "Nguyen", "Minh", "a@exemple.fr", kid), adultRow(3, "Nguyen", "Minh", "b@exemple.fr", kid)), account.ImportOptions{})
	rep, err := s.Import(result(adultRow(2, "Nguyen", "Minh", "c@exemple.fr", kid)), account.ImportOptions{Sync: true})
	if err != nil || rep.Written || len(rep.Ambiguous) != 1 || len(rep.Ambiguous[0].Candidates) != 2 || rep.Refused == "" {
		t.Fatalf("ambiguous match: %+v %v", rep, err)
	}
	if all, _ := st.Accounts(); len(all) != 2 || all[0].State != account.Active || all[1].State != account.Active {
		t.Fatalf("an ambiguous sync changed accounts: %+v", all)
	}
	// Two adults of one file claiming one account: one by name and
	// e-mail, the other by name and child.
	zoe := pupil("Roux", "Zoé", "CP")
	s.Import(result(adultRow(2, "Roux", "Max", "max@exemple.fr", zoe)), account.ImportOptions{})
	rep, _ = s.Import(result(adultRow(2, "Roux", "Max", "max@exemple.fr"), adultRow(3, "Roux", "Max", "autre@exemple.fr", zoe)), account.ImportOptions{SkipInvalid: true})
	if len(rep.Ambiguous) != 2 || !slices.Equal(rep.Ambiguous[0].Candidates, []string{"roux.max"}) || len(rep.Created)+len(rep.Updated) != 0 {
		t.Fatalf("two lines claiming one account: %+v", rep)
	}
	if max, _ := st.Account("roux.max"); max.Email != "max@exemple.fr" || len(max.Children) != 1 {
		t.Fatalf("a doubly claimed account was changed: %+v", max)
	}
}

func TestSyncRefusesAPartialFile(t *testing.T) {
	s, st, _, _ := newService(t)
	var all []importcsv.Adult
	for i := range 20 {
		all = append(all, adultRow(i+2, "Nom", string(rune('A'+i))+"lice", ""))
	}
	if rep, err := s.Import(result(all...), account.ImportOptions{}); err != nil || len(rep.Created) != 20 {
		t.Fatalf("setup: %+v %v", rep, err)
	}
	rep, _ := s.Import(result(all[:5]...), account.ImportOptions{Sync: true})
	if rep.Written || !strings.Contains(rep.Refused, "15 of the 20") {
		t.Fatalf("a one-class file disabled the school: %+v", rep.Refused)
	}
	rep, _ = s.Import(result(all[:5]...), account.ImportOptions{Sync: true, AllowMassDisable: true})
	if !rep.Written || len(rep.Disabled) != 15 {
		t.Fatalf("--allow-mass-disable: %+v", rep)
	}
	// Rejected lines block a sync even with SkipInvalid.
	bad := result(all...)
	bad.Errors = []importcsv.RowError{{Line: 30, Reason: importcsv.ReasonInvalidEmail, Detail: "x"}}
	rep, _ = s.Import(bad, account.ImportOptions{Sync: true, SkipInvalid: true})
	if rep.Written || !strings.Contains(rep.Refused, "sync") {
		t.Fatalf("a sync with rejected lines: %+v", rep)
	}
	if a, _ := st.Account("nom.alice"); a.State != account.Active {
		t.Fatal("refused sync wrote")
	}
}

func TestEditFindDelete(t *testing.T) {
	s, st, _, _ := newService(t)
	s.Import(result(adultRow(2, "N'Diaye", "Awa", "awa@exemple.fr", pupil("N'Diaye", "Fatou", "CM1"))), account.ImportOptions{})
	for _, q := range []string{"n-diaye.awa", "AWA@exemple.fr", "awa n'diaye", "NDIAYE Awa"} {
		if got, err := s.Find(q); err != nil || len(got) != 1 || got[0].ID != "n-diaye.awa" {
			t.Errorf("Find(%q) = %v, %v", q, got, err)
		}
	}
	if got, _ := s.Find("Fatou"); len(got) != 0 {
		t.Errorf("Find matched a child's name as the parent's: %v", got)
	}
	mail := "awa.ndiaye@exemple.fr"
	a, fields, err := s.Edit("n-diaye.awa", account.Edit{Email: &mail}, "cli:secretaire")
	if err != nil || a.Email != mail || len(fields) != 1 || fields[0].New != mail {
		t.Fatalf("edit: %+v %+v %v", a, fields, err)
	}
	bad := "pas une adresse"
	if _, _, err := s.Edit("n-diaye.awa", account.Edit{Email: &bad}, ""); err == nil {
		t.Fatal("edit accepted a bad address")
	}
	if got, _ := s.Find("awa@exemple.fr"); len(got) != 0 {
		t.Fatal("the old address still finds the account")
	}
	if _, err := s.Delete("n-diaye.awa", "cli:root"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Account("n-diaye.awa"); err != account.ErrNotFound {
		t.Fatal("not deleted")
	}
	ev, _ := st.Audit(time.Time{}, "")
	for _, e := range ev {
		if e.Account == "n-diaye.awa" || strings.Contains(e.Detail, "n-diaye.awa") {
			t.Fatalf("delete left the identifier in the audit: %+v", e)
		}
	}
}

func TestParseRetention(t *testing.T) {
	day := 24 * time.Hour
	for in, want := range map[string]time.Duration{"1y": 365 * day, "18mo": 540 * day, "6m": 180 * day, "90d": 90 * day, "2w": 14 * day, "never": 0, "0": 0, "48h": 48 * time.Hour} {
		if got, err := account.ParseRetention(in); err != nil || got != want {
			t.Errorf("ParseRetention(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "y", "-1y", "1.5y", "un an", "1y2"} {
		if _, err := account.ParseRetention(in); err == nil {
			t.Errorf("ParseRetention(%q) accepted", in)
		}
	}
	if account.FormatRetention(365*day) != "1y" || account.FormatRetention(0) != "never" {
		t.Error("FormatRetention")
	}
}
