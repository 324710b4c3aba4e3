package integration

import (
	"bytes"
	"io"
	"log"
	"mime"
	"net"
	netmail "net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// delivered is one message as the test SMTP server accepted it.
type delivered struct {
	To      string // envelope recipient, lower case
	Subject string // decoded
	Code    string // "1234 5678" from the subject, if any
	At      time.Time
}

// sink is a real SMTP server on a fixed loopback port that records what
// it accepts. It starts down (connections refused, port held); up starts
// it and down stops it, on the same port; delay makes every DATA slow, so deliveries are in flight
// long enough to kill the client in the middle.
type sink struct {
	t    testing.TB
	addr string
	port int
	hold func() // releases the port held while the server was never up

	mu      sync.Mutex
	srv     *smtp.Server
	ln      net.Listener
	delay   time.Duration
	msgs    []delivered
	inData  int // DATA commands being answered right now
	started int // DATA commands begun
}

func newSink(t testing.TB) *sink {
	port, release := holdPort(t)
	s := &sink{t: t, port: port, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), hold: release}
	t.Cleanup(s.down)
	return s
}

// holdPort reserves a loopback port while the SMTP server is down: a TCP
// socket bound to it without listening, and without SO_REUSEADDR, so
// that connections to it are refused as by a stopped server, and no
// other process (another test, someone's benchmark on this machine) can
// take the port meanwhile.
func holdPort(t testing.TB) (int, func()) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	var once sync.Once
	return sa.(*syscall.SockaddrInet4).Port, func() { once.Do(func() { syscall.Close(fd) }) }
}

// up starts listening on the sink's port.
func (s *sink) up() {
	s.t.Helper()
	s.hold()
	var (
		l   net.Listener
		err error
	)
	for range 100 {
		if l, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("test smtp server: listen %s: %v", s.addr, err)
	}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ReadTimeout = 20 * time.Second
	srv.WriteTimeout = 20 * time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.mu.Lock()
	s.srv, s.ln = srv, l
	s.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// down closes the listener and every connection.
func (s *sink) down() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		_ = ln.Close()
		_ = srv.Close()
	}
	s.hold()
}

func (s *sink) setDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

func (s *sink) received() []delivered {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivered(nil), s.msgs...)
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

func (s *sink) busy() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inData
}

// perRecipient counts accepted messages by envelope recipient.
func (s *sink) perRecipient() map[string]int {
	n := map[string]int{}
	for _, m := range s.received() {
		n[m.To]++
	}
	return n
}

// NewSession implements smtp.Backend.
func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

type sinkSession struct {
	s  *sink
	to []string
}

func (ss *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, strings.ToLower(to))
	return nil
}

var codeInSubject = regexp.MustCompile(`\b(\d{4} \d{4})\b`)

// Data reads the message, waits the configured delay, then records it
// just before answering 250: a message recorded here is one the server
// took responsibility for, whether or not the client lived to hear so.
func (ss *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.s
	s.mu.Lock()
	s.inData++
	s.started++
	d := s.delay
	s.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
	subject := ""
	if msg, err := netmail.ReadMessage(bytes.NewReader(data)); err == nil {
		subject = msg.Header.Get("Subject")
		if dec, err := new(mime.WordDecoder).DecodeHeader(subject); err == nil {
			subject = dec
		}
	}
	code := ""
	if m := codeInSubject.FindStringSubmatch(subject); m != nil {
		code = m[1]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inData--
	for _, to := range ss.to {
		s.msgs = append(s.msgs, delivered{To: to, Subject: subject, Code: code, At: time.Now()})
	}
	return nil
}

func (ss *sinkSession) Reset()        { ss.to = nil }
func (ss *sinkSession) Logout() error { return nil }
