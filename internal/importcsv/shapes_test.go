package importcsv_test

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"sesame/internal/importcsv"
)

const (
	adultPupil = importcsv.ShapeAdultPupil
	pupilResp  = importcsv.ShapePupilResponsibles
)

// TestHeaderVariants checks which shape and columns whole headers are
// read as, French and English, and that columns that only look alike
// are never read.
func TestHeaderVariants(t *testing.T) {
	tests := []struct {
		header  string
		shape   importcsv.Shape
		columns []importcsv.Column
		ignored []string
	}{
		{
			header: "Nom élève;Prénom élève;Courriel resp. 1;COURRIEL_RESP_2",
			shape:  pupilResp,
			columns: cols("Nom élève=pupil's last name", "Prénom élève=pupil's first name",
				"Courriel resp. 1=e-mail of responsible adult 1", "COURRIEL_RESP_2=e-mail of responsible adult 2"),
		},
		{
			header: "Pupil last name,Student first name,Class,Responsible 1 email,E-mail responsable 2,Email Responsable1",
			shape:  pupilResp,
			columns: cols("Pupil last name=pupil's last name", "Student first name=pupil's first name", "Class=class",
				"Responsible 1 email=e-mail of responsible adult 1", "E-mail responsable 2=e-mail of responsible adult 2"),
			// The same meaning twice is an error, except for phones; this
			// header is checked for the error below.
		},
		{
			header: "NOM;PRENOM;EMAIL RESPONSABLE 1;EMAIL RESPONSABLE 2",
			shape:  pupilResp,
			columns: cols("NOM=pupil's last name", "PRENOM=pupil's first name",
				"EMAIL RESPONSABLE 1=e-mail of responsible adult 1", "EMAIL RESPONSABLE 2=e-mail of responsible adult 2"),
		},
		{
			header: "N° élève;Nom de l'élève;Prénom de l'élève;Division;Civ. resp. 1;Nom du représentant légal 1;" +
				"Prénom représentant légal 1;Mél resp. 1;Téléphone portable resp. 1;Tél. domicile resp. 1;Langue resp. 1;" +
				"Identifiant ENT resp. 1;Adresse resp. 1;Nom responsable;Email;Resp. 3 courriel",
			shape: pupilResp,
			columns: cols("N° élève=pupil number", "Nom de l'élève=pupil's last name", "Prénom de l'élève=pupil's first name", "Division=class",
				"Civ. resp. 1=civility of responsible adult 1", "Nom du représentant légal 1=last name of responsible adult 1",
				"Prénom représentant légal 1=first name of responsible adult 1", "Mél resp. 1=e-mail of responsible adult 1",
				"Téléphone portable resp. 1=phone of responsible adult 1", "Langue resp. 1=language of responsible adult 1",
				"Identifiant ENT resp. 1=identifier of responsible adult 1"),
			// A plain "Email" and a "Nom responsable" without a number say
			// nothing of whose they are in a pupil's line.
			ignored: []string{"Tél. domicile resp. 1", "Adresse resp. 1", "Nom responsable", "Email", "Resp. 3 courriel"},
		},
		{
			header: "Civilité;Nom;Prénom;Courriel;Lien de parenté;Nom élève;Prénom élève;Classe",
			shape:  adultPupil,
			columns: cols("Civilité=civility", "Nom=last name", "Prénom=first name", "Courriel=e-mail",
				"Nom élève=pupil's last name", "Prénom élève=pupil's first name", "Classe=class"),
			ignored: []string{"Lien de parenté"},
		},
		{
			header: "Title,Last name,First name,Email address,Phone,Mobile,Student last name,Student first name,Class,Student ID,Language",
			shape:  adultPupil,
			columns: cols("Title=civility", "Last name=last name", "First name=first name", "Email address=e-mail", "Phone=phone",
				"Student last name=pupil's last name", "Student first name=pupil's first name", "Class=class", "Student ID=pupil number",
				"Language=language"),
			ignored: []string{"Mobile"}, // a second phone
		},
		{
			header: "Nom responsable;Prénom responsable;Courriel du responsable;Nom enfant;Prénom enfant;Identifiant élève;Langage",
			shape:  adultPupil,
			columns: cols("Nom responsable=last name", "Prénom responsable=first name", "Courriel du responsable=e-mail",
				"Nom enfant=pupil's last name", "Prénom enfant=pupil's first name", "Identifiant élève=pupil number", "Langage=language"),
		},
		{
			header: "INE;Nom élève;Prénom élève;Responsable 1 - Nom;Responsable 1 - Prénom;Responsable 1 - Courriel;Nom resp 2;Prenom resp 2;Mail resp 2",
			shape:  pupilResp,
			columns: cols("INE=pupil number", "Nom élève=pupil's last name", "Prénom élève=pupil's first name",
				"Responsable 1 - Nom=last name of responsible adult 1", "Responsable 1 - Prénom=first name of responsible adult 1",
				"Responsable 1 - Courriel=e-mail of responsible adult 1", "Nom resp 2=last name of responsible adult 2",
				"Prenom resp 2=first name of responsible adult 2", "Mail resp 2=e-mail of responsible adult 2"),
		},
		{
			// Look-alikes of a parent's columns in a one-line-per-adult file.
			header:  "Nom;Prénom;E-mail;Nom de la commune;Email élève;Adresse;Date de naissance;Nom 2;Prénom usuel;Classe;N° élève;Parent",
			shape:   adults,
			columns: nameCols,
			ignored: []string{"Nom de la commune", "Email élève", "Adresse", "Date de naissance", "Nom 2", "Prénom usuel", "Classe", "N° élève", "Parent"},
		},
	}
	for _, tt := range tests {
		delim := ";"
		if strings.Count(tt.header, ",") > strings.Count(tt.header, ";") {
			delim = ","
		}
		res, err := importcsv.Parse(strings.NewReader(tt.header + "\n"))
		if tt.header == tests[1].header {
			// "Responsible 1 email" and "Email Responsable1" mean the same.
			want := `importcsv: two columns have the same meaning: "Responsible 1 email" and "Email Responsable1" both mean Courriel resp. 1 (e-mail of responsible adult 1)`
			if err == nil || err.Error() != want {
				t.Errorf("%s: error %v, want %s", tt.header, err, want)
			}
			res, err = importcsv.Parse(strings.NewReader(strings.TrimSuffix(tt.header, ",Email Responsable1") + "\n"))
		}
		if err != nil {
			t.Errorf("%s: %v", tt.header, err)
			continue
		}
		checkResult(t, res, &importcsv.Result{Shape: tt.shape, Columns: tt.columns, IgnoredColumns: tt.ignored,
			Encoding: utf8Enc, Delimiter: rune(delim[0])})
	}
}

