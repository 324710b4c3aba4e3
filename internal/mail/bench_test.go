package mail

import (
	"context"
	"fmt"
	"io"
	"testing"

	gomail "github.com/wneessen/go-mail"
)

// BenchmarkCompose measures rendering one recovery-code e-mail (both
// parts, all headers) into a go-mail message.
func BenchmarkCompose(b *testing.B) {
	clock := newClock()
	c := testComposer(clock)
	m := codeMessage("bench", clock.Now(), "fr")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compose(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposeAndWrite adds the MIME encoding done at send time.
func BenchmarkComposeAndWrite(b *testing.B) {
	clock := newClock()
	c := testComposer(clock)
	m := codeMessage("bench", clock.Now(), "fr")
	b.ReportAllocs()
	for b.Loop() {
		msg, err := c.Compose(m)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := msg.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSend200 sends 200 composed messages over one connection to
// the in-process SMTP server on loopback.
func BenchmarkSend200(b *testing.B) {
	const n = 200
	srv := newTestServer(b, func(s *testServer) { s.discard = true })
	sender := NewSender(srv.config())
	clock := newClock()
	c := testComposer(clock)
	b.ReportAllocs()
	sent := 0
	for b.Loop() {
		b.StopTimer()
		msgs := make([]*gomail.Msg, n)
		for i := range msgs {
			m := codeMessage(fmt.Sprintf("m%d", i), clock.Now(), "fr")
			m.To = fmt.Sprintf("parent%d@exemple.fr", i)
			msg, err := c.Compose(m)
			if err != nil {
				b.Fatal(err)
			}
			msgs[i] = msg
		}
		b.StartTimer()
		for i, err := range sender.Send(context.Background(), msgs) {
			if err != nil {
				b.Fatalf("message %d: %v", i, err)
			}
		}
		sent += n
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "msgs/s")
	if count, _, _ := srv.stats(); count != sent {
		b.Fatalf("server counted %d messages, sent %d", count, sent)
	}
}
