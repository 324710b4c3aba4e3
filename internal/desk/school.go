package desk

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/identity"
	"sesame/internal/importcsv"
	"sesame/internal/mail/outbox"
)

// SchoolStore is what the school's view reads and writes; *store.Store
// satisfies it.
type SchoolStore interface {
	// LastLogins is when each account last signed in.
	LastLogins() (map[string]time.Time, error)
	// Outbox is every message of the outbox, oldest first.
	Outbox() ([]outbox.Message, error)
	// RetryMessage makes a pending or failed message due now and
	// records ev.
	RetryMessage(id string, now time.Time, ev audit.Event) (outbox.Message, error)
}

// ClassCount is one class of the school's view: its parents' accounts,
// how many are activated, how many never signed in.
type ClassCount struct {
	Class                        string
	Accounts, Activated, NoLogin int
}

// Classes counts the accounts by their children's classes (an adult
// with children in two classes counts in both), sorted by class, and the
// whole school (each account once) as the last line, whose Class is "".
// Disabled accounts are left out: they are not the school's this year.
func (s *Service) Classes() ([]ClassCount, error) {
	as, err := s.Accounts.List()
	if err != nil && len(as) == 0 {
		return nil, err
	}
	logins, err := s.School.LastLogins()
	if err != nil {
		return nil, err
	}
	byClass := map[string]*ClassCount{}
	var total ClassCount
	add := func(c *ClassCount, a account.Account) {
		c.Accounts++
		if a.Activated() {
			c.Activated++
		}
		if logins[a.ID].IsZero() && a.LastLogin.IsZero() {
			c.NoLogin++
		}
	}
	for _, a := range as {
		if a.State != account.Active {
			continue
		}
		add(&total, a)
		seen := map[string]bool{}
		for _, ch := range a.Children {
			k := identity.FoldName(ch.Class)
			if seen[k] {
				continue
			}
			seen[k] = true
			c := byClass[k]
			if c == nil {
				c = &ClassCount{Class: ch.Class}
				byClass[k] = c
			}
			add(c, a)
		}
	}
	out := make([]ClassCount, 0, len(byClass)+1)
	for _, c := range byClass {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b ClassCount) int {
		// Children without a class last, then as the school writes them.
		switch {
		case a.Class == "" && b.Class != "":
			return 1
		case a.Class != "" && b.Class == "":
			return -1
		}
		return strings.Compare(identity.FoldName(a.Class), identity.FoldName(b.Class))
	})
	return append(out, total), nil
}

// OutboxLimit bounds the school's list of e-mails.
const OutboxLimit = 300

// Undelivered returns the messages not delivered: pending (waiting for
// their next attempt) and failed (given up, with the server's answer),
// newest first, at most OutboxLimit, and how many of each there are.
func (s *Service) Undelivered() ([]outbox.Message, int, int, error) {
	all, err := s.School.Outbox()
	if err != nil && len(all) == 0 {
		return nil, 0, 0, err
	}
	var out []outbox.Message
	pending, failed := 0, 0
	for i := len(all) - 1; i >= 0; i-- {
		m := all[i]
		switch m.Status {
		case outbox.StatusPending:
			pending++
		case outbox.StatusFailed:
			failed++
		default:
			continue
		}
		if len(out) < OutboxLimit {
			out = append(out, m)
		}
	}
	return out, pending, failed, nil
}

// Retry makes a message due now, recorded with the operator; a message
// that cannot leave again (sent, or its code gone) is refused with the
// store's reason, recorded too.
func (s *Service) Retry(ctx context.Context, id, operator string) (outbox.Message, error) {
	ev := audit.Event{Time: s.now(), Kind: audit.DeskMailRetried, IP: audit.IP(ctx), Operator: operator, Outcome: audit.OutcomeDone,
		Detail: "message " + id}
	m, err := s.School.RetryMessage(id, s.now(), ev)
	if err != nil {
		if s.Audit != nil && m.ID != "" {
			ev.Outcome, ev.Account = audit.Refused(err.Error()), strings.Join(m.Identifiers, ",")
			s.Audit.Append(ev)
		}
		return m, err
	}
	s.notify()
	return m, nil
}

// Filter chooses audit events for the school's log.
type Filter struct {
	// Account is an identifier: its events, its address's and the
	// school's actions on it.
	Account string
	// Operator is part of who acted ("cli:", "staff:claire@").
	Operator string
	// Kind is one audit kind, or a family of them ("desk.", "staff.").
	Kind string
	// From and To bound the time (To excluded); a zero From is
	// LogWindow before now.
	From, To time.Time
}

// LogWindow is the default reach of the school's log.
const LogWindow = 7 * 24 * time.Hour

// LogLimit bounds the events the school's log shows, newest first.
const LogLimit = 300

