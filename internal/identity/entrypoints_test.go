package identity_test

// This file feeds one table of inputs, and a fuzz corpus, to every entry
// point that takes an identifier, an e-mail address or a name, and
// requires the same verdict and the same normalised value from each. It
// is an external test package so that it can import the entry points,
// which all import identity; it drives them in process, on a real bbolt
// file, so the fuzz target runs them thousands of times a second. A new
// entry point (the secretariat's desk) is added to entryPoints.

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sesame/internal/account"
	"sesame/internal/activation"
	"sesame/internal/audit"
	"sesame/internal/identity"
	"sesame/internal/importcsv"
	"sesame/internal/password"
	"sesame/internal/policy"
	"sesame/internal/recovery"
	"sesame/internal/store"
)

// kind is what an input is meant to be.
type kind uint8

const (
	kindIdentifier kind = iota
	kindEmail
	kindLastName
	kindFirstName
	kinds // the number of kinds
)

func (k kind) String() string {
	return [...]string{"identifier", "e-mail", "last name", "first name"}[k]
}

// verdict is what an entry point made of an input: accepted, and as
// what.
type verdict struct {
	OK    bool
	Value string
}

func (v verdict) String() string {
	if !v.OK {
		return "refused"
	}
	return fmt.Sprintf("accepted as %q", v.Value)
}

