// Package password hashes and verifies passwords with argon2id, with a
// bound on how many hashes run at once.
//
// Each argon2id hash holds its whole memory cost (tens of MiB) while it
// runs, so a burst of logins on a small school server must queue rather
// than all run together; a request that would wait too long is refused
// with ErrBusy so the caller can answer "try again" instead of the
// process running out of memory.
package password

import (
	"context"
	"crypto/rand"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"
)

// ErrBusy means every hashing slot stayed taken for longer than the
// hasher's wait limit.
var ErrBusy = errors.New("password: too many hashes in progress")

// Params are the argon2id cost parameters.
type Params = argon2id.Params

// DefaultParams is the cost Sésame uses: 19 MiB, 2 passes, 1 lane — the
// OWASP-recommended argon2id setting. Measured on the 2-core machine
// (go test -bench Params ./internal/password/): 28–30 ms and 19 MiB per hash,
// against 67 ms and 64 MiB for the library's DefaultParams (64 MiB, t=1,
// p=2). With one hash per core at once, a burst of logins holds at most
// ~40 MiB for hashing, and a login costs tens of milliseconds.
var DefaultParams = &Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Hasher hashes and verifies passwords. The zero value is not usable;
// build one with New.
type Hasher struct {
	params *Params
	slots  chan struct{}
	wait   time.Duration
	dummy  func() string
	// create and compare do the argon2id work; every call runs while
	// holding a slot. They are fields so a test can count how many run
	// at once.
	create  func(pw string, p *Params) (string, error)
	compare func(pw, hash string) (bool, error)
}

// New returns a Hasher running at most concurrency hashes at once
// (0 means the number of CPUs) and refusing to wait longer than wait.
func New(p *Params, concurrency int, wait time.Duration) *Hasher {
	if p == nil {
		p = DefaultParams
	}
	if concurrency <= 0 {
		concurrency = runtime.NumCPU()
	}
	if wait <= 0 {
		wait = 10 * time.Second
	}
	h := &Hasher{params: p, slots: make(chan struct{}, concurrency), wait: wait,
		create: argon2id.CreateHash, compare: argon2id.ComparePasswordAndHash}
	// A hash of a random password: verifying against it costs exactly what
	// verifying a real account costs, and can never succeed. Made on first
	// use so start-up stays instant, by a caller already holding a slot, so
	// even that first hash counts against the bound.
	h.dummy = sync.OnceValue(func() string {
		buf := make([]byte, 32)
		rand.Read(buf)
		d, err := h.create(string(buf), p)
		if err != nil {
			panic(err)
		}
		return d
	})
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	t := time.NewTimer(h.wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the encoded argon2id hash of pw.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return h.create(pw, h.params)
}

// Verify reports whether pw matches the encoded hash. An empty hash (an
// account that never chose a password) is checked against a dummy hash
// so it takes the same time and always fails.
func (h *Hasher) Verify(ctx context.Context, pw, hash string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	if hash == "" {
		hash = h.dummy()
		pw = "\x00" + pw // cannot match the dummy's random bytes
	}
	ok, err := h.compare(pw, hash)
	if err != nil {
		return false, err
	}
	return ok, nil
}

// Dummy verifies pw against a hash that never matches, so a login for an
// unknown identifier costs what a real one costs.
func (h *Hasher) Dummy(ctx context.Context, pw string) error {
	_, err := h.Verify(ctx, pw, "")
	return err
}

// NeedsRehash reports whether hash was made with other parameters than
// the hasher's, so a successful login can upgrade it.
func (h *Hasher) NeedsRehash(hash string) bool {
	p, _, _, err := argon2id.DecodeHash(hash)
	if err != nil {
		return true
	}
	return p.Memory != h.params.Memory || p.Iterations != h.params.Iterations ||
		p.Parallelism != h.params.Parallelism || p.KeyLength != h.params.KeyLength
}
