package cli

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sesame/internal/store"
)

// writeConfig writes a configuration file named sesame.env in a
// temporary folder and returns its path.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sesame.env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// load reads serve's options as `sesame serve` does.
func load(t *testing.T, args ...string) (*serveConfig, error) {
	t.Helper()
	c, _, err := loadServeConfig(args, io.Discard)
	return c, err
}

// The command line wins over the environment, which wins over the file,
// which wins over the default.
func TestConfigPrecedence(t *testing.T) {
	file := writeConfig(t, "SESAME_ADDR=127.0.0.1:7003\n")
	for _, c := range []struct {
		name string
		env  string // SESAME_ADDR, when not empty
		args []string
		want string
	}{
		{"default", "", nil, ":8080"},
		{"file", "", []string{"--config", file}, "127.0.0.1:7003"},
		{"env over file", "127.0.0.1:7002", []string{"--config", file}, "127.0.0.1:7002"},
		{"flag over env and file", "127.0.0.1:7002", []string{"--config", file, "--addr", "127.0.0.1:7001"}, "127.0.0.1:7001"},
		{"flag over file", "", []string{"--addr", "127.0.0.1:7001", "--config", file}, "127.0.0.1:7001"},
		{"env alone", "127.0.0.1:7002", nil, "127.0.0.1:7002"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.env != "" {
				t.Setenv("SESAME_ADDR", c.env)
			}
			cfg, err := load(t, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Addr != c.want {
				t.Errorf("Addr = %q, want %q", cfg.Addr, c.want)
			}
		})
	}
	// SESAME_CONFIG names the file; --config wins over it.
	t.Run("SESAME_CONFIG", func(t *testing.T) {
		t.Setenv("SESAME_CONFIG", file)
		if cfg, err := load(t); err != nil || cfg.Addr != "127.0.0.1:7003" {
			t.Errorf("%v %v", cfg, err)
		}
		other := writeConfig(t, "SESAME_ADDR=127.0.0.1:7004\n")
		if cfg, err := load(t, "--config", other); err != nil || cfg.Addr != "127.0.0.1:7004" {
			t.Errorf("%v %v", cfg, err)
		}
	})
}

// Every error names where the bad value came from: the flag, the
// variable, or the file and its line.
func TestConfigErrorsNameTheirSource(t *testing.T) {
	file := writeConfig(t, "# Collège Jean Moulin\n\nSESAME_SCHOOL=Collège Jean Moulin\nSESAME_ADDR=8080\n")
	dir := filepath.Dir(file)
	ttlFile := filepath.Join(dir, "ttl.env")
	os.WriteFile(ttlFile, []byte("SESAME_CODE_TTL=2 jours\n"), 0o600)
	longTTL := filepath.Join(dir, "long.env")
	os.WriteFile(longTTL, []byte("\r\nSESAME_CODE_TTL=2d\r\n"), 0o600)
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"flag", nil, []string{"--addr", "8080"}, `invalid --addr "8080": expected HOST:PORT`},
		{"env", map[string]string{"SESAME_ADDR": "8080"}, nil, `invalid SESAME_ADDR "8080": expected HOST:PORT`},
		{"file", nil, []string{"--config", file}, file + ` line 4: invalid SESAME_ADDR "8080": expected HOST:PORT`},
		{"flag over a bad file value", nil, []string{"--config", file, "--addr", "9090"}, `invalid --addr "9090"`},
		{"file value that does not parse", nil, []string{"--config", ttlFile}, ttlFile + ` line 1: invalid SESAME_CODE_TTL "2 jours": expected a duration such as 90s, 30m, 12h, 30d or 1d12h`},
		{"file value out of range", nil, []string{"--config", longTTL}, longTTL + ` line 2: invalid SESAME_CODE_TTL "2d": must be between 1s and 1d`},
		{"env value that does not parse", map[string]string{"SESAME_PASSWORD_MIN": "douze"}, nil, `invalid SESAME_PASSWORD_MIN "douze": expected a whole number, e.g. 12`},
		{"flag value that does not parse", nil, []string{"--code-ttl", "5x"}, `invalid --code-ttl "5x": expected a duration such as 90s, 30m, 12h, 30d or 1d12h`},
		// systemd's EnvironmentFile put the file's value in the
		// environment too: the line is named.
		{"env from the file", map[string]string{"SESAME_ADDR": "8080"}, []string{"--config", file}, `invalid SESAME_ADDR "8080" (as in ` + file + ` line 4)`},
		{"missing file", nil, []string{"--config", filepath.Join(dir, "nope.env")}, `--config "` + filepath.Join(dir, "nope.env") + `": no such file`},
		{"missing file from SESAME_CONFIG", map[string]string{"SESAME_CONFIG": filepath.Join(dir, "nope.env")}, nil, `SESAME_CONFIG "` + filepath.Join(dir, "nope.env") + `": no such file`},
	} {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			_, err := load(t, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
	// A good flag over the file's bad value: nothing to say.
	if _, err := load(t, "--config", file, "--addr", "127.0.0.1:9090"); err != nil {
		t.Error(err)
	}
}

// A bad value prints one line with an example, not the whole usage.
func TestBadValueOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--code-ttl", "5x"},
		{"serve", "--outbox-retention", "1 mois"},
		{"serve", "--adr", ":8080"},
		{"serve", "--config", writeConfig(t, "SESAME_OUTBOX_RETENTON=30d\n")},
		{"mail", "test", "--to", "a@b.fr", "--code-ttl", "5x"},
	} {
		out, code := run(t, "", args...)
		if code != 2 || strings.Count(out, "\n") != 1 || strings.Contains(out, "Usage") {
			t.Errorf("%v: %d\n%s", args, code, out)
		}
	}
	out, _ := run(t, "", "serve", "--code-ttl", "5x")
	if !strings.Contains(out, "30d") {
		t.Errorf("no example: %s", out)
	}
}

