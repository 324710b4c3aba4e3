package handlers

import (
	"errors"
	"strconv"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/gofiber/fiber/v2"

	"sesame/internal/ratelimit"
)

// Metrics counts what the web side does, for the operator's /metrics
// (served by cli on its own address, never here). Labels name routes,
// status classes and outcomes only: never an identifier, an address or
// an IP, so the page can be scraped by anyone who may read it. A nil
// *Metrics counts nothing.
type Metrics struct {
	set    *metrics.Set
	events [nEvents]*metrics.Counter
	// seen are the routes registered so far, endpoints those that answer
	// a page rather than pass the request on (app.Use): a middleware's
	// route is the prefix "/", which would be mistaken for the login
	// page's. Written by New only, read-only once it returns.
	seen, endpoints map[*fiber.Route]bool
}

// event is an outcome the handlers count.
type event int

const (
	loginOK event = iota
	loginFailed
	recoveryStarted
	codeOK
	codeWrong
	passwordChangedEspace
	passwordChangedRecovery
	hashBusy
	activationOK
	activationRefused
	passwordChangedActivation
	nEvents
)

// eventNames are the events' series, in the order of the constants.
var eventNames = [nEvents]string{
	`sesame_logins_total{result="ok"}`,
	`sesame_logins_total{result="failed"}`,
	`sesame_recoveries_started_total`,
	`sesame_codes_verified_total{result="ok"}`,
	`sesame_codes_verified_total{result="wrong"}`,
	`sesame_password_changes_total{via="espace"}`,
	`sesame_password_changes_total{via="recovery"}`,
	`sesame_hash_busy_total`,
	`sesame_activation_codes_verified_total{result="ok"}`,
	`sesame_activation_codes_verified_total{result="refused"}`,
	`sesame_password_changes_total{via="activation"}`,
}

// NewMetrics registers the web side's metrics in set, which the caller
// owns and serves.
func NewMetrics(set *metrics.Set) *Metrics {
	m := &Metrics{set: set, seen: map[*fiber.Route]bool{}, endpoints: map[*fiber.Route]bool{}}
	for e, name := range eventNames {
		m.events[e] = set.NewCounter(name)
	}
	return m
}

// count adds one to e's counter unless m is nil.
func (m *Metrics) count(e event) {
	if m != nil {
		m.events[e].Inc()
	}
}

// limiters exposes how many actions each limiter refused, by the
// limiter's name.
func (m *Metrics) limiters(l *ratelimit.Limits) {
	if m == nil || l == nil {
		return
	}
	for name, lim := range map[string]*ratelimit.Limiter{
		"login_ip": l.LoginIP, "login_id": l.LoginID,
		"recovery_ip": l.RecoveryIP, "recovery_to": l.RecoveryTo,
		"code_ip": l.CodeIP, "code_flow": l.CodeFlow,
		"activation_ip": l.ActivationIP, "oidc_token": l.Token, "oidc_authorize": l.Authorize,
	} {
		if lim == nil {
			continue
		}
		m.set.GetOrCreateGauge(`sesame_ratelimit_refusals_total{limiter="`+name+`"}`,
			func() float64 { return float64(lim.Refused()) })
	}
}

// routes takes note of the routes registered since its last call:
// endpoints (app.Get, app.Post) or middlewares (app.Use).
func (m *Metrics) routes(app *fiber.App, endpoints bool) {
	if m == nil {
		return
	}
	for _, stack := range app.Stack() {
		for _, r := range stack {
			if !m.seen[r] {
				m.seen[r] = true
				m.endpoints[r] = endpoints
			}
		}
	}
}

// latencyBuckets are the upper bounds, in seconds, of the latency
// histograms: a page renders in milliseconds, a password hash takes a
// fraction of a second, and a queue for the hasher a few seconds.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// middleware counts every request by the route that answered it (its
// pattern, such as /static/:version/:name, never the path a client
// typed, so a scan cannot grow the label set) and its status class,
// and times it per route. It runs first, so it sees the status a panic
// or an error turns into.
func (m *Metrics) middleware(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if errors.Is(err, errBusy) {
			m.count(hashBusy)
		}
		// The error handler would set the status only after this returns;
		// answer now, as Fiber's own logger does, to count what is sent.
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	route := "other" // no route matched: not found, or refused by a middleware
	if r := c.Route(); m.endpoints[r] {
		route = r.Path
	}
	class := strconv.Itoa(c.Response().StatusCode()/100) + "xx"
	m.set.GetOrCreateCounter(`sesame_http_requests_total{route="` + route + `",status="` + class + `"}`).Inc()
	m.set.GetOrCreatePrometheusHistogramExt(`sesame_http_request_duration_seconds{route="`+route+`"}`, latencyBuckets).
		UpdateDuration(start)
	return nil
}