// Log returns the audit events f chooses, newest first, at most
// LogLimit, and how many matched in all.
func (s *Service) Log(f Filter) ([]audit.Event, int, error) {
	from := f.From
	if from.IsZero() {
		from = s.now().Add(-LogWindow)
	}
	account := ""
	if f.Account != "" {
		id, err := identity.NormalizeIdentifier(f.Account)
		if err != nil {
			return nil, 0, nil
		}
		account = id
	}
	evs, err := s.Store.Audit(from, account)
	if err != nil {
		return nil, 0, err
	}
	var out []audit.Event
	total := 0
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		if (!f.To.IsZero() && !e.Time.Before(f.To)) || (f.Operator != "" && !strings.Contains(e.Operator, f.Operator)) ||
			(f.Kind != "" && string(e.Kind) != f.Kind && !(strings.HasSuffix(f.Kind, ".") && strings.HasPrefix(string(e.Kind), f.Kind))) {
			continue
		}
		total++
		if len(out) < LogLimit {
			out = append(out, e)
		}
	}
	return out, total, nil
}

// ImportResult is what an import at the desk read and did: the file as
// understood and the report, for the page to say in the member's
// language.
type ImportResult struct {
	File    *importcsv.Result
	Report  account.ImportReport
	Options account.ImportOptions
}

// runImport parses csv and applies it with o, as `sesame accounts
// import` does.
func (s *Service) runImport(csv []byte, o account.ImportOptions) (ImportResult, error) {
	res, err := importcsv.Parse(bytes.NewReader(csv))
	if err != nil {
		return ImportResult{}, err
	}
	rep, err := s.Accounts.Import(res, o)
	return ImportResult{File: res, Report: rep, Options: o}, err
}

// StagedTTL is how long an uploaded export waits for its confirmation.
const StagedTTL = 30 * time.Minute

// staged is an export uploaded for a dry run, waiting to be confirmed
// by the member who uploaded it.
type staged struct {
	csv      []byte
	operator string
	opts     account.ImportOptions
	expires  time.Time
}

type stage struct {
	mu    sync.Mutex
	files map[string]staged
}

// ErrImportsWaiting refuses a dry run while 8 uploads already wait for
// their confirmation (each holds its file in memory).
var ErrImportsWaiting = errors.New("desk: too many imports waiting")

// ErrNoStaged is a confirmation whose upload is gone (expired, already
// confirmed, or another member's).
var ErrNoStaged = errors.New("desk: no uploaded file to confirm")

// DryRun runs the import of csv without writing anything and keeps the
// file, for StagedTTL, for its confirmation by the same member. It
// returns the report and the token that confirms it ("" when the file
// could not be read at all).
func (s *Service) DryRun(ctx context.Context, csv []byte, o account.ImportOptions, operator string) (ImportResult, string, error) {
	o.DryRun, o.Operator = true, operator
	report, err := s.runImport(csv, o)
	if err != nil {
		return report, "", err
	}
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return report, "", err
	}
	tok := base64.RawURLEncoding.EncodeToString(buf)
	now := s.now()
	s.stage.mu.Lock()
	defer s.stage.mu.Unlock()
	if s.stage.files == nil {
		s.stage.files = map[string]staged{}
	}
	for k, f := range s.stage.files {
		if !now.Before(f.expires) || f.operator == operator {
			delete(s.stage.files, k) // one file waits per member
		}
	}
	if len(s.stage.files) >= 8 {
		return report, "", ErrImportsWaiting
	}
	o.DryRun = false
	s.stage.files[tok] = staged{csv: csv, operator: operator, opts: o, expires: now.Add(StagedTTL)}
	return report, tok, nil
}

// Confirm applies the upload tok stands for, as its dry run showed it,
// for the member who uploaded it; it is recorded with them and with how
// it ended. The upload is forgotten either way.
func (s *Service) Confirm(ctx context.Context, tok, operator string) (ImportResult, bool, error) {
	s.stage.mu.Lock()
	f, ok := s.stage.files[tok]
	delete(s.stage.files, tok)
	s.stage.mu.Unlock()
	if !ok || f.operator != operator || !s.now().Before(f.expires) {
		return ImportResult{}, false, ErrNoStaged
	}
	report, err := s.runImport(f.csv, f.opts)
	written := err == nil && report.Report.Written
	if s.Audit != nil {
		ev := audit.Event{Time: s.now(), Kind: audit.DeskImport, IP: audit.IP(ctx), Operator: operator, Outcome: audit.OutcomeDone,
			Detail: fmt.Sprintf("%d bytes, sync %v, skip invalid %v", len(f.csv), f.opts.Sync, f.opts.SkipInvalid)}
		if err != nil || !written {
			why := "see the report"
			if err != nil {
				why = err.Error()
			}
			ev.Outcome = audit.Refused(why)
		}
		s.Audit.Append(ev)
	}
	return report, written, err
}
