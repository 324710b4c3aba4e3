package importcsv

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// role is whom a column describes.
type role uint8

const (
	// roleAdult is the one adult of a line, in shapes 1 and 2.
	roleAdult role = iota
	// rolePupil is the pupil of a line, in shapes 2 and 3.
	rolePupil
	// roleResp1 and roleResp2 are the numbered responsible adults of a
	// pupil's line, in shape 3.
	roleResp1
	roleResp2
	numRoles
)

// attr is what a column says about its person.
type attr uint8

const (
	attrIdentifier attr = iota
	attrCivility
	attrLastName
	attrFirstName
	attrEmail
	attrPhone
	attrLang
	attrClass
	attrPupilNumber
	numAttrs
)

// attrWords says each attribute in English, for Column.Meaning.
var attrWords = [numAttrs]string{
	attrIdentifier:  "identifier",
	attrCivility:    "civility",
	attrLastName:    "last name",
	attrFirstName:   "first name",
	attrEmail:       "e-mail",
	attrPhone:       "phone",
	attrLang:        "language",
	attrClass:       "class",
	attrPupilNumber: "pupil number",
}

// frenchHeaders is the usual French header of each attribute of an
// adult, the one the school's IT person is most likely to recognise in
// a message; responsible adults add " resp. N" (see columnName).
var frenchHeaders = [numAttrs]string{
	attrIdentifier: "Identifiant",
	attrCivility:   "Civilité",
	attrLastName:   "Nom",
	attrFirstName:  "Prénom",
	attrEmail:      "E-mail",
	attrPhone:      "Téléphone",
	attrLang:       "Langue",
}

// meaning says in English what a column holds: "last name", "pupil's
// first name", "e-mail of responsible adult 2".
func meaning(r role, a attr) string {
	switch r {
	case rolePupil:
		if a == attrLastName || a == attrFirstName {
			return "pupil's " + attrWords[a]
		}
		return attrWords[a]
	case roleResp1, roleResp2:
		return fmt.Sprintf("%s of responsible adult %d", attrWords[a], r-roleResp1+1)
	}
	return attrWords[a]
}

// columnName names a column in a message: its usual French header, then
// its meaning when the header does not say it in English too.
func columnName(r role, a attr) string {
	switch r {
	case rolePupil:
		h := map[attr]string{attrLastName: "Nom élève", attrFirstName: "Prénom élève", attrClass: "Classe", attrPupilNumber: "N° élève"}[a]
		return h + " (" + meaning(r, a) + ")"
	case roleResp1, roleResp2:
		h := frenchHeaders[a]
		if a == attrEmail {
			h = "Courriel"
		}
		return fmt.Sprintf("%s resp. %d (%s)", h, r-roleResp1+1, meaning(r, a))
	}
	if a == attrEmail {
		return frenchHeaders[a]
	}
	return frenchHeaders[a] + " (" + meaning(r, a) + ")"
}

// adultAliases maps folded header names (see foldHeader) to what they say
// about an adult. Exports name the same column in many ways, French and
// English; the list stays short so that an unrelated column is never
// read as a parent's.
var adultAliases = map[string]attr{
	"identifiant": attrIdentifier, "identifier": attrIdentifier,
	// ENT and school-records exports often call the sign-in name "login";
	// "Identifiant ENT" is the one parents already know from the ENT.
	"login": attrIdentifier, "identifiantent": attrIdentifier, "loginent": attrIdentifier,
	"username": attrIdentifier, "nomdutilisateur": attrIdentifier,

	"civilite": attrCivility, "civ": attrCivility, "civility": attrCivility, "title": attrCivility,

	"nom": attrLastName, "lastname": attrLastName, "nomdefamille": attrLastName, "surname": attrLastName,
	"familyname": attrLastName, "nomdusage": attrLastName,

	"prenom": attrFirstName, "firstname": attrFirstName, "givenname": attrFirstName,

	"email": attrEmail, "courriel": attrEmail, "mail": attrEmail, "mel": attrEmail,
	"adresseemail": attrEmail, "adressemail": attrEmail, "adressecourriel": attrEmail, "adressemel": attrEmail,
	"emailaddress": attrEmail,

	"telephone": attrPhone, "tel": attrPhone, "phone": attrPhone, "phonenumber": attrPhone,
	"portable": attrPhone, "mobile": attrPhone, "telportable": attrPhone, "telephoneportable": attrPhone,
	"telmobile": attrPhone, "telephonemobile": attrPhone, "mobilephone": attrPhone,

	"langue": attrLang, "langage": attrLang, "language": attrLang, "lang": attrLang,
}

