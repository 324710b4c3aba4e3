package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"sesame/internal/mail/mailtest"
	"sesame/internal/mail/outbox"

	"github.com/emersion/go-smtp"
	gomail "github.com/wneessen/go-mail"
)

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		raw, tls string
		want     SMTPConfig
	}{
		{"smtp://user:pass@mail.example.org:587", "",
			SMTPConfig{Host: "mail.example.org", Port: 587, Username: "user", Password: "pass", TLS: TLSMandatory}},
		{"smtp://mail.example.org", "",
			SMTPConfig{Host: "mail.example.org", Port: 587, TLS: TLSMandatory}},
		{"SMTPS://user%40school.fr:p%40ss%3Aw%2Fd@mail.example.org", "mandatory",
			SMTPConfig{Host: "mail.example.org", Port: 465, Username: "user@school.fr", Password: "p@ss:w/d", ImplicitTLS: true, TLS: TLSMandatory}},
		{"smtps://mail.example.org:2465/", "",
			SMTPConfig{Host: "mail.example.org", Port: 2465, ImplicitTLS: true, TLS: TLSMandatory}},
		{"smtp://127.0.0.1:2525", "none",
			SMTPConfig{Host: "127.0.0.1", Port: 2525, TLS: TLSNone}},
		{"smtp://relay.lan:25", " Opportunistic ",
			SMTPConfig{Host: "relay.lan", Port: 25, TLS: TLSOpportunistic}},
		{"smtp://user@[::1]:25", "none",
			SMTPConfig{Host: "::1", Port: 25, Username: "user", TLS: TLSNone}},
	}
	for _, tt := range tests {
		got, err := ParseSMTPURL(tt.raw, tt.tls)
		if err != nil || got != tt.want {
			t.Errorf("ParseSMTPURL(%q, %q) = %+v, %v; want %+v", tt.raw, tt.tls, got, err, tt.want)
		}
	}
}

func TestParseSMTPURLErrors(t *testing.T) {
	tests := []struct {
		raw, tls string
		want     string
	}{
		{"", "", "empty"},
		{"mail.example.org:587", "", "scheme"},
		{"http://mail.example.org", "", `scheme "http" is not supported`},
		{"smtp://", "", "no host"},
		{"smtp://user:pass@:587", "", "no host"},
		{"smtp://mail.example.org:99999", "", "port"},
		{"smtp://mail.example.org:0", "", "port"},
		{"smtp://mail.example.org/inbox", "", "path"},
		{"smtp://mail.example.org?tls=none", "", "--smtp-tls"},
		{"smtp://mail.example.org", "starttls", "not a TLS mode"},
		{"smtps://mail.example.org", "none", "contradicts"},
		{"smtps://mail.example.org", "opportunistic", "contradicts"},
		{"smtp://:s3cret@mail.example.org", "", "without a user name"},
		{"smtp://user:s3cret word@mail example.org", "", "percent-encode"},
		{"smtp:mail.example.org", "", "missing //"},
	}
	for _, tt := range tests {
		_, err := ParseSMTPURL(tt.raw, tt.tls)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSMTPURL(%q, %q) error = %v, want one mentioning %q", tt.raw, tt.tls, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseSMTPURL(%q) error repeats the password: %v", tt.raw, err)
		}
	}
}

func TestSMTPConfigPassword(t *testing.T) {
	cfg, err := ParseSMTPURL("smtp://sesame@mail.example.org", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.WithPassword("from-a-file\n")
	if cfg.Password != "from-a-file" {
		t.Errorf("Password = %q", cfg.Password)
	}
	if s := cfg.String(); strings.Contains(s, "from-a-file") || s != "smtp://sesame@mail.example.org:587 (tls mandatory)" {
		t.Errorf("String() = %q", s)
	}
}

// TestSendResults checks the classification of per-message outcomes in
// one batch: accepted, refused for good, refused for now.
func TestSendResults(t *testing.T) {
	srv := mailtest.NewServer(t)
	srv.SetRcptErr(func(to string) error {
		switch {
		case strings.HasPrefix(to, "gone"):
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}
		case strings.HasPrefix(to, "busy"):
			return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full"}
		}
		return nil
	})
	c := mailtest.Composer(nil)
	var msgs []*gomail.Msg
	for _, to := range []string{"ok@exemple.fr", "gone@exemple.fr", "busy@exemple.fr", "ok2@exemple.fr"} {
		msg, err := c.Compose(outbox.Message{Kind: outbox.KindTest, To: to})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, msg)
	}
	res := NewSender(config(srv)).Send(context.Background(), msgs)
	if res[0] != nil || res[3] != nil {
		t.Fatalf("accepted messages reported %v, %v", res[0], res[3])
	}
	var gone, busy *DeliveryError
	if !errors.As(res[1], &gone) || gone.Temporary || gone.Code != 550 || gone.Stage != StageRcpt ||
		gone.Answer != "sending SMTP RCPT TO command: 550 5.1.1 User unknown" {
		t.Errorf("550: %#v", gone)
	}
	if !errors.As(res[2], &busy) || !busy.Temporary || busy.Code != 452 || busy.Stage != StageRcpt ||
		!strings.Contains(busy.Answer, "452 4.2.2 Mailbox full") {
		t.Errorf("452: %#v", busy)
	}
	if count, sessions, _ := srv.Stats(); count != 2 || sessions != 1 {
		t.Errorf("server: %d messages over %d sessions, want 2 over 1", count, sessions)
	}
}

