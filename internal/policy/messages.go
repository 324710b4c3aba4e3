package policy

// Message IDs of the texts around the rules. They live here, beside the
// rule IDs, so the pages and the locale test agree on one list.
const (
	// Heading introduces the checklist ("Le mot de passe doit :").
	Heading = "policy.heading"
	// PageTitle is the title of the password-policy page the seed links
	// to ("Consulter notre politique de sécurité des mots de passe").
	PageTitle = "policy.page.title"
	// PageIntro is the first paragraph of that page.
	PageIntro = "policy.page.intro"
)

// PageParagraphs returns the message IDs of the explanation page's
// paragraphs, in reading order: one per rule, then what parents are
// allowed to do and what Sésame does with the password. Render each with
// TemplateData, as some mention the limits. The slice is new on each call.
func PageParagraphs() []string {
	return []string{
		"policy.page.why.length",
		"policy.page.why.phrase",
		"policy.page.why.digit",
		"policy.page.why.letter",
		"policy.page.why.personal",
		"policy.page.why.common",
		"policy.page.why.predictable",
		"policy.page.why.managers",
		"policy.page.why.storage",
		"policy.page.why.sessions",
	}
}

// MessageIDs returns every message ID this package needs translated, for
// the catalogue test that fails on a missing translation.
func MessageIDs() []string {
	ids := []string{Heading}
	for _, r := range Rules() {
		ids = append(ids, string(r))
	}
	ids = append(ids, PageTitle, PageIntro)
	return append(ids, PageParagraphs()...)
}
