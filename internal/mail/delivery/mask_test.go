package delivery

import (
	"testing"

	"sesame/internal/mail/outbox"
)

func TestScrub(t *testing.T) {
	m := outbox.Message{To: "Marie.Dupont@exemple.fr", Code: "12345678"}
	got := scrub(m, "550 <marie.dupont@EXEMPLE.fr> refused; subject 1234 5678 / 12345678")
	if want := "550 <M•••@exemple.fr> refused; subject •••• / ••••"; got != want {
		t.Errorf("scrub = %q, want %q", got, want)
	}
}
