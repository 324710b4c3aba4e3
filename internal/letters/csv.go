package letters

import (
	"io"
	"sesame/internal/spreadsheet"
	"strings"
)

// csvHeader is the first row: the field names a mail merge shows the
// secretariat, in French whatever the rows' languages.
var csvHeader = []string{"identifiant", "nom", "prénom", "enfants", "code", "lien", "expire"}

// WriteCSV writes ls as a CSV file for a mail merge, one row per letter
// in the order given: UTF-8 with a byte order mark (so Excel and
// LibreOffice read the accents right), ";" between fields (the French
// spreadsheet's separator), CRLF line ends, fields quoted only when they
// must be. "enfants" lists the children as "Lucas DUPONT (6A), Emma
// DUPONT (CM2)"; "expire" is the date the letter prints, in the row's
// language. An empty list writes the header alone.
//
// Cells are made safe by package spreadsheet, the one place of that rule
// (no formula injection: names come from a file anyone in the school may
// have edited).
func WriteCSV(w io.Writer, s School, ls []Letter) error {
	b, err := bundle()
	if err != nil {
		return err
	}
	rows := make([][]string, 0, len(ls))
	for i, l := range ls {
		l, err := cleaned(i, l)
		if err != nil {
			return err
		}
		children := make([]string, len(l.Children))
		for j, c := range l.Children {
			children[j] = childShort(c)
		}
		rows = append(rows, []string{
			l.Identifier,
			l.LastName,
			l.FirstName,
			strings.Join(children, ", "),
			l.Code,
			l.Link,
			ExpiryDate(b, l.Lang, s.Zone, l.Expires),
		})
	}
	sw := spreadsheet.NewWriter(w)
	if err := sw.Write(csvHeader...); err != nil {
		return err
	}
	for _, row := range rows {
		if err := sw.Write(row...); err != nil {
			return err
		}
	}
	return sw.Flush()
}