// TestShapeAdultPupil checks one line per adult per pupil: an adult is
// one Adult with all their children, whatever the order of the lines.
func TestShapeAdultPupil(t *testing.T) {
	input := "Civilité;Nom;Prénom;Courriel;Téléphone;Lien de parenté;Nom élève;Prénom élève;Classe\r\n" +
		"Mme;BERNARD;Claire;claire.bernard@exemple.fr;06 11 22 33 44;MÈRE;BERNARD;Hugo;6e  B\r\n" + // 2
		"M.;BERNARD;Paul;paul.bernard@exemple.fr;;PÈRE;BERNARD;Hugo;6e B\r\n" + // 3
		"Madame;Bernard;Claire;Claire.Bernard@exemple.fr;;MÈRE;Bernard;Manon;4e A\r\n" + // 4: the same mother
		"Mme;BERNARD;Claire;claire.bernard@exemple.fr;;MÈRE;BERNARD;Hugo;6e B\r\n" + // 5: the same child again
		"M;LE GOFF;Hervé;;02 98 76 54 32;PÈRE;LE GOFF;Noé;5e B\r\n" + // 6: no e-mail
		"Mme;DURAND;Julie;julie@exemple.fr;;;;;\r\n" + // 7: no pupil on the line
		"Mme;DURAND;Julie;julie@exemple.fr;;;;;5e A\r\n" + // 8: a class without a pupil
		"Mme;PETIT;Léa;lea@exemple.fr;;;PETIT;;5e A\r\n" + // 9
		"Mme;PETIT;Léa;lea@exemple.fr;;;PETIT;Zoé\u200b;" + strings.Repeat("x", 41) + "\r\n" // 10
	want := &importcsv.Result{
		Shape: adultPupil,
		Columns: cols("Civilité=civility", "Nom=last name", "Prénom=first name", "Courriel=e-mail", "Téléphone=phone",
			"Nom élève=pupil's last name", "Prénom élève=pupil's first name", "Classe=class"),
		IgnoredColumns: []string{"Lien de parenté"},
		Encoding:       utf8Enc, Delimiter: ';', Lines: 9,
		Adults: []importcsv.Adult{
			{Lines: []int{2, 4, 5}, Civility: "Mme", LastName: "BERNARD", FirstName: "Claire", Email: "claire.bernard@exemple.fr", Phone: "06 11 22 33 44",
				Children: []importcsv.Pupil{
					{Key: "name:bernard|hugo", LastName: "BERNARD", FirstName: "Hugo", Class: "6e B"},
					{Key: "name:bernard|manon", LastName: "Bernard", FirstName: "Manon", Class: "4e A"},
				}},
			{Lines: []int{3}, Civility: "M.", LastName: "BERNARD", FirstName: "Paul", Email: "paul.bernard@exemple.fr",
				Children: []importcsv.Pupil{{Key: "name:bernard|hugo", LastName: "BERNARD", FirstName: "Hugo", Class: "6e B"}}},
			{Lines: []int{6}, Civility: "M.", LastName: "LE GOFF", FirstName: "Hervé", Phone: "02 98 76 54 32",
				Children: []importcsv.Pupil{{Key: "name:legoff|noe", LastName: "LE GOFF", FirstName: "Noé", Class: "5e B"}}},
			{Lines: []int{7}, Civility: "Mme", LastName: "DURAND", FirstName: "Julie", Email: "julie@exemple.fr"},
		},
		Errors: []importcsv.RowError{
			{Line: 8, Reason: "missing_pupil_name", Detail: "pupil's last name is empty"},
			{Line: 8, Reason: "missing_pupil_name", Detail: "pupil's first name is empty"},
			{Line: 9, Reason: "missing_pupil_name", Detail: "pupil's first name is empty"},
			{Line: 10, Reason: "invalid_pupil_name", Detail: `pupil's first name "Zoé\u200b" contains a control or invisible character`},
			{Line: 10, Reason: "invalid_class", Detail: `invalid class "` + strings.Repeat("x", 41) + `": 41 characters long, over 40`},
		},
	}
	res := parse(t, []byte(input))
	checkResult(t, res, want)
	if got := res.WithoutEmail(); len(got) != 1 || got[0].FirstName != "Hervé" {
		t.Errorf("WithoutEmail = %+v, want Hervé", got)
	}
}

