package importcsv_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"sesame/internal/importcsv"
)

// ad builds an expected Adult.
func ad(lines []int, id, civility, last, first, email, phone, lang string, children ...importcsv.Pupil) importcsv.Adult {
	return importcsv.Adult{Lines: lines, Identifier: id, Civility: civility, LastName: last, FirstName: first,
		Email: email, Phone: phone, Lang: lang, Children: children}
}

// kid builds an expected Pupil.
func kid(key, last, first, class string) importcsv.Pupil {
	return importcsv.Pupil{Key: key, LastName: last, FirstName: first, Class: class}
}

// l is a list of lines.
func l(lines ...int) []int { return lines }

// The families of testdata/families (see its README): the same school in
// 2026 and in 2027, exported in each shape.
var (
	shape1Cols = cols("Identifiant ENT=identifier", "Civilité=civility", "Nom=last name", "Prénom=first name", "Courriel=e-mail",
		"Téléphone portable=phone", "Langage=language")
	shape2Cols = cols("Civilité=civility", "Nom=last name", "Prénom=first name", "Courriel=e-mail", "Téléphone=phone",
		"Nom élève=pupil's last name", "Prénom élève=pupil's first name", "Classe=class")
	shape3Cols = cols("N° élève=pupil number", "Nom élève=pupil's last name", "Prénom élève=pupil's first name", "Classe=class",
		"Civilité resp. 1=civility of responsible adult 1", "Nom resp. 1=last name of responsible adult 1",
		"Prénom resp. 1=first name of responsible adult 1", "Courriel resp. 1=e-mail of responsible adult 1",
		"Tél. resp. 1=phone of responsible adult 1", "Civilité resp. 2=civility of responsible adult 2",
		"Nom resp. 2=last name of responsible adult 2", "Prénom resp. 2=first name of responsible adult 2",
		"Courriel resp. 2=e-mail of responsible adult 2", "Tél. resp. 2=phone of responsible adult 2")
	emailsOnlyCols = cols("NOM=pupil's last name", "PRENOM=pupil's first name",
		"EMAIL RESPONSABLE 1=e-mail of responsible adult 1", "EMAIL RESPONSABLE 2=e-mail of responsible adult 2")

	portugais = func(line int) importcsv.RowError {
		return importcsv.RowError{Line: line, Reason: "invalid_language",
			Detail: `unknown language "Portugais": the default language is kept (fr or en are understood)`}
	}
	enzo = func(line int) importcsv.RowError {
		return importcsv.RowError{Line: line, Reason: "no_responsible",
			Detail: "pupil Enzo ROUSSEL has no responsible adult: no account is linked to them"}
	}
)

// Pupils named by name only (shapes 2 and the e-mails-only export).
func byName(class map[string]string) map[string]importcsv.Pupil {
	k := map[string]importcsv.Pupil{}
	for _, p := range []struct{ key, last, first string }{
		{"dupont|lucas", "DUPONT", "Lucas"}, {"dupont|emma", "DUPONT", "Emma"}, {"ndiaye|awa", "N'DIAYE", "Awa"},
		{"martinlefevre|jeanbaptiste", "MARTIN-LEFÈVRE", "Jean-Baptiste"}, {"martinlefevre|louise", "MARTIN-LEFÈVRE", "Louise"},
		{"legoff|noe", "LE GOFF", "Noé"}, {"durand|chloe", "DURAND", "Chloé"}, {"muller|leo", "MÜLLER", "Léo"},
		{"bernard|hugo", "BERNARD", "Hugo"}, {"bernard|manon", "BERNARD", "Manon"}, {"santos|rafael", "SANTOS", "Rafael"},
		{"garcon|ines", "GARÇON", "Inès"}, {"nguyen|bao", "NGUYEN", "Bao"}, {"nguyen|linh", "NGUYEN", "Linh"},
	} {
		k[p.first] = kid("name:"+p.key, p.last, p.first, class[p.first])
	}
	return k
}

