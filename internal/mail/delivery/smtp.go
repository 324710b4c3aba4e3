// Package delivery gets composed e-mails to a mail server: the SMTP
// client and its error classification, the `mail test` probe, the demo
// mailbox, and the worker that drains the durable outbox off the request
// path.
package delivery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLSMode says how the connection to the SMTP server is protected.
type TLSMode string

// The TLS modes of --smtp-tls.
const (
	// TLSMandatory refuses to send anything unless the connection is
	// encrypted: STARTTLS on smtp://, implicit TLS on smtps://.
	TLSMandatory TLSMode = "mandatory"
	// TLSOpportunistic uses STARTTLS when the server offers it and sends
	// in clear otherwise.
	TLSOpportunistic TLSMode = "opportunistic"
	// TLSNone never encrypts: only for a trusted relay on the same
	// machine or network, or a local test server.
	TLSNone TLSMode = "none"
)

// Default ports for the two schemes.
const (
	DefaultSubmissionPort = 587
	DefaultSMTPSPort      = 465
)

// DefaultTimeout bounds connecting and each SMTP command, so a server
// that stops answering delays the outbox instead of blocking it.
const DefaultTimeout = 15 * time.Second

// SMTPConfig is where and how to deliver mail. It is parsed once from
// --smtp-url and --smtp-tls by ParseSMTPURL.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	// ImplicitTLS is true for smtps:// (TLS from the first byte).
	ImplicitTLS bool
	// TLS is the STARTTLS policy for smtp://.
	TLS TLSMode
	// TLSConfig, when set, replaces the system defaults, for a school
	// relay with a private CA (--smtp-ca: its RootCAs are the system's
	// plus the relay's) or a test server with a self-signed certificate.
	// ServerName defaults to Host.
	TLSConfig *tls.Config
	// Timeout bounds the connection and each command; zero means
	// DefaultTimeout.
	Timeout time.Duration
}

// ParseSMTPURL reads smtp://user:pass@host:587 (STARTTLS) or
// smtps://user:pass@host:465 (implicit TLS). tlsMode is "mandatory"
// (the default when empty), "opportunistic" or "none". Special
// characters in the user name or password must be percent-encoded; a
// password may also come separately through WithPassword. Errors say
// what is wrong and never repeat the password.
func ParseSMTPURL(raw, tlsMode string) (SMTPConfig, error) {
	var cfg SMTPConfig
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return cfg, errors.New("smtp url: empty; expected smtp://user:password@host:587 or smtps://user:password@host:465")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			// url.Error repeats the whole URL, password included.
			err = uerr.Err
		}
		return cfg, fmt.Errorf("smtp url: cannot parse it (%v); percent-encode special characters in the user name and password, e.g. @ as %%40", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		cfg.Port = DefaultSubmissionPort
	case "smtps":
		cfg.ImplicitTLS = true
		cfg.Port = DefaultSMTPSPort
	case "":
		return cfg, errors.New("smtp url: no scheme; start it with smtp:// (STARTTLS, port 587) or smtps:// (implicit TLS, port 465)")
	default:
		return cfg, fmt.Errorf("smtp url: scheme %q is not supported; use smtp:// (STARTTLS, port 587) or smtps:// (implicit TLS, port 465)", u.Scheme)
	}
	if u.Opaque != "" {
		return cfg, errors.New("smtp url: missing // after the scheme, e.g. smtp://host:587")
	}
	cfg.Host = u.Hostname()
	if cfg.Host == "" {
		return cfg, errors.New("smtp url: no host name, e.g. smtp://mail.example.org:587")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return cfg, fmt.Errorf("smtp url: port %q is not a number between 1 and 65535", p)
		}
		cfg.Port = n
	}
	if u.Path != "" && u.Path != "/" {
		return cfg, fmt.Errorf("smtp url: unexpected path %q; the URL is only scheme://user:password@host:port", u.Path)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return cfg, errors.New("smtp url: unexpected ?query or #fragment; set the TLS mode with --smtp-tls")
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
		if cfg.Username == "" && cfg.Password != "" {
			return cfg, errors.New("smtp url: a password without a user name")
		}
	}
	mode := TLSMode(strings.ToLower(strings.TrimSpace(tlsMode)))
	switch mode {
	case "":
		mode = TLSMandatory
	case TLSMandatory, TLSOpportunistic, TLSNone:
	default:
		return cfg, fmt.Errorf("smtp tls: %q is not a TLS mode; use mandatory (default), opportunistic or none", tlsMode)
	}
	if cfg.ImplicitTLS && mode != TLSMandatory {
		return cfg, fmt.Errorf("smtp tls: smtps:// always encrypts, so --smtp-tls %s contradicts it; use smtp:// for a plain connection", mode)
	}
	cfg.TLS = mode
	return cfg, nil
}

