package locales

import (
	"strconv"
	"time"
)

// Minutes is how a duration is announced to a parent, in whole minutes,
// rounded down: a parent is never told more time than they have (the
// e-mail arrives after the code started counting anyway). A code valid
// 90 s is "valid 1 minute, until 4 h 21" when issued at 4 h 20: the
// figure agrees with the time of day beside it, which is truncated to
// the minute too; rounding up would say "2 minutes, until 4 h 21". A
// duration under a minute is announced as 1 minute rather than 0 (only
// tests use such --code-ttl). The page and the e-mail both call this,
// so they always give the same figure.
func Minutes(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return max(1, int(d/time.Minute))
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