// sameVerdicts is the table every entry point must agree on, and agree
// with want.
var sameVerdicts = []struct {
	kind kind
	in   string
	want verdict
}{
	{kindIdentifier, "dupont.marie", verdict{true, "dupont.marie"}},
	{kindIdentifier, "  Dupont.Marie\u00a0", verdict{true, "dupont.marie"}},
	{kindIdentifier, "DUPONT-2_b", verdict{true, "dupont-2_b"}},
	{kindIdentifier, strings.Repeat("A", 64), verdict{true, strings.Repeat("a", 64)}},
	{kindIdentifier, strings.Repeat("a", 65), verdict{}},
	{kindIdentifier, "m", verdict{}},
	{kindIdentifier, "\u212Aaren", verdict{}},   // Kelvin sign, lower-cases to "k"
	{kindIdentifier, "ma\u212Aaren", verdict{}}, // the same, not first
	{kindIdentifier, "\u0130nes", verdict{}},    // dotted capital I, lower-cases to "i"
	{kindIdentifier, "ｄｕｐｏｎｔ", verdict{}},       // full-width letters
	{kindIdentifier, "dupont\u200b", verdict{}}, // zero-width space
	{kindIdentifier, "\ufeffdupont", verdict{}}, // byte order mark
	{kindIdentifier, "dupont\r\nx", verdict{}},  // CRLF
	{kindIdentifier, "dup\x00ont", verdict{}},   // NUL
	{kindIdentifier, "dup\xffont", verdict{}},   // invalid UTF-8
	{kindIdentifier, "lefèvre", verdict{}},      // accent
	{kindIdentifier, ".dupont", verdict{}},      // separator first
	{kindIdentifier, "dupont marie", verdict{}}, // space
	{kindIdentifier, "dupont@marie", verdict{}}, // punctuation
	{kindEmail, "marie@exemple.fr", verdict{true, "marie@exemple.fr"}},
	{kindEmail, " Marie.Dupont+Ecole@Exemple.FR\t", verdict{true, "marie.dupont+ecole@exemple.fr"}},
	{kindEmail, "o'neil@exemple.co.uk", verdict{true, "o'neil@exemple.co.uk"}},
	{kindEmail, "José@Exemple.fr", verdict{true, "josé@exemple.fr"}},
	{kindEmail, "jose\u0301@exemple.fr", verdict{true, "josé@exemple.fr"}}, // decomposed accent
	{kindEmail, "", verdict{}},
	{kindEmail, "   ", verdict{}},
	{kindEmail, "a@[1.2.3.4]", verdict{}},
	{kindEmail, "marie\u200b@exemple.fr", verdict{}},
	{kindEmail, "\ufeffmarie@exemple.fr", verdict{}},
	{kindEmail, "marie@exemple.fr\u202e", verdict{}}, // bidi override
	{kindEmail, "marie@exem\u2028ple.fr", verdict{}}, // line separator
	{kindEmail, "\u212Aaren@exemple.fr", verdict{}},
	{kindEmail, "marie@exemple.fr\r\nBcc: x@exemple.fr", verdict{}},
	{kindEmail, "marie@exe\x00mple.fr", verdict{}},
	{kindEmail, "marie\xe9@exemple.fr", verdict{}},
	{kindEmail, "marie\ufffd@exemple.fr", verdict{}},
	{kindEmail, "Marie <marie@exemple.fr>", verdict{}},
	{kindEmail, "<marie@exemple.fr>", verdict{}},
	{kindEmail, `"marie"@exemple.fr`, verdict{}},
	{kindEmail, "marie@exemple.fr (maman)", verdict{}},
	{kindEmail, "marie dupont@exemple.fr", verdict{}},
	{kindEmail, "marie@exemple.fr, paul@exemple.fr", verdict{}},
	{kindEmail, "marie@gmail", verdict{}},
	{kindEmail, "marie@exemple.fr.", verdict{}},
	{kindEmail, strings.Repeat("a", 64) + "@exemple.fr", verdict{true, strings.Repeat("a", 64) + "@exemple.fr"}},
	{kindEmail, strings.Repeat("a", 65) + "@exemple.fr", verdict{}},
	{kindEmail, "a@" + strings.Repeat("b", 250) + ".fr", verdict{}},
	{kindLastName, "Dupont", verdict{true, "Dupont"}},
	{kindLastName, "  Le\u00a0  Goff ", verdict{true, "Le Goff"}},
	{kindLastName, "O'Brien", verdict{true, "O'Brien"}},
	{kindLastName, "N’Diaye", verdict{true, "N’Diaye"}},
	{kindLastName, "de La Tour d'Auvergne", verdict{true, "de La Tour d'Auvergne"}},
	{kindLastName, "Lefe\u0300vre", verdict{true, "Lefèvre"}},
	{kindLastName, "Lœuillet", verdict{true, "Lœuillet"}},
	{kindLastName, "Dupont (née Martin)", verdict{true, "Dupont (née Martin)"}},
	{kindLastName, "李", verdict{true, "李"}},
	{kindLastName, strings.Repeat("é", 100), verdict{true, strings.Repeat("é", 100)}},
	{kindLastName, strings.Repeat("é", 101), verdict{}},
	{kindLastName, "", verdict{}},
	{kindLastName, `Mimi"`, verdict{}},
	{kindLastName, "Dupont <marie@exemple.fr>", verdict{}},
	{kindLastName, "Dupont\r\nBcc: x@exemple.fr", verdict{}},
	{kindLastName, "Du\u202etnop", verdict{}},
	{kindLastName, "Du\x00pont", verdict{}},
	{kindLastName, "Du\xe9pont", verdict{}},
	{kindFirstName, "Jean-Pierre", verdict{true, "Jean-Pierre"}},
	{kindFirstName, "He\u0301le\u0300ne ", verdict{true, "Hélène"}},
	{kindFirstName, "Ἀλέξανδρος", verdict{true, "Ἀλέξανδρος"}},
	{kindFirstName, "Ma\u200brie", verdict{}},
	{kindFirstName, "Ma\trie", verdict{}},
	{kindFirstName, `Marie "Mimi"`, verdict{}},
	{kindFirstName, `Marie\`, verdict{}},
	{kindFirstName, "\u3164", verdict{}}, // Hangul filler, an invisible letter
}

// pw is every test account's password.
const pw = "Lune-bleue-42"

// env is a set of services on a real bbolt file, as main wires them.
type env struct {
	st    *store.Store
	acc   *account.Service
	rec   *recovery.Service
	act   *activation.Service
	audit *lastEvent
	hash  string // pw's hash
	next  int    // for unique identifiers
}

// lastEvent is an audit log that keeps the last event: the only way to
// see what Login made of an identifier it refused.
type lastEvent struct {
	mu sync.Mutex
	e  audit.Event
}

func (l *lastEvent) Append(e audit.Event) { l.mu.Lock(); l.e = e; l.mu.Unlock() }
func (l *lastEvent) last() audit.Event    { l.mu.Lock(); defer l.mu.Unlock(); return l.e }

var fast = &password.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func newEnv(t testing.TB) *env {
	t.Helper()
	st, err := store.Create(filepath.Join(t.TempDir(), "s.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{st: st, audit: &lastEvent{}}
	e.acc = &account.Service{Store: st, Hasher: password.New(fast, 2, time.Second), Policy: policy.Default(), Audit: e.audit}
	e.rec = &recovery.Service{Store: st, Accounts: e.acc, Secret: st.Secret(), Config: recovery.DefaultConfig}
	e.act = &activation.Service{Store: st, Accounts: e.acc, Secret: st.Secret(), Config: activation.DefaultConfig}
	if e.hash, err = e.acc.Hasher.Hash(context.Background(), pw); err != nil {
		t.Fatal(err)
	}
	return e
}

// entryPoint runs one way in for an input of a kind it takes.
type entryPoint struct {
	name  string
	kinds []kind
	run   func(t testing.TB, e *env, k kind, in string) verdict
}

var entryPoints = []entryPoint{
	{"identity", []kind{kindIdentifier, kindEmail, kindLastName, kindFirstName}, viaIdentity},
	{"CSV import", []kind{kindIdentifier, kindEmail, kindLastName, kindFirstName}, viaImport},
	{"accounts add", []kind{kindIdentifier, kindEmail, kindLastName, kindFirstName}, viaAdd},
	{"login", []kind{kindIdentifier}, viaLogin},
	{"recovery step 1", []kind{kindEmail}, viaRecovery},
	{"activation", []kind{kindIdentifier}, viaActivation},
}

func viaIdentity(t testing.TB, _ *env, k kind, in string) verdict {
	var v string
	var err error
	switch k {
	case kindIdentifier:
		v, err = identity.NormalizeIdentifier(in)
	case kindEmail:
		v, err = identity.NormalizeEmail(in)
	default:
		v, err = identity.NormalizeName(in)
	}
	return verdict{err == nil, v}
}

// defaults fills the fields an input does not replace with valid values.
func (e *env) defaults() [kinds]string {
	e.next++
	return [kinds]string{kindIdentifier: "parent" + strconv.Itoa(e.next), kindEmail: "marie@exemple.fr",
		kindLastName: "Dupont", kindFirstName: "Marie"}
}

// viaImport parses a one-row file, UTF-8 with a BOM as a school's
// spreadsheet saves it, so that invalid UTF-8 stays invalid instead of
// being read as Windows-1252.
func viaImport(t testing.TB, e *env, k kind, in string) verdict {
	f := e.defaults()
	f[k] = in
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.Comma = ';'
	w.Write([]string{"Identifiant", "E-mail", "Nom", "Prénom"})
	w.Write(f[:])
	w.Flush()
	res, err := importcsv.Parse(&b)
	if err != nil {
		// A NUL near the start makes the whole file "not text": refused
		// too, at the level of the file.
		if !errors.Is(err, importcsv.ErrNotText) {
			t.Fatalf("import of %s %q: %v", k, in, err)
		}
		return verdict{}
	}
	if len(res.Adults) == 1 {
		r := res.Adults[0]
		if k == kindEmail && r.Email == "" {
			// An empty cell imports an adult without an address (they
			// get a letter): the input was not accepted as an address.
			return verdict{}
		}
		return verdict{true, [kinds]string{r.Identifier, r.Email, r.LastName, r.FirstName}[k]}
	}
	// A line that is not valid UTF-8 in a UTF-8 file is refused whole,
	// before any cell is read.
	reasons := map[kind][]string{
		kindIdentifier: {importcsv.ReasonInvalidIdentifier, importcsv.ReasonInvalidEncoding},
		kindEmail:      {importcsv.ReasonInvalidEmail, importcsv.ReasonTwoEmails, importcsv.ReasonInvalidEncoding},
		kindLastName:   {importcsv.ReasonInvalidLastName, importcsv.ReasonLastNameTooLong, importcsv.ReasonMissingLastName, importcsv.ReasonInvalidEncoding},
		kindFirstName:  {importcsv.ReasonInvalidFirstName, importcsv.ReasonFirstNameTooLong, importcsv.ReasonMissingFirstName, importcsv.ReasonInvalidEncoding},
	}[k]
	if len(res.Errors) != 1 || !slices.Contains(reasons, res.Errors[0].Reason) {
		t.Fatalf("import of %s %q: row refused for another reason: %v", k, in, res.Errors)
	}
	return verdict{}
}

func viaAdd(t testing.TB, e *env, k kind, in string) verdict {
	f := e.defaults()
	f[k] = in
	a, err := e.acc.Add(context.Background(), account.Account{ID: f[kindIdentifier], Email: f[kindEmail],
		LastName: f[kindLastName], FirstName: f[kindFirstName]}, "")
	if errors.Is(err, account.ErrExists) && k == kindIdentifier {
		// The fuzz target reuses one file: a normalised identifier met
		// before is taken, which says it was accepted.
		err = nil
	}
	if err != nil {
		want := [kinds]error{identity.ErrInvalidIdentifier, identity.ErrInvalidEmail, identity.ErrInvalidName, identity.ErrInvalidName}[k]
		if !errors.Is(err, want) {
			t.Fatalf("accounts add with %s %q: %v", k, in, err)
		}
		return verdict{}
	}
	if k == kindEmail && a.Email == "" {
		// As at the import: an account without an address (the parent
		// gets a letter), not an input accepted as an address.
		return verdict{}
	}
	return verdict{true, [kinds]string{a.ID, a.Email, a.LastName, a.FirstName}[k]}
}

// viaLogin signs in with the identifier. A refusal says nothing to the
// parent, so the audit log tells a malformed identifier from one that was
// looked up; then the account looked up is given the password (created
// if need be), and signing in with the same input must succeed.
func viaLogin(t testing.TB, e *env, _ kind, in string) verdict {
	ctx := context.Background()
	a, err := e.acc.Login(ctx, in, pw)
	if err == nil {
		return verdict{true, a.ID} // given the password for an earlier input
	}
	if !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("login as %q: %v", in, err)
	}
	ev := e.audit.last()
	switch ev.Detail {
	case "malformed identifier":
		return verdict{}
	case "unknown identifier":
		now := time.Now()
		err = e.st.CreateAccount(account.Account{ID: ev.Account, LastName: "Dupont", FirstName: "Marie", Email: "marie@exemple.fr",
			State: account.Active, PasswordHash: e.hash, PasswordChanged: now, Created: now, Updated: now})
	case "no password chosen yet": // created by accounts add
		err = e.st.UpdateHash(ev.Account, e.hash)
	default:
		t.Fatalf("login as %q: audit event %+v", in, ev)
	}
	if err != nil {
		t.Fatalf("login as %q looked up %q, which cannot be given a password: %v", in, ev.Account, err)
	}
	if a, err = e.acc.Login(ctx, in, pw); err != nil || a.ID != ev.Account {
		t.Fatalf("login as %q once %q has a password: %q, %v", in, ev.Account, a.ID, err)
	}
	return verdict{true, a.ID}
}

func viaRecovery(t testing.TB, e *env, _ kind, in string) verdict {
	_, f, err := e.rec.Start(context.Background(), in, "fr")
	if errors.Is(err, recovery.ErrBadEmail) {
		return verdict{}
	}
	if err != nil {
		t.Fatalf("recovery with %q: %v", in, err)
	}
	return verdict{true, f.Email}
}

// viaActivation types the identifier with a code on the activation
// page. The refusal names the identifier it looked up.
func viaActivation(t testing.TB, e *env, _ kind, in string) verdict {
	_, _, err := e.act.Verify(context.Background(), "", in, "0000-0000-0000", "fr")
	var r *activation.Refused
	var l *activation.Locked
	switch {
	case errors.Is(err, activation.ErrBadIdentifier):
		return verdict{}
	case errors.As(err, &r):
		return verdict{true, r.Identifier}
	case errors.As(err, &l):
		return verdict{true, l.Identifier}
	}
	t.Fatalf("activation as %q: %v", in, err)
	return verdict{}
}

// verdicts runs in through every entry point taking kind k.
func verdicts(t testing.TB, e *env, k kind, in string) map[string]verdict {
	got := make(map[string]verdict)
	for _, ep := range entryPoints {
		if slices.Contains(ep.kinds, k) {
			got[ep.name] = ep.run(t, e, k, in)
		}
	}
	return got
}

// applies reports whether the input is one every entry point must judge:
// an empty identifier means "make one up" at the import and in `accounts
// add`, not a wrong one.
func applies(k kind, in string) bool {
	return k != kindIdentifier || strings.TrimSpace(in) != ""
}

func TestSameVerdictEverywhere(t *testing.T) {
	for _, tt := range sameVerdicts {
		if !applies(tt.kind, tt.in) {
			t.Fatalf("table: %s %q means no value", tt.kind, tt.in)
		}
		e := newEnv(t)
		for name, got := range verdicts(t, e, tt.kind, tt.in) {
			if got != tt.want {
				t.Errorf("%s %q via %s: %v, want %v", tt.kind, tt.in, name, got, tt.want)
			}
		}
	}
}

// FuzzSameVerdictEverywhere requires the entry points to agree on any
// input. Its corpus holds the table (see TestFuzzCorpusHoldsTable).
//
//	go test -run '^$' -fuzz FuzzSameVerdictEverywhere -fuzztime 60s ./internal/identity/
func FuzzSameVerdictEverywhere(f *testing.F) {
	// One file for the whole run: opening one per input would measure
	// bbolt, not the rules.
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, k uint8, in string) {
		kd := kind(k % uint8(kinds))
		if !applies(kd, in) {
			return
		}
		got := verdicts(t, e, kd, in)
		ref := got["identity"]
		for name, v := range got {
			if v != ref {
				t.Errorf("%s %q: identity says %v, %s says %v", kd, in, ref, name, v)
			}
		}
	})
}

var updateCorpus = flag.Bool("update-corpus", false, "write the table's inputs into the fuzz corpus")

// TestFuzzCorpusHoldsTable keeps the committed corpus in step with the
// table, so the fuzzer starts from the tricky inputs.
func TestFuzzCorpusHoldsTable(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzSameVerdictEverywhere")
	var missing []string
	for i, tt := range sameVerdicts {
		body := fmt.Sprintf("go test fuzz v1\nuint8(%d)\nstring(%q)\n", tt.kind, tt.in)
		name := filepath.Join(dir, fmt.Sprintf("table-%02d", i))
		if data, err := os.ReadFile(name); err == nil && string(data) == body {
			continue
		}
		if !*updateCorpus {
			missing = append(missing, fmt.Sprintf("%s %q", tt.kind, tt.in))
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if len(missing) > 0 {
		t.Errorf("the fuzz corpus lacks %d table inputs (go test -run TestFuzzCorpusHoldsTable -update-corpus ./internal/identity/):\n%s",
			len(missing), strings.Join(missing, "\n"))
	}
}
