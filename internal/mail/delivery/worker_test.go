package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"sesame/internal/mail/mailtest"
	"sesame/internal/mail/outbox"

	"github.com/emersion/go-smtp"
)

// TestDeliveredOnce sends one recovery-code message in each language
// through the worker to a real SMTP server and reads it as a mail client
// would.
func TestDeliveredOnce(t *testing.T) {
	tests := []struct {
		lang        string
		subject     string
		identifiers string
		validity    string
		help        string
		until       string
	}{
		{"fr", "1234 5678 est votre code Sésame", "Identifiants associés à cette adresse e-mail :",
			"Ce code est valable 30 minutes, jusqu'à 15 h 35.",
			"En cas de difficulté, vous pouvez contacter le secrétariat de l'établissement.", "15 h 35"},
		{"en", "1234 5678 is your Sésame security code", "Usernames linked to this e-mail address:",
			"This code is valid for 30 minutes, until 15:35.",
			"If you have any difficulty, you can contact the school office.", "15:35"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			srv := mailtest.NewServer(t)
			clock := mailtest.NewClock()
			q := newQueue(mailtest.CodeMessage("m1", clock.Now(), tt.lang))
			w := newWorker(q, NewSender(config(srv)), clock)

			sent, err := w.RunOnce(context.Background())
			if err != nil || sent != 1 {
				t.Fatalf("RunOnce = %d, %v; want 1, nil", sent, err)
			}
			// Nothing is sent twice: a second pass finds nothing due.
			if sent, err := w.RunOnce(context.Background()); err != nil || sent != 0 {
				t.Fatalf("second RunOnce = %d, %v; want 0, nil", sent, err)
			}
			got := srv.Received()
			if len(got) != 1 {
				t.Fatalf("server mailtest.Received %d messages, want 1", len(got))
			}
			if strings.Join(got[0].To, ",") != "marie.dupont@exemple.fr" || got[0].From != "sesame@college-exemple.fr" {
				t.Errorf("envelope from %q to %q", got[0].From, got[0].To)
			}
			p := mailtest.ParseMail(t, got[0].Data)
			if p.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", p.Subject, tt.subject)
			}
			if h := p.Header.Get("Auto-Submitted"); h != "auto-generated" {
				t.Errorf("Auto-Submitted = %q", h)
			}
			if id := p.Header.Get("Message-ID"); !regexp.MustCompile(`^<[0-9a-f]{32}@parents\.college-exemple\.fr>$`).MatchString(id) {
				t.Errorf("Message-ID = %q, want <hex@parents.college-exemple.fr>", id)
			}
			if d, err := p.Header.Date(); err != nil || !d.Equal(clock.Now()) {
				t.Errorf("Date = %v (%v), want %v", d, err, clock.Now())
			}
			if h := p.Header.Get("Content-Language"); h != tt.lang {
				t.Errorf("Content-Language = %q", h)
			}
			if to, _ := p.Header.AddressList("To"); len(to) != 1 || to[0].Address != "marie.dupont@exemple.fr" || to[0].Name != "Marie Dupont" {
				t.Errorf("To = %v", to)
			}
			if rt, _ := p.Header.AddressList("Reply-To"); len(rt) != 1 || rt[0].Address != "secretariat@college-exemple.fr" {
				t.Errorf("Reply-To = %v", rt)
			}
			wantFrom := map[string]string{"fr": "Espace Parents – Collège Jean Moulin", "en": "Parents' area – Collège Jean Moulin"}[tt.lang]
			if from, _ := p.Header.AddressList("From"); len(from) != 1 || from[0].Name != wantFrom {
				t.Errorf("From = %v", from)
			}
			for _, part := range []struct{ name, body string }{{"text", p.Text}, {"html", p.HTML}} {
				for _, want := range []string{"1234 5678", "mdupont", "dupont.m2", "Collège Jean Moulin",
					tt.identifiers, tt.until, "01 23 45 67 89", "secretariat@college-exemple.fr"} {
					if !strings.Contains(part.body, want) {
						t.Errorf("%s part lacks %q:\n%s", part.name, want, part.body)
					}
				}
			}
			for _, want := range []string{tt.validity, tt.help} {
				if !strings.Contains(p.Text, want) {
					t.Errorf("text part lacks %q:\n%s", want, p.Text)
				}
			}
			if !strings.Contains(p.HTML, `lang="`+tt.lang+`"`) || !regexp.MustCompile(`data-testid="code"[^>]*font-size:34px[^>]*>1234 5678</p>`).MatchString(p.HTML) {
				t.Errorf("HTML part lacks the lang attribute or the large code:\n%s", p.HTML)
			}
			if strings.Contains(p.Text, "12345678") {
				t.Error("the code appears ungrouped")
			}
		})
	}
}

