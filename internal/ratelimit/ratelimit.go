// Package ratelimit slows down whoever repeats an action too fast — a
// client address, an identifier, an e-mail address — with token buckets
// kept in a fixed-size LRU cache, so a flood from many addresses cannot
// grow the server's memory: the least recently seen keys are forgotten
// first, while an active abuser's bucket stays.
//
// State lives in memory and is lost on restart; the limits that must
// survive one (codes per address per hour and per day) are in the store.
package ratelimit

import (
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Limiter allows burst actions per key at once, then one every Every.
type Limiter struct {
	mu    sync.Mutex
	cache *lru.Cache[string, *rate.Limiter]
	every time.Duration
	burst int
	// refused counts the actions refused since start, for /metrics.
	refused atomic.Uint64
}

// New returns a limiter remembering at most capacity keys.
func New(every time.Duration, burst, capacity int) *Limiter {
	c, err := lru.New[string, *rate.Limiter](capacity)
	if err != nil {
		panic(err) // capacity <= 0: a programming error
	}
	return &Limiter{cache: c, every: every, burst: burst}
}

// Allow takes one token for key at now. When none is left it returns
// false and how long until one is.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.cache.Get(key)
	if !ok {
		b = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.cache.Add(key, b)
	}
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		l.refused.Add(1)
		return false, d
	}
	return true, 0
}

// Forget drops key's bucket, so its next action starts with a full
// burst: the school office lifting a parent's limits. A nil limiter
// forgets nothing.
func (l *Limiter) Forget(key string) {
	if l == nil || key == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cache.Remove(key)
}

// Len returns how many keys are remembered.
func (l *Limiter) Len() int { return l.cache.Len() }

// Refused returns how many actions this limiter has refused since it
// was made; it never blocks.
func (l *Limiter) Refused() uint64 { return l.refused.Load() }

// Set is the limiters of one action, checked together: every key must
// have a token, or the action waits.
type Set []*Limiter

// Limits is Sésame's set of limits.
type Limits struct {
	LoginIP, LoginID       *Limiter
	RecoveryIP, RecoveryTo *Limiter
	CodeIP, CodeFlow       *Limiter
	// ActivationIP limits activation codes tried per client address;
	// each identifier's own limit is in the store (package activation).
	ActivationIP *Limiter
	// Token is the OpenID Connect token endpoint per client address (an
	// application's server asks from one); Authorize is the sign-ins
	// applications start, per browser address.
	Token, Authorize *Limiter
	// DeskIP and DeskID limit the school office's desk: sign-ins and
	// set-up steps per client address, sign-ins per staff address (the
	// store also locks a member after a few refusals: package staff).
	DeskIP, DeskID *Limiter
}

// DefaultLimits are generous for a parent and a family behind one school
// or home address, and slow for a script: each allows a burst, then a
// steady trickle.
func DefaultLimits() *Limits {
	const capacity = 100_000 // ~20 MB at most per limiter
	return &Limits{
		LoginIP:    New(6*time.Second, 30, capacity),  // 10 a minute per address after 30
		LoginID:    New(30*time.Second, 10, capacity), // 2 a minute per identifier after 10
		RecoveryIP: New(20*time.Second, 20, capacity), // 3 a minute per address after 20
		RecoveryTo: New(60*time.Second, 5, capacity),  // step 1 for one e-mail address
		CodeIP:     New(10*time.Second, 30, capacity), // code checks per address
		CodeFlow:   New(10*time.Second, 10, capacity), // code checks per flow
		// Activation codes per address: a parents' evening at home with a
		// few letters, then one every 10 s.
		ActivationIP: New(10*time.Second, 20, capacity),
		// 100 a second per address after 200: a Moodle at the start of
		// term, never a script guessing codes.
		Token: New(10*time.Millisecond, 200, capacity),
		// 10 a second per address after 300: a school's network opening
		// its applications at once.
		Authorize: New(100*time.Millisecond, 300, capacity),
		// The desk: as strict as a parent's sign-in, per address and per
		// member.
		DeskIP: New(6*time.Second, 30, capacity),
		DeskID: New(30*time.Second, 10, capacity),
	}
}