// TestShapePupilResponsibles checks one line per pupil with responsible
// adults 1 and 2.
func TestShapePupilResponsibles(t *testing.T) {
	input := "\uFEFFN° élève;NOM;PRENOM;Classe;Identifiant resp. 1;Civilité resp. 1;Nom resp. 1;Prénom resp. 1;Courriel resp. 1;Tél. resp. 1;" +
		"Langue resp. 1;Civilité resp. 2;Nom resp. 2;Prénom resp. 2;Courriel resp. 2\r\n" +
		"081234567ab;DUPONT;Lucas;6e A;dupont.marie;Mme;DUPONT;Marie;marie@exemple.fr;06 12;fr;M.;DUPONT;Jean;jean@exemple.fr\r\n" + // 2
		"07 1234568 BC;DUPONT;Emma;4e B;;M.;DUPONT;Jean;jean@exemple.fr;;;Mme;Dupont;Marie;Marie@exemple.fr\r\n" + // 3: swapped
		"081234569CD;N'DIAYE;Awa;5e A;;M.;N'DIAYE;Moussa;famille@exemple.org;;Wolof;Mme;N'DIAYE;Aïssatou;famille@exemple.org\r\n" + // 4
		"081234580PR;ROUSSEL;Enzo;5e B;;;;;;;;;;;\r\n" + // 5: no one
		"081234581RS;MARTIN;Léa;6e B;;Mme;MARTIN;Sophie;sophie@exemple.fr;;;;;;\r\n" + // 6: no resp. 2
		"081234582ST;MARTIN;Tom;6e B;;Mme;MARTIN;Sophie;sophie@exemple.fr;;;Mme;MARTIN;Sophie;sophie@exemple.fr\r\n" + // 7: twice the same
		"081234583TU;PETIT;Zoé;6e B;;Mme;PETIT;Léa;lea@exemple.fr, marc@exemple.fr;;;;;;\r\n" + // 8
		"081234584UV;PETIT;Noé;6e B;;Mme;PETIT;Léa;lea@exemple.fr;;;;;;marc@exemple.fr / lea@exemple.fr\r\n" + // 9
		"081234585VW;PETIT;Lou;6e B;dupont.marie;Mme;PETIT;Léa;lea@exemple.fr;;;;;;\r\n" + // 10
		"081234586WX;;;6e B;;Mme;PETIT;Léa;lea@exemple.fr;;;;;;\r\n" // 11
	want := &importcsv.Result{
		Shape: pupilResp,
		Columns: cols("N° élève=pupil number", "NOM=pupil's last name", "PRENOM=pupil's first name", "Classe=class",
			"Identifiant resp. 1=identifier of responsible adult 1", "Civilité resp. 1=civility of responsible adult 1",
			"Nom resp. 1=last name of responsible adult 1", "Prénom resp. 1=first name of responsible adult 1",
			"Courriel resp. 1=e-mail of responsible adult 1", "Tél. resp. 1=phone of responsible adult 1",
			"Langue resp. 1=language of responsible adult 1", "Civilité resp. 2=civility of responsible adult 2",
			"Nom resp. 2=last name of responsible adult 2", "Prénom resp. 2=first name of responsible adult 2",
			"Courriel resp. 2=e-mail of responsible adult 2"),
		Encoding: utf8Enc, Delimiter: ';', Lines: 10,
		Adults: []importcsv.Adult{
			{Lines: []int{2, 3}, Identifier: "dupont.marie", Civility: "Mme", LastName: "DUPONT", FirstName: "Marie", Email: "marie@exemple.fr",
				Phone: "06 12", Lang: "fr", Children: []importcsv.Pupil{
					{Key: "id:081234567AB", LastName: "DUPONT", FirstName: "Lucas", Class: "6e A"},
					{Key: "id:071234568BC", LastName: "DUPONT", FirstName: "Emma", Class: "4e B"},
				}},
			{Lines: []int{2, 3}, Civility: "M.", LastName: "DUPONT", FirstName: "Jean", Email: "jean@exemple.fr", Children: []importcsv.Pupil{
				{Key: "id:081234567AB", LastName: "DUPONT", FirstName: "Lucas", Class: "6e A"},
				{Key: "id:071234568BC", LastName: "DUPONT", FirstName: "Emma", Class: "4e B"},
			}},
			{Lines: []int{4}, Civility: "M.", LastName: "N'DIAYE", FirstName: "Moussa", Email: "famille@exemple.org", Children: []importcsv.Pupil{
				{Key: "id:081234569CD", LastName: "N'DIAYE", FirstName: "Awa", Class: "5e A"}}},
			{Lines: []int{4}, Civility: "Mme", LastName: "N'DIAYE", FirstName: "Aïssatou", Email: "famille@exemple.org", Children: []importcsv.Pupil{
				{Key: "id:081234569CD", LastName: "N'DIAYE", FirstName: "Awa", Class: "5e A"}}},
			{Lines: []int{6, 7}, Civility: "Mme", LastName: "MARTIN", FirstName: "Sophie", Email: "sophie@exemple.fr", Children: []importcsv.Pupil{
				{Key: "id:081234581RS", LastName: "MARTIN", FirstName: "Léa", Class: "6e B"},
				{Key: "id:081234582ST", LastName: "MARTIN", FirstName: "Tom", Class: "6e B"},
			}},
		},
		Warnings: []importcsv.RowError{
			{Line: 4, Reason: "invalid_language", Detail: `responsible adult 1: unknown language "Wolof": the default language is kept (fr or en are understood)`},
			{Line: 5, Reason: "no_responsible", Detail: "pupil Enzo ROUSSEL has no responsible adult: no account is linked to them"},
		},
		Errors: []importcsv.RowError{
			{Line: 8, Reason: "two_emails", Detail: `responsible adult 1: two e-mail addresses in one cell "lea@exemple.fr, marc@exemple.fr": keep one address per cell, and put the other adult in the columns of responsible adult 2`},
			{Line: 9, Reason: "missing_last_name", Detail: "responsible adult 2: last name is empty"},
			{Line: 9, Reason: "missing_first_name", Detail: "responsible adult 2: first name is empty"},
			{Line: 9, Reason: "two_emails", Detail: `responsible adult 2: two e-mail addresses in one cell "marc@exemple.fr / lea@exemple.fr": keep one address per cell: each adult has their own`},
			{Line: 10, Reason: "duplicate_identifier", Detail: `responsible adult 1: identifier "dupont.marie" already used on line 2 for a different name or e-mail`},
			{Line: 11, Reason: "missing_pupil_name", Detail: "pupil's last name is empty"},
			{Line: 11, Reason: "missing_pupil_name", Detail: "pupil's first name is empty"},
		},
	}
	checkResult(t, parse(t, []byte(input)), want)
}

