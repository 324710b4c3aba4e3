package integration

// The files a school installs beside the binary (packaging/: systemd
// units, the example configuration), checked with the tools that will
// read them. They live here rather than in packaging/ so that folder
// stays data only (no Go package among the customer's top level).

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// unitsDir is packaging/systemd, seen from this package's directory
// (where go test runs it).
var unitsDir = filepath.Join("..", "packaging", "systemd")

// systemdAnalyze finds systemd-analyze, or skips saying why (and fails
// in CI, where scripts/install-deps.sh installs it).
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is missing: scripts/install-deps.sh installs Debian's systemd package")
		}
		t.Skip("SKIPPED: systemd-analyze is not installed (apt-get install systemd, or run scripts/install-deps.sh): the units are not verified")
	}
	return p
}

// Both units pass `systemd-analyze verify` without a warning: systemd
// ignores an unknown key or a misspelt value with only a warning (the
// exit status stays 0), which would silently drop a hardening line.
func TestSystemdUnitsVerify(t *testing.T) {
	analyze := systemdAnalyze(t)
	dir := t.TempDir()
	for _, c := range []struct{ file, as string }{
		{"sesame.service", "sesame.service"},
		{"sesame@.service", "sesame@jules-ferry.service"},
	} {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(unitsDir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			unit := string(b)
			if !strings.Contains(unit, "ExecStart=/usr/local/bin/sesame serve ") {
				t.Fatalf("ExecStart does not run /usr/local/bin/sesame serve")
			}
			// verify checks that ExecStart's binary exists: point it at
			// the one just built.
			path := filepath.Join(dir, c.as)
			if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/sesame", bin)), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
			if err != nil || strings.Contains(string(out), c.as) {
				t.Errorf("systemd-analyze verify %s: %v\n%s", c.file, err, out)
			} else if len(out) > 0 {
				t.Logf("systemd-analyze (about other units):\n%s", out)
			}
		})
	}
}

// The units hold what the README promises: the dedicated user, the state
// directory, the configuration file read twice (systemd and --config),
// the data file inside the state directory, and the hardening.
func TestSystemdUnitsSettings(t *testing.T) {
	for _, c := range []struct {
		file, inst string // inst: what %i stands for in the paths
	}{
		{"sesame.service", ""},
		{"sesame@.service", "%i"},
	} {
		b, err := os.ReadFile(filepath.Join(unitsDir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string][]string{}
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
				keys[k] = append(keys[k], v)
			}
		}
		env, state, data := "/etc/sesame/sesame.env", "sesame", "/var/lib/sesame/sesame.db"
		if c.inst != "" {
			env, state, data = "/etc/sesame/%i.env", "sesame/%i", "/var/lib/sesame/%i/sesame.db"
		}
		for k, want := range map[string]string{
			"User": "sesame", "EnvironmentFile": env, "StateDirectory": state, "StateDirectoryMode": "0700",
			"ExecStart":       "/usr/local/bin/sesame serve --config " + env + " --data " + data,
			"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
			"PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
			"ProtectKernelLogs": "yes", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
			"LockPersonality": "yes", "MemoryDenyWriteExecute": "yes", "RestrictNamespaces": "yes",
			"SystemCallFilter": "@system-service", "CapabilityBoundingSet": "", "UMask": "0077",
			"Restart": "on-failure", "KillSignal": "SIGTERM", "TimeoutStopSec": "30",
		} {
			if got := keys[k]; len(got) != 1 || got[0] != want {
				t.Errorf("%s: %s=%q, want %q", c.file, k, got, want)
			}
		}
		if _, ok := keys["AmbientCapabilities"]; ok {
			t.Errorf("%s: AmbientCapabilities set: sesame listens above 1024 behind a proxy", c.file)
		}
	}
}

// The unit's command line is one sesame understands, with the example
// configuration as /etc/sesame/sesame.env: --print-config-example reads
// every option and the file, then exits without serving.
func TestUnitCommandLineParses(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(unitsDir, "sesame.service"))
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "ExecStart=/usr/local/bin/sesame "); ok {
			example := filepath.Join("..", "packaging", "sesame.env.example")
			args = strings.Fields(strings.ReplaceAll(v, "/etc/sesame/sesame.env", example))
		}
	}
	cmd := exec.Command(bin, append(args, "--print-config-example")...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "SESAME_ADDR") {
		t.Errorf("%s %v: %v\n%s", bin, args, err, out)
	}
}
