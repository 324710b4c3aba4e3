// Package mailtest provides what the mail packages' tests share: a real
// SMTP server on loopback that records, refuses and restarts, a settable
// clock, a composer configured like a school's, and a parser that takes a
// received e-mail apart as a mail client would. Like net/http/httptest,
// it is imported only by tests.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"sesame/internal/mail"
	"sesame/internal/mail/outbox"
	"sesame/locales"
)

// Received is one message as the test SMTP server got it.
type Received struct {
	From   string
	To     []string
	Data   []byte
	Remote string // the client's address: one per connection
	TLS    bool
}

// Server is a real SMTP server on loopback, recording what it
// receives, that can refuse, go down and come back on the same port.
type Server struct {
	addr string

	// Set before start.
	TLSConfig *tls.Config       // non-nil: offer STARTTLS
	Users     map[string]string // non-nil: offer AUTH PLAIN and require it
	Discard   bool              // count messages, keep no data (benchmarks)
	// ImplicitTLS speaks TLS from the first byte (smtps://, port 465)
	// with ServerTLS's certificate, as a submission server on 465 does.
	ImplicitTLS bool

	mu       sync.Mutex
	srv      *smtp.Server
	ln       net.Listener
	msgs     []Received
	count    int
	sessions int
	mailCmds int
	authOK   int
	mailErr  func(from string) error
	rcptErr  func(to string) error
	dataErr  func(data []byte) error
}

func NewServer(t testing.TB, configure ...func(*Server)) *Server {
	s := &Server{}
	for _, f := range configure {
		f(s)
	}
	s.Start(t)
	t.Cleanup(s.Stop)
	return s
}

// start listens on the server's previous address if it had one, so a
// restart comes back on the same port.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var (
		l   net.Listener
		err error
	)
	for range 50 {
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("test smtp server: listen %s: %v", addr, err)
	}
	if s.ImplicitTLS {
		l = tls.NewListener(l, ServerTLS)
	}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLSConfig = s.TLSConfig
	s.mu.Lock()
	s.addr = l.Addr().String()
	s.srv = srv
	s.ln = l
	s.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// stop closes the listener and every connection: the server is down.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		// Serve registers its listener in a goroutine that may not have
		// run yet, so close it here too.
		_ = ln.Close()
		_ = srv.Close()
	}
}

func (s *Server) Host() string {
	h, _, _ := net.SplitHostPort(s.addr)
	return h
}

func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	var n int
	for _, c := range p {
		n = n*10 + int(c-'0')
	}
	return n
}

func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

func (s *Server) Stats() (count, sessions, mailCmds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count, s.sessions, s.mailCmds
}

func (s *Server) SetMailErr(f func(from string) error) {
	s.mu.Lock()
	s.mailErr = f
	s.mu.Unlock()
}

func (s *Server) SetRcptErr(f func(to string) error) {
	s.mu.Lock()
	s.rcptErr = f
	s.mu.Unlock()
}

func (s *Server) SetDataErr(f func(data []byte) error) {
	s.mu.Lock()
	s.dataErr = f
	s.mu.Unlock()
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.sessions++
	s.mu.Unlock()
	_, isTLS := c.TLSConnectionState()
	return &session{s: s, remote: c.Conn().RemoteAddr().String(), tls: isTLS}, nil
}

