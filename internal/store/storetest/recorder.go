// Package storetest records what the domain services ask of the store,
// so a test can require that two requests do the same storage work: a
// known and an unknown address at recovery step 1, a known and an
// unknown identifier at login. Only tests import it.
package storetest

import (
	"slices"
	"strings"
	"sync"
	"time"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/mail/outbox"
	"sesame/internal/recovery"
	"sesame/internal/store"
)

// Call is one request to the store.
type Call struct {
	Method string
	Write  bool
	// Writes names what a multi-record write stored, for Issue: "code"
	// (the code and its issue time), "mail" (an outbox message), "flow"
	// and "audit", in that order.
	Writes string
}

func (c Call) String() string {
	s := "read " + c.Method
	if c.Write {
		s = "write " + c.Method
	}
	if c.Writes != "" {
		s += " [" + c.Writes + "]"
	}
	return s
}

// Recorder is a real *store.Store that notes, in order, every call made
// through the account and recovery services' Store interfaces and every
// audit event appended through it. Each method is written out (none is
// promoted from an embedded store), so the compiler makes sure no call
// goes unrecorded.
type Recorder struct {
	Store *store.Store

	mu    sync.Mutex
	calls []Call
}

var (
	_ account.Store  = (*Recorder)(nil)
	_ recovery.Store = (*Recorder)(nil)
	_ audit.Log      = (*Recorder)(nil)
)

func (r *Recorder) note(c Call) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}

func (r *Recorder) read(method string)  { r.note(Call{Method: method}) }
func (r *Recorder) write(method string) { r.note(Call{Method: method, Write: true}) }

// Calls returns the calls recorded since the last Reset.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// Reset forgets the calls recorded so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.calls = nil
	r.mu.Unlock()
}

// Account reads an account.
func (r *Recorder) Account(id string) (account.Account, error) {
	r.read("Account")
	return r.Store.Account(id)
}

// AccountsByEmail reads the accounts of an address.
func (r *Recorder) AccountsByEmail(email string) ([]account.Account, error) {
	r.read("AccountsByEmail")
	return r.Store.AccountsByEmail(email)
}

// Accounts reads every account.
func (r *Recorder) Accounts() ([]account.Account, error) {
	r.read("Accounts")
	return r.Store.Accounts()
}

// CreateAccount writes a new account.
func (r *Recorder) CreateAccount(a account.Account) error {
	r.write("CreateAccount")
	return r.Store.CreateAccount(a)
}

// UpdateAccount writes an account.
func (r *Recorder) UpdateAccount(a account.Account) error {
	r.write("UpdateAccount")
	return r.Store.UpdateAccount(a)
}

// ApplyImport writes an import.
func (r *Recorder) ApplyImport(put []account.Account, purge []string, events []audit.Event) error {
	r.write("ApplyImport")
	return r.Store.ApplyImport(put, purge, events)
}

// DeleteAccount deletes an account.
func (r *Recorder) DeleteAccount(id string, ev audit.Event) error {
	r.write("DeleteAccount")
	return r.Store.DeleteAccount(id, ev)
}

// SetPassword writes a new password hash and what goes with it.
func (r *Recorder) SetPassword(id, hash string, at time.Time, notice *outbox.Message, ev *audit.Event) error {
	r.write("SetPassword")
	return r.Store.SetPassword(id, hash, at, notice, ev)
}

// UpdateHash writes an upgraded hash.
func (r *Recorder) UpdateHash(id, hash string) error {
	r.write("UpdateHash")
	return r.Store.UpdateHash(id, hash)
}

// CreateSession writes a session.
func (r *Recorder) CreateSession(tokenHash []byte, s account.Session, ev *audit.Event) error {
	r.write("CreateSession")
	return r.Store.CreateSession(tokenHash, s, ev)
}

// Session reads a session.
func (r *Recorder) Session(tokenHash []byte) (account.Session, error) {
	r.read("Session")
	return r.Store.Session(tokenHash)
}

// DeleteSession deletes a session.
func (r *Recorder) DeleteSession(tokenHash []byte) error {
	r.write("DeleteSession")
	return r.Store.DeleteSession(tokenHash)
}

// Flow reads a recovery flow.
func (r *Recorder) Flow(key []byte) (recovery.Flow, error) {
	r.read("Flow")
	return r.Store.Flow(key)
}

// SaveFlow writes a recovery flow.
func (r *Recorder) SaveFlow(key []byte, f recovery.Flow) error {
	r.write("SaveFlow")
	return r.Store.SaveFlow(key, f)
}

// DeleteFlow deletes a recovery flow.
func (r *Recorder) DeleteFlow(key []byte) error {
	r.write("DeleteFlow")
	return r.Store.DeleteFlow(key)
}

// History reads an address's code history.
func (r *Recorder) History(email string) (recovery.History, error) {
	r.read("History")
	return r.Store.History(email)
}

// Issue records what decide chose, as the store then writes it: decide
// runs inside the store's transaction, so this is what the transaction
// stored (bbolt may run it twice; the last run is the one committed).
func (r *Recorder) Issue(email string, key []byte, f *recovery.Flow, decide func(recovery.History) recovery.Issued, ev *audit.Event) error {
	var last recovery.Issued
	err := r.Store.Issue(email, key, f, func(h recovery.History) recovery.Issued {
		last = decide(h)
		return last
	}, ev)
	var w []string
	if last.Code != nil {
		w = append(w, "code")
	}
	if last.Mail != nil {
		w = append(w, "mail")
	}
	if key != nil && f != nil {
		w = append(w, "flow")
	}
	if ev != nil {
		w = append(w, "audit")
	}
	r.note(Call{Method: "Issue", Write: true, Writes: strings.Join(w, " ")})
	return err
}

// TryCode counts an attempt at an address's code.
func (r *Recorder) TryCode(email string, try func(*recovery.Code) error) error {
	r.write("TryCode")
	return r.Store.TryCode(email, try)
}

// Append writes an audit event, as store.AuditLog does in production.
func (r *Recorder) Append(e audit.Event) {
	r.write("Audit.Append")
	store.AuditLog{Store: r.Store}.Append(e)
}