// pupilAliases maps folded header names to what they say about the pupil
// of the line. A pupil's name column always says so ("Nom élève",
// "Student first name"): a plain "Nom" is an adult's, except in shape 3
// (see readHeader).
var pupilAliases = func() map[string]attr {
	m := map[string]attr{
		"classe": attrClass, "class": attrClass, "division": attrClass,
		"classeeleve": attrClass, "classedeleleve": attrClass, "pupilclass": attrClass, "studentclass": attrClass,

		"neleve": attrPupilNumber, "noeleve": attrPupilNumber, "numeleve": attrPupilNumber,
		"numeroeleve": attrPupilNumber, "ndeleleve": attrPupilNumber, "numerodeleleve": attrPupilNumber,
		"ine": attrPupilNumber, "identifianteleve": attrPupilNumber, "identifiantdeleleve": attrPupilNumber,
		"ideleve": attrPupilNumber, "pupilnumber": attrPupilNumber, "pupilid": attrPupilNumber,
		"studentid": attrPupilNumber, "studentnumber": attrPupilNumber,
	}
	pupil := []string{"eleve", "deleleve", "enfant", "delenfant", "pupil", "pupils", "student", "students", "child", "childs"}
	names := map[attr][]string{
		attrLastName:  {"nom", "nomdefamille", "lastname", "surname", "familyname"},
		attrFirstName: {"prenom", "firstname", "givenname"},
	}
	for a, words := range names {
		for _, w := range words {
			for _, p := range pupil {
				m[w+p] = a
				m[p+w] = a
			}
		}
	}
	return m
}()

// markers are the words that say a column is a responsible adult's
// ("Courriel resp. 1", "Responsible 2 email", "Nom représentant légal 1"),
// longest first so that "responsable" is not read as "resp" + "onsable".
var markers = []string{"representantlegal", "responsablelegal", "legalguardian", "responsable", "responsible",
	"resplegal", "guardian", "parent", "resp"}

// adultAttr looks s up in adultAliases, also without a trailing "du",
// "de" or "of" ("Nom du responsable 1", "E-mail of parent 2").
func adultAttr(s string) (attr, bool) {
	if a, ok := adultAliases[s]; ok {
		return a, true
	}
	for _, c := range []string{"du", "de", "of"} {
		if t, ok := strings.CutSuffix(s, c); ok {
			if a, ok := adultAliases[t]; ok {
				return a, true
			}
		}
	}
	return 0, false
}

// classify says whom and what a folded header cell describes. marked is
// true when the header names the adult as such ("Nom responsable"), so
// that a plain "Nom" can be told apart from it.
func classify(f string) (r role, a attr, marked, ok bool) {
	if a, ok := pupilAliases[f]; ok {
		return rolePupil, a, false, true
	}
	if a, ok := adultAliases[f]; ok {
		return roleAdult, a, false, true
	}
	for _, m := range markers {
		for n, who := range []role{roleResp1, roleResp2} {
			digit := string(rune('1' + n))
			// "nomresp1", "responsable1nom", "nomduresponsable1"
			if i := strings.Index(f, m+digit); i >= 0 {
				if a, ok := adultAttr(f[:i] + f[i+len(m)+1:]); ok {
					return who, a, true, true
				}
			}
			// "responsablenom1"
			if strings.HasPrefix(f, m) && strings.HasSuffix(f, digit) && len(f) > len(m)+1 {
				if a, ok := adultAttr(f[len(m) : len(f)-1]); ok {
					return who, a, true, true
				}
			}
		}
		// "nomresponsable", "responsablenom": one adult per line, named
		// as such.
		if rest, ok := strings.CutPrefix(f, m); ok {
			if a, ok := adultAttr(rest); ok {
				return roleAdult, a, true, true
			}
		}
		if rest, ok := strings.CutSuffix(f, m); ok {
			if a, ok := adultAttr(rest); ok {
				return roleAdult, a, true, true
			}
		}
	}
	return 0, 0, false, false
}

