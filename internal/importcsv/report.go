package importcsv

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxCell is how many characters of a cell a message shows.
const maxCell = 80

// Limits on what Result.Errors and Result.Warnings list: a wrong file
// (a database dump, a binary saved as .csv) must give a report a person
// can read, not megabytes. Past a limit, problems are only counted.
const (
	maxErrors       = 200
	maxErrorBytes   = 8 << 10
	maxWarnings     = 100
	maxWarningBytes = 4 << 10
)

// capped is a list of problems that stops growing past its limits and
// counts the problems it leaves out.
type capped struct {
	list     *[]RowError
	max      int // entries
	maxBytes int // of Detail, in all
	bytes    int
	more     int // problems not listed
	moreLine int // the line of the first of them
}

// add lists e, or counts it once the list is full.
func (c *capped) add(e RowError) {
	if c.more == 0 && len(*c.list) < c.max && c.bytes+len(e.Detail) <= c.maxBytes {
		*c.list = append(*c.list, e)
		c.bytes += len(e.Detail)
		return
	}
	if c.more == 0 {
		c.moreLine = e.Line
	}
	c.more++
}

// finish adds the entry that counts the problems left out, if any.
func (c *capped) finish(what string) {
	if c.more == 0 {
		return
	}
	*c.list = append(*c.list, RowError{Line: c.moreLine, Reason: ReasonTooManyProblems,
		Detail: fmt.Sprintf("… and %d more %s from this line on, not listed: fix the ones above and import again", c.more, what)})
}

// blank reports whether every cell of rec is empty or spaces, as Excel
// writes for rows it once used: ";;;;".
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// truncate cuts s to maxCell characters, marking the cut with "…".
func truncate(s string) string {
	if len(s) <= maxCell || utf8.RuneCountInString(s) <= maxCell {
		return s
	}
	n := 0
	for i := range s {
		if n == maxCell {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// quote truncates and quotes a cell for a message. Quoting with %q also
// keeps control characters from reaching the terminal.
func quote(s string) string {
	return fmt.Sprintf("%q", truncate(s))
}

// quoteAll quotes the first cells for an error message and joins them,
// then says how many more there are.
func quoteAll(cells []string) string {
	n := min(len(cells), maxFound)
	q := make([]string, n, n+1)
	for i, c := range cells[:n] {
		q[i] = quote(c)
	}
	if len(cells) > n {
		q = append(q, fmt.Sprintf("… and %d more", len(cells)-n))
	}
	return strings.Join(q, ", ")
}