// The classes of 2026 and 2027: every pupil moves up, and Linh arrives.
var (
	classes2026 = map[string]string{"Lucas": "6e A", "Chloé": "6e A", "Bao": "6e A", "Hugo": "6e B", "Louise": "6e B",
		"Awa": "5e A", "Rafael": "5e A", "Inès": "5e B", "Noé": "5e B", "Enzo": "5e B",
		"Jean-Baptiste": "4e A", "Léo": "4e A", "Manon": "4e B", "Emma": "4e B"}
	classes2027 = map[string]string{"Linh": "6e B", "Lucas": "5e A", "Chloé": "5e A", "Bao": "5e A", "Hugo": "5e B", "Louise": "5e B",
		"Awa": "4e A", "Rafael": "4e A", "Noé": "4e B", "Enzo": "4e B",
		"Jean-Baptiste": "3e A", "Léo": "3e A", "Manon": "3e B", "Emma": "3e B"}
	numbers = map[string]string{"Lucas": "081234567AB", "Emma": "071234568BC", "Awa": "081234569CD", "Jean-Baptiste": "071234570DE",
		"Louise": "091234571EF", "Noé": "081234572FG", "Chloé": "091234573GH", "Léo": "071234574HJ", "Hugo": "091234575JK",
		"Manon": "071234576KL", "Rafael": "081234577LM", "Inès": "081234578MN", "Bao": "091234579NP", "Linh": "101234581RS"}
)

// byNumber is byName with the pupil numbers of the shape 3 export as keys.
func byNumber(class map[string]string) map[string]importcsv.Pupil {
	k := byName(class)
	for first, p := range k {
		p.Key = "id:" + numbers[first]
		k[first] = p
	}
	return k
}

