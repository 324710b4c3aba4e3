package delivery

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Verdict is the outcome of `sesame mail test`, as a stable code.
type Verdict string

// Verdicts of Probe, roughly in the order a delivery can fail.
const (
	VerdictAccepted      Verdict = "accepted"
	VerdictCannotConnect Verdict = "cannot_connect"
	VerdictTLSFailure    Verdict = "tls_failure"
	VerdictAuthRefused   Verdict = "auth_refused"
	VerdictSenderRefused Verdict = "sender_refused"
	VerdictRelayDenied   Verdict = "relay_denied"
	VerdictDeferred      Verdict = "deferred"
	VerdictRejected      Verdict = "rejected"
	// VerdictImplicitTLSPort: smtp:// on a port that speaks TLS at once.
	VerdictImplicitTLSPort Verdict = "use_smtps"
	// VerdictAuthRequired: the server wants a login before MAIL FROM
	// and none was configured.
	VerdictAuthRequired Verdict = "auth_required"
	// VerdictAuthNotOffered: a user is configured but the server's EHLO
	// offers no AUTH.
	VerdictAuthNotOffered Verdict = "auth_not_offered"
)

// ProbeResult is what the school's IT person reads after
// `sesame mail test`.
type ProbeResult struct {
	Verdict Verdict
	// Sentence says in plain English what happened and what to check.
	Sentence string
	// Answer is the server's reply, or the network error.
	Answer string
	// Code is the SMTP reply code, 0 when there was none.
	Code     int
	Duration time.Duration
}

// Probe sends msg now through cfg, outside the outbox, and says in
// plain words how it went. On smtp:// it first checks, in a few
// seconds, that the port does not speak TLS at once (465), which would
// otherwise look like a server that never answers.
func Probe(ctx context.Context, cfg SMTPConfig, msg *gomail.Msg) ProbeResult {
	start := time.Now()
	r, done := preflight(ctx, cfg)
	if !done {
		res := NewSender(cfg).Send(ctx, []*gomail.Msg{msg})
		r = verdict(cfg, msg, res[0])
	}
	r.Duration = time.Since(start)
	return r
}

// An SMTP server greets within milliseconds; one that speaks TLS at once
// says nothing until it gets a ClientHello. After greetingWait of
// silence the probe tries a TLS handshake, for at most tlsProbeWait.
const (
	greetingWait = 2 * time.Second
	tlsProbeWait = 3 * time.Second
)

// preflight connects once to an smtp:// server to tell a port that
// speaks TLS at once from an SMTP one. done is true when r is the
// verdict: that, or a connection that cannot be made at all (so a
// firewall dropping packets costs one timeout, not two). Otherwise the
// connection is closed and the real delivery follows.
func preflight(ctx context.Context, cfg SMTPConfig) (r ProbeResult, done bool) {
	if cfg.ImplicitTLS || cfg.Host == "" {
		return r, false
	}
	d := net.Dialer{Timeout: cfg.timeout()}
	conn, err := d.DialContext(ctx, "tcp", cfg.addr())
	if err != nil {
		return verdict(cfg, nil, &DeliveryError{Stage: StageConnect, Temporary: true, Answer: err.Error()}), true
	}
	defer conn.Close()
	conn.SetReadDeadline(earliest(ctx, time.Now().Add(greetingWait)))
	buf := make([]byte, 1)
	n, err := conn.Read(buf)
	switch {
	case n > 0 && (buf[0] == 0x15 || buf[0] == 0x16):
		// A TLS alert or handshake record, never an SMTP reply's digit.
		return implicitTLSVerdict(cfg, fmt.Sprintf("the server answered with TLS bytes (0x%02x) instead of an SMTP greeting", buf[0])), true
	case n > 0:
		// An SMTP greeting: hang up without a word, since a client
		// talking before a multi-line greeting ends is taken for a spam
		// bot (Postfix's postscreen pregreet test).
		return r, false
	case isTimeoutErr(err) && ctx.Err() == nil && speaksTLS(ctx, cfg):
		return implicitTLSVerdict(cfg, fmt.Sprintf("no SMTP greeting within %s, and the port completed a TLS handshake", greetingWait)), true
	}
	return r, false
}

// speaksTLS reports whether cfg's port answers a TLS handshake. A
// certificate this machine does not trust, or a TLS alert from the
// server, still proves the port speaks TLS. Nothing is sent after the
// handshake.
func speaksTLS(ctx context.Context, cfg SMTPConfig) bool {
	ctx, cancel := context.WithTimeout(ctx, tlsProbeWait)
	defer cancel()
	d := tls.Dialer{Config: cfg.tlsConfig()}
	conn, err := d.DialContext(ctx, "tcp", cfg.addr())
	if err == nil {
		conn.Close()
		return true
	}
	var (
		verifyErr *tls.CertificateVerificationError
		opErr     *net.OpError
	)
	return errors.As(err, &verifyErr) || (errors.As(err, &opErr) && opErr.Op == "remote error")
}

func implicitTLSVerdict(cfg SMTPConfig, answer string) ProbeResult {
	user := ""
	if cfg.Username != "" {
		user = url.User(cfg.Username).String() + "@"
	}
	return ProbeResult{
		Verdict:  VerdictImplicitTLSPort,
		Answer:   answer,
		Sentence: fmt.Sprintf("This port speaks TLS at once (implicit TLS, usually port 465): use smtps://%s%s instead of smtp:// (%s).", user, cfg.addr(), answer),
	}
}