// TestEmailOnlyResponsibles checks exports that name responsible adults
// by e-mail only: adults merge on the e-mail, and one named by nothing is
// an error.
func TestEmailOnlyResponsibles(t *testing.T) {
	input := "Nom;Prénom;Email responsable 1;Tel responsable 1;Email responsable 2\n" +
		"DUPONT;Lucas;Marie@exemple.fr;;jean@exemple.fr\n" +
		"DUPONT;Emma;jean@exemple.fr;;marie@exemple.fr\n" +
		"MARTIN;Léa;;06 12 34 56 78;\n"
	want := &importcsv.Result{
		Shape: pupilResp,
		Columns: cols("Nom=pupil's last name", "Prénom=pupil's first name", "Email responsable 1=e-mail of responsible adult 1",
			"Tel responsable 1=phone of responsible adult 1", "Email responsable 2=e-mail of responsible adult 2"),
		Encoding: utf8Enc, Delimiter: ';', Lines: 3,
		Adults: []importcsv.Adult{
			{Lines: []int{2, 3}, Email: "marie@exemple.fr", Children: []importcsv.Pupil{
				{Key: "name:dupont|lucas", LastName: "DUPONT", FirstName: "Lucas"}, {Key: "name:dupont|emma", LastName: "DUPONT", FirstName: "Emma"}}},
			{Lines: []int{2, 3}, Email: "jean@exemple.fr", Children: []importcsv.Pupil{
				{Key: "name:dupont|lucas", LastName: "DUPONT", FirstName: "Lucas"}, {Key: "name:dupont|emma", LastName: "DUPONT", FirstName: "Emma"}}},
		},
		Errors: []importcsv.RowError{
			{Line: 4, Reason: "missing_email", Detail: "responsible adult 1: e-mail is empty, and the file gives no name"},
		},
	}
	checkResult(t, parse(t, []byte(input)), want)
}

