package handlers

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"sesame/internal/ratelimit"
)

func scrape(set *metrics.Set) string {
	var b bytes.Buffer
	set.WritePrometheus(&b)
	return b.String()
}

// Issue 12: requests are counted by route pattern and status class and
// timed per route; logins, rate-limit refusals and 404s are counted
// without a label carrying what the client sent.
func TestMetricsByRouteAndOutcome(t *testing.T) {
	set := metrics.NewSet()
	limits := ratelimit.DefaultLimits()
	limits.LoginID = ratelimit.New(time.Hour, 1, 10)
	e := newEnv(t, func(d *Deps) { d.Metrics = NewMetrics(set); d.Limits = limits })
	b := e.browser(t)
	b.get("/static/v123/app.css")
	b.get("/no/such/page-dupont.marie")
	if resp, _ := b.post("/", "/login", url.Values{"identifier": {"dupont.marie"}, "password": {"wrong"}}); resp.StatusCode != 401 {
		t.Fatalf("failed login: %d", resp.StatusCode)
	}
	// The identifier's bucket holds one login: the second is refused.
	if resp, _ := b.post("/", "/login", url.Values{"identifier": {"dupont.marie"}, "password": {"Cartable-Vert-2026"}}); resp.StatusCode != 429 {
		t.Fatalf("second login: %d", resp.StatusCode)
	}
	b2 := e.browser(t)
	limits.LoginID = ratelimit.New(time.Nanosecond, 100, 10)
	if resp, _ := b2.post("/", "/login", url.Values{"identifier": {"dupont.marie"}, "password": {"Cartable-Vert-2026"}}); resp.StatusCode != 303 {
		t.Fatalf("login: %d", resp.StatusCode)
	}

	out := scrape(set)
	for _, want := range []string{
		`sesame_http_requests_total{route="/",status="2xx"} 3`,
		`sesame_http_requests_total{route="/login",status="4xx"} 2`,
		`sesame_http_requests_total{route="/login",status="3xx"} 1`,
		`sesame_http_requests_total{route="other",status="4xx"} 1`,
		`sesame_http_request_duration_seconds_bucket{route="/login",le="+Inf"} 3`,
		`sesame_http_request_duration_seconds_count{route="/static/:version/:name"} 1`,
		`sesame_logins_total{result="ok"} 1`,
		`sesame_logins_total{result="failed"} 1`,
		`sesame_ratelimit_refusals_total{limiter="login_id"} 1`,
		`sesame_ratelimit_refusals_total{limiter="login_ip"} 0`,
		`sesame_hash_busy_total 0`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	for _, leak := range []string{"dupont", "no/such", "v123", "127.0.0.1", "0.0.0.0"} {
		if strings.Contains(out, leak) {
			t.Errorf("the metrics name %q:\n%s", leak, out)
		}
	}
}
