package integration

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"sesame/internal/store"
)

// runAs runs a sesame command in dir with env added, as the user attr
// names (nil: as the test), and returns its combined output and status.
func runAs(t *testing.T, attr *syscall.SysProcAttr, dir string, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(cleanEnv(), env...)
	cmd.Dir = dir
	cmd.SysProcAttr = attr
	cmd.Stdin = strings.NewReader("Lune-bleue-42\n")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		t.Fatalf("sesame %s: %v", strings.Join(args, " "), err)
	}
	return string(out), 0
}

// dirEntries lists what dir holds, for "nothing was created".
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// Issue 12, "the data file is never created by accident": every admin
// command refuses a missing data file, names the absolute path it looked
// for, exits non-zero, and creates nothing: no file, no folder, no lock.
func TestAdminCommandsRefuseMissingDataFile(t *testing.T) {
	t.Parallel()
	csvDir := t.TempDir()
	csv := filepath.Join(csvDir, "parents.csv")
	if err := os.WriteFile(csv, []byte("identifiant;nom;prénom;e-mail;langue\nx01;Testeur;Anne;x01@example.org;fr\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	commands := [][]string{
		{"accounts", "list"},
		{"accounts", "show", "x01"},
		{"accounts", "add", "--last-name", "Le Goff", "--first-name", "Anne", "--email", "anne@example.org"},
		{"accounts", "import", csv},
		{"accounts", "disable", "x01"},
		{"accounts", "enable", "x01"},
		{"accounts", "set-password", "x01"},
		{"mail", "queue"},
		{"audit", "--since", "1d"},
		{"backup", "copy.db"},
		{"check"},
		{"check", "--repair-to", "repaired.db"},
		{"compact"},
		{"compact", "--keep"},
	}
	for _, cmd := range commands {
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			t.Parallel()
			// Three ways to name the file: the issue's own example, an
			// absolute path in a missing folder, and a relative --data
			// (the message must give the absolute path), and SESAME_DATA.
			dir := t.TempDir()
			cases := []struct {
				name, want string
				args, env  []string
			}{
				{"the issue's path", "/nonexistent/x.db", []string{"--data", "/nonexistent/x.db"}, nil},
				{"missing folder", filepath.Join(dir, "absent", "x.db"), []string{"--data", filepath.Join(dir, "absent", "x.db")}, nil},
				{"relative --data", filepath.Join(dir, "sesame.db"), []string{"--data", "sesame.db"}, nil},
				{"SESAME_DATA", filepath.Join(dir, "sub", "s.db"), nil, []string{"SESAME_DATA=sub/s.db"}},
			}
			for _, c := range cases {
				out, code := runAs(t, nil, dir, c.env, append(append([]string{}, cmd...), c.args...)...)
				if code == 0 {
					t.Errorf("%s: exit 0 on a missing data file:\n%s", c.name, out)
				}
				want := "no data file at " + c.want + ": check --data or SESAME_DATA; the server creates it at its first start"
				if !strings.Contains(out, want) {
					t.Errorf("%s: output does not say %q:\n%s", c.name, want, out)
				}
				if got := dirEntries(t, dir); len(got) != 0 {
					t.Fatalf("%s: the command created %v in %s", c.name, got, dir)
				}
			}
			if _, err := os.Stat("/nonexistent"); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("/nonexistent exists after the command: %v", err)
			}
		})
	}
}

// Only serve creates the data file, with its folder, owner-only; every
// admin command then says which file it used and which way.
func TestServeCreatesDataFileAndAdminSaysWhich(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "var", "sesame", "sesame.db")
	srv := newSesame(t, data)
	srv.start()
	for _, p := range []struct {
		path string
		mode os.FileMode
	}{{filepath.Dir(data), 0o700}, {data, 0o600}} {
		fi, err := os.Stat(p.path)
		if err != nil || fi.Mode().Perm() != p.mode {
			t.Fatalf("%s: %v %v, want mode %v", p.path, fi, err, p.mode)
		}
	}
	out := mustCLI(t, "", "accounts", "list", "--data", data)
	if want := "data: " + data + " (through the running server)"; !strings.Contains(out, want) {
		t.Errorf("admin command through the server does not say %q:\n%s", want, out)
	}
	if code, _ := srv.stop(10 * time.Second); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	for _, cmd := range [][]string{{"accounts", "list"}, {"mail", "queue"}, {"check"}, {"compact"}, {"audit"}} {
		out := mustCLI(t, "", append(cmd, "--data", data)...)
		if want := "data: " + data + " (file opened directly; the server is not running)"; !strings.Contains(out, want) {
			t.Errorf("sesame %s does not say %q:\n%s", strings.Join(cmd, " "), want, out)
		}
	}
}

