package importcsv

// adultsFromRows is a bridge while the parser learns the family shapes:
// one adult per row.
func (r *Result) adultsFromRows() {
	for _, row := range r.Rows {
		r.Adults = append(r.Adults, Adult{Lines: []int{row.Line}, Identifier: row.Identifier,
			LastName: row.LastName, FirstName: row.FirstName, Email: row.Email, Lang: row.Lang})
	}
}

// rowsFromAdults copies the identifiers back to the rows (bridge).
func (r *Result) rowsFromAdults() {
	if len(r.Rows) != len(r.Adults) {
		return
	}
	for i := range r.Rows {
		r.Rows[i].Identifier = r.Adults[i].Identifier
	}
}
