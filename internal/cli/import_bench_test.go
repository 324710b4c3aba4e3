package cli

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sesame/internal/store"
)

// exportOf writes a 3,000-pupil school's one-line-per-pupil export with
// 5,000 responsible adults (2,500 families, 500 with two pupils) as
// school software does: UTF-8 with BOM, ";", CRLF. The next year's
// (year 1) moves every pupil up a class and changes 2% of the addresses.
func exportOf(year int) []byte {
	var b strings.Builder
	b.WriteString("\uFEFFN° élève;Nom élève;Prénom élève;Classe;Civilité resp. 1;Nom resp. 1;Prénom resp. 1;Courriel resp. 1;" +
		"Civilité resp. 2;Nom resp. 2;Prénom resp. 2;Courriel resp. 2\r\n")
	levels := []string{"6e", "5e", "4e", "3e"}
	pupil := 0
	for f := range 2500 {
		mother := fmt.Sprintf("mere%04d@exemple.fr", f)
		if year > 0 && f%50 == 0 {
			mother = fmt.Sprintf("maman%04d@nouveau.fr", f)
		}
		for c := range 1 + min(1, max(0, 500-f)) {
			class := fmt.Sprintf("%s %c", levels[(pupil+year)%4], 'A'+rune(pupil%3))
			fmt.Fprintf(&b, "%09dAB;FAMILLE-%04d;Enfant%d;%s;Mme;FAMILLE-%04d;Claire;%s;M.;FAMILLE-%04d;Jean;pere%04d@exemple.fr\r\n",
				pupil, f, c, class, f, mother, f, f)
			pupil++
		}
	}
	return []byte(b.String())
}

// BenchmarkImportCommand is `sesame accounts import` of that export on a
// real data file: the first import, then next year's in sync mode; the
// issue asks each under 2 s on 2 cores. It goes through execAdmin, as the
// admin socket does: parse, match, one transaction, the report.
func BenchmarkImportCommand(b *testing.B) {
	for _, sync := range []bool{false, true} {
		name := map[bool]string{false: "first", true: "sync-next-year"}[sync]
		b.Run(name, func(b *testing.B) {
			first, next := exportOf(0), exportOf(1)
			for range b.N {
				b.StopTimer()
				st, err := store.Create(filepath.Join(b.TempDir(), "s.db"), time.Second)
				if err != nil {
					b.Fatal(err)
				}
				s := newServices(st, serviceConfig{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
				input, args := first, []string{"accounts", "import", "x.csv"}
				if sync {
					if code := execAdmin(s, adminRequest{Args: args, Input: first}, io.Discard); code != 0 {
						b.Fatal("first import failed")
					}
					input, args = next, []string{"accounts", "import", "--sync", "x.csv"}
				}
				var out strings.Builder
				b.StartTimer()
				code := execAdmin(s, adminRequest{Args: args, Input: input}, &out)
				b.StopTimer()
				if code != 0 || !strings.Contains(out.String(), "Done: created") {
					b.Fatalf("exit %d:\n%s", code, out.String()[max(0, out.Len()-2000):])
				}
				st.Close()
			}
		})
	}
}
