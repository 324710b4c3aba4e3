package cli

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sesame/internal/mail/mailtest"
)

// --smtp-ca makes a relay with a private CA trusted: `mail test`
// delivers over STARTTLS with it and refuses the certificate without it.
func TestSMTPCA(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.WithSTARTTLS)
	ca := filepath.Join(t.TempDir(), "relay-ca.pem")
	if err := os.WriteFile(ca, mailtest.CAPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	smtpURL := fmt.Sprintf("smtp://%s:%d", srv.Host(), srv.Port())
	mailTest := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := runMail(append([]string{"test", "--to", "it@ecole.fr", "--smtp-url", smtpURL, "--mail-from", "no-reply@ecole.fr"}, args...), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := mailTest("--smtp-ca", ca); code != 0 || !strings.Contains(out, "accepted:") {
		t.Fatalf("with --smtp-ca: exit %d\n%s", code, out)
	}
	if got := srv.Received(); len(got) != 1 || !got[0].TLS {
		t.Errorf("received %+v, want one message over TLS", got)
	}
	t.Setenv("SESAME_SMTP_CA", ca)
	if code, out := mailTest(); code != 0 || !strings.Contains(out, "accepted:") {
		t.Errorf("with SESAME_SMTP_CA: exit %d\n%s", code, out)
	}
	t.Setenv("SESAME_SMTP_CA", "")
	if code, out := mailTest(); code != 1 || !strings.Contains(out, "tls_failure:") || !strings.Contains(out, "certificate is not trusted") {
		t.Errorf("without --smtp-ca: exit %d\n%s", code, out)
	}
	if n := len(srv.Received()); n != 2 {
		t.Errorf("the server received %d messages, want 2", n)
	}

	// In addition to the system's roots, not instead of them.
	c, err := configFrom(t, "--smtp-url", smtpURL, "--smtp-ca", ca)
	if err != nil {
		t.Fatal(err)
	}
	if sys, err := x509.SystemCertPool(); err == nil {
		//lint:ignore SA1019 counting the roots is all this needs
		if got, want := len(c.SMTP.TLSConfig.RootCAs.Subjects()), len(sys.Subjects())+1; got != want {
			t.Errorf("RootCAs holds %d certificates, want the system's %d and the relay's", got, want-1)
		}
	}
}

// A missing, empty or wrong --smtp-ca is refused at start, naming the
// option and the path.
func TestSMTPCAErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key := write("key.pem", "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n")
	tests := []struct {
		path, tls, want string
	}{
		{filepath.Join(dir, "missing.pem"), "", "no such file"},
		{write("empty.pem", ""), "", "no PEM certificate"},
		{write("text.pem", "not a certificate\n"), "", "no PEM certificate"},
		{write("bad.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "", "cannot read certificate 1"},
		{key, "", "PRIVATE KEY"},
		{write("ok.pem", string(mailtest.CAPEM())), "none", "--smtp-tls none"},
	}
	for _, tt := range tests {
		args := []string{"--smtp-url", "smtp://relay.ac-exemple.fr:587", "--smtp-ca", tt.path}
		if tt.tls != "" {
			args = append(args, "--smtp-tls", tt.tls)
		}
		_, err := configFrom(t, args...)
		if err == nil || !strings.Contains(err.Error(), "--smtp-ca") || !strings.Contains(err.Error(), tt.path) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want one naming --smtp-ca, the path and %q", filepath.Base(tt.path), err, tt.want)
		}
	}
}
