package locales

import (
	"testing"
	"time"
)

// Minutes rounds down, so the page and the e-mail (which both call it)
// never announce more time than the code has, nor "0 minutes".
func TestMinutes(t *testing.T) {
	for d, want := range map[time.Duration]int{
		0: 0, time.Second: 1, time.Minute: 1, 61 * time.Second: 1, 90 * time.Second: 1, 119 * time.Second: 1,
		30 * time.Minute: 30, 24 * time.Hour: 1440,
	} {
		if got := Minutes(d); got != want {
			t.Errorf("Minutes(%s) = %d, want %d", d, got, want)
		}
	}
}

func TestTime(t *testing.T) {
	b := Must()
	at := time.Date(2026, 11, 1, 4, 5, 0, 0, time.UTC)
	for _, c := range []struct{ lang, id, want string }{
		{"fr", "mail.time", "4 h 05"},
		{"en", "mail.time", "04:05"},
		{"fr", "mail.datetime", "1er novembre 2026 à 4 h 05"},
	} {
		if got := b.Time(c.lang, c.id, at); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.lang, c.id, got, c.want)
		}
	}
}
