//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// newHTTPClient is the one client every virtual parent shares: a pool
// big enough for the highest concurrency, redirects not followed (a 303
// is an answer to check, not to chase), no compression.
func newHTTPClient(maxConns int) *http.Client {
	return &http.Client{
		Timeout: 15 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        maxConns,
			MaxIdleConnsPerHost: maxConns,
			IdleConnTimeout:     50 * time.Second, // under the server's 60 s
			DisableCompression:  true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// jar is one virtual parent's cookies. net/http's client has a single
// jar and every parent needs its own, so cookies are applied by hand.
type jar struct{ cookies []*http.Cookie }

func (j *jar) reset() { j.cookies = j.cookies[:0] }

func (j *jar) keepOnly(name string) {
	out := j.cookies[:0]
	for _, c := range j.cookies {
		if c.Name == name {
			out = append(out, c)
		}
	}
	j.cookies = out
}

func (j *jar) apply(r *http.Request) {
	for _, c := range j.cookies {
		if strings.HasPrefix(r.URL.Path, c.Path) {
			r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
}

func (j *jar) store(resp *http.Response) {
	now := time.Now()
	for _, c := range resp.Cookies() {
		if c.Path == "" {
			c.Path = "/"
		}
		gone := c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(now))
		out := j.cookies[:0]
		for _, old := range j.cookies {
			if old.Name != c.Name || old.Path != c.Path {
				out = append(out, old)
			}
		}
		j.cookies = out
		if !gone {
			j.cookies = append(j.cookies, c)
		}
	}
}

// vclient is one virtual parent: a browser with its cookies and the
// CSRF token of the last page it loaded.
type vclient struct {
	hc   *http.Client
	base string
	jar  jar
	csrf string
}

// reply is what a request returned; err is a transport error.
type reply struct {
	status   int
	location string
	body     []byte
	err      error
}

// key names an unexpected outcome for the error counts.
func (r reply) key(method, path string) string {
	if r.err != nil {
		msg := r.err.Error()
		var ne net.Error
		switch {
		case errors.As(r.err, &ne) && ne.Timeout():
			msg = "timeout"
		case strings.Contains(msg, "connection refused"):
			msg = "connection refused"
		case strings.Contains(msg, "connection reset"):
			msg = "connection reset"
		case strings.Contains(msg, "EOF"):
			msg = "EOF"
		}
		return fmt.Sprintf("%s %s: %s", method, path, msg)
	}
	return fmt.Sprintf("%s %s → %d", method, path, r.status)
}

func (v *vclient) do(ctx context.Context, method, path string, form url.Values, wantBody bool) reply {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, v.base+path, body)
	if err != nil {
		return reply{err: err}
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	v.jar.apply(req)
	resp, err := v.hc.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode, location: resp.Header.Get("Location")}
	if wantBody {
		r.body, r.err = io.ReadAll(resp.Body)
	} else {
		_, r.err = io.Copy(io.Discard, resp.Body)
	}
	v.jar.store(resp)
	return r
}

var csrfMarker = []byte(`name="_csrf" value="`)

// page GETs a page, expects 200 and keeps its CSRF token.
func (v *vclient) page(ctx context.Context, path string) (string, bool) {
	r := v.do(ctx, http.MethodGet, path, nil, true)
	if r.err != nil || r.status != http.StatusOK {
		return r.key("GET", path), false
	}
	i := bytes.Index(r.body, csrfMarker)
	if i < 0 {
		return "GET " + path + ": no _csrf field in the page", false
	}
	rest := r.body[i+len(csrfMarker):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return "GET " + path + ": no _csrf field in the page", false
	}
	v.csrf = string(rest[:j])
	return "", true
}

// post sends a form with the CSRF token and checks the status (and, for
// a redirect, that Location starts with wantLoc; for another status,
// that the body holds wantText).
func (v *vclient) post(ctx context.Context, path string, want int, wantLoc, wantText string, kv ...string) (reply, string) {
	form := url.Values{"_csrf": {v.csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	r := v.do(ctx, http.MethodPost, path, form, wantText != "")
	switch {
	case r.err != nil || r.status != want:
		return r, r.key("POST", path)
	case wantLoc != "" && !strings.HasPrefix(r.location, wantLoc):
		return r, fmt.Sprintf("POST %s → %d to %s", path, r.status, r.location)
	case wantText != "" && !bytes.Contains(r.body, []byte(wantText)):
		return r, fmt.Sprintf("POST %s → %d without %q", path, r.status, wantText)
	}
	return r, ""
}

// pair is a parent's step 1, as a new browser: load the page, post the
// address. It returns the time of each request and "" or what went
// wrong.
func (v *vclient) pair(ctx context.Context, email string) (get, post time.Duration, fail string) {
	v.jar.reset()
	t0 := time.Now()
	if k, ok := v.page(ctx, "/recuperation"); !ok {
		return time.Since(t0), 0, k
	}
	t1 := time.Now()
	_, k := v.post(ctx, "/recuperation/email", http.StatusSeeOther, "/recuperation?msg=sent", "", "email", email)
	return t1.Sub(t0), time.Since(t1), k
}