// TestBatchOverOneConnection checks that a batch shares one connection.
func TestBatchOverOneConnection(t *testing.T) {
	srv := mailtest.NewServer(t)
	clock := mailtest.NewClock()
	q := newQueue()
	for i := range 7 {
		m := mailtest.CodeMessage(fmt.Sprintf("m%d", i), clock.Now().Add(time.Duration(i)*time.Millisecond), "fr")
		m.To = fmt.Sprintf("parent%d@exemple.fr", i)
		q.add(m)
	}
	w := newWorker(q, NewSender(config(srv)), clock)
	if sent, err := w.RunOnce(context.Background()); err != nil || sent != 7 {
		t.Fatalf("RunOnce = %d, %v; want 7", sent, err)
	}
	got := srv.Received()
	count, sessions, _ := srv.Stats()
	if count != 7 || sessions != 1 {
		t.Fatalf("server: %d messages over %d sessions, want 7 over 1", count, sessions)
	}
	for i, r := range got {
		if r.Remote != got[0].Remote {
			t.Errorf("message %d came from %s, message 0 from %s", i, r.Remote, got[0].Remote)
		}
		if want := fmt.Sprintf("parent%d@exemple.fr", i); r.To[0] != want {
			t.Errorf("message %d to %s, want %s (oldest first)", i, r.To[0], want)
		}
	}
}

// TestBatchLimit checks that one pass takes at most Batch messages.
func TestBatchLimit(t *testing.T) {
	srv := mailtest.NewServer(t)
	clock := mailtest.NewClock()
	q := newQueue()
	for i := range 5 {
		q.add(mailtest.CodeMessage(fmt.Sprintf("m%d", i), clock.Now(), "fr"))
	}
	w := newWorker(q, NewSender(config(srv)), clock)
	w.Batch = 2
	for _, want := range []int{2, 2, 1, 0} {
		if sent, err := w.RunOnce(context.Background()); err != nil || sent != want {
			t.Fatalf("RunOnce = %d, %v; want %d", sent, err, want)
		}
	}
	if count, sessions, _ := srv.Stats(); count != 5 || sessions != 3 {
		t.Fatalf("server: %d messages over %d sessions, want 5 over 3", count, sessions)
	}
}

