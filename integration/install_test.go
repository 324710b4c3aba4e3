//go:build linux

package integration

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInstallFromReleaseArchive is issue 12's "done when", as a new user
// would do it: `make release` builds the linux/amd64 archive (the one
// target, so the test stays fast), its checksum is checked with
// sha256sum against SHA256SUMS, it is unpacked with tar into an empty
// folder, and from then on only the unpacked files are used: the
// configuration written from packaging/sesame.env.example as the README
// says, the systemd units verified by systemd-analyze, `serve --config`
// creating the data folder, `mail test` reaching an SMTP server, the
// school's CSV imported, and a parent recovering the account with the
// code e-mailed and signing in. Never `go run`, never the binary
// TestMain built.
func TestInstallFromReleaseArchive(t *testing.T) {
	t.Parallel()
	began := time.Now()
	for _, tool := range []string{"make", "tar", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: scripts/install-deps.sh installs it", tool)
		}
	}
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	tmp := t.TempDir()

	// make release, into a folder of the test's own (never the
	// worktree's dist/). MAKEFLAGS from an outer `make test` stays out:
	// its variables would reach this make.
	version := "test-" + strconv.FormatInt(time.Now().Unix(), 36)
	dist := filepath.Join(tmp, "dist")
	mk := exec.Command("make", "-C", root, "release", "TARGETS=linux/amd64", "VERSION="+version, "DIST="+dist)
	for _, kv := range cleanEnv() {
		if !strings.HasPrefix(kv, "MAKEFLAGS=") && !strings.HasPrefix(kv, "MFLAGS=") && !strings.HasPrefix(kv, "MAKELEVEL=") {
			mk.Env = append(mk.Env, kv)
		}
	}
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("make release: %v\n%s", err, out)
	}
	t.Logf("make release (linux/amd64): %s", time.Since(began).Round(100*time.Millisecond))

	// Downloaded: the archive and SHA256SUMS in an empty folder, checked
	// and unpacked with the README's commands.
	name := "sesame-" + version + "-linux-amd64"
	down := filepath.Join(tmp, "downloads")
	if err := os.Mkdir(down, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{name + ".tar.gz", "SHA256SUMS"} {
		b, err := os.ReadFile(filepath.Join(dist, f))
		if err != nil {
			t.Fatalf("make release wrote no %s: %v", f, err)
		}
		if err := os.WriteFile(filepath.Join(down, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir, cmd.Env = dir, cleanEnv()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out := run(down, "sha256sum", "-c", "--ignore-missing", "SHA256SUMS"); !strings.Contains(out, name+".tar.gz: OK") {
		t.Fatalf("sha256sum -c: %s", out)
	}
	// A damaged download is caught by the same command.
	bad := filepath.Join(tmp, "bad")
	if err := os.Mkdir(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	sums, _ := os.ReadFile(filepath.Join(down, "SHA256SUMS"))
	arch, _ := os.ReadFile(filepath.Join(down, name+".tar.gz"))
	arch[len(arch)/2] ^= 1
	_ = os.WriteFile(filepath.Join(bad, "SHA256SUMS"), sums, 0o644)
	_ = os.WriteFile(filepath.Join(bad, name+".tar.gz"), arch, 0o644)
	if out, err := exec.Command("sh", "-c", "cd "+bad+" && sha256sum -c --ignore-missing SHA256SUMS").CombinedOutput(); err == nil {
		t.Fatalf("sha256sum -c accepted a damaged archive:\n%s", out)
	}

	inst := filepath.Join(tmp, "install")
	if err := os.Mkdir(inst, 0o755); err != nil {
		t.Fatal(err)
	}
	run(inst, "tar", "-xzf", filepath.Join(down, name+".tar.gz"))
	if top := dirEntries(t, inst); len(top) != 1 || top[0] != name {
		t.Fatalf("the archive unpacks to %q, want the one folder %s", top, name)
	}
	dir := filepath.Join(inst, name)
	for _, f := range []string{"sesame", "README.md", "packaging/sesame.env.example",
		"packaging/systemd/sesame.service", "packaging/systemd/sesame@.service"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the archive holds no %s: %v", f, err)
		}
	}
	_ = filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error {
		if strings.HasSuffix(p, ".go") {
			t.Errorf("the archive holds a Go file: %s", p)
		}
		return nil
	})
	if t.Failed() {
		t.FailNow()
	}
	sesameBin := filepath.Join(dir, "sesame")
	if out := run(dir, "./sesame", "version"); !strings.HasPrefix(out, "sesame "+version+"\n") {
		t.Fatalf("./sesame version: want %q first, got\n%s", "sesame "+version, out)
	}

	// The configuration: the example with the README's keys set, its
	// data file in a folder nobody has created.
	sk := newSink(t)
	sk.up()
	port := freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	dataDir := filepath.Join(tmp, "var", "lib", "sesame")
	data := filepath.Join(dataDir, "sesame.db")
	example, err := os.ReadFile(filepath.Join(dir, "packaging", "sesame.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]string{
		"SESAME_ADDR":     "127.0.0.1:" + strconv.Itoa(port),
		"SESAME_DATA":     data,
		"SESAME_BASE_URL": base,
		"SESAME_SCHOOL":   `"École Jules Ferry"`,
		"SESAME_SMTP_URL": "smtp://" + sk.addr,
		// The test's SMTP server has no TLS; a school's relay would.
		"SESAME_SMTP_TLS":  "none",
		"SESAME_MAIL_FROM": "no-reply@ecole.example",
	}
	lines := strings.Split(string(example), "\n")
	for i, l := range lines {
		if k, _, ok := strings.Cut(strings.TrimPrefix(l, "#"), "="); ok && strings.HasPrefix(l, "#SESAME_") {
			if v, ok := set[k]; ok {
				lines[i] = k + "=" + v
				delete(set, k)
			}
		}
	}
	if len(set) > 0 {
		t.Fatalf("packaging/sesame.env.example lists no %v", set)
	}
	conf := filepath.Join(tmp, "etc", "sesame", "sesame.env")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")), 0o640); err != nil {
		t.Fatal(err)
	}

	// The units as installed: the unpacked binary in ExecStart, this
	// configuration as EnvironmentFile.
	if analyze, err := exec.LookPath("systemd-analyze"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is missing: scripts/install-deps.sh installs Debian's systemd package")
		}
		t.Log("SKIPPED the units' check: systemd-analyze is not installed (apt-get install systemd)")
	} else {
		units := filepath.Join(tmp, "units")
		if err := os.Mkdir(units, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ file, as string }{
			{"sesame.service", "sesame.service"},
			{"sesame@.service", "sesame@jules-ferry.service"},
		} {
			b, err := os.ReadFile(filepath.Join(dir, "packaging", "systemd", c.file))
			if err != nil {
				t.Fatal(err)
			}
			unit := strings.ReplaceAll(string(b), "/usr/local/bin/sesame", sesameBin)
			unit = strings.ReplaceAll(unit, "/etc/sesame/sesame.env", conf)
			path := filepath.Join(units, c.as)
			if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
				t.Fatal(err)
			}
			// A warning about the unit itself fails too: systemd exits 0
			// after ignoring a misspelt line.
			out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
			if err != nil || strings.Contains(string(out), c.as) {
				t.Errorf("systemd-analyze verify %s: %v\n%s", c.file, err, out)
			}
		}
	}

	// serve --config creates the data folder, owner-only.
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Fatalf("%s exists before serve: %v", dataDir, err)
	}
	srvLog := &logBuf{}
	srv := exec.Command(sesameBin, "serve", "--config", conf)
	srv.Dir, srv.Env = dir, cleanEnv()
	srv.Stdout, srv.Stderr = srvLog, srvLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = srv.Process.Signal(syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("sesame serve's log:\n%s", tail(srvLog.String(), 6000))
		}
	})
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	waitFor(t, 20*time.Second, "/healthz to answer ok", func() bool {
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("sesame serve exited during start-up: %v\n%s", err, srvLog.String())
		default:
		}
		resp, err := client.Get(base + "/healthz")
		if err != nil {
			return false
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode == 200 && string(body) == "ok"
	})
	if fi, err := os.Stat(dataDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("serve did not create %s owner-only: %v %v", dataDir, fi.Mode(), err)
	}
	if _, err := os.Stat(data); err != nil {
		t.Fatalf("serve did not create %s: %v", data, err)
	}
	admin := func(stdin string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, sesameBin, args...)
		cmd.Dir, cmd.Env = dir, cleanEnv()
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("./sesame %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	// mail test reaches the school's SMTP server.
	out := admin("", "mail", "test", "--config", conf, "--to", "it@ecole.example")
	waitFor(t, 10*time.Second, "the test e-mail at the SMTP server", func() bool {
		return sk.perRecipient()["it@ecole.example"] == 1
	})
	t.Logf("mail test:\n%s", out)

	// The school's export, in the README's format (identifiers made from
	// the names where the column is missing).
	csv := filepath.Join(tmp, "parents.csv")
	if err := os.WriteFile(csv, []byte("nom;prénom;e-mail;langue\nDupont;Marie;marie.dupont@exemple.fr;fr\nMartin;Paul;paul.martin@exemple.fr;en\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = admin("", "accounts", "import", "--config", conf, csv)
	if !strings.Contains(out, "created 2") || !strings.Contains(out, data) {
		t.Fatalf("accounts import: want 2 created in %s; got\n%s", data, out)
	}

	// A parent recovers the account with the code e-mailed, and signs in.
	b := newBrowser(t, base)
	b.startRecovery("marie.dupont@exemple.fr")
	var code string
	waitFor(t, 15*time.Second, "the code e-mail at the SMTP server", func() bool {
		for _, m := range sk.received() {
			if m.To == "marie.dupont@exemple.fr" && m.Code != "" {
				code = m.Code
				return true
			}
		}
		return false
	})
	if st, loc, err := b.post("/recuperation/code", url.Values{"code": {code}}); err != nil || st != http.StatusSeeOther {
		t.Fatalf("POST /recuperation/code: %d %q %v", st, loc, err)
	}
	pw := "Tortue-Bleue-4821"
	if st, loc, err := b.post("/recuperation/mot-de-passe", url.Values{"identifier": {"dupont.marie"}, "password": {pw}, "confirm": {pw}}); err != nil || st != http.StatusSeeOther {
		t.Fatalf("POST /recuperation/mot-de-passe: %d %q %v", st, loc, err)
	}
	if st, loc, err := newBrowser(t, base).login("dupont.marie", pw); err != nil || st != http.StatusSeeOther || loc != "/espace" {
		t.Fatalf("login with the recovered password: %d %q %v", st, loc, err)
	}

	// A service stop: SIGTERM, clean exit.
	stopped = true
	_ = srv.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("sesame serve after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		_ = srv.Process.Signal(syscall.SIGKILL)
		<-exited
		t.Fatal("sesame serve still running 15 s after SIGTERM")
	}
	checkBolt(t, data)
	t.Logf("from make release to a parent signed in: %s", time.Since(began).Round(100*time.Millisecond))
}