// The file keeps to systemd's EnvironmentFile syntax: comments, blank
// lines, quotes, and what Windows Notepad writes (CRLF, a BOM).
func TestEnvFileSyntax(t *testing.T) {
	known := knownKeys()
	for _, c := range []struct {
		name, content string
		want          map[string]string
	}{
		{"comments and blank lines", "# a comment\n; another\n\n   \n  # indented\nSESAME_SCHOOL=École\n", map[string]string{"SESAME_SCHOOL": "École"}},
		{"spaces around", "  SESAME_SCHOOL = École Jules Ferry  \n", map[string]string{"SESAME_SCHOOL": "École Jules Ferry"}},
		{"double quotes", `SESAME_SCHOOL="École \"Les Tilleuls\" #2"`, map[string]string{"SESAME_SCHOOL": `École "Les Tilleuls" #2`}},
		{"single quotes", `SESAME_SECRETARIAT_HOURS='lundi-vendredi 8h-17h'`, map[string]string{"SESAME_SECRETARIAT_HOURS": "lundi-vendredi 8h-17h"}},
		{"windows path in quotes", `SESAME_DATA="C:\ProgramData\Sesame\sesame.db"`, map[string]string{"SESAME_DATA": `C:\ProgramData\Sesame\sesame.db`}},
		{"hash inside a value", "SESAME_SCHOOL=École #2\n", map[string]string{"SESAME_SCHOOL": "École #2"}},
		{"apostrophe inside a value", "SESAME_SCHOOL=École d'Arc\n", map[string]string{"SESAME_SCHOOL": "École d'Arc"}},
		{"empty value", "SESAME_BASE_URL=\n", map[string]string{"SESAME_BASE_URL": ""}},
		{"CRLF", "SESAME_ADDR=:8081\r\nSESAME_LANG=en\r\n", map[string]string{"SESAME_ADDR": ":8081", "SESAME_LANG": "en"}},
		{"BOM and CRLF", "\xef\xbb\xbfSESAME_ADDR=:8081\r\n", map[string]string{"SESAME_ADDR": ":8081"}},
		{"no final newline", "SESAME_ADDR=:8081", map[string]string{"SESAME_ADDR": ":8081"}},
		{"password", "SESAME_SMTP_PASSWORD='p@ss w0rd'\n", map[string]string{"SESAME_SMTP_PASSWORD": "p@ss w0rd"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := parseEnvFile("sesame.env", []byte(c.content), known)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Values) != len(c.want) {
				t.Errorf("values %v", f.Values)
			}
			for k, v := range c.want {
				if f.Values[k].Value != v {
					t.Errorf("%s = %q, want %q", k, f.Values[k].Value, v)
				}
			}
		})
	}
	for _, c := range []struct{ name, content, want string }{
		{"unknown key", "# school\nSESAME_ADDR=:8080\nSESAME_ADRESS=:8080\n", "sesame.env line 3: unknown key SESAME_ADRESS"},
		{"unknown key after BOM and CRLF", "\xef\xbb\xbf# x\r\nSESAME_TIMEZONE=Europe/Paris\r\nSESAM_LANG=en\r\n", "sesame.env line 3: unknown key SESAM_LANG"},
		{"not a command-line-only option", "SESAME_CONFIG=/etc/other.env\n", "line 1: unknown key SESAME_CONFIG"},
		{"lower case", "sesame_addr=:8080\n", "line 1: unknown key sesame_addr"},
		{"no equals sign", "SESAME_ADDR :8080\n", "line 1: expected KEY=value"},
		{"export", "export SESAME_ADDR=:8080\n", `line 1: write SESAME_ADDR=… without "export"`},
		{"twice", "SESAME_ADDR=:8080\n\nSESAME_ADDR=:8081\n", "line 3: SESAME_ADDR is already set on line 1"},
		{"unclosed quote", "SESAME_SCHOOL=\"École\n", "line 1: SESAME_SCHOOL: a quoted value must end the line"},
		{"text after the quote", "SESAME_SCHOOL=\"École\" # comment\n", "line 1: SESAME_SCHOOL: a quoted value must end the line"},
		{"half quoted", "SESAME_SCHOOL=École \"Jules\"\n", "line 1: SESAME_SCHOOL: quote the whole value"},
		{"continued line", "SESAME_SCHOOL=École \\\nJules\n", "line 1: SESAME_SCHOOL: a value ending in \\ continues"},
		{"backslash outside quotes", "SESAME_DATA=C:\\Sesame\\sesame.db\n", "line 1: SESAME_DATA: a \\ outside quotes is dropped by systemd"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseEnvFile("sesame.env", []byte(c.content), known)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

// Every duration option takes days.
func TestDurationsTakeDays(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"30d", 30 * 24 * time.Hour}, {"1d12h", 36 * time.Hour}, {"1d", 24 * time.Hour}, {"2d30m", 48*time.Hour + 30*time.Minute},
		{"90s", 90 * time.Second}, {"12h", 12 * time.Hour}, {"250ms", 250 * time.Millisecond}, {" 7d ", 7 * 24 * time.Hour},
	} {
		if got, err := parseDays(c.in); err != nil || got != c.want {
			t.Errorf("parseDays(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "d", "30 d", "1.5d", "-1d", "-5m", "30j", "1d-1h", "d12h", "forever"} {
		if _, err := parseDays(bad); err == nil {
			t.Errorf("parseDays(%q) accepted", bad)
		}
	}
	for d, want := range map[time.Duration]string{30 * 24 * time.Hour: "30d", 36 * time.Hour: "1d12h", 30 * time.Minute: "30m",
		10 * time.Second: "10s", 15 * time.Minute: "15m", 90 * time.Minute: "1h30m", 100 * time.Millisecond: "100ms", 25 * time.Hour: "1d1h"} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%v) = %q, want %q", d, got, want)
		}
	}
	// The admin client's deadline too.
	t.Setenv("SESAME_ADMIN_TIMEOUT", "1d")
	if d, err := adminTimeout([]string{"accounts", "list"}); err != nil || d != 24*time.Hour {
		t.Errorf("SESAME_ADMIN_TIMEOUT=1d: %v %v", d, err)
	}
	// From the command line, the environment and the file alike.
	t.Setenv("SESAME_MAIL_RETRY", "0d1m")
	c, err := load(t, "--config", writeConfig(t, "SESAME_OUTBOX_RETENTION=1d12h\n"), "--code-ttl", "1d")
	if err != nil {
		t.Fatal(err)
	}
	if c.Retention != 36*time.Hour || c.Services.CodeTTL != 24*time.Hour || c.MailRetry != time.Minute {
		t.Errorf("retention %v, code TTL %v, mail retry %v", c.Retention, c.Services.CodeTTL, c.MailRetry)
	}
}