// TestServerDownThenUp: the first attempt finds no server, the retry
// after the backoff delivers exactly once.
func TestServerDownThenUp(t *testing.T) {
	srv := mailtest.NewServer(t)
	cfg := config(srv)
	srv.Stop()

	clock := mailtest.NewClock()
	start := clock.Now()
	q := newQueue(mailtest.CodeMessage("m1", start, "fr"))
	w := newWorker(q, NewSender(cfg), clock)

	if sent, err := w.RunOnce(context.Background()); err != nil || sent != 0 {
		t.Fatalf("RunOnce while down = %d, %v", sent, err)
	}
	m := q.get("m1")
	if m.Status != outbox.StatusPending || m.Attempts != 1 || m.Code == "" {
		t.Fatalf("after a refused connection: status %s, attempts %d, code kept %v", m.Status, m.Attempts, m.Code != "")
	}
	if !strings.Contains(m.LastError, "connection refused") {
		t.Errorf("LastError = %q, want the connection error", m.LastError)
	}
	if want := start.Add(10 * time.Second); !m.NextAttempt.Equal(want) {
		t.Errorf("NextAttempt = %v, want %v (10 s with centred jitter)", m.NextAttempt, want)
	}

	srv.Start(t) // same port
	// Before the backoff has passed, nothing is tried.
	clock.Advance(5 * time.Second)
	if sent, _ := w.RunOnce(context.Background()); sent != 0 {
		t.Fatalf("sent %d before the backoff elapsed", sent)
	}
	if count, sessions, _ := srv.Stats(); count != 0 || sessions != 0 {
		t.Fatalf("server contacted before NextAttempt: %d messages, %d sessions", count, sessions)
	}
	clock.Advance(6 * time.Second)
	if sent, err := w.RunOnce(context.Background()); err != nil || sent != 1 {
		t.Fatalf("RunOnce after restart = %d, %v; want 1", sent, err)
	}
	if sent, _ := w.RunOnce(context.Background()); sent != 0 {
		t.Fatalf("sent again: %d", sent)
	}
	m = q.get("m1")
	if count, _, _ := srv.Stats(); count != 1 || m.Status != outbox.StatusSent || m.Attempts != 2 || m.LastError != "" {
		t.Fatalf("server has %d messages; message status %s attempts %d last error %q", count, m.Status, m.Attempts, m.LastError)
	}
}

// TestPermanentFailure: a 5xx answer fails the message with the
// server's words, drops the code and does not retry.
func TestPermanentFailure(t *testing.T) {
	srv := mailtest.NewServer(t)
	srv.SetRcptErr(func(to string) error {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: mailbox unavailable"}
	})
	clock := mailtest.NewClock()
	q := newQueue(mailtest.CodeMessage("m1", clock.Now(), "fr"))
	w := newWorker(q, NewSender(config(srv)), clock)
	if sent, err := w.RunOnce(context.Background()); err != nil || sent != 0 {
		t.Fatalf("RunOnce = %d, %v", sent, err)
	}
	m := q.get("m1")
	if m.Status != outbox.StatusFailed || m.Code != "" {
		t.Fatalf("status %s, code %q; want failed without code", m.Status, m.Code)
	}
	if !strings.Contains(m.LastError, "550 5.1.1") || !strings.Contains(m.LastError, "mailbox unavailable") {
		t.Errorf("LastError = %q, want the server's answer", m.LastError)
	}
	if strings.Contains(m.LastError, "marie.dupont@exemple.fr") || !strings.Contains(m.LastError, "m•••@exemple.fr") {
		t.Errorf("LastError = %q, want the echoed address masked", m.LastError)
	}
	clock.Advance(time.Hour)
	_, _ = w.RunOnce(context.Background())
	if count, _, mails := srv.Stats(); count != 0 || mails != 1 {
		t.Fatalf("server: %d delivered, %d MAIL commands; want 0 and 1 (no retry)", count, mails)
	}
}

// TestTemporaryFailure: a 4xx answer keeps the message pending with a
// backoff and the server's answer.
func TestTemporaryFailure(t *testing.T) {
	srv := mailtest.NewServer(t)
	srv.SetDataErr(func([]byte) error {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted, try again later"}
	})
	clock := mailtest.NewClock()
	q := newQueue(mailtest.CodeMessage("m1", clock.Now(), "fr"))
	w := newWorker(q, NewSender(config(srv)), clock)
	w.Jitter = func() float64 { return 0.999 }
	_, _ = w.RunOnce(context.Background())
	m := q.get("m1")
	if m.Status != outbox.StatusPending || m.Attempts != 1 || m.Code == "" || !strings.Contains(m.LastError, "451 4.7.1 Greylisted") {
		t.Fatalf("status %s attempts %d code kept %v last error %q", m.Status, m.Attempts, m.Code != "", m.LastError)
	}
	if d := m.NextAttempt.Sub(clock.Now()); d < 11900*time.Millisecond || d > 12*time.Second {
		t.Errorf("backoff %v, want ~12 s (10 s + 20 %%)", d)
	}
	srv.SetDataErr(nil)
	clock.Advance(12 * time.Second)
	if sent, _ := w.RunOnce(context.Background()); sent != 1 {
		t.Fatalf("retry sent %d", sent)
	}
}