// TestTwoEmails checks that two addresses in one cell, however they are
// separated, are reported as such with what to do.
func TestTwoEmails(t *testing.T) {
	for _, cell := range []string{"a@x.fr; b@y.fr", "a@x.fr, b@y.fr", "a@x.fr / b@y.fr", "a@x.fr b@y.fr", "a@x.fr et b@y.fr", "a@x.fr;b@y.fr"} {
		input := "Nom;Prénom;E-mail\nDupont;Marie;\"" + cell + "\"\n"
		res := parse(t, []byte(input))
		want := []importcsv.RowError{{Line: 2, Reason: "two_emails",
			Detail: `two e-mail addresses in one cell "` + cell + `": keep one address per cell, and give the other adult a line of their own`}}
		if !reflect.DeepEqual(res.Errors, want) || len(res.Adults) != 0 {
			t.Errorf("%s: errors %+v, adults %+v; want %+v", cell, res.Errors, res.Adults, want)
		}
	}
}

// TestLanguageCivilityPhone checks the optional cells of an adult.
func TestLanguageCivilityPhone(t *testing.T) {
	input := "Civilité;Nom;Prénom;E-mail;Téléphone;Langue\n" +
		"M;A;B;a@x.fr;  01 02\u00a003 ;FR\n" + // 2
		"Mr.;C;D;c@x.fr;;Français\n" + // 3
		"monsieur;E;F;e@x.fr;;french\n" + // 4
		"MME;G;H;g@x.fr;;en\n" + // 5
		"Madame;I;J;i@x.fr;;Anglais\n" + // 6
		"Mrs;K;L;k@x.fr;;ENGLISH\n" + // 7
		"Ms;M;N;m@x.fr;;eng\n" + // 8
		"Mlle;O;P;o@x.fr;;Portugais\n" + // 9
		"Dr  Prof;Q;R;q@x.fr;;\n" + // 10
		"M\x01;S;T;s@x.fr;;\n" + // 11
		";U;V;u@x.fr;01\x0202;\n" + // 12
		";W;X;w@x.fr;" + strings.Repeat("0", 31) + ";\n" // 13
	want := &importcsv.Result{
		Shape: adults,
		Columns: cols("Civilité=civility", "Nom=last name", "Prénom=first name", "E-mail=e-mail",
			"Téléphone=phone", "Langue=language"),
		Encoding: utf8Enc, Delimiter: ';', Lines: 12,
		Adults: []importcsv.Adult{
			{Lines: []int{2}, Civility: "M.", LastName: "A", FirstName: "B", Email: "a@x.fr", Phone: "01 02 03", Lang: "fr"},
			{Lines: []int{3}, Civility: "M.", LastName: "C", FirstName: "D", Email: "c@x.fr", Lang: "fr"},
			{Lines: []int{4}, Civility: "M.", LastName: "E", FirstName: "F", Email: "e@x.fr", Lang: "fr"},
			{Lines: []int{5}, Civility: "Mme", LastName: "G", FirstName: "H", Email: "g@x.fr", Lang: "en"},
			{Lines: []int{6}, Civility: "Mme", LastName: "I", FirstName: "J", Email: "i@x.fr", Lang: "en"},
			{Lines: []int{7}, Civility: "Mme", LastName: "K", FirstName: "L", Email: "k@x.fr", Lang: "en"},
			{Lines: []int{8}, Civility: "Mme", LastName: "M", FirstName: "N", Email: "m@x.fr", Lang: "en"},
			{Lines: []int{9}, Civility: "Mlle", LastName: "O", FirstName: "P", Email: "o@x.fr"},
			{Lines: []int{10}, Civility: "Dr Prof", LastName: "Q", FirstName: "R", Email: "q@x.fr"},
		},
		Warnings: []importcsv.RowError{
			{Line: 9, Reason: "invalid_language", Detail: `unknown language "Portugais": the default language is kept (fr or en are understood)`},
		},
		Errors: []importcsv.RowError{
			{Line: 11, Reason: "invalid_civility", Detail: `invalid civility "M\x01": contains a control or invisible character`},
			{Line: 12, Reason: "invalid_phone", Detail: `invalid phone "01\x0202": contains a control or invisible character`},
			{Line: 13, Reason: "invalid_phone", Detail: `invalid phone "` + strings.Repeat("0", 31) + `": 31 characters long, over 30`},
		},
	}
	checkResult(t, parse(t, []byte(input)), want)
}