func TestFixtures(t *testing.T) {
	k26, k27 := byName(classes2026), byName(classes2027)
	n26, n27 := byNumber(classes2026), byNumber(classes2027)
	e26, e27 := byName(nil), byName(nil)
	tests := []struct {
		file string
		want importcsv.Result
		// ids are the identifiers after AssignIdentifiers(nil), and
		// noEmail those of WithoutEmail.
		ids, noEmail []string
	}{
		{
			file: "adults.csv",
			want: importcsv.Result{Shape: adults, Columns: shape1Cols, IgnoredColumns: []string{"Commune"}, Encoding: cp, Delimiter: ';', Lines: 17,
				Adults: []importcsv.Adult{
					ad(l(2), "bernard.claire", "Mme", "BERNARD", "Claire", "claire.bernard@exemple.fr", "06 11 22 33 44", "fr"),
					ad(l(3), "bernard.paul", "M.", "BERNARD", "Paul", "paul.bernard@exemple.fr", "06 22 33 44 55", "fr"),
					ad(l(4), "dupont.jean", "M.", "DUPONT", "Jean", "jean.dupont@exemple.fr", "", ""),
					ad(l(5), "dupont.marie", "Mme", "DUPONT", "Marie", "marie.dupont@exemple.fr", "06 12 34 56 78", "fr"),
					ad(l(6), "durand.julie", "Mme", "DURAND", "Julie", "durand.julie@exemple.fr", "07 81 92 03 14", ""),
					ad(l(7), "durand.thomas", "M.", "DURAND", "Thomas", "thomas.durand@exemple.fr", "", ""),
					ad(l(8), "garcon.laetitia", "Mme", "GARÇON", "Lætitia", "", "06 98 76 54 32", "fr"),
					ad(l(9), "garcon.stephane", "M.", "GARÇON", "Stéphane", "s.garcon@exemple.fr", "", ""),
					ad(l(10), "le-goff.herve", "M.", "LE GOFF", "Hervé", "", "02 98 76 54 32", "fr"),
					ad(l(11), "loeuillet.gaelle", "Mme", "LŒUILLET", "Gaëlle", "gaelle.loeuillet@exemple.fr", "", ""),
					ad(l(12), "martin-lefevre.claire", "Mme", "MARTIN-LEFÈVRE", "Claire", "claire.martin-lefevre@exemple.fr", "06 45 67 89 01", "fr"),
					ad(l(13), "muller.anna", "Mme", "MÜLLER", "Anna", "anna.muller@exemple.net", "", "en"),
					ad(l(14), "muller.francois", "M.", "MÜLLER", "François", "f.muller@exemple.net", "+49 151 23456789", "en"),
					ad(l(15), "ndiaye.aissatou", "Mme", "N'DIAYE", "Aïssatou", "famille.ndiaye@exemple.org", "06 33 44 55 66", "fr"),
					ad(l(16), "ndiaye.moussa", "M.", "N'DIAYE", "Moussa", "famille.ndiaye@exemple.org", "", ""),
					ad(l(17), "", "Mme", "NGUYEN", "Thi Mai", "mai.nguyen@exemple.fr", "", ""),
					ad(l(18), "", "Mme", "SANTOS", "Ana", "ana.santos@exemple.pt", "06 77 88 99 00", ""),
				},
				Warnings: []importcsv.RowError{portugais(18)}},
			ids: []string{"bernard.claire", "bernard.paul", "dupont.jean", "dupont.marie", "durand.julie", "durand.thomas", "garcon.laetitia",
				"garcon.stephane", "le-goff.herve", "loeuillet.gaelle", "martin-lefevre.claire", "muller.anna", "muller.francois",
				"ndiaye.aissatou", "ndiaye.moussa", "nguyen.thi-mai", "santos.ana"},
			noEmail: []string{"garcon.laetitia", "le-goff.herve"},
		},
		{
			file: "adults-2027.csv",
			want: importcsv.Result{Shape: adults, Columns: shape1Cols, IgnoredColumns: []string{"Commune"}, Encoding: cp, Delimiter: ';', Lines: 15,
				Adults: []importcsv.Adult{
					ad(l(2), "bernard.claire", "Mme", "BERNARD", "Claire", "claire.bernard@exemple.fr", "06 11 22 33 44", "fr"),
					ad(l(3), "bernard.paul", "M.", "BERNARD", "Paul", "paul.bernard@exemple.fr", "06 22 33 44 55", "fr"),
					ad(l(4), "dupont.jean", "M.", "DUPONT", "Jean", "jean.dupont@exemple.fr", "", ""),
					ad(l(5), "dupont.marie", "Mme", "DUPONT", "Marie", "marie.dupont@exemple.fr", "06 12 34 56 78", "fr"),
					ad(l(6), "durand.julie", "Mme", "DURAND", "Julie", "julie.durand@nouveau.fr", "07 81 92 03 14", ""),
					ad(l(7), "durand.thomas", "M.", "DURAND", "Thomas", "thomas.durand@exemple.fr", "", ""),
					ad(l(8), "le-goff.herve", "M.", "LE GOFF", "Hervé", "", "02 98 76 54 32", "fr"),
					ad(l(9), "loeuillet.gaelle", "Mme", "LŒUILLET", "Gaëlle", "gaelle.loeuillet@exemple.fr", "", ""),
					ad(l(10), "martin-lefevre.claire", "Mme", "MARTIN-LEFÈVRE", "Claire", "claire.martin-lefevre@exemple.fr", "06 45 67 89 01", "fr"),
					ad(l(11), "muller.anna", "Mme", "MÜLLER", "Anna", "anna.muller@exemple.net", "", "en"),
					ad(l(12), "muller.francois", "M.", "MÜLLER", "François", "f.muller@exemple.net", "+49 151 23456789", "en"),
					ad(l(13), "ndiaye.aissatou", "Mme", "N'DIAYE", "Aïssatou", "famille.ndiaye@exemple.org", "06 33 44 55 66", "fr"),
					ad(l(14), "ndiaye.moussa", "M.", "N'DIAYE", "Moussa", "famille.ndiaye@exemple.org", "", ""),
					ad(l(15), "", "Mme", "NGUYEN", "Thi Mai", "mai.nguyen@exemple.fr", "", ""),
					ad(l(16), "", "Mme", "SANTOS", "Ana", "ana.santos@exemple.pt", "06 77 88 99 00", ""),
				},
				Warnings: []importcsv.RowError{portugais(16)}},
			ids: []string{"bernard.claire", "bernard.paul", "dupont.jean", "dupont.marie", "durand.julie", "durand.thomas",
				"le-goff.herve", "loeuillet.gaelle", "martin-lefevre.claire", "muller.anna", "muller.francois",
				"ndiaye.aissatou", "ndiaye.moussa", "nguyen.thi-mai", "santos.ana"},
			noEmail: []string{"le-goff.herve"},
		},
		{
			file: "adult-pupil.csv",
			want: importcsv.Result{Shape: adultPupil, Columns: shape2Cols, IgnoredColumns: []string{"Lien de parenté", "Date de naissance"},
				Encoding: utf8Enc, Delimiter: ';', Lines: 22,
				Adults: []importcsv.Adult{
					ad(l(2, 22), "", "Mme", "DUPONT", "Marie", "marie.dupont@exemple.fr", "06 12 34 56 78", "", k26["Lucas"], k26["Emma"]),
					ad(l(3, 23), "", "M.", "DUPONT", "Jean", "jean.dupont@exemple.fr", "", "", k26["Lucas"], k26["Emma"]),
					ad(l(4), "", "Mme", "DURAND", "Julie", "durand.julie@exemple.fr", "07 81 92 03 14", "", k26["Chloé"]),
					ad(l(5), "", "M.", "DURAND", "Thomas", "thomas.durand@exemple.fr", "", "", k26["Chloé"]),
					ad(l(6), "", "Mme", "NGUYEN", "Thi Mai", "mai.nguyen@exemple.fr", "", "", k26["Bao"]),
					ad(l(7, 21), "", "Mme", "BERNARD", "Claire", "claire.bernard@exemple.fr", "06 11 22 33 44", "", k26["Hugo"], k26["Manon"]),
					ad(l(8, 20), "", "M.", "BERNARD", "Paul", "paul.bernard@exemple.fr", "06 22 33 44 55", "", k26["Hugo"], k26["Manon"]),
					ad(l(9, 17), "", "Mme", "MARTIN-LEFÈVRE", "Claire", "claire.martin-lefevre@exemple.fr", "06 45 67 89 01", "",
						k26["Louise"], k26["Jean-Baptiste"]),
					ad(l(10), "", "M.", "N'DIAYE", "Moussa", "famille.ndiaye@exemple.org", "", "", k26["Awa"]),
					ad(l(11), "", "Mme", "N'DIAYE", "Aïssatou", "famille.ndiaye@exemple.org", "06 33 44 55 66", "", k26["Awa"]),
					ad(l(12), "", "Mme", "SANTOS", "Ana", "ana.santos@exemple.pt", "06 77 88 99 00", "", k26["Rafael"]),
					ad(l(13), "", "Mme", "GARÇON", "Lætitia", "", "06 98 76 54 32", "", k26["Inès"]),
					ad(l(14), "", "M.", "GARÇON", "Stéphane", "s.garcon@exemple.fr", "", "", k26["Inès"]),
					ad(l(15), "", "M.", "LE GOFF", "Hervé", "", "02 98 76 54 32", "", k26["Noé"]),
					ad(l(16), "", "Mme", "LŒUILLET", "Gaëlle", "gaelle.loeuillet@exemple.fr", "", "", k26["Noé"]),
					ad(l(18), "", "M.", "MÜLLER", "François", "f.muller@exemple.net", "+49 151 23456789", "", k26["Léo"]),
					ad(l(19), "", "Mme", "MÜLLER", "Anna", "anna.muller@exemple.net", "", "", k26["Léo"]),
				}},
			ids: []string{"dupont.marie", "dupont.jean", "durand.julie", "durand.thomas", "nguyen.thi-mai", "bernard.claire", "bernard.paul",
				"martin-lefevre.claire", "n-diaye.moussa", "n-diaye.aissatou", "santos.ana", "garcon.laetitia", "garcon.stephane",
				"le-goff.herve", "loeuillet.gaelle", "muller.francois", "muller.anna"},
			noEmail: []string{"garcon.laetitia", "le-goff.herve"},
		},
		{
			file: "adult-pupil-2027.csv",
			want: importcsv.Result{Shape: adultPupil, Columns: shape2Cols, IgnoredColumns: []string{"Lien de parenté", "Date de naissance"},
				Encoding: utf8Enc, Delimiter: ';', Lines: 21,
				Adults: []importcsv.Adult{
					ad(l(2, 7), "", "Mme", "NGUYEN", "Thi Mai", "mai.nguyen@exemple.fr", "", "", k27["Linh"], k27["Bao"]),
					ad(l(3, 21), "", "Mme", "DUPONT", "Marie", "marie.dupont@exemple.fr", "06 12 34 56 78", "", k27["Lucas"], k27["Emma"]),
					ad(l(4, 22), "", "M.", "DUPONT", "Jean", "jean.dupont@exemple.fr", "", "", k27["Lucas"], k27["Emma"]),
					ad(l(5), "", "Mme", "DURAND", "Julie", "julie.durand@nouveau.fr", "07 81 92 03 14", "", k27["Chloé"]),
					ad(l(6), "", "M.", "DURAND", "Thomas", "thomas.durand@exemple.fr", "", "", k27["Chloé"]),
					ad(l(8, 20), "", "Mme", "BERNARD", "Claire", "claire.bernard@exemple.fr", "06 11 22 33 44", "", k27["Hugo"], k27["Manon"]),
					ad(l(9, 19), "", "M.", "BERNARD", "Paul", "paul.bernard@exemple.fr", "06 22 33 44 55", "", k27["Hugo"], k27["Manon"]),
					ad(l(10, 16), "", "Mme", "MARTIN-LEFÈVRE", "Claire", "claire.martin-lefevre@exemple.fr", "06 45 67 89 01", "",
						k27["Louise"], k27["Jean-Baptiste"]),
					ad(l(11), "", "M.", "N'DIAYE", "Moussa", "famille.ndiaye@exemple.org", "", "", k27["Awa"]),
					ad(l(12), "", "Mme", "N'DIAYE", "Aïssatou", "famille.ndiaye@exemple.org", "06 33 44 55 66", "", k27["Awa"]),
					ad(l(13), "", "Mme", "SANTOS", "Ana", "ana.santos@exemple.pt", "06 77 88 99 00", "", k27["Rafael"]),
					ad(l(14), "", "M.", "LE GOFF", "Hervé", "", "02 98 76 54 32", "", k27["Noé"]),
					ad(l(15), "", "Mme", "LŒUILLET", "Gaëlle", "gaelle.loeuillet@exemple.fr", "", "", k27["Noé"]),
					ad(l(17), "", "M.", "MÜLLER", "François", "f.muller@exemple.net", "+49 151 23456789", "", k27["Léo"]),
					ad(l(18), "", "Mme", "MÜLLER", "Anna", "anna.muller@exemple.net", "", "", k27["Léo"]),
				}},
			ids: []string{"nguyen.thi-mai", "dupont.marie", "dupont.jean", "durand.julie", "durand.thomas", "bernard.claire", "bernard.paul",
				"martin-lefevre.claire", "n-diaye.moussa", "n-diaye.aissatou", "santos.ana", "le-goff.herve", "loeuillet.gaelle",
				"muller.francois", "muller.anna"},
			noEmail: []string{"le-goff.herve"},
		},
		{
			file: "pupil-responsibles.csv",
			want: importcsv.Result{Shape: pupilResp, Columns: shape3Cols, IgnoredColumns: []string{"Né(e) le"},
				Encoding: utf8Enc, Delimiter: ';', Lines: 14,
				Adults: []importcsv.Adult{
					ad(l(2, 15), "", "Mme", "DUPONT", "Marie", "marie.dupont@exemple.fr", "06 12 34 56 78", "", n26["Lucas"], n26["Emma"]),
					ad(l(2, 15), "", "M.", "DUPONT", "Jean", "jean.dupont@exemple.fr", "", "", n26["Lucas"], n26["Emma"]),
					ad(l(3), "", "Mme", "DURAND", "Julie", "durand.julie@exemple.fr", "07 81 92 03 14", "", n26["Chloé"]),
					ad(l(3), "", "M.", "DURAND", "Thomas", "thomas.durand@exemple.fr", "", "", n26["Chloé"]),
					ad(l(4), "", "Mme", "NGUYEN", "Thi Mai", "mai.nguyen@exemple.fr", "", "", n26["Bao"]),
					ad(l(5, 14), "", "Mme", "BERNARD", "Claire", "claire.bernard@exemple.fr", "06 11 22 33 44", "", n26["Hugo"], n26["Manon"]),
					ad(l(5, 14), "", "M.", "BERNARD", "Paul", "paul.bernard@exemple.fr", "06 22 33 44 55", "", n26["Hugo"], n26["Manon"]),
					ad(l(6, 12), "", "Mme", "MARTIN-LEFÈVRE", "Claire", "claire.martin-lefevre@exemple.fr", "06 45 67 89 01", "",
						n26["Louise"], n26["Jean-Baptiste"]),
					ad(l(7), "", "M.", "N'DIAYE", "Moussa", "famille.ndiaye@exemple.org", "", "", n26["Awa"]),
					ad(l(7), "", "Mme", "N'DIAYE", "Aïssatou", "famille.ndiaye@exemple.org", "06 33 44 55 66", "", n26["Awa"]),
					ad(l(8), "", "Mme", "SANTOS", "Ana", "ana.santos@exemple.pt", "06 77 88 99 00", "", n26["Rafael"]),
					ad(l(9), "", "Mme", "GARÇON", "Lætitia", "", "06 98 76 54 32", "", n26["Inès"]),
					ad(l(9), "", "M.", "GARÇON", "Stéphane", "s.garcon@exemple.fr", "", "", n26["Inès"]),
					ad(l(10), "", "M.", "LE GOFF", "Hervé", "", "02 98 76 54 32", "", n26["Noé"]),
					ad(l(10), "", "Mme", "LŒUILLET", "Gaëlle", "gaelle.loeuillet@exemple.fr", "", "", n26["Noé"]),
					ad(l(13), "", "M.", "MÜLLER", "François", "f.muller@exemple.net", "+49 151 23456789", "", n26["Léo"]),
					ad(l(13), "", "Mme", "MÜLLER", "Anna", "anna.muller@exemple.net", "", "", n26["Léo"]),
				},
				Warnings: []importcsv.RowError{enzo(11)}},
			ids: []string{"dupont.marie", "dupont.jean", "durand.julie", "durand.thomas", "nguyen.thi-mai", "bernard.claire", "bernard.paul",
				"martin-lefevre.claire", "n-diaye.moussa", "n-diaye.aissatou", "santos.ana", "garcon.laetitia", "garcon.stephane",
				"le-goff.herve", "loeuillet.gaelle", "muller.francois", "muller.anna"},
			noEmail: []string{"garcon.laetitia", "le-goff.herve"},
		},
		{
			file: "pupil-responsibles-2027.csv",
			want: importcsv.Result{Shape: pupilResp, Columns: shape3Cols, IgnoredColumns: []string{"Né(e) le"},
				Encoding: utf8Enc, Delimiter: ';', Lines: 14,
				Adults: []importcsv.Adult{
					ad(l(2, 5), "", "Mme", "NGUYEN", "Thi Mai", "mai.nguyen@exemple.fr", "", "", n27["Linh"], n27["Bao"]),
					ad(l(3, 15), "", "Mme", "DUPONT", "Marie", "marie.dupont@exemple.fr", "06 12 34 56 78", "", n27["Lucas"], n27["Emma"]),
					ad(l(3, 15), "", "M.", "DUPONT", "Jean", "jean.dupont@exemple.fr", "", "", n27["Lucas"], n27["Emma"]),
					ad(l(4), "", "Mme", "DURAND", "Julie", "julie.durand@nouveau.fr", "07 81 92 03 14", "", n27["Chloé"]),
					ad(l(4), "", "M.", "DURAND", "Thomas", "thomas.durand@exemple.fr", "", "", n27["Chloé"]),
					ad(l(6, 14), "", "Mme", "BERNARD", "Claire", "claire.bernard@exemple.fr", "06 11 22 33 44", "", n27["Hugo"], n27["Manon"]),
					ad(l(6, 14), "", "M.", "BERNARD", "Paul", "paul.bernard@exemple.fr", "06 22 33 44 55", "", n27["Hugo"], n27["Manon"]),
					ad(l(7, 12), "", "Mme", "MARTIN-LEFÈVRE", "Claire", "claire.martin-lefevre@exemple.fr", "06 45 67 89 01", "",
						n27["Louise"], n27["Jean-Baptiste"]),
					ad(l(8), "", "M.", "N'DIAYE", "Moussa", "famille.ndiaye@exemple.org", "", "", n27["Awa"]),
					ad(l(8), "", "Mme", "N'DIAYE", "Aïssatou", "famille.ndiaye@exemple.org", "06 33 44 55 66", "", n27["Awa"]),
					ad(l(9), "", "Mme", "SANTOS", "Ana", "ana.santos@exemple.pt", "06 77 88 99 00", "", n27["Rafael"]),
					ad(l(10), "", "M.", "LE GOFF", "Hervé", "", "02 98 76 54 32", "", n27["Noé"]),
					ad(l(10), "", "Mme", "LŒUILLET", "Gaëlle", "gaelle.loeuillet@exemple.fr", "", "", n27["Noé"]),
					ad(l(13), "", "M.", "MÜLLER", "François", "f.muller@exemple.net", "+49 151 23456789", "", n27["Léo"]),
					ad(l(13), "", "Mme", "MÜLLER", "Anna", "anna.muller@exemple.net", "", "", n27["Léo"]),
				},
				Warnings: []importcsv.RowError{enzo(11)}},
			ids: []string{"nguyen.thi-mai", "dupont.marie", "dupont.jean", "durand.julie", "durand.thomas", "bernard.claire", "bernard.paul",
				"martin-lefevre.claire", "n-diaye.moussa", "n-diaye.aissatou", "santos.ana", "le-goff.herve", "loeuillet.gaelle",
				"muller.francois", "muller.anna"},
			noEmail: []string{"le-goff.herve"},
		},
		{
			file: "pupil-responsibles-emails-only.csv",
			want: importcsv.Result{Shape: pupilResp, Columns: emailsOnlyCols, Encoding: utf8Enc, Delimiter: ';', Lines: 14,
				Adults: []importcsv.Adult{
					ad(l(2, 3), "", "", "", "", "claire.bernard@exemple.fr", "", "", e26["Hugo"], e26["Manon"]),
					ad(l(2, 3), "", "", "", "", "paul.bernard@exemple.fr", "", "", e26["Hugo"], e26["Manon"]),
					ad(l(4, 5), "", "", "", "", "marie.dupont@exemple.fr", "", "", e26["Emma"], e26["Lucas"]),
					ad(l(4, 5), "", "", "", "", "jean.dupont@exemple.fr", "", "", e26["Emma"], e26["Lucas"]),
					ad(l(6), "", "", "", "", "durand.julie@exemple.fr", "", "", e26["Chloé"]),
					ad(l(6), "", "", "", "", "thomas.durand@exemple.fr", "", "", e26["Chloé"]),
					ad(l(7), "", "", "", "", "s.garcon@exemple.fr", "", "", e26["Inès"]),
					ad(l(8), "", "", "", "", "gaelle.loeuillet@exemple.fr", "", "", e26["Noé"]),
					ad(l(9, 10), "", "", "", "", "claire.martin-lefevre@exemple.fr", "", "", e26["Jean-Baptiste"], e26["Louise"]),
					ad(l(11), "", "", "", "", "f.muller@exemple.net", "", "", e26["Léo"]),
					ad(l(11), "", "", "", "", "anna.muller@exemple.net", "", "", e26["Léo"]),
					// Two adults sharing one address are one adult when the
					// file names them by nothing else.
					ad(l(12), "", "", "", "", "famille.ndiaye@exemple.org", "", "", e26["Awa"]),
					ad(l(13), "", "", "", "", "mai.nguyen@exemple.fr", "", "", e26["Bao"]),
					ad(l(15), "", "", "", "", "ana.santos@exemple.pt", "", "", e26["Rafael"]),
				},
				Warnings: []importcsv.RowError{enzo(14)}},
			ids: []string{"claire.bernard", "paul.bernard", "marie.dupont", "jean.dupont", "durand.julie", "thomas.durand", "s.garcon",
				"gaelle.loeuillet", "claire.martin-lefevre", "f.muller", "anna.muller", "famille.ndiaye", "mai.nguyen", "ana.santos"},
		},
		{
			file: "pupil-responsibles-emails-only-2027.csv",
			want: importcsv.Result{Shape: pupilResp, Columns: emailsOnlyCols, Encoding: utf8Enc, Delimiter: ';', Lines: 14,
				Adults: []importcsv.Adult{
					ad(l(2, 3), "", "", "", "", "claire.bernard@exemple.fr", "", "", e27["Hugo"], e27["Manon"]),
					ad(l(2, 3), "", "", "", "", "paul.bernard@exemple.fr", "", "", e27["Hugo"], e27["Manon"]),
					ad(l(4, 5), "", "", "", "", "marie.dupont@exemple.fr", "", "", e27["Emma"], e27["Lucas"]),
					ad(l(4, 5), "", "", "", "", "jean.dupont@exemple.fr", "", "", e27["Emma"], e27["Lucas"]),
					ad(l(6), "", "", "", "", "julie.durand@nouveau.fr", "", "", e27["Chloé"]),
					ad(l(6), "", "", "", "", "thomas.durand@exemple.fr", "", "", e27["Chloé"]),
					ad(l(7), "", "", "", "", "gaelle.loeuillet@exemple.fr", "", "", e27["Noé"]),
					ad(l(8, 9), "", "", "", "", "claire.martin-lefevre@exemple.fr", "", "", e27["Jean-Baptiste"], e27["Louise"]),
					ad(l(10), "", "", "", "", "f.muller@exemple.net", "", "", e27["Léo"]),
					ad(l(10), "", "", "", "", "anna.muller@exemple.net", "", "", e27["Léo"]),
					ad(l(11), "", "", "", "", "famille.ndiaye@exemple.org", "", "", e27["Awa"]),
					ad(l(12, 13), "", "", "", "", "mai.nguyen@exemple.fr", "", "", e27["Bao"], e27["Linh"]),
					ad(l(15), "", "", "", "", "ana.santos@exemple.pt", "", "", e27["Rafael"]),
				},
				Warnings: []importcsv.RowError{enzo(14)}},
			ids: []string{"claire.bernard", "paul.bernard", "marie.dupont", "jean.dupont", "julie.durand", "thomas.durand",
				"gaelle.loeuillet", "claire.martin-lefevre", "f.muller", "anna.muller", "famille.ndiaye", "mai.nguyen", "ana.santos"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "families", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			res := parse(t, data)
			checkResult(t, res, &tt.want)
			res.AssignIdentifiers(nil)
			var ids, noEmail []string
			for _, a := range res.Adults {
				ids = append(ids, a.Identifier)
			}
			for _, a := range res.WithoutEmail() {
				noEmail = append(noEmail, a.Identifier)
			}
			if !reflect.DeepEqual(ids, tt.ids) {
				t.Errorf("identifiers:\n got  %q\n want %q", ids, tt.ids)
			}
			if !reflect.DeepEqual(noEmail, tt.noEmail) {
				t.Errorf("WithoutEmail: %q, want %q", noEmail, tt.noEmail)
			}
		})
	}
}
