package delivery

import (
	"context"
	"errors"
	"fmt"
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
// plain words how it went.
func Probe(ctx context.Context, cfg SMTPConfig, msg *gomail.Msg) ProbeResult {
	start := time.Now()
	res := NewSender(cfg).Send(ctx, []*gomail.Msg{msg})
	r := verdict(cfg, msg, res[0])
	r.Duration = time.Since(start)
	return r
}

func verdict(cfg SMTPConfig, msg *gomail.Msg, err error) ProbeResult {
	server := cfg.addr()
	if err == nil {
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
		r.Verdict = VerdictAuthRefused
		r.Sentence = fmt.Sprintf("Authentication refused by %s: check the user name and password (PLAIN and LOGIN are only used over TLS) (%s).", server, de.Answer)
	case StageSender:
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
