package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"sesame/internal/mail/delivery"
	"sesame/internal/mail/outbox"
	"sesame/internal/store"
)

const mailUsage = `Usage: sesame mail COMMAND [options]

  test --to ADDRESS   send one e-mail now through the configured SMTP server
                      (--smtp-url, --smtp-tls, --smtp-ca, --mail-from… as for
                      serve) and say in plain words what the server answered,
                      with a verdict code: accepted, cannot_connect, use_smtps,
                      tls_failure, auth_required, auth_not_offered, auth_refused,
                      sender_refused, relay_denied, deferred or rejected
  queue               the outbox: pending, sent and failed e-mails, so you can
                      answer "did the mail leave?" (takes --data)
`

func runMail(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprint(stdout, mailUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "test":
		return runMailTest(args[1:], stdout, stderr)
	case "queue":
		data, config, rest, err := splitData(args[1:])
		if err != nil || len(rest) > 0 {
			fmt.Fprint(stderr, mailUsage)
			return 2
		}
		return runAdmin(data, config, adminRequest{Args: []string{"mail", "queue"}}, stdout, stderr)
	}
	fmt.Fprintf(stderr, "sesame mail: unknown command %q\n\n%s", args[0], mailUsage)
	return 2
}

func runMailTest(args []string, stdout, stderr io.Writer) int {
	fs, o := serveFlags(stderr)
	to := fs.String("to", "", "the address to send the test e-mail to")
	if err := parse(fs, args); err != nil {
		return usageExit(fmt.Errorf("sesame mail test: %w", err), stderr)
	}
	if *to == "" {
		fmt.Fprintln(stderr, "sesame mail test: give --to ADDRESS")
		return 2
	}
	if o.SMTPURL == "" {
		fmt.Fprintln(stderr, "sesame mail test: no SMTP server configured: give --smtp-url (or SESAME_SMTP_URL)")
		return 2
	}
	c, err := parseServeConfig(*o)
	if err != nil {
		fmt.Fprintln(stderr, "sesame mail test:", fs.explainOption(err))
		return 2
	}
	now := time.Now()
	msg, err := c.composer().Compose(outbox.NewPending(outbox.Message{ID: "test", Kind: outbox.KindTest, To: *to, Lang: c.Lang}, now))
	if err != nil {
		fmt.Fprintln(stderr, "sesame mail test:", err)
		return 2
	}
	fmt.Fprintf(stdout, "Sending a test e-mail to %s through %s …\n", *to, c.SMTP.String())
	res := delivery.Probe(context.Background(), *c.SMTP, msg)
	fmt.Fprintf(stdout, "%s: %s\n", res.Verdict, res.Sentence)
	if res.Answer != "" {
		fmt.Fprintf(stdout, "server answered: %s\n", res.Answer)
	}
	fmt.Fprintf(stdout, "took %s\n", res.Duration.Round(time.Millisecond))
	if res.Verdict != delivery.VerdictAccepted {
		return 1
	}
	return 0
}

// mailQueue prints the outbox for `sesame mail queue`.
func mailQueue(s *services, out io.Writer) int {
	msgs, err := s.store.Outbox()
	// Broken messages are reported after the good ones are listed.
	if err != nil && !errors.Is(err, store.ErrCorrupt) {
		fmt.Fprintln(out, "sesame mail queue:", err)
		return 1
	}
	counts := map[outbox.Status]int{}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tKIND\tTO\tATTEMPTS\tAGE\tLAST ERROR")
	now := time.Now()
	for _, m := range msgs {
		counts[m.Status]++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", m.Status, m.Kind, outbox.MaskAddress(m.To), m.Attempts,
			now.Sub(m.Created).Round(time.Second), orDash(m.LastError))
	}
	tw.Flush()
	fmt.Fprintf(out, "%d pending, %d sent, %d failed\n", counts[outbox.StatusPending], counts[outbox.StatusSent], counts[outbox.StatusFailed])
	return reportBroken(out, "sesame mail queue", err)
}