type session struct {
	s      *Server
	remote string
	tls    bool
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.Users == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if want, ok := ss.s.Users[user]; !ok || want != pass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		ss.s.mu.Lock()
		ss.s.authOK++
		ss.s.mu.Unlock()
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.s.mu.Lock()
	ss.s.mailCmds++
	hook := ss.s.mailErr
	ss.s.mu.Unlock()
	if ss.s.Users != nil && !ss.authed {
		return smtp.ErrAuthRequired
	}
	if hook != nil {
		if err := hook(from); err != nil {
			return err
		}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	hook := ss.s.rcptErr
	ss.s.mu.Unlock()
	if hook != nil {
		if err := hook(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.dataErr != nil {
		if err := ss.s.dataErr(data); err != nil {
			return err
		}
	}
	ss.s.count++
	if !ss.s.Discard {
		ss.s.msgs = append(ss.s.msgs, Received{From: ss.from, To: ss.to, Data: data, Remote: ss.remote, TLS: ss.tls})
	}
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// A self-signed certificate for 127.0.0.1, made once per test binary;
// ClientTLS trusts it, as an operator would trust a private CA.
var ServerTLS, ClientTLS = func() (*tls.Config, *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sesame test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}},
		&tls.Config{RootCAs: pool}
}()

func WithSTARTTLS(s *Server) { s.TLSConfig = ServerTLS }

// WithImplicitTLS makes the server speak TLS from the first byte, like
// port 465: a client that waits for the SMTP greeting gets nothing.
func WithImplicitTLS(s *Server) { s.ImplicitTLS = true }

// CAPEM is the test certificate authority (the self-signed certificate
// of ServerTLS) in PEM, as a school would receive its relay's private CA.
func CAPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ServerTLS.Certificates[0].Certificate[0]})
}

// Clock is a settable clock shared by the worker and the composer.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func NewClock() *Clock {
	return &Clock{t: time.Date(2025, 11, 26, 14, 5, 0, 0, time.UTC)}
}

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var locs = locales.Must()

func Composer(clock *Clock) *mail.Composer {
	c := &mail.Composer{
		Locales:  locs,
		School:   "Collège Jean Moulin",
		BaseURL:  "https://parents.college-exemple.fr/",
		MailFrom: "sesame@college-exemple.fr",
		ReplyTo:  "secretariat@college-exemple.fr",
		Secretariat: mail.Secretariat{
			Phone: "01 23 45 67 89",
			Email: "secretariat@college-exemple.fr",
			Hours: "du lundi au vendredi, 8 h – 17 h",
		},
		Location: time.FixedZone("CET", 3600),
	}
	if clock != nil {
		c.Now = clock.Now
	}
	return c
}

func CodeMessage(id string, now time.Time, lang string) outbox.Message {
	return outbox.Message{
		ID:          id,
		Kind:        outbox.KindRecoveryCode,
		To:          "marie.dupont@exemple.fr",
		Lang:        lang,
		Name:        "Marie Dupont",
		Identifiers: []string{"mdupont", "dupont.m2"},
		Code:        "12345678",
		Created:     now,
		ExpiresAt:   now.Add(30 * time.Minute),
		Status:      outbox.StatusPending,
	}
}

// Parsed is a Received message taken apart as a mail client would.
type Parsed struct {
	Header  netmail.Header
	Subject string
	Text    string
	HTML    string
	RawHead string
}

func ParseMail(t *testing.T, data []byte) Parsed {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Received data is not a mail message: %v\n%s", err, data)
	}
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	p := Parsed{Header: msg.Header, RawHead: string(head)}
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("subject: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		body, err := io.ReadAll(part) // quoted-printable is decoded by the reader
		if err != nil {
			t.Fatalf("part: %v", err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			p.Text = string(body)
		case "text/html":
			p.HTML = string(body)
		default:
			t.Fatalf("unexpected part %q", ct)
		}
	}
	if p.Text == "" || p.HTML == "" {
		t.Fatalf("want a text and an HTML part, got text=%d html=%d bytes", len(p.Text), len(p.HTML))
	}
	return p
}

// Render writes a composed message as it would go on the wire.
func Render(t testing.TB, c *mail.Composer, m outbox.Message) []byte {
	t.Helper()
	msg, err := c.Compose(m)
	if err != nil {
		t.Fatalf("Compose: %v", err)
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	return buf.Bytes()
}

func HeaderLines(raw string) []string {
	return strings.Split(raw, "\r\n")
}
