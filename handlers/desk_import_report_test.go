package handlers

import (
	"os"
	"regexp"
	"testing"

	"sesame/locales"
)

// Every reason the import can give a line, and every file-level refusal
// of an import, has its sentence in both languages: the desk words the
// report from them. The reasons are read from the import's source, so a
// new one without its sentences fails here.
func TestImportReportSentences(t *testing.T) {
	src, err := os.ReadFile("../internal/importcsv/importcsv.go")
	if err != nil {
		t.Fatal(err)
	}
	reasons := regexp.MustCompile(`(?m)^\s*Reason\w+\s*=\s*"(\w+)"`).FindAllStringSubmatch(string(src), -1)
	if len(reasons) < 20 {
		t.Fatalf("found %d reasons in importcsv.go", len(reasons))
	}
	ids := []string{"desk.import.r.refused.mass_disable", "desk.import.r.refused.sync_invalid", "desk.import.r.refused.invalid"}
	for _, r := range reasons {
		ids = append(ids, "desk.import.reason."+r[1])
	}
	for _, f := range fieldKeys {
		ids = append(ids, "desk.import.field."+f)
	}
	for _, sh := range []string{"adults", "adult-pupil", "pupil-responsibles"} {
		ids = append(ids, "desk.import.shape."+sh)
	}
	b := locales.Must()
	for _, lang := range []string{"fr", "en"} {
		for _, id := range ids {
			if got := b.T(lang, id, nil); got == "" || got == id {
				t.Errorf("%s: no sentence for %s", lang, id)
			}
		}
	}
}