// foldHeader reduces a header cell to the form used in the alias tables,
// so that "Prénom", "PRENOM", "first_name", "First Name", "Courriel resp.
// 1" and "COURRIEL_RESP_1" match: compatibility-decomposed ("Nº" becomes
// "No"), accents dropped, lower case, and only letters and digits kept.
func foldHeader(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// layout is what the header says: the shape, and where each column is.
type layout struct {
	shape Shape
	// col is the index of each column in a record, -1 when absent.
	col [numRoles][numAttrs]int
	// width is the number of cells in the header, which every record
	// must have.
	width int
	// line is the header's line in the file.
	line int
}

// has reports whether the file has a column for a of r.
func (l *layout) has(r role, a attr) bool { return l.col[r][a] >= 0 }

// any reports whether the file has a column for r.
func (l *layout) any(r role) bool {
	for _, i := range l.col[r] {
		if i >= 0 {
			return true
		}
	}
	return false
}

// maxFound is how many header cells a message quotes before "… and N
// more": a file that is not a parent list may have thousands.
const maxFound = 12

// maxColumns is the most header cells Parse reads: exports have tens of
// columns, and recognising millions of cells of a file that is not an
// export would take seconds for nothing.
const maxColumns = 1000

// maxIgnored is how many unknown header cells Result.IgnoredColumns
// holds; the others are counted in Result.MoreIgnoredColumns.
const maxIgnored = 50

// headerCell is one non-empty header cell and what it was read as.
type headerCell struct {
	index   int
	text    string
	who     role
	what    attr
	marked  bool
	known   bool
	ignored bool
}

// readHeader reads records until the first non-blank one, which must be the
// header, recognises the shape from it and maps its cells to columns.
func readHeader(cr *csv.Reader, res *Result) (*layout, error) {
	var rec []string
	var err error
	for {
		rec, err = cr.Read()
		if err == io.EOF {
			return nil, ErrEmpty
		}
		if err != nil {
			return nil, fmt.Errorf("%w (%w)", ErrNoHeader, err)
		}
		if !blank(rec) {
			break
		}
	}
	if len(rec) > maxColumns {
		return nil, fmt.Errorf("%w: the first line has %d cells, more than any school export (at most %d)",
			ErrNoHeader, len(rec), maxColumns)
	}
	l := &layout{width: len(rec)}
	l.line, _ = cr.FieldPos(0)
	for r := range l.col {
		for a := range l.col[r] {
			l.col[r][a] = -1
		}
	}
	var cells []headerCell
	var found []string
	known, responsibles, pupilNames := 0, false, false
	for i, text := range rec {
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		found = append(found, text)
		c := headerCell{index: i, text: text}
		c.who, c.what, c.marked, c.known = classify(foldHeader(text))
		if c.known {
			known++
			responsibles = responsibles || c.who == roleResp1 || c.who == roleResp2
			pupilNames = pupilNames || c.who == rolePupil && (c.what == attrLastName || c.what == attrFirstName)
		}
		cells = append(cells, c)
	}
	if known == 0 {
		return nil, fmt.Errorf("%w; found: %s; expected one line per adult (Nom;Prénom;E-mail), "+
			"one line per adult per pupil (Nom;Prénom;E-mail;Nom élève;Prénom élève;Classe) "+
			"or one line per pupil (Nom élève;Prénom élève;Classe;Nom resp. 1;Prénom resp. 1;Courriel resp. 1;…resp. 2)",
			ErrNoHeader, quoteAll(found))
	}
	switch {
	case responsibles:
		l.shape = ShapePupilResponsibles
	case pupilNames:
		l.shape = ShapeAdultPupil
	default:
		l.shape = ShapeAdults
	}
	for i := range cells {
		c := &cells[i]
		if !c.known {
			c.ignored = true
			continue
		}
		switch {
		case l.shape == ShapeAdults && c.who == rolePupil:
			// A class without the pupil's name links to no one.
			c.ignored = true
		case l.shape == ShapePupilResponsibles && c.who == roleAdult:
			// With numbered responsible adults, a plain "Nom" and
			// "Prénom" are the pupil's: the line is the pupil's. Other
			// unnumbered adult columns say nothing of whose they are
			// (the pupil's own e-mail?), so they are not read.
			if !c.marked && (c.what == attrLastName || c.what == attrFirstName) {
				c.who = rolePupil
			} else {
				c.ignored = true
			}
		}
		if c.ignored {
			continue
		}
		if j := l.col[c.who][c.what]; j >= 0 {
			if c.what == attrPhone {
				// Exports often have several phones (home, mobile, work):
				// the first one is kept, the others are listed as ignored.
				c.ignored = true
				continue
			}
			return nil, fmt.Errorf("%w: %s and %s both mean %s", ErrDuplicateColumn,
				quote(strings.TrimSpace(rec[j])), quote(c.text), columnName(c.who, c.what))
		}
		l.col[c.who][c.what] = c.index
	}
	for _, c := range cells {
		if c.ignored {
			if len(res.IgnoredColumns) < maxIgnored {
				res.IgnoredColumns = append(res.IgnoredColumns, truncate(c.text))
			} else {
				res.MoreIgnoredColumns++
			}
			continue
		}
		res.Columns = append(res.Columns, Column{Header: c.text, Meaning: meaning(c.who, c.what)})
	}
	res.Shape = l.shape
	if missing := l.missing(); missing != nil {
		return nil, &MissingColumnError{Shape: l.shape, Missing: missing, Found: found}
	}
	return l, nil
}

// colRef names one column: whose and what.
type colRef struct {
	who  role
	what attr
}

// missing lists the columns the shape needs that the header lacks.
func (l *layout) missing() []string {
	var need []colRef
	switch l.shape {
	case ShapeAdults:
		need = []colRef{{roleAdult, attrLastName}, {roleAdult, attrFirstName}, {roleAdult, attrEmail}}
	case ShapeAdultPupil:
		need = []colRef{{roleAdult, attrLastName}, {roleAdult, attrFirstName}, {roleAdult, attrEmail},
			{rolePupil, attrLastName}, {rolePupil, attrFirstName}}
	case ShapePupilResponsibles:
		need = []colRef{{rolePupil, attrLastName}, {rolePupil, attrFirstName}}
		for _, r := range []role{roleResp1, roleResp2} {
			if r == roleResp2 && !l.any(r) {
				continue // one responsible adult per pupil is a valid export
			}
			need = append(need, colRef{r, attrEmail})
			// Names go together; an export without them names adults by
			// e-mail only.
			if l.has(r, attrLastName) != l.has(r, attrFirstName) {
				need = append(need, colRef{r, attrLastName}, colRef{r, attrFirstName})
			}
		}
	}
	var missing []string
	for _, c := range need {
		if !l.has(c.who, c.what) {
			missing = append(missing, columnName(c.who, c.what))
		}
	}
	return missing
}

// needs says what columns a shape needs, for MissingColumnError.
func (s Shape) needs() string {
	switch s {
	case ShapeAdults:
		return "Nom, Prénom and E-mail"
	case ShapeAdultPupil:
		return "Nom, Prénom and E-mail of the adult, and Nom élève and Prénom élève"
	case ShapePupilResponsibles:
		return "Nom élève (or Nom) and Prénom élève (or Prénom), Courriel resp. 1, and for each responsible adult Nom and Prénom together or not at all"
	}
	return ""
}