// SESAME_SMTP_PASSWORD may be in the file; the environment wins over it.
func TestSMTPPasswordFromFile(t *testing.T) {
	file := writeConfig(t, "SESAME_SMTP_URL=smtp://portail@smtp.ecole.fr:587\nSESAME_SMTP_PASSWORD=\"dans le fichier\"\n")
	c, err := load(t, "--config", file)
	if err != nil || c.SMTP.Password != "dans le fichier" {
		t.Fatalf("%v %+v", err, c)
	}
	t.Setenv("SESAME_SMTP_PASSWORD", "dans l'environnement")
	if c, err = load(t, "--config", file); err != nil || c.SMTP.Password != "dans l'environnement" {
		t.Fatalf("%v %+v", err, c)
	}
}

// packaging/sesame.env.example is generated from the option table: it
// cannot miss a key or show a stale default.
func TestConfigExampleUpToDate(t *testing.T) {
	b, err := os.ReadFile("../../packaging/sesame.env.example")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != configExample() {
		t.Errorf("packaging/sesame.env.example is stale: run  go run . serve --print-config-example > packaging/sesame.env.example")
	}
	// Every key is listed once, and the file read with every line
	// uncommented gives the defaults.
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "#SESAME_") {
			lines = append(lines, strings.TrimPrefix(l, "#"))
		}
	}
	f, err := parseEnvFile("example", []byte(strings.Join(lines, "\n")), knownKeys())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Values) != len(knownKeys()) {
		t.Errorf("%d keys in the example, %d known", len(f.Values), len(knownKeys()))
	}
	uncommented := writeConfig(t, strings.Join(lines, "\n"))
	got, err := load(t, "--config", uncommented)
	if err != nil {
		t.Fatal(err)
	}
	want, err := load(t)
	if err != nil {
		t.Fatal(err)
	}
	if got.Addr != want.Addr || got.Retention != want.Retention || got.Services.CodeTTL != want.Services.CodeTTL ||
		got.Services.Location.String() != want.Services.Location.String() || got.BaseURL.String() != want.BaseURL.String() {
		t.Errorf("the example's defaults differ from the defaults: %+v vs %+v", got, want)
	}
	out, code := run(t, "", "serve", "--print-config-example")
	if code != 0 || out != configExample() {
		t.Errorf("serve --print-config-example: %d", code)
	}
}