// TestEncodingPerLine checks that a line saved in another encoding than
// the file's is rejected alone, naming its line, and never imported as
// mojibake.
func TestEncodingPerLine(t *testing.T) {
	const header = "Nom;Prénom;E-mail\n"
	hd := importcsv.Adult{Lines: []int{2}, LastName: "Dupont", FirstName: "Hélène", Email: "h@x.fr"}
	zoe := importcsv.Adult{Lines: []int{3}, LastName: "Martin", FirstName: "Zoé", Email: "z@x.fr"}
	lea := func(line int) importcsv.Adult {
		return importcsv.Adult{Lines: []int{line}, LastName: "Petit", FirstName: "Léa", Email: "l@x.fr"}
	}
	notUTF8 := "the line is not valid UTF-8 (was it edited in another program?)"
	utf8In1252 := "the line holds UTF-8 text in a file read as Windows-1252 (was it edited in another program?)"
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name     string
		input    []byte
		enc      string
		adults   []importcsv.Adult
		errors   []importcsv.RowError
		warnings []importcsv.RowError
		lines    int
	}{
		{
			name:   "UTF-8 file with one Windows-1252 line",
			input:  cat([]byte(header+"Dupont;Hélène;h@x.fr\nMartin;Zoé;z@x.fr\n"), cp1252(t, "Durand;Hélène;hd@x.fr\n"), []byte("Petit;Léa;l@x.fr\n")),
			enc:    utf8Enc,
			adults: []importcsv.Adult{hd, zoe, lea(5)},
			errors: []importcsv.RowError{{Line: 4, Reason: "invalid_encoding", Detail: notUTF8}},
			lines:  4,
		},
		{
			name:   "as many UTF-8 as Windows-1252 accents: UTF-8",
			input:  cat([]byte(header+"Dupont;Hélène;h@x.fr\n"), cp1252(t, "Martin;Zoé;z@x.fr\n")),
			enc:    utf8Enc,
			adults: []importcsv.Adult{hd},
			errors: []importcsv.RowError{{Line: 3, Reason: "invalid_encoding", Detail: notUTF8}},
			lines:  2,
		},
		{
			name:   "Windows-1252 file with one UTF-8 line",
			input:  cat(cp1252(t, header+"Dupont;Hélène;h@x.fr\nMartin;Zoé;z@x.fr\n"), []byte("Durand;Hélène;hd@x.fr\n"), cp1252(t, "Petit;Léa;l@x.fr\n")),
			enc:    cp,
			adults: []importcsv.Adult{hd, zoe, lea(5)},
			errors: []importcsv.RowError{{Line: 4, Reason: "invalid_encoding", Detail: utf8In1252}},
			lines:  4,
		},
		{
			// É before a no-break space is a valid UTF-8 sequence (U+0260),
			// but not one a UTF-8 program writes in a French name.
			name:   "Windows-1252 letters that happen to form UTF-8",
			input:  cp1252(t, header+"Dupont;Hélène;h@x.fr\nMartin;Zoé;z@x.fr\nJOSÉ\u00a0;Léa;l@x.fr\n"),
			enc:    cp,
			adults: []importcsv.Adult{hd, zoe, {Lines: []int{4}, LastName: "JOSÉ", FirstName: "Léa", Email: "l@x.fr"}},
			lines:  3,
		},
		{
			name:   "a bad line inside a quoted cell rejects its record",
			input:  cat([]byte(header+"Dupont;Hélène;h@x.fr\n\"Martin\n"), cp1252(t, "Zoé\n"), []byte("x\";Zoé;z@x.fr\nPetit;Léa;l@x.fr\n")),
			enc:    utf8Enc,
			adults: []importcsv.Adult{hd, lea(6)},
			errors: []importcsv.RowError{{Line: 4, Reason: "invalid_encoding", Detail: notUTF8}},
			lines:  3,
		},
		{
			name:     "a Windows-1252 header in a UTF-8 file is read, with a warning",
			input:    cat(cp1252(t, header), []byte("Dupont;Hélène;h@x.fr\nMartin;Zoé;z@x.fr\n")),
			enc:      utf8Enc,
			adults:   []importcsv.Adult{hd, zoe},
			warnings: []importcsv.RowError{{Line: 1, Reason: "invalid_encoding", Detail: "header: " + notUTF8}},
			lines:    2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, tt.input)
			checkResult(t, res, &importcsv.Result{Shape: adults, Columns: nameCols, Encoding: tt.enc, Delimiter: ';',
				Lines: tt.lines, Adults: tt.adults, Errors: tt.errors, Warnings: tt.warnings})
			for _, a := range res.Adults {
				if strings.ContainsAny(a.LastName+a.FirstName, "Ã\ufffd") {
					t.Errorf("mojibake imported: %+v", a)
				}
			}
		})
	}
}