// earliest is t, or ctx's deadline when that comes first.
func earliest(ctx context.Context, t time.Time) time.Time {
	if d, ok := ctx.Deadline(); ok && d.Before(t) {
		return d
	}
	return t
}

func isTimeoutErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func verdict(cfg SMTPConfig, msg *gomail.Msg, err error) ProbeResult {
	server := cfg.addr()
	if err == nil && msg != nil {
		answer := msg.ServerResponse()
		return ProbeResult{
			Verdict:  VerdictAccepted,
			Answer:   answer,
			Code:     250,
			Sentence: fmt.Sprintf("Accepted: %s took the message for delivery (server's answer: %q). If it does not arrive, look in the spam folder and in the server's logs.", server, answer),
		}
	}
	var de *DeliveryError
	if !errors.As(err, &de) {
		de = &DeliveryError{Stage: StageConnect, Temporary: true, Answer: err.Error()}
	}
	r := ProbeResult{Answer: de.Answer, Code: de.Code}
	switch de.Stage {
	case StageConnect:
		r.Verdict = VerdictCannotConnect
		why := "check the host name and port, and that a firewall lets this machine reach it"
		if isTimeout(de.Answer) {
			why = "it did not answer in time; check the host name and port, and the firewall"
		}
		r.Sentence = fmt.Sprintf("Cannot connect to %s: %s (%s).", server, why, de.Answer)
	case StageTLS:
		r.Verdict = VerdictTLSFailure
		r.Sentence = fmt.Sprintf("TLS failure with %s: nothing was sent. %s (%s).", server, tlsAdvice(cfg, de.Answer), de.Answer)
	case StageAuth:
		if strings.HasSuffix(de.Answer, "does not support SMTP AUTH") {
			r.Verdict = VerdictAuthNotOffered
			r.Sentence = fmt.Sprintf("%s offers no authentication (no AUTH in its EHLO): remove the user from --smtp-url, or this is not the submission port (587)%s (%s).", server, noAuthHint(cfg), de.Answer)
			break
		}
		r.Verdict = VerdictAuthRefused
		r.Sentence = fmt.Sprintf("Authentication refused by %s: check the user name and password (PLAIN and LOGIN are only used over TLS) (%s).", server, de.Answer)
	case StageSender:
		if authRequired(de) {
			r.Verdict = VerdictAuthRequired
			if cfg.Username == "" {
				r.Sentence = fmt.Sprintf("%s needs a user name and password: put the user in --smtp-url (smtp://USER@%s) and the password in SESAME_SMTP_PASSWORD or --smtp-password-file (%s).", server, server, de.Answer)
			} else {
				r.Sentence = fmt.Sprintf("%s still asks for authentication after Sésame logged in: check that this account may send mail (%s).", server, de.Answer)
			}
			break
		}
		r.Verdict = VerdictSenderRefused
		r.Sentence = fmt.Sprintf("%s refused the sender address: check --mail-from, which this account may not be allowed to use (%s).", server, de.Answer)
	case StageRcpt:
		if de.Temporary {
			r.Verdict = VerdictDeferred
			r.Sentence = fmt.Sprintf("%s asked to try again later (often greylisting); the outbox would retry (%s).", server, de.Answer)
		} else {
			r.Verdict = VerdictRelayDenied
			r.Sentence = fmt.Sprintf("Relay denied: %s refused to deliver to this address; it may need authentication, or not relay for this sender or domain (%s).", server, de.Answer)
		}
	default:
		if de.Temporary {
			r.Verdict = VerdictDeferred
			r.Sentence = fmt.Sprintf("%s did not take the message this time; the outbox would retry (%s).", server, de.Answer)
		} else {
			r.Verdict = VerdictRejected
			r.Sentence = fmt.Sprintf("%s rejected the message itself (%s).", server, de.Answer)
		}
	}
	return r
}

// authRequired reports whether a refusal at MAIL FROM asks for a login:
// 530, or the enhanced code 5.7.0 (go-smtp and others answer 502 5.7.0,
// Exchange 530 5.7.57). A 530 asking for STARTTLS is not about a login.
func authRequired(de *DeliveryError) bool {
	if strings.Contains(de.Answer, "STARTTLS") {
		return false
	}
	return de.Code == 530 || strings.Contains(de.Answer, " 5.7.0 ") ||
		strings.Contains(strings.ToLower(de.Answer), "authenticat")
}

// noAuthHint adds, on a connection left unencrypted, that many servers
// offer AUTH only after STARTTLS.
func noAuthHint(cfg SMTPConfig) string {
	if !cfg.ImplicitTLS && cfg.TLS == TLSNone {
		return "; many servers offer AUTH only after STARTTLS, so try --smtp-tls mandatory"
	}
	return ""
}

func tlsAdvice(cfg SMTPConfig, answer string) string {
	switch {
	case strings.Contains(answer, "STARTTLS"):
		return "STARTTLS is required (--smtp-tls mandatory) but the server does not offer it: use smtps:// if it has an implicit-TLS port (usually 465), or --smtp-tls none only for a trusted local relay"
	case strings.Contains(answer, "certificate") || strings.Contains(answer, "x509"):
		return "Its certificate is not trusted: it must be valid for " + cfg.Host + " and signed by an authority this machine trusts"
	case cfg.ImplicitTLS:
		return "The server did not complete a TLS handshake on this port: use smtps:// only on an implicit-TLS port (usually 465), smtp:// otherwise"
	default:
		return "The TLS handshake failed"
	}
}