// The admin commands read the data path and the service settings from
// --config (or SESAME_CONFIG), and refuse a file with an unknown key.
func TestAdminCommandsReadConfig(t *testing.T) {
	// Only serve creates a data file; the admin commands need one.
	data := filepath.Join(t.TempDir(), "école.db")
	st, err := store.Create(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	file := writeConfig(t, "SESAME_DATA=\""+data+"\"\nSESAME_TIMEZONE=Indian/Reunion\n")
	out, code := run(t, "", "accounts", "add", "--config", file, "--last-name", "Dupont", "--first-name", "Marie", "--email", "m@exemple.fr")
	if code != 0 {
		t.Fatalf("accounts add: %d %s", code, out)
	}
	if _, err := os.Stat(data); err != nil {
		t.Fatalf("the data file named in the configuration was not used: %v", err)
	}
	out, code = run(t, "", "accounts", "--config", file, "show", "dupont.marie")
	if code != 0 || !strings.Contains(out, "(Indian/Reunion)") {
		t.Errorf("accounts show with --config: %d %s", code, out)
	}
	t.Setenv("SESAME_CONFIG", file)
	out, code = run(t, "", "accounts", "show", "dupont.marie")
	if code != 0 || !strings.Contains(out, "(Indian/Reunion)") {
		t.Errorf("accounts show with SESAME_CONFIG: %d %s", code, out)
	}
	bad := writeConfig(t, "SESAME_DATA=\""+data+"\"\nSESAME_TIMEZON=Indian/Reunion\n")
	out, code = run(t, "", "accounts", "--config", bad, "list")
	if code == 0 || !strings.Contains(out, bad+" line 2: unknown key SESAME_TIMEZON") {
		t.Errorf("unknown key: %d %s", code, out)
	}
}
