package integration

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// acct is what the test knows about one account's password.
type acct struct {
	id      string
	current string   // acknowledged (or verified) password
	older   []string // every earlier one, oldest first
	// maybe is a change sent but never answered: it was in flight at
	// the kill, so either password may be the right one afterwards.
	maybe     string
	acked     int // changes acknowledged
	committed int // changes known to be in the file: acked + in-flight ones found committed
	problem   string
}

func newPassword() string {
	return fmt.Sprintf("Pw-%08x-%d", rand.Uint32(), rand.IntN(1000))
}

// runQuiet runs a sesame command without touching t, for goroutines.
func runQuiet(stdin string, args ...string) (string, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode(), nil
	}
	return string(out), 0, err
}

// changeOverHTTP signs in and changes the password, again and again,
// until the server stops answering.
func changeOverHTTP(ctx context.Context, base string, a *acct, acks *atomic.Int32) {
	for ctx.Err() == nil {
		b := newBrowser(nil, base)
		st, loc, err := b.login(a.id, a.current)
		if err != nil {
			return // the server is gone
		}
		if st != http.StatusSeeOther || loc != "/espace" {
			if ctx.Err() == nil {
				a.problem = fmt.Sprintf("login with the current password: %d %q", st, loc)
			}
			return
		}
		next := newPassword()
		a.maybe = next
		st, loc, err = b.post("/espace/mot-de-passe", url.Values{"current": {a.current}, "new": {next}, "confirm": {next}})
		if err != nil {
			return // in flight at the kill: a.maybe stays
		}
		if st != http.StatusSeeOther || loc != "/?msg=changed" {
			if ctx.Err() == nil {
				a.problem = fmt.Sprintf("password change: %d %q", st, loc)
			}
			return
		}
		a.older, a.current, a.maybe = append(a.older, a.current), next, ""
		a.acked++
		a.committed++
		acks.Add(1)
	}
}

// changeOverSocket sets passwords with `sesame accounts set-password`,
// which goes through the server's admin socket (or, once the server is
// dead, straight to the file: still a real, acknowledged change).
func changeOverSocket(ctx context.Context, data string, as []*acct, acks *atomic.Int32) {
	for ctx.Err() == nil {
		for _, a := range as {
			next := newPassword()
			a.maybe = next
			out, code, err := runQuiet(next+"\n", "accounts", "--data", data, "set-password", a.id)
			if err != nil || code != 0 || !strings.Contains(out, "password set for") {
				return // a.maybe stays: the server may have died mid-command
			}
			a.older, a.current, a.maybe = append(a.older, a.current), next, ""
			a.acked++
			a.committed++
			acks.Add(1)
		}
	}
}

