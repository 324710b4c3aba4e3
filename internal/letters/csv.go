package letters

import (
	"bufio"
	"encoding/csv"
	"io"
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
// A cell starting with = + - @ (or a tab or carriage return) gets a
// leading apostrophe: spreadsheets run such cells as formulas, and names
// come from a file anyone in the school may have edited.
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
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.Comma = ';'
	cw.UseCRLF = true
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, row := range rows {
		for k, cell := range row {
			row[k] = defuse(cell)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// defuse keeps a spreadsheet from reading a cell as a formula (OWASP's
// "CSV injection"): the apostrophe makes it text. It may show in a merged
// letter, which is the lesser harm, and real names, codes and links never
// start with these characters.
func defuse(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}