// TestQuoteCapped checks that a cell is shown in at most 80 characters.
func TestQuoteCapped(t *testing.T) {
	long := strings.Repeat("é", 200) + "@x"
	res := parse(t, []byte("Nom;Prénom;E-mail\nDupont;Marie;"+long+"\n"))
	want := []importcsv.RowError{{Line: 2, Reason: "invalid_email",
		Detail: `invalid e-mail "` + strings.Repeat("é", 80) + `…": longer than 254 characters`}}
	if !reflect.DeepEqual(res.Errors, want) {
		t.Errorf("errors:\n got  %+v\n want %+v", res.Errors, want)
	}
}

// TestTooManyProblems checks that problems past the limits are counted
// in one last entry, not listed.
func TestTooManyProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("Nom;Prénom;E-mail;Langue\n")
	for range 1000 {
		b.WriteString("Dupont;Marie;bad;\n")
	}
	for i := range 500 {
		b.WriteString("Dupont;Marie;m" + strings.Repeat("x", i%3) + "@x.fr;xx\n")
	}
	res := parse(t, []byte(b.String()))
	// Each error says `invalid e-mail "bad": not an e-mail address`, 43
	// bytes: 190 fit in 8 KiB.
	if len(res.Errors) != 191 || res.Errors[189].Line != 191 {
		t.Fatalf("got %d errors, the 190th on line %d", len(res.Errors), res.Errors[min(189, len(res.Errors)-1)].Line)
	}
	if got, want := res.Errors[190], (importcsv.RowError{Line: 192, Reason: "too_many_problems",
		Detail: "… and 810 more problems from this line on, not listed: fix the ones above and import again"}); got != want {
		t.Errorf("last error:\n got  %+v\n want %+v", got, want)
	}
	// Each warning is 77 bytes: 53 fit in 4 KiB.
	if len(res.Warnings) != 54 {
		t.Fatalf("got %d warnings", len(res.Warnings))
	}
	if got, want := res.Warnings[53], (importcsv.RowError{Line: 1055, Reason: "too_many_problems",
		Detail: "… and 447 more warnings from this line on, not listed: fix the ones above and import again"}); got != want {
		t.Errorf("last warning:\n got  %+v\n want %+v", got, want)
	}
	if len(res.Adults) != 3 || res.Lines != 1500 {
		t.Errorf("%d adults, %d lines", len(res.Adults), res.Lines)
	}
}

