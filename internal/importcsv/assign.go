package importcsv

import "sesame/internal/identity"

// AssignIdentifiers gives a generated identifier (identity.Generator) to
// every adult that has none: from their names ("dupont.marie"), or, for
// an adult the file names by e-mail only, from the part of the address
// before the @ ("marie.dupont@exemple.fr" gives "marie.dupont"). taken
// reports identifiers already used in the caller's store; identifiers
// written in the file, including on rejected lines, and those generated
// for earlier adults count as taken too, so that every identifier in
// r.Adults ends up distinct.
func (r *Result) AssignIdentifiers(taken func(string) bool) {
	used := make(map[string]bool, len(r.Adults)+len(r.reserved))
	for id := range r.reserved {
		used[id] = true
	}
	for _, a := range r.Adults {
		if a.Identifier != "" {
			used[a.Identifier] = true
		}
	}
	g := identity.Generator{Taken: func(id string) bool {
		return used[id] || (taken != nil && taken(id))
	}}
	for i := range r.Adults {
		a := &r.Adults[i]
		if a.Identifier != "" {
			continue
		}
		if a.LastName == "" && a.FirstName == "" && a.Email != "" {
			a.Identifier = g.NextFromEmail(a.Email)
		} else {
			a.Identifier = g.Next(a.LastName, a.FirstName)
		}
		used[a.Identifier] = true
	}
}
