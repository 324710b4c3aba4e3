//go:build linux

package main

import (
	"bufio"
	"context"
	"io"
	"mime"
	"net"
	"net/textproto"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// sink is an in-process SMTP server on loopback: it accepts every
// message, notes when it arrived and, from the subject, the security code
// it carries, so the benchmark can both count mails and finish recovery
// flows with the real code.
type sink struct {
	srv  *smtp.Server
	addr string

	mu       sync.Mutex
	conns    int
	arrivals []time.Time
	byRcpt   map[string][]arrival
	changed  chan struct{} // closed and replaced at every arrival
}

type arrival struct {
	at      time.Time
	subject string
	code    string // "12345678", or "" when the subject has none
}

func startSink() (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{addr: ln.Addr().String(), byRcpt: map[string][]arrival{}, changed: make(chan struct{})}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	s.srv.MaxMessageBytes = 1 << 20
	go s.srv.Serve(ln)
	return s, nil
}

func (s *sink) close() { s.srv.Close() }

// NewSession implements smtp.Backend; one session is one connection.
func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.conns++
	s.mu.Unlock()
	return &sinkSession{sink: s}, nil
}

type sinkSession struct {
	sink *sink
	to   []string
}

func (x *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (x *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, strings.ToLower(to))
	return nil
}
func (x *sinkSession) Reset()        { x.to = nil }
func (x *sinkSession) Logout() error { return nil }

var codeInSubject = regexp.MustCompile(`(\d{4})\s(\d{4})`)

func (x *sinkSession) Data(r io.Reader) error {
	// Only the header is needed: the subject holds the code.
	br := bufio.NewReader(r)
	hdr, _ := textproto.NewReader(br).ReadMIMEHeader()
	io.Copy(io.Discard, br)
	now := time.Now()
	subject, err := new(mime.WordDecoder).DecodeHeader(hdr.Get("Subject"))
	if err != nil {
		subject = hdr.Get("Subject")
	}
	a := arrival{at: now, subject: subject}
	if m := codeInSubject.FindStringSubmatch(subject); m != nil {
		a.code = m[1] + m[2]
	}
	s := x.sink
	s.mu.Lock()
	s.arrivals = append(s.arrivals, now)
	for _, to := range x.to {
		s.byRcpt[to] = append(s.byRcpt[to], a)
	}
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	x.to = nil
	return nil
}

// waitCode waits for a mail carrying a code to reach to, arrived after
// after, and returns it.
func (s *sink) waitCode(ctx context.Context, to string, after time.Time, timeout time.Duration) (arrival, bool) {
	to = strings.ToLower(to)
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for _, a := range s.byRcpt[to] {
			if a.code != "" && !a.at.Before(after) {
				s.mu.Unlock()
				return a, true
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return arrival{}, false
		case <-ctx.Done():
			return arrival{}, false
		}
	}
}

// stats returns the number of messages and connections so far.
func (s *sink) stats() (msgs, conns int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.arrivals), s.conns
}

// between returns the arrival times in [from, to).
func (s *sink) between(from, to time.Time) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Time
	for _, t := range s.arrivals {
		if !t.Before(from) && t.Before(to) {
			out = append(out, t)
		}
	}
	return out
}
