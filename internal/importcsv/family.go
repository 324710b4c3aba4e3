package importcsv

// Shape says how an export lays out adults and pupils. Parse recognises
// it from the header.
type Shape string

// The shapes French school software exports.
const (
	// ShapeAdults is one line per adult, without pupils.
	ShapeAdults Shape = "adults"
	// ShapeAdultPupil is one line per adult per pupil: an adult with two
	// children is on two lines.
	ShapeAdultPupil Shape = "adult-pupil"
	// ShapePupilResponsibles is one line per pupil, with responsible
	// adults 1 and 2 in numbered columns.
	ShapePupilResponsibles Shape = "pupil-responsibles"
)

// Describe says the shape in words for the report.
func (s Shape) Describe() string {
	switch s {
	case ShapeAdults:
		return "one line per adult"
	case ShapeAdultPupil:
		return "one line per adult per pupil"
	case ShapePupilResponsibles:
		return "one line per pupil, with responsible adults 1 and 2"
	}
	return string(s)
}

// Column is a header cell Parse uses, for the report.
type Column struct {
	// Header is the cell as written in the file.
	Header string
	// Meaning says what Parse reads in it: "e-mail of responsible adult 2".
	Meaning string
}

// Adult is one person who will sign in, merged from every accepted line
// of the file that names them: the same identifier, or else the same
// folded last and first names (identity.FoldName) and e-mail, on several
// lines is one Adult with several children. An adult named by e-mail only
// is merged on the e-mail. Where lines disagree on the civility, phone or
// language, the first line that gives one wins.
type Adult struct {
	// Lines are the accepted lines the adult appears on, in file order,
	// each once.
	Lines []int
	// Identifier is the lower-cased sign-in identifier, or empty when the
	// file gave none; see Result.AssignIdentifiers.
	Identifier string
	// Civility is "M.", "Mme" or as written; may be empty.
	Civility string
	// LastName and FirstName are normalised (identity.NormalizeName). Both
	// are empty when the file names responsible adults by e-mail only.
	LastName, FirstName string
	// Email is the normalised address, empty for an adult without one
	// (listed by Result.WithoutEmail).
	Email string
	// Phone is as written, trimmed, with runs of spaces collapsed; may be
	// empty.
	Phone string
	// Lang is "fr", "en" or empty when the file does not say.
	Lang string
	// Children are the pupils this adult is responsible for, in file
	// order, each once.
	Children []Pupil
}

// Pupil is a child named by the file.
type Pupil struct {
	// Key identifies the pupil across imports: "id:" and the file's pupil
	// number when it has that column, else "name:" and the folded last and
	// first names (identity.FoldName) joined by "|".
	// The file's pupil number is upper-cased, without spaces.
	Key string
	// LastName and FirstName are normalised (identity.NormalizeName).
	LastName, FirstName string
	// Class is as written, trimmed and with runs of spaces collapsed;
	// may be empty.
	Class string
}
