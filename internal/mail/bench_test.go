package mail_test

import (
	"io"
	"testing"

	"sesame/internal/mail/mailtest"
)

// BenchmarkCompose measures rendering one recovery-code e-mail (both
// parts, all headers) into a go-mail message.
func BenchmarkCompose(b *testing.B) {
	clock := mailtest.NewClock()
	c := mailtest.Composer(clock)
	m := mailtest.CodeMessage("bench", clock.Now(), "fr")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compose(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposeAndWrite adds the MIME encoding done at send time.
func BenchmarkComposeAndWrite(b *testing.B) {
	clock := mailtest.NewClock()
	c := mailtest.Composer(clock)
	m := mailtest.CodeMessage("bench", clock.Now(), "fr")
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