func TestProbe(t *testing.T) {
	c := mailtest.Composer(nil)
	msg := func(t *testing.T, to string) *gomail.Msg {
		m, err := c.Compose(outbox.Message{Kind: outbox.KindTest, To: to, Lang: "en"})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	users := func(s *mailtest.Server) { s.Users = map[string]string{"sesame": "right"} }
	tests := []struct {
		name     string
		server   []func(*mailtest.Server)
		setup    func(*mailtest.Server, *SMTPConfig)
		to       string
		verdict  Verdict
		sentence string
		code     int
		count    int
	}{
		{name: "accepted", to: "it@exemple.fr", verdict: VerdictAccepted, sentence: "Accepted", code: 250, count: 1},
		{name: "accepted over STARTTLS with auth", server: []func(*mailtest.Server){mailtest.WithSTARTTLS, users},
			setup:   func(_ *mailtest.Server, cfg *SMTPConfig) { cfg.Username, cfg.Password = "sesame", "right" },
			to:      "it@exemple.fr",
			verdict: VerdictAccepted, sentence: "Accepted", code: 250, count: 1},
		{name: "cannot connect", setup: func(s *mailtest.Server, _ *SMTPConfig) { s.Stop() },
			to: "it@exemple.fr", verdict: VerdictCannotConnect, sentence: "Cannot connect to 127.0.0.1:"},
		{name: "relay denied", setup: func(s *mailtest.Server, _ *SMTPConfig) {
			s.SetRcptErr(func(string) error {
				return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relay access denied"}
			})
		}, to: "someone@elsewhere.example", verdict: VerdictRelayDenied, sentence: "Relay denied", code: 554},
		{name: "greylisted", setup: func(s *mailtest.Server, _ *SMTPConfig) {
			s.SetRcptErr(func(string) error {
				return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted"}
			})
		}, to: "it@exemple.fr", verdict: VerdictDeferred, sentence: "try again later", code: 450},
		{name: "auth refused", server: []func(*mailtest.Server){mailtest.WithSTARTTLS, users},
			setup:   func(_ *mailtest.Server, cfg *SMTPConfig) { cfg.Username, cfg.Password = "sesame", "wrong" },
			to:      "it@exemple.fr",
			verdict: VerdictAuthRefused, sentence: "Authentication refused", code: 535},
		{name: "STARTTLS not offered", setup: func(_ *mailtest.Server, cfg *SMTPConfig) { cfg.TLS = TLSMandatory },
			to: "it@exemple.fr", verdict: VerdictTLSFailure, sentence: "STARTTLS is required (--smtp-tls mandatory) but the server does not offer it"},
		{name: "certificate not trusted", server: []func(*mailtest.Server){mailtest.WithSTARTTLS},
			setup: func(_ *mailtest.Server, cfg *SMTPConfig) { cfg.TLSConfig = nil },
			to:    "it@exemple.fr", verdict: VerdictTLSFailure, sentence: "certificate is not trusted"},
		{name: "implicit TLS on a plain port", setup: func(_ *mailtest.Server, cfg *SMTPConfig) { cfg.ImplicitTLS = true },
			to: "it@exemple.fr", verdict: VerdictTLSFailure, sentence: "implicit-TLS port"},
		{name: "sender refused", setup: func(s *mailtest.Server, _ *SMTPConfig) {
			s.SetMailErr(func(string) error {
				return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Sender address rejected: not owned by user"}
			})
		}, to: "it@exemple.fr", verdict: VerdictSenderRefused, sentence: "--mail-from", code: 553},
		{name: "authentication required at MAIL FROM", setup: func(s *mailtest.Server, _ *SMTPConfig) {
			s.SetMailErr(func(string) error {
				return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
			})
		}, to: "it@exemple.fr", verdict: VerdictAuthRequired, sentence: "needs a user name and password: put the user in --smtp-url", code: 530},
		{name: "authentication required, no user configured", server: []func(*mailtest.Server){mailtest.WithSTARTTLS, users},
			to: "it@exemple.fr", verdict: VerdictAuthRequired, sentence: "SESAME_SMTP_PASSWORD or --smtp-password-file", code: 502},
		{name: "no AUTH offered", setup: func(_ *mailtest.Server, cfg *SMTPConfig) { cfg.Username, cfg.Password = "sesame", "right" },
			to: "it@exemple.fr", verdict: VerdictAuthNotOffered, sentence: "offers no authentication (no AUTH in its EHLO): remove the user from --smtp-url"},
		{name: "no AUTH offered over STARTTLS", server: []func(*mailtest.Server){mailtest.WithSTARTTLS},
			setup: func(_ *mailtest.Server, cfg *SMTPConfig) { cfg.Username, cfg.Password = "sesame", "right" },
			to:    "it@exemple.fr", verdict: VerdictAuthNotOffered, sentence: "not the submission port (587)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.NewServer(t, tt.server...)
			cfg := config(srv)
			if tt.setup != nil {
				tt.setup(srv, &cfg)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r := Probe(ctx, cfg, msg(t, tt.to))
			if r.Verdict != tt.verdict || !strings.Contains(r.Sentence, tt.sentence) || r.Code != tt.code {
				t.Errorf("Probe = %+v; want verdict %s, code %d, a sentence with %q", r, tt.verdict, tt.code, tt.sentence)
			}
			if r.Answer == "" || !strings.Contains(r.Sentence, r.Answer) {
				t.Errorf("the sentence %q does not quote the answer %q", r.Sentence, r.Answer)
			}
			if strings.Contains(r.Sentence, "wrong") || strings.Contains(r.Sentence, "right") {
				t.Errorf("the sentence repeats the password: %q", r.Sentence)
			}
			if count, _, _ := srv.Stats(); count != tt.count {
				t.Errorf("server mailtest.Received %d messages, want %d", count, tt.count)
			}
			t.Logf("%s: %s", r.Verdict, r.Sentence)
		})
	}
}

// smtp:// against a port that speaks TLS at once (465) is told to use
// smtps:// within seconds, not after the 15 s timeout, whether or not
// the server's certificate is trusted.
func TestProbeImplicitTLSPort(t *testing.T) {
	c := mailtest.Composer(nil)
	for _, trusted := range []bool{true, false} {
		srv := mailtest.NewServer(t, mailtest.WithImplicitTLS)
		cfg := SMTPConfig{Host: srv.Host(), Port: srv.Port(), TLS: TLSMandatory}
		if trusted {
			cfg.TLSConfig = mailtest.ClientTLS
		}
		m, err := c.Compose(outbox.Message{Kind: outbox.KindTest, To: "it@exemple.fr", Lang: "en"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		r := Probe(ctx, cfg, m)
		cancel()
		want := fmt.Sprintf("use smtps://%s:%d", srv.Host(), srv.Port())
		if r.Verdict != VerdictImplicitTLSPort || !strings.Contains(r.Sentence, want) || !strings.Contains(r.Sentence, r.Answer) {
			t.Errorf("trusted %v: Probe = %+v; want verdict %s and a sentence with %q", trusted, r, VerdictImplicitTLSPort, want)
		}
		if r.Duration > 5*time.Second {
			t.Errorf("trusted %v: the verdict took %s, want at most 5s", trusted, r.Duration)
		}
		if count, _, _ := srv.Stats(); count != 0 {
			t.Errorf("the server received %d messages", count)
		}
		t.Logf("%s (%s): %s", r.Verdict, r.Duration.Round(time.Millisecond), r.Sentence)
	}
	// The advice is right: the same server takes the message over smtps://.
	srv := mailtest.NewServer(t, mailtest.WithImplicitTLS)
	cfg := SMTPConfig{Host: srv.Host(), Port: srv.Port(), ImplicitTLS: true, TLS: TLSMandatory, TLSConfig: mailtest.ClientTLS}
	m, err := c.Compose(outbox.Message{Kind: outbox.KindTest, To: "it@exemple.fr", Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if r := Probe(context.Background(), cfg, m); r.Verdict != VerdictAccepted {
		t.Errorf("smtps:// on the implicit-TLS server: %+v", r)
	}
}

// A port that answers a plain connection with TLS bytes (an alert) is
// recognised at once.
func TestProbeTLSBytes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			// A TLS alert record: fatal, protocol_version.
			conn.Write([]byte{0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46})
			conn.Close()
		}
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	m, err := mailtest.Composer(nil).Compose(outbox.Message{Kind: outbox.KindTest, To: "it@exemple.fr", Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	r := Probe(context.Background(), SMTPConfig{Host: host, Port: p, TLS: TLSNone}, m)
	if r.Verdict != VerdictImplicitTLSPort || !strings.Contains(r.Sentence, "use smtps://") || r.Duration > time.Second {
		t.Errorf("Probe = %+v", r)
	}
}
