package importcsv

import "sesame/internal/identity"

// AssignIdentifiers gives a generated identifier (identity.Generator) to
// every row that has none. taken reports identifiers already used in the
// caller's store; identifiers written in the file, including on rejected
// rows, and those generated for earlier rows count as taken too, so that
// every identifier in r.Rows ends up distinct.
func (r *Result) AssignIdentifiers(taken func(string) bool) {
	used := make(map[string]bool, len(r.Rows)+len(r.reserved))
	for id := range r.reserved {
		used[id] = true
	}
	for _, row := range r.Adults {
		if row.Identifier != "" {
			used[row.Identifier] = true
		}
	}
	g := identity.Generator{Taken: func(id string) bool {
		return used[id] || (taken != nil && taken(id))
	}}
	for i := range r.Adults {
		row := &r.Adults[i]
		if row.Identifier != "" {
			continue
		}
		row.Identifier = g.Next(row.LastName, row.FirstName)
		used[row.Identifier] = true
	}
	r.rowsFromAdults()
}
