package locales

import (
	"strconv"
	"time"
)

// Minutes is how a duration is announced to a parent, in whole minutes,
// rounded up: a code valid 90 s is "valid 2 minutes" and 61 s "2 minutes"
// too. Rounding up keeps the figure identical on the page and in the
// e-mail (both call this), and the code's real end is always printed
// beside it ("until 4:51"), so the parent who trusts the figure is at
// most seconds late while the exact time stays in view. A duration
// above zero is never announced as 0 minutes.
func Minutes(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Minute - 1) / time.Minute)
}

// Time writes t as the sentence id (mail.time, mail.datetime) lays it
// out in lang: month names and word order are in the locale files, not
// in Go layouts. t is written in its own zone: the caller converts it
// to the school's zone first (t.In(loc)).
func (b *Bundle) Time(lang, id string, t time.Time) string {
	data := map[string]any{
		"Day":    strconv.Itoa(t.Day()),
		"Month":  b.T(lang, "mail.month."+strconv.Itoa(int(t.Month())), nil),
		"Year":   strconv.Itoa(t.Year()),
		"Hour":   strconv.Itoa(t.Hour()),
		"Hour2":  twoDigits(t.Hour()),
		"Minute": twoDigits(t.Minute()),
	}
	return b.T(lang, id, data)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
