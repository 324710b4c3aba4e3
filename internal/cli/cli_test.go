package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/password"
	"sesame/internal/policy"
	"sesame/internal/store"
)

func run(t *testing.T, stdin string, args ...string) (string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errb)
	return out.String() + errb.String(), code
}

// runSplit is run with stdout and stderr apart.
func runSplit(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// cp1252CSV builds a school export as French Excel writes it.
func cp1252CSV(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("Nom;Prénom;Adresse e-mail;Langue\r\n")
	names := []string{"Lefèvre", "Gaëlle", "Müller", "Françoise", "Noël", "Hélène", "Jérôme", "Zoé"}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%s;%s%d;parent%d@exemple.fr;fr\r\n", names[i%len(names)], names[(i+3)%len(names)], i, i)
	}
	enc, err := charmap.Windows1252.NewEncoder().String(b.String())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "parents.csv")
	if err := os.WriteFile(path, []byte(enc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImport2000Windows1252(t *testing.T) {
	data := newDataFile(t, t.TempDir())
	csv := cp1252CSV(t, 2000)
	start := time.Now()
	out, code := run(t, "", "accounts", "--data", data, "import", csv)
	took := time.Since(start)
	if code != 0 || !strings.Contains(out, "created 2000, updated 0, unchanged 0, rejected 0") {
		t.Fatalf("import: %d %s", code, out)
	}
	t.Logf("2,000-row Windows-1252 import took %s", took)
	out, code = run(t, "", "accounts", "--data", data, "import", csv)
	if code != 0 || !strings.Contains(out, "created 0, updated 0, unchanged 2000, rejected 0") {
		t.Fatalf("re-import: %d %s", code, out)
	}
	out, _ = run(t, "", "accounts", "--data", data, "show", "lefevre.francoise0")
	if !strings.Contains(out, "Lefèvre") || !strings.Contains(out, "Françoise0") {
		t.Fatalf("accents lost: %s", out)
	}
}

func TestImportReportsBadRows(t *testing.T) {
	dir := t.TempDir()
	data := newDataFile(t, dir)
	csv := filepath.Join(dir, "p.csv")
	os.WriteFile(csv, []byte("nom,prénom,email\nDupont,Marie,m@exemple.fr\nMartin,Luc,pas-une-adresse\n"), 0o600)
	out, code := run(t, "", "accounts", "--data", data, "import", csv)
	if code != 1 || !strings.Contains(out, "line 3:") || !strings.Contains(out, "Nothing was written") {
		t.Fatalf("bad row: %d %s", code, out)
	}
	out, _ = run(t, "", "accounts", "--data", data, "list")
	if !strings.Contains(out, "0 account(s)") {
		t.Fatalf("a refused import wrote: %s", out)
	}
	out, code = run(t, "", "accounts", "--data", data, "import", csv, "--skip-invalid")
	if code != 0 || !strings.Contains(out, "created 1, updated 0, unchanged 0, rejected 1") {
		t.Fatalf("--skip-invalid: %d %s", code, out)
	}
}

func TestAccountCommands(t *testing.T) {
	data := newDataFile(t, t.TempDir())
	out, code := run(t, "", "accounts", "--data", data, "add", "--last-name", "Le Goff", "--first-name", "Anne", "--email", "anne@exemple.fr")
	if code != 0 || !strings.Contains(out, "created le-goff.anne") {
		t.Fatalf("add: %d %s", code, out)
	}
	out, code = run(t, "azerty\n", "accounts", "--data", data, "set-password", "le-goff.anne")
	if code != 1 || !strings.Contains(out, "policy") {
		t.Fatalf("weak password accepted: %d %s", code, out)
	}
	out, code = run(t, "Lune-bleue-42\n", "accounts", "--data", data, "set-password", "LE-GOFF.ANNE")
	if code != 0 || strings.Contains(out, "Lune-bleue-42") {
		t.Fatalf("set-password: %d %s", code, out)
	}
	out, _ = run(t, "", "accounts", "--data", data, "disable", "le-goff.anne")
	if !strings.Contains(out, "le-goff.anne is now disabled") {
		t.Fatalf("disable: %s", out)
	}
	out, _ = run(t, "", "accounts", "--data", data, "show", "le-goff.anne")
	if !strings.Contains(out, "disabled") || !strings.Contains(out, "password          set") {
		t.Fatalf("show: %s", out)
	}
	out, code = run(t, "", "accounts", "--data", data, "show", "nobody")
	if code != 1 || !strings.Contains(out, "no account has the identifier") {
		t.Fatalf("show unknown: %d %s", code, out)
	}
}

// set-password stores the password in its normalised form, so the parent
// signs in whichever way their keyboard composes accents (issue 11
// defect 10), and a password set decomposed is found composed.
func TestSetPasswordUnicodeForms(t *testing.T) {
	composed, decomposed := "Forêt-dété-2026", "Forêt-dété-2026"
	for _, forms := range [][2]string{{composed, decomposed}, {decomposed, composed}} {
		data := newDataFile(t, t.TempDir())
		if out, code := run(t, "", "accounts", "--data", data, "add", "--last-name", "Le Goff", "--first-name", "Anne", "--email", "anne@exemple.fr"); code != 0 {
			t.Fatalf("add: %d %s", code, out)
		}
		if out, code := run(t, forms[0]+"\n", "accounts", "--data", data, "set-password", "le-goff.anne"); code != 0 {
			t.Fatalf("set-password: %d %s", code, out)
		}
		st, err := store.Open(data, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		acc := &account.Service{Store: st, Hasher: password.New(nil, 1, time.Second), Policy: policy.Default()}
		_, err = acc.Login(context.Background(), "le-goff.anne", forms[1])
		st.Close()
		if err != nil {
			t.Fatalf("set %q, login %q: %v", forms[0], forms[1], err)
		}
	}
}

// An admin command gives the same output through the running server's
// socket as on the file directly.
func TestAdminSocketSameOutput(t *testing.T) {
	dir := t.TempDir()
	data := newDataFile(t, dir)
	csv := cp1252CSV(t, 20)
	offline, code := run(t, "", "accounts", "--data", data, "import", csv)
	if code != 0 {
		t.Fatal(offline)
	}
	// Stdout only: stderr says which way the command went.
	offlineList, offlineHow, _ := runSplit(t, "", "accounts", "--data", data, "list")
	if want := "data: " + data + " (file opened directly; the server is not running)\n"; offlineHow != want {
		t.Fatalf("offline provenance %q, want %q", offlineHow, want)
	}

	st, err := store.Open(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := testServices(t, st)
	admin, err := listenAdmin(data, s)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	fi, err := os.Stat(socketPath(data))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v %v", fi.Mode(), err)
	}
	online, code := run(t, "", "accounts", "--data", data, "import", csv)
	if code != 0 || !strings.Contains(online, "unchanged 20") {
		t.Fatalf("import through the socket: %d %s", code, online)
	}
	onlineList, onlineHow, _ := runSplit(t, "", "accounts", "--data", data, "list")
	if want := "data: " + data + " (through the running server)\n"; onlineHow != want {
		t.Fatalf("online provenance %q, want %q", onlineHow, want)
	}
	if onlineList != offlineList {
		t.Fatalf("list differs:\n%s\n---\n%s", offlineList, onlineList)
	}
	admin.Close()
	// With the socket gone and the file held, the command says so at once.
	start := time.Now()
	out, code := run(t, "", "accounts", "--data", data, "list")
	if code != 1 || !strings.Contains(out, "in use by another") || time.Since(start) > 3*time.Second {
		t.Fatalf("locked file: %d %s", code, out)
	}
}

// testServices are the services the admin commands run on st.
func testServices(t *testing.T, st *store.Store) *services {
	t.Helper()
	c, err := envServiceConfig()
	if err != nil {
		t.Fatal(err)
	}
	return newServices(st, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func TestServeRefusesBadOptions(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--addr", "nope"}, "--addr"},
		{[]string{"serve", "--base-url", "parents.ecole.fr"}, "--base-url"},
		{[]string{"serve", "--lang", "de"}, "--lang"},
		{[]string{"serve", "--secretariat-email", "x"}, "--secretariat-email"},
		{[]string{"serve", "--school", "a\nb"}, "--school"},
		{[]string{"serve", "--password-min", "4"}, "--password-min"},
		{[]string{"serve", "--log-level", "loud"}, "--log-level"},
		{[]string{"serve", "--data", ""}, "--data"},
		{[]string{"serve", "--secretariat-hours", strings.Repeat("h", 101)}, "--secretariat-hours"},
		{[]string{"serve", "--password-max", "7"}, "--password-min"},
		{[]string{"serve", "--hash-concurrency", "65"}, "--hash-concurrency"},
		{[]string{"serve", "--code-ttl", "25h"}, "--code-ttl"},
		{[]string{"serve", "--activation-ttl", "400d"}, "--activation-ttl"},
		{[]string{"serve", "--smtp-tls", "sometimes"}, "--smtp-tls"},
		{[]string{"serve", "--smtp-url", "ftp://smtp.ecole.fr"}, "--smtp-url"},
		{[]string{"serve", "--smtp-url", "smtp://u@smtp.ecole.fr", "--smtp-password-file", "/nonexistent/pw"}, "--smtp-password-file"},
		{[]string{"serve", "--outbox-retention", "1m"}, "--outbox-retention"},
		{[]string{"serve", "--mail-retry", "0s"}, "--mail-retry"},
		{[]string{"serve", "--mail-retry", "1h"}, "--mail-retry"},
		{[]string{"serve", "--mail-from", "pas une adresse"}, "--mail-from"},
		{[]string{"serve", "--trusted-proxy", "10.0.0.0/33"}, "--trusted-proxy"},
		{[]string{"serve", "--trusted-network", "192.168.0.0/16,école"}, "--trusted-network"},
		{[]string{"serve", "--legal-dir", "/nonexistent/legal"}, "--legal-dir"},
		{[]string{"serve", "--tls-cert", "cert.pem"}, "--tls-cert"},
		{[]string{"serve", "--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"}, "--tls-cert"},
		{[]string{"serve", "--pprof", "0.0.0.0:6060"}, "--pprof"},
		{[]string{"serve", "--rate-limits", "maybe"}, "--rate-limits"},
		{[]string{"serve", "--timezone", "Europe/Pariss"}, "--timezone"},
		{[]string{"serve", "--timezone", "Local"}, "--timezone"},
		{[]string{"serve", "--timezone", ""}, "--timezone"},
		{[]string{"serve", "now"}, "unexpected argument"},
	} {
		out, code := run(t, "", c.args...)
		if code != 2 || !strings.Contains(out, c.want) {
			t.Errorf("%v: %d %s", c.args, code, out)
		}
	}
	for _, c := range []struct{ env, value, want string }{
		// The error names the variable the value came from, not the flag.
		{"SESAME_LANG", "de", `invalid SESAME_LANG "de"`},
		{"SESAME_MAIL_RETRY", "soon", "SESAME_MAIL_RETRY"},
		{"SESAME_MAIL_RETRY", "50ms", `invalid SESAME_MAIL_RETRY "50ms"`},
		{"SESAME_TIMEZONE", "Mars/Olympus", `invalid SESAME_TIMEZONE "Mars/Olympus"`},
	} {
		t.Run(c.env+"="+c.value, func(t *testing.T) {
			t.Setenv(c.env, c.value)
			out, code := run(t, "", "serve")
			if code != 2 || !strings.Contains(out, c.want) {
				t.Errorf("%d %s", code, out)
			}
		})
	}
	// The admin commands run on the file read the same variables.
	t.Run("accounts list with SESAME_PASSWORD_MIN=4", func(t *testing.T) {
		t.Setenv("SESAME_PASSWORD_MIN", "4")
		out, code := run(t, "", "accounts", "--data", newDataFile(t, t.TempDir()), "list")
		if code != 2 || !strings.Contains(out, `invalid SESAME_PASSWORD_MIN "4"`) {
			t.Errorf("%d %s", code, out)
		}
	})
	out, code := run(t, "", "serve", "--help")
	if code != 0 || !strings.Contains(out, "SESAME_BASE_URL") || !strings.Contains(out, "--secretariat-hours") ||
		!strings.Contains(out, "--mail-retry  [SESAME_MAIL_RETRY] (default \"10s\")") {
		t.Errorf("serve --help: %d %s", code, out)
	}
}

func TestBackupAndAudit(t *testing.T) {
	dir := t.TempDir()
	data := newDataFile(t, dir)
	run(t, "", "accounts", "--data", data, "add", "--last-name", "Dupont", "--first-name", "Marie", "--email", "m@exemple.fr")
	run(t, "", "accounts", "--data", data, "disable", "dupont.marie")

	st, err := store.Open(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s := testServices(t, st)
	admin, err := listenAdmin(data, s)
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(dir, "copie.db")
	out, code := run(t, "", "backup", "--data", data, copyPath)
	if code != 0 || !strings.Contains(out, "backup written to") {
		t.Fatalf("backup while serving: %d %s", code, out)
	}
	out, _ = run(t, "", "audit", "--data", data, "--since", "1h")
	if !strings.Contains(out, "admin.command") || !strings.Contains(out, "accounts disable dupont.marie") {
		t.Fatalf("audit: %s", out)
	}
	if out, code := run(t, "", "audit", "--data", data, "--since", "hier"); code != 2 || !strings.Contains(out, "--since") {
		t.Fatalf("bad --since: %d %s", code, out)
	}
	admin.Close()
	st.Close()
	// The copy is a working data file with the same accounts.
	out, code = run(t, "", "accounts", "--data", copyPath, "show", "dupont.marie")
	if code != 0 || !strings.Contains(out, "disabled") {
		t.Fatalf("restored copy: %d %s", code, out)
	}
}

// Closing the admin socket does not wait five minutes for a client that
// connected and sent nothing: it is told the server is stopping.
func TestAdminCloseInterruptsIdleClient(t *testing.T) {
	data := newDataFile(t, t.TempDir())
	st, err := store.Open(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, err := listenAdmin(data, testServices(t, st))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("unix", socketPath(data))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The request has begun: a first byte, then nothing.
	if _, err := conn.Write([]byte("{")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		admin.mu.Lock()
		n := len(admin.reading)
		admin.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the admin server never started reading the request")
		}
	}
	closed := make(chan struct{})
	go func() { admin.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close still waiting for an idle client after 10 s")
	}
	var resp adminResponse
	if err := json.NewDecoder(conn).Decode(&resp); err != nil {
		t.Fatal(err)
	}
	if resp.Code != 1 || !strings.Contains(resp.Output, "stopping") {
		t.Errorf("answer to the interrupted client: %+v", resp)
	}
	if _, err := os.Stat(socketPath(data)); !os.IsNotExist(err) {
		t.Errorf("socket file left behind: %v", err)
	}
}

// sesame compact: now on a stopped server's file, at the next start on
// a running server's.
func TestCompact(t *testing.T) {
	dir := t.TempDir()
	data := newDataFile(t, dir)
	run(t, "", "accounts", "--data", data, "add", "--last-name", "Dupont", "--first-name", "Marie", "--email", "m@exemple.fr")
	out, code := run(t, "", "compact", "--data", data)
	if code != 0 || !strings.Contains(out, "bytes before") {
		t.Fatalf("offline compact: %d %s", code, out)
	}
	if out, _ := run(t, "", "help"); !strings.Contains(out, "sesame compact") {
		t.Errorf("help does not list compact: %s", out)
	}
	st, err := store.Open(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := listenAdmin(data, testServices(t, st))
	if err != nil {
		t.Fatal(err)
	}
	out, code = run(t, "", "compact", "--data", data)
	admin.Close()
	st.Close()
	if code != 0 || !strings.Contains(out, "next start") {
		t.Fatalf("compact while serving: %d %s", code, out)
	}
	if _, asked, err := store.CompactIfRequested(data, time.Second); !asked || err != nil {
		t.Fatalf("next start: asked %v, %v", asked, err)
	}
	out, code = run(t, "", "accounts", "--data", data, "show", "dupont.marie")
	if code != 0 || !strings.Contains(out, "m@exemple.fr") {
		t.Fatalf("after compaction: %d %s", code, out)
	}
}

// An hourly record shows its count and its last time.
func TestAuditShowsCounts(t *testing.T) {
	data := newDataFile(t, t.TempDir())
	st, err := store.Open(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Hour)
	for i := range 3 {
		store.AuditLog{Store: st}.Append(audit.Event{Time: now.Add(time.Duration(i) * time.Minute), Kind: audit.RecoveryUnknown, IP: "203.0.113.7", Count: 1})
	}
	st.Close()
	out, code := run(t, "", "audit", "--data", data, "--since", "2h")
	// Shown in the school's time zone: the hour may differ, not the minutes.
	if want := regexp.MustCompile(`×3 until \d\d:02:00`); code != 0 || !want.MatchString(out) || !strings.Contains(out, "1 event(s)") {
		t.Fatalf("audit: %d %s; want %q", code, out, want)
	}
}
