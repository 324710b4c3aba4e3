// Package spreadsheet writes CSV files the way a school office opens
// them: in Excel or LibreOffice, often by double-clicking. One writer, so
// that every file Sésame hands the school (account exports, letters for
// a mail merge) gets the same encoding rules and the same guard against
// formula injection.
package spreadsheet

import (
	"encoding/csv"
	"io"
	"strings"
)

// Writer writes UTF-8 CSV with a byte order mark (without it, Excel
// reads UTF-8 as the Windows code page and "Hélène" as "HÃ©lÃ¨ne"),
// ";" between cells (French Excel's separator) and CRLF line ends.
type Writer struct {
	w       *csv.Writer
	started bool
	out     io.Writer
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true
	return &Writer{w: cw, out: w}
}

// Write writes one row. Cells are made safe with Cell.
func (w *Writer) Write(cells ...string) error {
	if !w.started {
		w.started = true
		if _, err := io.WriteString(w.out, "\uFEFF"); err != nil {
			return err
		}
	}
	safe := make([]string, len(cells))
	for i, c := range cells {
		safe[i] = Cell(c)
	}
	return w.w.Write(safe)
}

// Flush writes what is buffered and returns the first error met.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}

// Cell makes a value safe to open in a spreadsheet: a cell starting with
// = + - @ (or a tab or carriage return before one) is a formula to
// Excel and LibreOffice, which a name or address typed by anyone must
// never become, so it gets a leading apostrophe, which both show as text.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Join puts several values in one cell, as "Lucas (6e A), Emma (CM2)".
func Join(vs []string) string { return strings.Join(vs, ", ") }