// Issue 6, "Faults": SIGKILL under load loses no acknowledged password
// change and corrupts nothing. Four parents change their password over
// HTTP in a loop and the school's IT person sets two others' through the
// admin socket; the process is killed at a random moment, twice.
func TestSIGKILLUnderLoadKeepsAcknowledgedPasswords(t *testing.T) {
	t.Parallel()
	const httpAccounts, socketAccounts, rounds = 4, 2, 2
	data := filepath.Join(t.TempDir(), "sesame.db")
	srv := newSesame(t, data)
	srv.start()
	ids, _ := importAccounts(t, data, "charge", httpAccounts+socketAccounts)
	accts := make([]*acct, len(ids))
	for i, id := range ids {
		a := &acct{id: id, current: newPassword(), committed: 1}
		mustCLI(t, a.current+"\n", "accounts", "--data", data, "set-password", id)
		accts[i] = a
	}

	totalAcked := 0
	for round := 1; round <= rounds; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		var acks atomic.Int32
		var wg sync.WaitGroup
		for _, a := range accts[:httpAccounts] {
			wg.Go(func() { changeOverHTTP(ctx, srv.base(), a, &acks) })
		}
		wg.Go(func() { changeOverSocket(ctx, data, accts[httpAccounts:], &acks) })

		// Let some changes through, then kill at a random moment.
		deadline := time.Now().Add(20 * time.Second)
		for acks.Load() < 3 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		delay := killDelay(t)
		t.Logf("round %d: killing %s after three acknowledged changes (replay with %s=%s)", round, delay, crashDelayEnv, delay)
		time.Sleep(delay)
		srv.kill()
		cancel()
		wg.Wait()

		inFlight := 0
		for _, a := range accts {
			if a.problem != "" {
				t.Errorf("round %d, %s: %s", round, a.id, a.problem)
				a.problem = ""
			}
			if a.maybe != "" {
				inFlight++
			}
		}
		t.Logf("round %d: killed after %d acknowledged changes, %d in flight", round, acks.Load(), inFlight)
		totalAcked += int(acks.Load())
		if acks.Load() == 0 {
			t.Fatalf("round %d: no password change was acknowledged before the kill", round)
		}

		checkBolt(t, data)
		srv.start()
		landed := 0
		for _, a := range accts {
			if verifyPassword(t, srv.base(), a) {
				landed++
			}
		}
		t.Logf("round %d: %d of the %d changes in flight had reached the file", round, landed, inFlight)
		if t.Failed() {
			t.FailNow()
		}
	}

	// Every committed change queued its "password changed" notice in the
	// same transaction (no SMTP here, so they are all still pending).
	committed := 0
	for _, a := range accts {
		committed += a.committed
	}
	q := mailQueue(t, data)
	if got := strings.Count(q.Out, "password_changed"); got != committed {
		t.Errorf("%d password changes are in the file, but the outbox holds %d notices:\n%s", committed, got, q.Out)
	}
	if out := mustCLI(t, "", "accounts", "--data", data, "list"); !strings.Contains(out, fmt.Sprintf("%d account(s)", len(accts))) {
		t.Errorf("accounts list after the kills:\n%s", out)
	}
	t.Logf("%d acknowledged changes over %d kills, all kept", totalAcked, rounds)
}

// crashDelayEnv names the variable that replays a kill delay the test
// logged, e.g. SESAME_CRASH_DELAY=734ms.
const crashDelayEnv = "SESAME_CRASH_DELAY"

// killDelay is how long to let the load run before the kill: random
// below 1.2 s, or the duration in SESAME_CRASH_DELAY.
func killDelay(t *testing.T) time.Duration {
	t.Helper()
	v := os.Getenv(crashDelayEnv)
	if v == "" {
		return time.Duration(rand.IntN(1200)) * time.Millisecond
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		t.Fatalf("%s=%q: want a duration such as 734ms", crashDelayEnv, v)
	}
	return d
}

// verifyPassword checks, after a restart, that a's last acknowledged
// password works — or the one in flight at the kill, if that change
// made it to disk before the kill; it reports whether that was the case.
func verifyPassword(t *testing.T, base string, a *acct) (inFlightLanded bool) {
	t.Helper()
	try := func(pw string) int {
		st, loc, err := newBrowser(t, base).login(a.id, pw)
		if err != nil {
			t.Fatalf("%s: login: %v", a.id, err)
		}
		if st == http.StatusSeeOther && loc != "/espace" {
			t.Fatalf("%s: login redirected to %q", a.id, loc)
		}
		if st != http.StatusSeeOther && st != http.StatusUnauthorized {
			t.Fatalf("%s: login answered %d", a.id, st)
		}
		return st
	}
	switch {
	case try(a.current) == http.StatusSeeOther:
	case a.maybe != "" && try(a.maybe) == http.StatusSeeOther:
		// The change in flight at the kill was committed: fine, it was
		// simply never acknowledged.
		a.older, a.current = append(a.older, a.current), a.maybe
		a.committed++
		inFlightLanded = true
	default:
		works := "none of its passwords"
		for i := len(a.older) - 1; i >= 0; i-- {
			if try(a.older[i]) == http.StatusSeeOther {
				works = fmt.Sprintf("the password from %d change(s) earlier", len(a.older)-i)
				break
			}
		}
		t.Errorf("%s: the last acknowledged password change was lost: its password is refused; %s works", a.id, works)
	}
	a.maybe = ""
	if n := len(a.older); n > 0 && try(a.older[n-1]) != http.StatusUnauthorized {
		t.Errorf("%s: the previous password still works", a.id)
	}
	return inFlightLanded
}
