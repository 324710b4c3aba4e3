package handlers

import (
	"errors"
	"fmt"
	"strings"

	"sesame/internal/account"
	"sesame/internal/desk"
	"sesame/internal/importcsv"
	"sesame/views"
)

// reportListed bounds each list of the import's report on the page, as
// the command line's: the counts stay whole.
const reportListed = 50

// fieldKeys names the fields an update changes (account.FieldChange).
var fieldKeys = map[string]string{
	"last name": "lastname", "first name": "firstname", "civility": "civility", "e-mail": "email",
	"phone": "phone", "language": "language", "children": "children",
}

// importReport words what an import read and did in the member's
// language, from the import's structured report: the same facts as the
// command line's report, every sentence from the locales.
func (h *handler) importReport(lang string, r desk.ImportResult) *views.DeskImportReport {
	t := func(id string, data map[string]any) string { return h.Locales.T(lang, id, data) }
	res, rep := r.File, r.Report
	sep := t("desk.import.sep.semicolon", nil)
	if res.Delimiter == ',' {
		sep = t("desk.import.sep.comma", nil)
	}
	pupils := map[string]bool{}
	for _, ad := range res.Adults {
		for _, p := range ad.Children {
			pupils[p.Key] = true
		}
	}
	out := &views.DeskImportReport{
		File: t("desk.import.r.file", map[string]any{"Encoding": res.Encoding, "Sep": sep,
			"Shape": t("desk.import.shape."+string(res.Shape), nil), "Adults": len(res.Adults), "Pupils": len(pupils)}),
	}
	cols := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		cols[i] = "« " + c.Header + " »"
	}
	out.Columns = t("desk.import.r.columns", map[string]any{"List": strings.Join(cols, ", ")})
	if len(res.IgnoredColumns) == 0 {
		out.Ignored = t("desk.import.r.ignored_none", nil)
	} else {
		ign := make([]string, len(res.IgnoredColumns))
		for i, c := range res.IgnoredColumns {
			ign[i] = "« " + c + " »"
		}
		out.Ignored = t("desk.import.r.ignored", map[string]any{"List": strings.Join(ign, ", "), "More": res.MoreIgnoredColumns})
	}
	section := func(title string, data map[string]any, items []string) {
		if len(items) == 0 {
			return
		}
		if data == nil {
			data = map[string]any{}
		}
		data["N"] = len(items)
		s := views.DeskReportSection{Title: t(title, data), Items: items}
		if len(items) > reportListed {
			s.Items = items[:reportListed]
			s.More = t("desk.import.r.more", map[string]any{"N": len(items) - reportListed})
		}
		out.Sections = append(out.Sections, s)
	}
	line := func(lines []int, text string) string {
		ls := make([]string, len(lines))
		for i, l := range lines {
			ls[i] = fmt.Sprint(l)
		}
		return t("desk.import.r.line", map[string]any{"Lines": strings.Join(ls, ", "), "Text": text})
	}
	who := func(a account.Account) string {
		n := a.Name()
		if n == "" {
			n = a.Email
		}
		return t("desk.import.r.account", map[string]any{"ID": a.ID, "Name": n})
	}
	reason := func(e importcsv.RowError) string {
		return line([]int{e.Line}, t("desk.import.reason."+e.Reason, nil))
	}

	var noEmail, warn, rejected, amb, created, updated, enabled, disabled, deleted []string
	for _, ad := range res.Adults {
		if ad.Email == "" {
			noEmail = append(noEmail, line(ad.Lines, strings.TrimSpace(ad.FirstName+" "+ad.LastName)))
		}
	}
	for _, w := range res.Warnings {
		warn = append(warn, reason(w))
	}
	for _, e := range rep.Rejected {
		rejected = append(rejected, reason(e))
	}
	for _, a := range rep.Ambiguous {
		amb = append(amb, line(a.Lines, t("desk.import.r.ambiguous_item", map[string]any{"Name": a.Name, "Candidates": strings.Join(a.Candidates, ", ")})))
	}
	for _, c := range rep.Created {
		created = append(created, who(c.Account))
	}
	for _, c := range rep.Updated {
		parts := make([]string, len(c.Fields))
		for i, f := range c.Fields {
			parts[i] = t("desk.import.r.change", map[string]any{"Field": t("desk.import.field."+fieldKeys[f.Field], nil), "Old": dash(f.Old), "New": dash(f.New)})
		}
		updated = append(updated, who(c.Account)+" : "+strings.Join(parts, " ; "))
	}
	for _, c := range rep.Enabled {
		enabled = append(enabled, who(c.Account))
	}
	for _, c := range rep.Disabled {
		disabled = append(disabled, who(c.Account))
	}
	for _, c := range rep.Purged {
		deleted = append(deleted, who(c.Account))
	}
	days := map[string]any{"Days": int(r.Options.PurgeAfter.Hours() / 24)}
	section("desk.import.r.noemail", nil, noEmail)
	section("desk.import.r.warnings", nil, warn)
	section("desk.import.r.rejected", nil, rejected)
	section("desk.import.r.ambiguous", nil, amb)
	section("desk.import.r.created", nil, created)
	section("desk.import.r.updated", nil, updated)
	section("desk.import.r.enabled", nil, enabled)
	section("desk.import.r.disabled", days, disabled)
	section("desk.import.r.deleted", days, deleted)
	if rep.RefusedCode != "" {
		out.Refused = t("desk.import.r.refused."+rep.RefusedCode, map[string]any{"Disabled": len(rep.Disabled), "Active": rep.Active})
	}
	out.Summary = t("desk.import.r.summary", map[string]any{"Created": len(rep.Created), "Updated": len(rep.Updated),
		"Unchanged": rep.Unchanged, "Enabled": len(rep.Enabled), "Disabled": len(rep.Disabled), "Deleted": len(rep.Purged),
		"Rejected": len(rep.Rejected), "Ambiguous": len(rep.Ambiguous)})
	return out
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// importError says in the member's language why a file could not be
// read as an export at all.
func (h *handler) importError(lang string, err error) string {
	var mc *importcsv.MissingColumnError
	key := "desk.import.err.unreadable"
	data := map[string]any{}
	switch {
	case errors.As(err, &mc):
		key, data["Columns"] = "desk.import.err.missing", strings.Join(mc.Missing, ", ")
	case errors.Is(err, importcsv.ErrEmpty):
		key = "desk.import.err.empty"
	case errors.Is(err, importcsv.ErrNoHeader):
		key = "desk.import.err.noheader"
	case errors.Is(err, importcsv.ErrDuplicateColumn):
		key = "desk.import.err.duplicate"
	case errors.Is(err, importcsv.ErrNotText):
		key = "desk.import.err.nottext"
	case errors.Is(err, importcsv.ErrTooLarge):
		key = "desk.import.err.toolarge"
	case errors.Is(err, desk.ErrImportsWaiting):
		key = "desk.import.err.busy"
	}
	return h.Locales.T(lang, key, data)
}