// WithPassword returns cfg with the password replaced, for a password
// read from a file or an environment variable rather than the URL.
func (c SMTPConfig) WithPassword(password string) SMTPConfig {
	c.Password = strings.TrimRight(password, "\r\n")
	return c
}

// String describes the configuration for logs and start-up messages,
// without the password.
func (c SMTPConfig) String() string {
	scheme := "smtp"
	if c.ImplicitTLS {
		scheme = "smtps"
	}
	user := ""
	if c.Username != "" {
		user = url.User(c.Username).String() + "@"
	}
	tlsMode := c.TLS
	if tlsMode == "" {
		tlsMode = TLSMandatory
	}
	return fmt.Sprintf("%s://%s%s (tls %s)", scheme, user, c.addr(), tlsMode)
}

func (c SMTPConfig) addr() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}

// client builds a go-mail client for one batch; building is cheap and a
// fresh client per batch keeps no state between connections.
func (c SMTPConfig) client() (*gomail.Client, error) {
	if c.Host == "" {
		return nil, errors.New("smtp: no host configured")
	}
	opts := []gomail.Option{
		gomail.WithPort(c.Port),
		gomail.WithTimeout(c.timeout()),
	}
	switch {
	case c.ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case c.TLS == TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case c.TLS == TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if c.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(c.tlsConfig()))
	}
	if c.Username != "" {
		// Auto-discovery never picks PLAIN or LOGIN on an unencrypted
		// connection, so a password does not leave in clear by accident.
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(c.Username),
			gomail.WithPassword(c.Password))
	}
	return gomail.NewClient(c.Host, opts...)
}

func (c SMTPConfig) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

// tlsConfig is TLSConfig (or the system defaults) for this server: its
// host name to verify, and TLS 1.2 at least.
func (c SMTPConfig) tlsConfig() *tls.Config {
	tc := &tls.Config{}
	if c.TLSConfig != nil {
		tc = c.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = c.Host
	}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	return tc
}

// Stage is the step of the SMTP conversation where a delivery failed.
type Stage string

// Stages of an SMTP delivery, in order.
const (
	StageConnect Stage = "connect" // TCP connection, greeting, EHLO
	StageTLS     Stage = "tls"     // STARTTLS or the TLS handshake
	StageAuth    Stage = "auth"    // SMTP AUTH
	StageSender  Stage = "mail"    // MAIL FROM
	StageRcpt    Stage = "rcpt"    // RCPT TO
	StageData    Stage = "data"    // DATA and the message itself
)

// DeliveryError is why one message was not accepted.
type DeliveryError struct {
	// Stage is where the conversation stopped.
	Stage Stage
	// Temporary is true when trying again later may succeed: network
	// trouble, a 4xx answer, or a connection-level refusal (TLS, AUTH)
	// that only a configuration change can fix.
	Temporary bool
	// Code is the SMTP reply code, 0 when the server gave none.
	Code int
	// Answer is the server's answer, or the network error, without the
	// recipient's address or message ID.
	Answer string
}

// Error implements error.
func (e *DeliveryError) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	return fmt.Sprintf("smtp %s (%s): %s", e.Stage, kind, e.Answer)
}

// Sender delivers composed messages through one SMTP server.
type Sender struct {
	cfg SMTPConfig
}

// NewSender returns a Sender for cfg.
func NewSender(cfg SMTPConfig) *Sender { return &Sender{cfg: cfg} }

// Config returns the configuration the Sender was built with.
func (s *Sender) Config() SMTPConfig { return s.cfg }

// Send delivers msgs over one connection and returns one result per
// message, in order: nil when the server accepted it, a *DeliveryError
// otherwise. A failure to connect, encrypt or authenticate fails every
// message the same way. A message the server accepted counts as sent
// even if the connection breaks afterwards.
func (s *Sender) Send(ctx context.Context, msgs []*gomail.Msg) []error {
	return s.SendEach(ctx, msgs, nil)
}

// SendEach is Send calling accepted(i) as soon as the server has accepted
// message i, before the next one goes: the worker records it as sent at
// once, so a crash in the middle of a batch re-sends at most the message
// that was in flight. Once ctx is done, the messages not yet begun are
// left unsent.
func (s *Sender) SendEach(ctx context.Context, msgs []*gomail.Msg, accepted func(int)) []error {
	results := make([]error, len(msgs))
	if len(msgs) == 0 {
		return results
	}
	client, err := s.cfg.client()
	if err != nil {
		de := &DeliveryError{Stage: StageConnect, Temporary: true, Answer: err.Error()}
		for i := range results {
			results[i] = de
		}
		return results
	}
	var batchErr error
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		batchErr = fmt.Errorf("dial failed: %w", err)
	} else {
		for i, msg := range msgs {
			if msg == nil {
				continue
			}
			if err := ctx.Err(); err != nil {
				// Stopping: never in the middle of a message, so the
				// one before was accepted or refused for certain.
				batchErr = err
				break
			}
			if err := client.SendWithSMTPClient(conn, msg); err != nil && !msg.HasSendError() {
				// The connection itself failed: the rest cannot go.
				batchErr = err
				break
			}
			if msg.IsDelivered() && accepted != nil {
				accepted(i)
			}
		}
		if err := client.CloseWithSMTPClient(conn); err != nil && batchErr == nil {
			batchErr = err
		}
	}
	var connErr *DeliveryError
	for i, msg := range msgs {
		switch {
		case msg == nil:
			results[i] = &DeliveryError{Stage: StageData, Answer: "nil message"}
		case msg.IsDelivered():
			// Accepted at the end of DATA: what follows (RSET, QUIT)
			// cannot unsend it.
			results[i] = nil
		case msg.HasSendError():
			results[i] = classifySendError(msg.SendError())
		default:
			if connErr == nil {
				connErr = classifyConnError(batchErr)
			}
			results[i] = connErr
		}
	}
	return results
}