// TestExpiredNotSent: a code that expired while waiting is dropped
// without contacting the server.
func TestExpiredNotSent(t *testing.T) {
	srv := mailtest.NewServer(t)
	clock := mailtest.NewClock()
	m := mailtest.CodeMessage("m1", clock.Now(), "fr")
	m.LastError = "dial tcp: connection refused"
	q := newQueue(m)
	clock.Advance(31 * time.Minute)
	w := newWorker(q, NewSender(config(srv)), clock)
	if sent, err := w.RunOnce(context.Background()); err != nil || sent != 0 {
		t.Fatalf("RunOnce = %d, %v", sent, err)
	}
	got := q.get("m1")
	if got.Status != outbox.StatusFailed || got.Code != "" || !strings.HasPrefix(got.LastError, "expired before delivery") ||
		!strings.Contains(got.LastError, "connection refused") {
		t.Fatalf("status %s code %q last error %q", got.Status, got.Code, got.LastError)
	}
	if _, sessions, _ := srv.Stats(); sessions != 0 {
		t.Fatalf("server contacted %d times for an expired message", sessions)
	}
}

// TestCodeClearedAfterSent: the code leaves in the mail, then no longer
// exists in the outbox, and the sent message is the first thing saved.
func TestCodeClearedAfterSent(t *testing.T) {
	srv := mailtest.NewServer(t)
	srv.SetRcptErr(func(to string) error {
		if strings.HasPrefix(to, "refused") {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	})
	clock := mailtest.NewClock()
	bad := mailtest.CodeMessage("a-refused", clock.Now(), "fr")
	bad.To = "refused@exemple.fr"
	good := mailtest.CodeMessage("b-good", clock.Now().Add(time.Second), "fr")
	q := newQueue(bad, good)
	w := newWorker(q, NewSender(config(srv)), clock)
	if sent, err := w.RunOnce(context.Background()); err != nil || sent != 1 {
		t.Fatalf("RunOnce = %d, %v", sent, err)
	}
	got := srv.Received()
	if len(got) != 1 || !bytes.Contains(got[0].Data, []byte("1234 5678")) {
		t.Fatalf("the code did not reach the server")
	}
	m := q.get("b-good")
	if m.Status != outbox.StatusSent || m.Code != "" || !m.SentAt.Equal(clock.Now()) {
		t.Fatalf("status %s, code %q, sent at %v", m.Status, m.Code, m.SentAt)
	}
	saves := q.savesCopy()
	if len(saves) != 2 || saves[0].ID != "b-good" || saves[0].Status != outbox.StatusSent {
		t.Fatalf("saves = %+v; want the sent message saved first", saves)
	}
	for _, s := range saves {
		if s.Code != "" {
			t.Errorf("message %s saved with its code after the attempt", s.ID)
		}
	}
}

// TestSTARTTLSRequired: with TLS mandatory and a server that does not
// offer STARTTLS, nothing is sent in clear and the error says why; the
// same server with STARTTLS gets the message encrypted.
func TestSTARTTLSRequired(t *testing.T) {
	t.Run("not offered", func(t *testing.T) {
		srv := mailtest.NewServer(t)
		cfg := config(srv)
		cfg.TLS = TLSMandatory
		cfg.Username, cfg.Password = "sesame", "s3cret-pass"
		clock := mailtest.NewClock()
		q := newQueue(mailtest.CodeMessage("m1", clock.Now(), "fr"))
		w := newWorker(q, NewSender(cfg), clock)
		_, _ = w.RunOnce(context.Background())
		if count, _, mails := srv.Stats(); count != 0 || mails != 0 {
			t.Fatalf("server got %d messages and %d MAIL commands in clear", count, mails)
		}
		m := q.get("m1")
		if m.Status != outbox.StatusPending || !strings.Contains(m.LastError, "does not support STARTTLS") {
			t.Fatalf("status %s, last error %q", m.Status, m.LastError)
		}
	})
	t.Run("offered", func(t *testing.T) {
		srv := mailtest.NewServer(t, mailtest.WithSTARTTLS, func(s *mailtest.Server) { s.Users = map[string]string{"sesame": "s3cret-pass"} })
		cfg := config(srv)
		cfg.Username, cfg.Password = "sesame", "s3cret-pass"
		clock := mailtest.NewClock()
		q := newQueue(mailtest.CodeMessage("m1", clock.Now(), "fr"))
		w := newWorker(q, NewSender(cfg), clock)
		if sent, err := w.RunOnce(context.Background()); sent != 1 || err != nil {
			t.Fatalf("RunOnce = %d, %v; last error %q", sent, err, q.get("m1").LastError)
		}
		got := srv.Received()
		if len(got) != 1 || !got[0].TLS {
			t.Fatalf("received %d messages, TLS %v", len(got), len(got) == 1 && got[0].TLS)
		}
	})
}

// TestHeaderInjection: line breaks in a parent's name or the school's
// name never start a header; one in the address stops the message.
func TestHeaderInjection(t *testing.T) {
	srv := mailtest.NewServer(t)
	clock := mailtest.NewClock()
	named := mailtest.CodeMessage("named", clock.Now(), "fr")
	named.Name = "Marie\r\nBcc: evil@attacker.example\r\nX-Injected: yes"
	named.Code = "1234\r\nX-Injected: code5678"
	badTo := mailtest.CodeMessage("badto", clock.Now().Add(time.Second), "fr")
	badTo.To = "marie.dupont@exemple.fr\r\nBcc: evil@attacker.example"
	twoTo := mailtest.CodeMessage("twoto", clock.Now().Add(2*time.Second), "fr")
	twoTo.To = "marie.dupont@exemple.fr, evil@attacker.example"
	q := newQueue(named, badTo, twoTo)
	w := newWorker(q, NewSender(config(srv)), clock)
	w.Composer.School = "Collège\nX-Injected: school"
	if sent, err := w.RunOnce(context.Background()); err != nil || sent != 1 {
		t.Fatalf("RunOnce = %d, %v", sent, err)
	}
	got := srv.Received()
	if len(got) != 1 {
		t.Fatalf("server mailtest.Received %d messages, want 1", len(got))
	}
	if strings.Join(got[0].To, ",") != "marie.dupont@exemple.fr" {
		t.Errorf("RCPT TO = %v", got[0].To)
	}
	p := mailtest.ParseMail(t, got[0].Data)
	for _, line := range mailtest.HeaderLines(p.RawHead) {
		l := strings.ToLower(line)
		if strings.HasPrefix(l, "bcc:") || strings.HasPrefix(l, "x-injected:") {
			t.Errorf("injected header line in the DATA: %q", line)
		}
	}
	if strings.ContainsAny(p.Subject, "\r\n") || !strings.HasSuffix(p.Subject, " est votre code Sésame") {
		t.Errorf("Subject = %q; want the code on one line", p.Subject)
	}
	if len(p.Header["X-Injected"]) != 0 || len(p.Header["Bcc"]) != 0 {
		t.Errorf("parsed headers contain injected ones: %v", p.Header)
	}
	if to, err := p.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "marie.dupont@exemple.fr" ||
		to[0].Name != "Marie Bcc: evil@attacker.example X-Injected: yes" {
		t.Errorf("To = %v (%v); want one address with the name on one line", to, err)
	}
	for _, id := range []string{"badto", "twoto"} {
		m := q.get(id)
		if m.Status != outbox.StatusFailed || m.Code != "" || !strings.Contains(m.LastError, "recipient") {
			t.Errorf("%s: status %s, code %q, last error %q; want failed", id, m.Status, m.Code, m.LastError)
		}
	}
}

// TestNoTransport: without SMTP, messages wait, expired ones are closed,
// and the warning is logged once.
func TestNoTransport(t *testing.T) {
	clock := mailtest.NewClock()
	old := mailtest.CodeMessage("old", clock.Now().Add(-time.Hour), "fr")
	fresh := mailtest.CodeMessage("fresh", clock.Now(), "fr")
	q := newQueue(old, fresh)
	var logs bytes.Buffer
	w := newWorker(q, nil, clock)
	w.Log = slog.New(slog.NewTextHandler(&logs, nil))
	for range 3 {
		if sent, err := w.RunOnce(context.Background()); err != nil || sent != 0 {
			t.Fatalf("RunOnce = %d, %v", sent, err)
		}
	}
	if n := strings.Count(logs.String(), "no SMTP server configured"); n != 1 {
		t.Errorf("warning logged %d times, want once:\n%s", n, logs.String())
	}
	if m := q.get("fresh"); m.Status != outbox.StatusPending || m.Code == "" || m.Attempts != 0 {
		t.Errorf("fresh message: status %s attempts %d code kept %v", m.Status, m.Attempts, m.Code != "")
	}
	if m := q.get("old"); m.Status != outbox.StatusFailed || m.Code != "" {
		t.Errorf("expired message: status %s, code %q", m.Status, m.Code)
	}
}

// TestLogsHideSecrets: delivery logs name the message, not the code or
// the address.
func TestLogsHideSecrets(t *testing.T) {
	srv := mailtest.NewServer(t)
	clock := mailtest.NewClock()
	q := newQueue(mailtest.CodeMessage("ok", clock.Now(), "fr"))
	refused := mailtest.CodeMessage("refused", clock.Now(), "fr")
	refused.To = "refused.parent@exemple.fr"
	q.add(refused)
	srv.SetRcptErr(func(to string) error {
		if strings.HasPrefix(to, "refused") {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: to + " unknown; subject 1234 5678"}
		}
		return nil
	})
	var logs bytes.Buffer
	w := newWorker(q, NewSender(config(srv)), clock)
	w.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	_, _ = w.RunOnce(context.Background())
	out := logs.String()
	for _, secret := range []string{"12345678", "1234 5678", "marie.dupont@exemple.fr", "refused.parent@exemple.fr"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{`"id":"ok"`, `"id":"refused"`, "m•••@exemple.fr", "r•••@exemple.fr", `"kind":"recovery_code"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

// TestRunWakesOnNotify: with a long poll, a queued message still leaves
// within milliseconds of Notify.
func TestRunWakesOnNotify(t *testing.T) {
	srv := mailtest.NewServer(t)
	q := newQueue()
	w := &Worker{Queue: q, Composer: mailtest.Composer(nil), Transport: NewSender(config(srv)), Poll: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	time.Sleep(50 * time.Millisecond) // let Run finish its first, empty pass

	start := time.Now()
	q.add(mailtest.CodeMessage("m1", start, "fr"))
	w.Notify()
	w.Notify() // never blocks
	deadline := time.Now().Add(5 * time.Second)
	for q.get("m1").Status != outbox.StatusSent {
		if time.Now().After(deadline) {
			t.Fatal("message not sent 5 s after Notify")
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("queued → accepted by the server in %v", time.Since(start))
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestBackoff(t *testing.T) {
	w := &Worker{}
	tests := []struct {
		attempts int
		jitter   float64
		want     time.Duration
	}{
		{1, 0.5, 10 * time.Second},
		{2, 0.5, 20 * time.Second},
		{3, 0.5, 40 * time.Second},
		{1, 0, 8 * time.Second},
		{1, 1, 12 * time.Second},
		{7, 0.5, 640 * time.Second},
		{8, 0.5, 15 * time.Minute},
		{30, 0.5, 15 * time.Minute},
		{30, 1, 18 * time.Minute},
	}
	for _, tt := range tests {
		w.Jitter = func() float64 { return tt.jitter }
		if got := w.backoff(tt.attempts); got != tt.want {
			t.Errorf("backoff(%d, jitter %v) = %v, want %v", tt.attempts, tt.jitter, got, tt.want)
		}
	}
	w.RetryBase = 200 * time.Millisecond
	w.Jitter = func() float64 { return 0.5 }
	if got := w.backoff(2); got != 400*time.Millisecond {
		t.Errorf("backoff(2) with RetryBase 200ms = %v, want 400ms", got)
	}
	w.RetryBase = 0
	w.Jitter = nil
	for range 100 {
		if d := w.backoff(1); d < 8*time.Second || d > 12*time.Second {
			t.Fatalf("random jitter out of ±20 %%: %v", d)
		}
	}
}

func TestQueueErrorReported(t *testing.T) {
	clock := mailtest.NewClock()
	q := newQueue()
	q.dueErr = fmt.Errorf("disk on fire")
	w := newWorker(q, nil, clock)
	if _, err := w.RunOnce(context.Background()); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("RunOnce error = %v", err)
	}
}

func TestNewPending(t *testing.T) {
	now := mailtest.NewClock().Now()
	codeExpiry := now.Add(10 * time.Minute)
	tests := []struct {
		in          outbox.Message
		wantExpires time.Time
	}{
		{outbox.Message{Kind: outbox.KindPasswordChanged, Status: outbox.StatusSent, Attempts: 3, LastError: "x"}, now.Add(24 * time.Hour)},
		{outbox.Message{Kind: outbox.KindRecoveryCode, ExpiresAt: codeExpiry}, codeExpiry},
		{outbox.Message{Kind: outbox.KindRecoveryCode}, now.Add(30 * time.Minute)},
	}
	for _, tt := range tests {
		got := outbox.NewPending(tt.in, now)
		if got.Status != outbox.StatusPending || !got.Created.Equal(now) || !got.NextAttempt.Equal(now) ||
			got.Attempts != 0 || got.LastError != "" || !got.ExpiresAt.Equal(tt.wantExpires) {
			t.Errorf("NewPending(%+v) = %+v; want pending, due now, expiring %v", tt.in, got, tt.wantExpires)
		}
	}
}

// Issue 12: a security-code e-mail given up because its code expired
// makes the worker not ready (parents cannot recover) until a message
// leaves again; the counts say what happened.
func TestReadyAfterCodesExpire(t *testing.T) {
	srv := mailtest.NewServer(t)
	clock := mailtest.NewClock()
	q := newQueue(mailtest.CodeMessage("m1", clock.Now(), "fr"))
	clock.Advance(31 * time.Minute)
	w := newWorker(q, NewSender(config(srv)), clock)
	if err := w.Ready(); err != nil {
		t.Fatalf("ready before anything: %v", err)
	}
	if _, err := w.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.Ready(); !errors.Is(err, ErrCodesExpired) {
		t.Fatalf("Ready after a code expired undelivered = %v", err)
	}
	if s := w.Stats(); s != (Stats{Failed: 1, CodesExpired: 1}) {
		t.Fatalf("stats = %+v", s)
	}
	q.add(mailtest.CodeMessage("m2", clock.Now(), "fr"))
	if sent, err := w.RunOnce(context.Background()); err != nil || sent != 1 {
		t.Fatalf("RunOnce = %d, %v", sent, err)
	}
	if err := w.Ready(); err != nil {
		t.Fatalf("Ready once a message left again = %v", err)
	}
	if s := w.Stats(); s != (Stats{Sent: 1, Failed: 1, CodesExpired: 1}) {
		t.Fatalf("stats = %+v", s)
	}
}
