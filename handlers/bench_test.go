package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"sesame/internal/password"
	"sesame/internal/ratelimit"
)

// BenchmarkRecoveryStartKnownVsUnknown posts step 1 for a known and an
// unknown address alternately and reports each one's median: an observer
// timing the answer must not tell them apart.
//
//	go test -run '^$' -bench RecoveryStart -benchtime 2000x ./handlers/
func BenchmarkRecoveryStartKnownVsUnknown(b *testing.B) {
	// No rate limits: this measures the step, not the limiter.
	e := newEnv(b, func(d *Deps) { d.Limits = &ratelimit.Limits{} })
	compareMedians(b, e, "/recuperation", "/recuperation/email", 303, func(i int) url.Values {
		if i%2 == 0 {
			return url.Values{"email": {"m@exemple.fr"}}
		}
		return url.Values{"email": {fmt.Sprintf("inconnu%d@exemple.fr", i)}}
	})
}

// BenchmarkLoginKnownVsUnknown posts failed logins for an existing and an
// unknown identifier alternately, with the production argon2id
// parameters, and reports each one's median: the dummy verify makes them
// cost the same.
//
//	go test -run '^$' -bench LoginKnown -benchtime 200x ./handlers/
func BenchmarkLoginKnownVsUnknown(b *testing.B) {
	e := newEnv(b, func(d *Deps) { d.Limits = &ratelimit.Limits{} })
	e.acc.Hasher = password.New(password.DefaultParams, 2, time.Minute)
	if _, err := e.acc.AdminSetPassword(context.Background(), "dupont.marie", "Cartable-Vert-2026"); err != nil {
		b.Fatal(err)
	}
	compareMedians(b, e, "/", "/login", 401, func(i int) url.Values {
		id := fmt.Sprintf("inconnu.%d", i)
		if i%2 == 0 {
			id = "dupont.marie"
		}
		return url.Values{"identifier": {id}, "password": {"faux-mot-2026"}}
	})
}

// compareMedians posts form(i) to path b.N times; even i are the known
// case, odd i the unknown one. It reports both medians and their gap.
func compareMedians(b *testing.B, e *env, from, path string, want int, form func(int) url.Values) {
	br := e.browser(b)
	_, page := br.get(from)
	tok := csrfRe.FindStringSubmatch(page)[1]
	var known, unknown []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := form(i)
		f.Set("_csrf", tok)
		req := httptest.NewRequest("POST", path, strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: csrfCookie, Value: br.cookies[csrfCookie]})
		start := time.Now()
		resp, err := e.app.Test(req, -1)
		d := time.Since(start)
		if err != nil || resp.StatusCode != want {
			b.Fatalf("status %v %v", resp.StatusCode, err)
		}
		if i%2 == 0 {
			known = append(known, d)
		} else {
			unknown = append(unknown, d)
		}
	}
	b.StopTimer()
	mk, mu := median(known), median(unknown)
	b.ReportMetric(float64(mk.Microseconds())/1000, "known-p50-ms")
	b.ReportMetric(float64(mu.Microseconds())/1000, "unknown-p50-ms")
	diff := mk - mu
	if diff < 0 {
		diff = -diff
	}
	b.ReportMetric(float64(diff.Microseconds())/1000, "diff-ms")
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