// classifySendError turns go-mail's per-message error into a
// DeliveryError. Only a 5xx reply is permanent: anything else (a 4xx,
// a connection cut mid-batch) may work next time.
func classifySendError(err error) *DeliveryError {
	de := &DeliveryError{Stage: StageData, Temporary: true, Answer: cleanAnswer(err)}
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return de
	}
	switch se.Reason {
	case gomail.ErrSMTPMailFrom, gomail.ErrGetSender:
		de.Stage = StageSender
	case gomail.ErrSMTPRcptTo, gomail.ErrGetRcpts:
		de.Stage = StageRcpt
	case gomail.ErrConnCheck:
		de.Stage = StageConnect
	}
	de.Code = se.ErrorCode()
	if de.Code >= 500 && de.Code < 600 {
		de.Temporary = false
	}
	if se.Reason == gomail.ErrGetSender || se.Reason == gomail.ErrGetRcpts || se.Reason == gomail.ErrNoUnencoded {
		de.Temporary = false
	}
	return de
}

// classifyConnError names the stage where connecting failed. go-mail
// returns these as wrapped standard errors, so the stage is read from
// their types, and from its messages where it has no type.
func classifyConnError(err error) *DeliveryError {
	if err == nil {
		return &DeliveryError{Stage: StageConnect, Temporary: true, Answer: "the server closed the connection before accepting the message"}
	}
	de := &DeliveryError{Stage: StageConnect, Temporary: true, Answer: cleanAnswer(err)}
	var tpErr *textproto.Error
	if errors.As(err, &tpErr) {
		de.Code = tpErr.Code
	}
	msg := err.Error()
	var (
		recordErr tls.RecordHeaderError
		verifyErr *tls.CertificateVerificationError
		alertErr  tls.AlertError
		authErr   x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		certErr   x509.CertificateInvalidError
	)
	switch {
	case strings.Contains(msg, "SMTP AUTH failed"),
		strings.Contains(msg, "does not support SMTP AUTH"),
		errors.Is(err, gomail.ErrNoSupportedAuthDiscovered),
		errors.Is(err, gomail.ErrPlainAuthNotSupported),
		errors.Is(err, gomail.ErrLoginAuthNotSupported):
		de.Stage = StageAuth
	case errors.As(err, &recordErr), errors.As(err, &verifyErr), errors.As(err, &alertErr),
		errors.As(err, &authErr), errors.As(err, &hostErr), errors.As(err, &certErr),
		strings.Contains(msg, "STARTTLS"), strings.Contains(msg, "tls: "):
		de.Stage = StageTLS
	}
	return de
}

// cleanAnswer keeps the useful part of go-mail's error text: the server's
// reply or the network error, without the recipient list and message ID
// go-mail appends.
func cleanAnswer(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	for _, cut := range []string{", affected recipient(s): ", ", affected message ID: "} {
		if i := strings.Index(s, cut); i >= 0 {
			s = s[:i]
		}
	}
	s = strings.TrimPrefix(s, "dial failed: ")
	s = strings.TrimPrefix(s, "send failed: ")
	// net/textproto quotes the server's text (550 "5.1.1 …"); show it as
	// the server wrote it.
	s = quotedReply.ReplaceAllStringFunc(s, func(m string) string {
		code, quoted, _ := strings.Cut(m, " ")
		if text, err := strconv.Unquote(quoted); err == nil {
			return code + " " + text
		}
		return m
	})
	return strings.Join(strings.Fields(s), " ")
}

var quotedReply = regexp.MustCompile(`\b[245]\d\d "(?:[^"\\]|\\.)*"`)

// isTimeout reports whether err is a timeout, for plainer wording.
func isTimeout(err string) bool {
	return strings.Contains(err, "i/o timeout") || strings.Contains(err, "deadline exceeded") ||
		strings.Contains(err, os.ErrDeadlineExceeded.Error())
}
