package account_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/importcsv"
	"sesame/internal/password"
	"sesame/internal/policy"
	"sesame/internal/store"
)

// school builds the adults of a 3,000-pupil school as the parser gives
// them: 5,000 adults, most families two adults, some siblings.
func school(year int) *importcsv.Result {
	res := &importcsv.Result{Shape: importcsv.ShapePupilResponsibles}
	line := 2
	for f := 0; len(res.Adults) < 5000; f++ {
		kids := []importcsv.Pupil{{Key: fmt.Sprintf("id:%d", f), LastName: fmt.Sprintf("Famille%d", f), FirstName: "Lou", Class: fmt.Sprintf("%de %c", 6+(f+year)%4, 'A'+rune(f%5))}}
		if f%3 == 0 {
			kids = append(kids, importcsv.Pupil{Key: fmt.Sprintf("id:%db", f), LastName: fmt.Sprintf("Famille%d", f), FirstName: "Sacha", Class: "CM2"})
		}
		for _, first := range []string{"Claire", "Paul"} {
			email := fmt.Sprintf("%s.famille%d@exemple.fr", first, f)
			if year > 0 && f%50 == 0 {
				email = fmt.Sprintf("%s.nouveau%d@exemple.fr", first, f)
			}
			res.Adults = append(res.Adults, importcsv.Adult{Lines: []int{line}, LastName: fmt.Sprintf("Famille%d", f), FirstName: first, Email: email, Children: kids})
			if first == "Claire" && f%4 == 0 {
				break // a family with one adult
			}
		}
		line++
	}
	return res
}

// BenchmarkImportSchool is a first import of 5,000 adults into an empty
// file, then next year's export in sync mode (2% changed e-mails, every
// class renamed): both must stay well under 2 s on 2 cores.
func BenchmarkImportSchool(b *testing.B) {
	for _, sync := range []bool{false, true} {
		name := "first"
		if sync {
			name = "sync-next-year"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				st, err := store.Create(filepath.Join(b.TempDir(), "s.db"), time.Second)
				if err != nil {
					b.Fatal(err)
				}
				s := &account.Service{Store: st, Hasher: password.New(fast, 2, time.Second), Policy: policy.Default(), Now: time.Now}
				if sync {
					if _, err := s.Import(school(0), account.ImportOptions{}); err != nil {
						b.Fatal(err)
					}
				}
				res := school(1)
				b.StartTimer()
				rep, err := s.Import(res, account.ImportOptions{Sync: sync, PurgeAfter: account.DefaultPurgeAfter})
				b.StopTimer()
				if err != nil || !rep.Written {
					b.Fatalf("%+v %v", rep.Refused, err)
				}
				if sync && (len(rep.Created) != 0 || len(rep.Updated) == 0) {
					b.Fatalf("sync created %d, updated %d", len(rep.Created), len(rep.Updated))
				}
				st.Close()
			}
		})
	}
}