// TestGarbageReportIsSmall feeds files of about 10 MB that are not
// exports, and requires what Parse says of them (the error, or every
// problem, column and ignored column) to stay under 16 KB.
func TestGarbageReportIsSmall(t *testing.T) {
	const size = importcsv.MaxFileSize - 1024
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(prefix string, alphabet string) []byte {
		b := make([]byte, 0, size)
		b = append(b, prefix...)
		for len(b) < size {
			b = append(b, alphabet[rng.IntN(len(alphabet))])
		}
		return b
	}
	var high strings.Builder
	for c := 0x20; c < 0x100; c++ {
		if c != 0x7f {
			high.WriteByte(byte(c))
		}
	}
	high.WriteString("\n;;;;;;\"")
	tests := map[string][]byte{
		"printable text under a valid header": fill("Nom;Prenom;E-mail\n", "abcdefghij@.;;;;\n\n\"  é"),
		"bytes of every value under a header": fill("Nom;Prenom;E-mail;Langue\n", high.String()),
		"bytes of every value, UTF-8 header":  fill("Nom;Prénom;E-mail;Langue\n", high.String()),
		"one huge line":                       fill("", "abcdefghijklmnopqrstuvwxyz"),
		"a huge header":                       fill("Nom;Prénom;E-mail;", "abcdef;"),
		"a header of 990 long unknown cells": []byte("Nom;Prénom;E-mail" + strings.Repeat(";"+strings.Repeat("x", 9000), 990) +
			"\n" + strings.Repeat("Dupont;Marie;m@x.fr"+strings.Repeat(";", 990)+"\n", 300)),
		"lines of valid cells, wrong counts": fill("Nom;Prénom;E-mail\n", "Dupont;Marie;m@x.fr\n;"),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			res, err := importcsv.Parse(bytes.NewReader(data))
			elapsed := time.Since(start)
			total := 0
			if err != nil {
				total = len(err.Error())
			} else {
				for _, e := range append(res.Errors, res.Warnings...) {
					total += len(e.Detail)
				}
				for _, c := range res.IgnoredColumns {
					total += len(c)
				}
				for _, c := range res.Columns {
					total += len(c.Header) + len(c.Meaning)
				}
			}
			t.Logf("%d bytes in %v: %d bytes of report (error %.200v)", len(data), elapsed, total, err)
			if total >= 16<<10 {
				t.Errorf("report of %d bytes", total)
			}
		})
	}
}
