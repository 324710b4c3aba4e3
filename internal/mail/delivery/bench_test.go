package delivery

import (
	"context"
	"fmt"
	"testing"

	gomail "github.com/wneessen/go-mail"

	"sesame/internal/mail/mailtest"
)

// BenchmarkSend200 sends 200 composed messages over one connection to
// the in-process SMTP server on loopback.
func BenchmarkSend200(b *testing.B) {
	const n = 200
	srv := mailtest.NewServer(b, func(s *mailtest.Server) { s.Discard = true })
	sender := NewSender(config(srv))
	clock := mailtest.NewClock()
	c := mailtest.Composer(clock)
	b.ReportAllocs()
	sent := 0
	for b.Loop() {
		b.StopTimer()
		msgs := make([]*gomail.Msg, n)
		for i := range msgs {
			m := mailtest.CodeMessage(fmt.Sprintf("m%d", i), clock.Now(), "fr")
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
	if count, _, _ := srv.Stats(); count != sent {
		b.Fatalf("server counted %d messages, sent %d", count, sent)
	}
}
