// Command smtpsink is an SMTP server for the browser tests: it accepts
// every message on loopback and shows them as JSON over HTTP, so a
// Playwright test reads the security code from a real e-mail that went
// through Sésame's real SMTP path.
//
//	smtpsink --smtp 127.0.0.1:2525 --http 127.0.0.1:8025
//	GET  /messages[?to=ADDRESS]   newest first: to, subject, text
//	POST /reject?to=ADDRESS       refuse that recipient from now on (550 5.1.1),
//	                              as a mailbox that does not exist: the test of
//	                              an e-mail that failed and why
//	GET  /healthz
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one received e-mail as the tests read it.
type Message struct {
	From     string    `json:"from"`
	To       []string  `json:"to"`
	Subject  string    `json:"subject"`
	Text     string    `json:"text"`
	HTML     string    `json:"html"`
	Received time.Time `json:"received"`
}

type sink struct {
	mu     sync.Mutex
	msgs   []Message
	reject map[string]bool
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{sink: s}, nil }

type session struct {
	sink *sink
	from string
	to   []string
}

func (x *session) AuthPlain(string, string) error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.sink.mu.Lock()
	refused := x.sink.reject[strings.ToLower(to)]
	x.sink.mu.Unlock()
	if refused {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: Recipient address rejected: User unknown in virtual mailbox table"}
	}
	x.to = append(x.to, to)
	return nil
}
func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(io.LimitReader(r, 10<<20))
	if err != nil {
		return err
	}
	m := Message{From: x.from, To: x.to, Received: time.Now()}
	parse(raw, &m)
	x.sink.mu.Lock()
	x.sink.msgs = append(x.sink.msgs, m)
	x.sink.mu.Unlock()
	return nil
}
func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

func parse(raw []byte, m *Message) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.Text = string(raw)
		return
	}
	dec := new(mime.WordDecoder)
	m.Subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
	walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, m)
}

func walk(ctype, enc string, body io.Reader, m *Message) {
	mt, params, _ := mime.ParseMediaType(ctype)
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, m)
		}
	}
	r := body
	if strings.EqualFold(enc, "quoted-printable") {
		r = quotedprintable.NewReader(body)
	}
	b, _ := io.ReadAll(r)
	switch mt {
	case "text/plain", "":
		m.Text = string(b)
	case "text/html":
		m.HTML = string(b)
	}
}

func main() {
	smtpAddr := flag.String("smtp", "127.0.0.1:2525", "SMTP listen address (loopback)")
	httpAddr := flag.String("http", "127.0.0.1:8025", "HTTP listen address (loopback)")
	flag.Parse()
	s := &sink{reject: map[string]bool{}}
	srv := smtp.NewServer(s)
	srv.Addr, srv.Domain, srv.AllowInsecureAuth = *smtpAddr, "localhost", true
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	ln, err := net.Listen("tcp", *smtpAddr)
	if err != nil {
		log.Fatal(err)
	}
	go func() { log.Fatal(srv.Serve(ln)) }()

	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	http.HandleFunc("/messages", func(w http.ResponseWriter, r *http.Request) {
		to := strings.ToLower(r.URL.Query().Get("to"))
		s.mu.Lock()
		out := []Message{}
		for i := len(s.msgs) - 1; i >= 0; i-- {
			m := s.msgs[i]
			if to == "" || contains(m.To, to) {
				out = append(out, m)
			}
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	http.HandleFunc("/reject", func(w http.ResponseWriter, r *http.Request) {
		to := strings.ToLower(r.URL.Query().Get("to"))
		if r.Method != http.MethodPost || to == "" {
			http.Error(w, "POST /reject?to=ADDRESS", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.reject[to] = true
		s.mu.Unlock()
		io.WriteString(w, "ok")
	})
	log.Printf("smtpsink: SMTP on %s, HTTP on %s", ln.Addr(), *httpAddr)
	log.Fatal(http.ListenAndServe(*httpAddr, nil))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.ToLower(x) == s {
			return true
		}
	}
	return false
}