var nobody = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}

// reachable lets nobody traverse the folders above dir (t.TempDir's are
// 0700).
func reachable(t *testing.T, dir string) {
	t.Helper()
	for _, p := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// An admin command run as another user than the server's says which
// user to run it as, whether the socket or the folder refused it.
func TestAdminAsAnotherUserNamesTheUser(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a command as another user")
	}
	dir := t.TempDir()
	reachable(t, dir)
	data := filepath.Join(dir, "sesame.db")
	srv := newSesame(t, data)
	srv.start()
	// The server's user is root; nobody reaches the folder but not the
	// socket (0600).
	out, code := runAs(t, nobody, "/", nil, "accounts", "list", "--data", data)
	want := "permission denied on " + data + ".sock"
	if code == 0 || !strings.Contains(out, want) || !strings.Contains(out, "it belongs to the user root") ||
		!strings.Contains(out, "sudo -u root sesame accounts list --data "+data) {
		t.Errorf("socket of another user: exit %d, want %q and the user to run as:\n%s", code, want, out)
	}
	srv.stop(10 * time.Second)
	// A data folder the caller cannot enter (systemd's StateDirectory is
	// 0700): the folder's owner is named.
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, code = runAs(t, nobody, "/", nil, "mail", "queue", "--data", data)
	if code == 0 || !strings.Contains(out, "permission denied on "+data) || !strings.Contains(out, "sudo -u root sesame mail queue --data "+data) {
		t.Errorf("folder of another user: exit %d:\n%s", code, out)
	}
}

// `sesame backup` through the running server writes the copy as the
// caller: owned by the caller, 0600, in a folder the server's user
// cannot even enter.
func TestBackupWrittenByTheCaller(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the server as another user")
	}
	srvDir := t.TempDir()
	reachable(t, srvDir)
	if err := os.Chown(srvDir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(srvDir, "sesame.db")
	srv := newSesame(t, data)
	srv.attr = nobody
	srv.start()
	importAccounts(t, data, "copie", 3)

	mine := t.TempDir() // 0700, root's: nobody cannot write here
	dst := filepath.Join(mine, "copy.db")
	out := mustCLI(t, "", "backup", dst, "--data", data)
	if !strings.Contains(out, "backup written to "+dst) || !strings.Contains(out, "(through the running server)") {
		t.Fatalf("backup: %s", out)
	}
	fi, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("copy owned by uid %d, mode %v; want the caller (0) and 0600", st.Uid, fi.Mode().Perm())
	}
	if got := dirEntries(t, mine); len(got) != 1 {
		t.Errorf("backup left %v in the folder", got)
	}
	srv.stop(10 * time.Second)
	// The copy is a whole data file with the accounts.
	if out := mustCLI(t, "", "accounts", "list", "--data", dst); !strings.Contains(out, "3 account(s)") {
		t.Errorf("the copy: %s", out)
	}
}

// setSchema writes a schema number into a stopped data file, as an
// older or a newer release would have left it.
func setSchema(t *testing.T, data, v string) {
	t.Helper()
	db, err := bolt.Open(data, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte(v)) }); err != nil {
		t.Fatal(err)
	}
}

// Upgrades that cannot lose data: serve keeps a copy of a file at an
// older schema before migrating it, and says so; a file from a newer
// release is refused with the schemas involved and the way back.
func TestUpgradeKeepsTheFileAsItWas(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "sesame.db")
	importAccounts(t, data, "avant", 2)
	setSchema(t, data, "2")
	srv := newSesame(t, data)
	srv.start()
	copyPath := store.BeforeSchema(data, 2)
	if !strings.Contains(srv.log.String(), copyPath) || !strings.Contains(srv.log.String(), "from_schema=2") {
		t.Errorf("serve does not say it kept %s:\n%s", copyPath, tail(srv.log.String(), 3000))
	}
	srv.stop(10 * time.Second)
	fi, err := os.Stat(copyPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("copy before migration: %v %v", fi, err)
	}
	db, err := bolt.Open(copyPath, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bolt.Tx) error {
		if got := string(tx.Bucket([]byte("meta")).Get([]byte("schema_version"))); got != "2" {
			t.Errorf("copy at schema %s, want 2", got)
		}
		if n := tx.Bucket([]byte("accounts")).Stats().KeyN; n != 2 {
			t.Errorf("copy holds %d accounts, want 2", n)
		}
		return nil
	})
	db.Close()

	// A newer release's file: refused, nothing changed, the schemas named.
	setSchema(t, data, "99")
	out, code, _ := serveOnce(t, data, nil)
	if code == 0 || !strings.Contains(out, "the file is at schema 99, this program reads schema") {
		t.Errorf("newer file: exit %d:\n%s", code, out)
	}
}
