package staff

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"sesame/internal/audit"
	"sesame/internal/identity"
	"sesame/internal/mail/outbox"
	"sesame/internal/policy"
)

// Hasher is the password hashing the service needs; *password.Hasher
// satisfies it.
type Hasher interface {
	Hash(ctx context.Context, pw string) (string, error)
	Verify(ctx context.Context, pw, hash string) (bool, error)
	Dummy(ctx context.Context, pw string) error
}

// Notifier wakes the mail worker once a message is queued.
type Notifier interface{ Notify() }

// Config holds the lifetimes and limits; DefaultConfig is security.md's.
type Config struct {
	// SetupTTL is how long a set-up link works.
	SetupTTL time.Duration
	// Idle ends a session after this long without a request.
	Idle time.Duration
	// SessionTTL ends a session this long after sign-in, however busy.
	SessionTTL time.Duration
	// MaxFailures refused sign-ins within FailWindow lock the member for
	// LockFor; as many wrong enrolment codes kill a set-up link.
	MaxFailures int
	FailWindow  time.Duration
	LockFor     time.Duration
}

// DefaultConfig: set-up links for 24 hours, sessions ended after 30
// minutes idle and 12 hours in all (a school day), 5 refusals in 15
// minutes lock the sign-in for 15 minutes — stricter than a parent's
// identifier, which the in-memory limiter slows to 2 tries a minute
// after 10.
var DefaultConfig = Config{
	SetupTTL: 24 * time.Hour, Idle: 30 * time.Minute, SessionTTL: 12 * time.Hour,
	MaxFailures: 5, FailWindow: 15 * time.Minute, LockFor: 15 * time.Minute,
}

// Service manages staff members and their sign-ins.
type Service struct {
	Store  Store
	Hasher Hasher
	Policy *policy.Policy
	// Secret is the data file's secret, from which the keys that seal
	// TOTP secrets and MAC recovery codes are derived.
	Secret []byte
	Config Config
	// BaseURL is the portal's address (no trailing slash): set-up links
	// start with it.
	BaseURL string
	// Issuer names the portal in the authenticator app ("Sésame – École
	// Jules Ferry").
	Issuer string
	// Lang is the language of the set-up e-mail (the portal's default).
	Lang string
	Now  func() time.Time
	Mail Notifier
	// Audit records what changes no member (a sign-in with an unknown
	// address, a refused action); nil records nothing. Everything else is
	// recorded by the store with the change it describes.
	Audit audit.Log

	// seen is when each live session (by token hash) last made a
	// request. It is kept in memory, not in the data file, so that a
	// page view never writes; a restart forgets it, which ends every
	// staff session — failing closed.
	mu   sync.Mutex
	seen map[string]time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) notify() {
	if s.Mail != nil {
		s.Mail.Notify()
	}
}

// SetupLink is the address of a set-up link's token.
func (s *Service) SetupLink(token string) string {
	return strings.TrimRight(s.BaseURL, "/") + "/secretariat/installation?t=" + url.QueryEscape(token)
}

// Add creates a member in the Pending state and returns their set-up
// link, which is also e-mailed to them; operator is who asked (the
// command line's "cli:USER").
func (s *Service) Add(ctx context.Context, email, name string, role Role, operator string) (Member, string, error) {
	email, err := identity.NormalizeEmail(email)
	if err != nil {
		return Member{}, "", err
	}
	if name, err = identity.CleanText(name, 100); err != nil || name == "" {
		return Member{}, "", ErrBadName
	}
	if role != Secretariat && role != Admin {
		return Member{}, "", ErrBadRole
	}
	now := s.now()
	m := Member{Email: email, Name: name, Role: role, State: Pending, Created: now, Updated: now}
	token, ch, err := s.newSetup(ctx, &m, now)
	if err != nil {
		return m, "", err
	}
	ch.Events = append(ch.Events, audit.Event{Time: now, Kind: audit.StaffCreated, IP: audit.IP(ctx), Operator: operator,
		Outcome: audit.OutcomeDone, Detail: fmt.Sprintf("%s (%s), role %s", outbox.MaskAddress(email), name, role)})
	if err := s.Store.CreateStaff(m, ch); err != nil {
		return m, "", err
	}
	s.notify()
	return m, s.SetupLink(token), nil
}

// newSetup gives m a new set-up link, and returns its token and the
// e-mail that carries it.
func (s *Service) newSetup(ctx context.Context, m *Member, now time.Time) (string, Change, error) {
	token, err := newToken()
	if err != nil {
		return "", Change{}, err
	}
	m.Setup = &Setup{TokenHash: setupHash(token), Expires: now.Add(s.Config.SetupTTL)}
	msg := outbox.NewPending(outbox.Message{Kind: outbox.KindStaffSetup, To: m.Email, Lang: s.lang(), Name: m.Name,
		Code: token, ExpiresAt: m.Setup.Expires}, now)
	return token, Change{Mail: &msg}, nil
}

func (s *Service) lang() string {
	if s.Lang == "" {
		return "fr"
	}
	return s.Lang
}

// Reset sends a member a new set-up link: their password, second factor
// and recovery codes are cleared and their sessions ended at once (a lost
// phone, a forgotten password, a member coming back after being
// disabled), and they set everything up again.
func (s *Service) Reset(ctx context.Context, email, operator string) (Member, string, error) {
	email, err := normalize(email)
	if err != nil {
		return Member{}, "", err
	}
	var token string
	var out Member
	err = s.Store.ChangeStaff(email, func(m *Member) (Change, error) {
		now := s.now()
		var ch Change
		var err error
		if token, ch, err = s.newSetup(ctx, m, now); err != nil {
			return Change{}, err
		}
		m.State, m.PasswordHash, m.TOTP, m.TOTPStep, m.RecoveryCodes = Pending, "", nil, 0, nil
		m.Failures, m.LockedUntil, m.Updated = nil, time.Time{}, now
		ch.EndSessions = true
		ch.Events = append(ch.Events, audit.Event{Time: now, Kind: audit.StaffReset, IP: audit.IP(ctx), Operator: operator,
			Outcome: audit.OutcomeDone, Detail: outbox.MaskAddress(m.Email)})
		out = *m
		return ch, nil
	})
	if err != nil {
		return out, "", err
	}
	s.notify()
	s.forgetMember(email)
	return out, s.SetupLink(token), nil
}

// Disable stops a member signing in and ends their sessions; their set-up
// link, if any, dies too.
func (s *Service) Disable(ctx context.Context, email, operator string) (Member, error) {
	email, err := normalize(email)
	if err != nil {
		return Member{}, err
	}
	var out Member
	err = s.Store.ChangeStaff(email, func(m *Member) (Change, error) {
		now := s.now()
		m.State, m.Setup, m.Updated = Disabled, nil, now
		out = *m
		return Change{EndSessions: true, Events: []audit.Event{{Time: now, Kind: audit.StaffDisabled, IP: audit.IP(ctx),
			Operator: operator, Outcome: audit.OutcomeDone, Detail: outbox.MaskAddress(m.Email)}}}, nil
	})
	s.forgetMember(email)
	return out, err
}

// List returns every member, by address.
func (s *Service) List() ([]Member, error) {
	ms, err := s.Store.StaffMembers()
	slices.SortFunc(ms, func(a, b Member) int { return strings.Compare(a.Email, b.Email) })
	return ms, err
}

// Get returns one member.
func (s *Service) Get(email string) (Member, error) {
	email, err := normalize(email)
	if err != nil {
		return Member{}, err
	}
	return s.Store.StaffMember(email)
}

func normalize(email string) (string, error) {
	e, err := identity.NormalizeEmail(email)
	if err != nil {
		return "", ErrNotFound
	}
	return e, nil
}

// bySetup finds the member whose live set-up link token is. The office
// has a handful of members: a scan costs less than an index to keep.
func (s *Service) bySetup(token string) (Member, error) {
	if token == "" || len(token) > 100 {
		return Member{}, ErrSetupInvalid
	}
	ms, err := s.Store.StaffMembers()
	if err != nil {
		return Member{}, err
	}
	h := setupHash(token)
	for _, m := range ms {
		if m.Setup != nil && hmac.Equal(m.Setup.TokenHash, h) {
			if m.State != Pending || !s.now().Before(m.Setup.Expires) {
				return Member{}, ErrSetupInvalid
			}
			return m, nil
		}
	}
	return Member{}, ErrSetupInvalid
}

// SetupMember returns the member a set-up link is for, while it works.
// It only reads: a mail scanner opening the link burns nothing.
func (s *Service) SetupMember(token string) (Member, error) { return s.bySetup(token) }

// Enrolment is what the set-up's second step shows: the authenticator's
// secret as text (grouped by four) and as the otpauth:// URI its QR code
// holds.
type Enrolment struct {
	Secret string
	URI    string
}

// policyContext is what a member's password must not contain: their name
// and the local part of their address.
func (s *Service) policyContext(m Member) policy.Context {
	c := policy.Context{Identifier: m.Email[:max(strings.IndexByte(m.Email, '@'), 0)]}
	if parts := strings.Fields(m.Name); len(parts) > 0 {
		c.FirstName, c.LastName = parts[0], parts[len(parts)-1]
	}
	return c
}

// PolicyError lists the password rules a new password breaks.
type PolicyError struct{ Rules []policy.Rule }

func (e *PolicyError) Error() string { return "staff: password breaks the policy" }

// ErrMismatch means the password and its confirmation differ.
var ErrMismatch = errors.New("staff: password and confirmation differ")

// Rules evaluates a password for the member of a set-up link, for the
// live checklist.
func (s *Service) Rules(token, pw string) ([]policy.Result, error) {
	m, err := s.bySetup(token)
	if err != nil {
		return nil, err
	}
	return s.Policy.Evaluate(policy.Normalize(pw), s.policyContext(m)), nil
}

// SetupPassword is the set-up's first step: the password the policy
// accepts, and a new authenticator secret to enrol. Neither is the
// member's until SetupTOTP proves the enrolment; doing this step again
// replaces both.
func (s *Service) SetupPassword(ctx context.Context, token, pw, confirm string) (Member, Enrolment, error) {
	m, err := s.bySetup(token)
	if err != nil {
		return m, Enrolment{}, err
	}
	pw, confirm = policy.Normalize(pw), policy.Normalize(confirm)
	if rules := s.Policy.Check(pw, s.policyContext(m)); len(rules) > 0 {
		return m, Enrolment{}, &PolicyError{Rules: rules}
	}
	if pw != confirm {
		return m, Enrolment{}, ErrMismatch
	}
	hash, err := s.Hasher.Hash(ctx, pw)
	if err != nil {
		return m, Enrolment{}, err
	}
	secret := make([]byte, secretBytes)
	if _, err := rand.Read(secret); err != nil {
		return m, Enrolment{}, err
	}
	sealed, err := s.seal(m.Email, secret)
	if err != nil {
		return m, Enrolment{}, err
	}
	h := setupHash(token)
	err = s.Store.ChangeStaff(m.Email, func(cur *Member) (Change, error) {
		if cur.Setup == nil || !hmac.Equal(cur.Setup.TokenHash, h) || cur.State != Pending {
			return Change{}, ErrSetupInvalid
		}
		cur.Setup.PasswordHash, cur.Setup.TOTP = hash, sealed
		return Change{}, nil
	})
	if err != nil {
		return m, Enrolment{}, err
	}
	return m, s.enrolment(m, secret), nil
}

func (s *Service) enrolment(m Member, secret []byte) Enrolment {
	text := b32.EncodeToString(secret)
	var grouped strings.Builder
	for i, r := range text {
		if i > 0 && i%4 == 0 {
			grouped.WriteByte(' ')
		}
		grouped.WriteRune(r)
	}
	issuer := s.Issuer
	if issuer == "" {
		issuer = "Sésame"
	}
	v := url.Values{}
	v.Set("secret", text)
	v.Set("issuer", issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	uri := "otpauth://totp/" + url.PathEscape(issuer+":"+m.Email) + "?" + v.Encode()
	return Enrolment{Secret: grouped.String(), URI: uri}
}

// Enrolment shows the pending enrolment of a set-up link again (after a
// wrong code).
func (s *Service) Enrolment(token string) (Member, Enrolment, error) {
	m, err := s.bySetup(token)
	if err != nil {
		return m, Enrolment{}, err
	}
	if m.Setup.PasswordHash == "" {
		return m, Enrolment{}, ErrSetupInvalid
	}
	secret, err := s.unseal(m.Email, m.Setup.TOTP)
	if err != nil {
		return m, Enrolment{}, err
	}
	return m, s.enrolment(m, secret), nil
}

// SetupTOTP is the set-up's last step: a code from the authenticator
// proves it holds the secret. The member then becomes Active with the
// chosen password and the secret, the link is used up, and the recovery
// codes are returned — shown once, kept only as HMACs. Config.MaxFailures
// wrong codes kill the link.
func (s *Service) SetupTOTP(ctx context.Context, token, code string) (Member, []string, error) {
	m, err := s.bySetup(token)
	if err != nil {
		return m, nil, err
	}
	codes, err := newRecoveryCodes(recoveryCount)
	if err != nil {
		return m, nil, err
	}
	h := setupHash(token)
	var out Member
	err = s.Store.ChangeStaff(m.Email, func(cur *Member) (Change, error) {
		now := s.now()
		st := cur.Setup
		if st == nil || !hmac.Equal(st.TokenHash, h) || cur.State != Pending || !now.Before(st.Expires) || st.PasswordHash == "" {
			return Change{}, ErrSetupInvalid
		}
		secret, err := s.unseal(cur.Email, st.TOTP)
		if err != nil {
			return Change{}, ErrSetupInvalid
		}
		n, ok := matchTOTP(secret, code, now, 0)
		if !ok {
			st.Tries++
			if st.Tries >= s.Config.MaxFailures {
				cur.Setup = nil // the link is dead: ask for a reset
				return Change{}, ErrSetupInvalid
			}
			return Change{}, ErrWrongCode
		}
		cur.PasswordHash, cur.TOTP, cur.TOTPStep = st.PasswordHash, st.TOTP, n
		cur.RecoveryCodes = make([][]byte, len(codes))
		for i, c := range codes {
			cur.RecoveryCodes[i] = s.recoveryMAC(cur.Email, normalizeRecovery(c))
		}
		cur.State, cur.Setup, cur.Failures, cur.LockedUntil, cur.Updated = Active, nil, nil, time.Time{}, now
		out = *cur
		return Change{Events: []audit.Event{{Time: now, Kind: audit.StaffEnrolled, IP: audit.IP(ctx), Operator: cur.Operator(),
			Outcome: audit.OutcomeDone, Detail: "password chosen, authenticator enrolled, recovery codes issued"}}}, nil
	})
	if err != nil {
		return m, nil, err
	}
	return out, codes, nil
}

// SignIn checks an address, a password and a second factor — a code of
// the authenticator or one of the recovery codes — and opens a session,
// whose token it returns. Every refusal but a lock is
// ErrInvalidCredentials and costs one password hash, whatever was wrong;
// Config.MaxFailures of them within Config.FailWindow lock the member
// (*Locked) for Config.LockFor.
func (s *Service) SignIn(ctx context.Context, email, pw, code, agent string) (string, Member, error) {
	pw = policy.Normalize(pw)
	addr, err := identity.NormalizeEmail(email)
	var m Member
	if err == nil {
		m, err = s.Store.StaffMember(addr)
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, identity.ErrInvalidEmail) {
		// One record per client address and hour: a flood of made-up
		// addresses must not fill the log.
		s.appendEvent(audit.Event{Time: s.now(), Kind: audit.StaffLoginFailed, IP: audit.IP(ctx), Count: 1, Detail: "unknown address"})
		return "", Member{}, s.fail(ctx, pw)
	}
	if err != nil {
		return "", Member{}, err
	}
	if now := s.now(); now.Before(m.LockedUntil) {
		return "", Member{}, &Locked{Until: m.LockedUntil}
	}
	ok := false
	if m.State == Active {
		if ok, err = s.Hasher.Verify(ctx, pw, m.PasswordHash); err != nil {
			return "", Member{}, err
		}
	} else if err := s.Hasher.Dummy(ctx, pw); err != nil {
		return "", Member{}, err
	}
	token, err := newToken()
	if err != nil {
		return "", Member{}, err
	}
	var out Member
	err = s.Store.ChangeStaff(m.Email, func(cur *Member) (Change, error) {
		now := s.now()
		ev := audit.Event{Time: now, IP: audit.IP(ctx), Operator: cur.Operator()}
		if now.Before(cur.LockedUntil) {
			return Change{}, &Locked{Until: cur.LockedUntil}
		}
		why := ""
		var n int64
		switch {
		case cur.State != Active:
			why = "member " + string(cur.State)
		case !ok:
			why = "wrong password"
		default:
			secret, err := s.unseal(cur.Email, cur.TOTP)
			var good bool
			if err == nil {
				n, good = matchTOTP(secret, code, now, cur.TOTPStep)
			}
			switch {
			case good:
			case s.useRecovery(cur, code):
				n = cur.TOTPStep
				ev.Detail = fmt.Sprintf("with a recovery code (%d left)", len(cur.RecoveryCodes))
			default:
				why = "wrong second factor"
			}
		}
		if why != "" {
			cur.Failures = append(recent(cur.Failures, now.Add(-s.Config.FailWindow)), now)
			ev.Kind, ev.Outcome = audit.StaffLoginFailed, audit.Refused(why)
			evs := []audit.Event{ev}
			if len(cur.Failures) >= s.Config.MaxFailures {
				cur.LockedUntil, cur.Failures = now.Add(s.Config.LockFor), nil
				evs = append(evs, audit.Event{Time: now, Kind: audit.StaffLocked, IP: ev.IP, Operator: ev.Operator,
					Detail: "sign-in locked until " + cur.LockedUntil.UTC().Format(time.RFC3339)})
				return Change{Events: evs}, &Locked{Until: cur.LockedUntil}
			}
			return Change{Events: evs}, ErrInvalidCredentials
		}
		cur.TOTPStep, cur.Failures, cur.LastLogin = n, nil, now
		ev.Kind, ev.Outcome = audit.StaffLoginOK, audit.OutcomeDone
		out = *cur
		return Change{Events: []audit.Event{ev}, Session: &NewSession{Hash: SessionHash(token), Session: Session{
			Member: cur.Email, Created: now, Expires: now.Add(s.Config.SessionTTL), IP: audit.IP(ctx), Agent: agent}}}, nil
	})
	if err != nil {
		return "", Member{}, err
	}
	s.touch(SessionHash(token), s.now())
	return token, out, nil
}

// recent keeps the times after from.
func recent(ts []time.Time, from time.Time) []time.Time {
	var out []time.Time
	for _, t := range ts {
		if t.After(from) {
			out = append(out, t)
		}
	}
	return out
}

func (s *Service) fail(ctx context.Context, pw string) error {
	if err := s.Hasher.Dummy(ctx, pw); err != nil {
		return err
	}
	return ErrInvalidCredentials
}

// appendEvent records an event that comes with no change to a member.
func (s *Service) appendEvent(e audit.Event) {
	if s.Audit != nil {
		s.Audit.Append(e)
	}
}

// Session returns the member signed in with token and their session,
// and notes the request for the idle timeout. It never writes to the
// store. A session idle for Config.Idle is ErrIdle; an unknown, expired
// or ended one, or a member no longer active, ErrNoSession.
func (s *Service) Session(token string) (Member, Session, error) {
	if token == "" || len(token) > 100 {
		return Member{}, Session{}, ErrNoSession
	}
	h := SessionHash(token)
	sess, err := s.Store.StaffSession(h)
	if err != nil {
		return Member{}, Session{}, ErrNoSession
	}
	now := s.now()
	if !now.Before(sess.Expires) {
		return Member{}, Session{}, ErrNoSession
	}
	if !s.alive(h, now) {
		return Member{}, Session{}, ErrIdle
	}
	m, err := s.Store.StaffMember(sess.Member)
	if err != nil || m.State != Active {
		return Member{}, Session{}, ErrNoSession
	}
	s.touch(h, now)
	return m, sess, nil
}

// alive reports whether the session under h made a request within
// Config.Idle of now.
func (s *Service) alive(h []byte, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	last, ok := s.seen[string(h)]
	if ok && now.Sub(last) < s.Config.Idle {
		return true
	}
	delete(s.seen, string(h))
	return false
}

func (s *Service) touch(h []byte, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string]time.Time{}
	}
	// Forget the idle ones now and then: the map stays the size of the
	// office's live sessions.
	if len(s.seen) > 64 {
		for k, t := range s.seen {
			if now.Sub(t) >= s.Config.Idle {
				delete(s.seen, k)
			}
		}
	}
	s.seen[string(h)] = now
}

// forgetMember drops the idle timers of a member's sessions (their
// sessions were just ended in the store).
func (s *Service) forgetMember(email string) {
	all, err := s.Store.StaffSessions()
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, sess := range all {
		if sess.Member == email {
			if h, err := hex.DecodeString(id); err == nil {
				delete(s.seen, string(h))
			}
		}
	}
}

// SignOut ends the session held by token.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if token == "" || len(token) > 100 {
		return nil
	}
	h := SessionHash(token)
	sess, err := s.Store.StaffSession(h)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	delete(s.seen, string(h))
	s.mu.Unlock()
	return s.Store.DeleteStaffSession(h, &audit.Event{Time: s.now(), Kind: audit.StaffLogout, IP: audit.IP(ctx),
		Operator: "staff:" + sess.Member, Outcome: audit.OutcomeDone})
}

// SessionInfo is one live session as its list shows it.
type SessionInfo struct {
	// ID names the session in a form: the hex of its token's hash,
	// which signs no one in.
	ID       string
	Member   string
	Created  time.Time
	LastSeen time.Time
	IP       string
	Agent    string
	// Current is the session of the list's own request.
	Current bool
}

// Sessions lists the live sessions the viewer may see and end: their
// own, or every member's for an admin. current is the viewer's own
// token, to mark its session.
func (s *Service) Sessions(viewer Member, current string) ([]SessionInfo, error) {
	all, err := s.Store.StaffSessions()
	if err != nil {
		return nil, err
	}
	now := s.now()
	cur := hex.EncodeToString(SessionHash(current))
	var out []SessionInfo
	s.mu.Lock()
	for id, sess := range all {
		if sess.Member != viewer.Email && !viewer.IsAdmin() {
			continue
		}
		h, err := hex.DecodeString(id)
		if err != nil {
			continue
		}
		last, ok := s.seen[string(h)]
		if !ok || now.Sub(last) >= s.Config.Idle || !now.Before(sess.Expires) {
			continue
		}
		out = append(out, SessionInfo{ID: id, Member: sess.Member, Created: sess.Created, LastSeen: last, IP: sess.IP, Agent: sess.Agent, Current: id == cur})
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b SessionInfo) int {
		if c := strings.Compare(a.Member, b.Member); c != 0 {
			return c
		}
		return b.LastSeen.Compare(a.LastSeen)
	})
	return out, nil
}

// EndSession ends the session id (SessionInfo.ID): the viewer's own, or
// anyone's for an admin (ErrForbidden otherwise, recorded). An unknown
// id is ErrNoSession.
func (s *Service) EndSession(ctx context.Context, viewer Member, id string) error {
	h, err := hex.DecodeString(id)
	if err != nil || len(h) != 32 {
		return ErrNoSession
	}
	sess, err := s.Store.StaffSession(h)
	if err != nil {
		return ErrNoSession
	}
	ev := audit.Event{Time: s.now(), Kind: audit.StaffSessionEnded, IP: audit.IP(ctx), Operator: viewer.Operator(),
		Detail: "a session of " + outbox.MaskAddress(sess.Member)}
	if sess.Member != viewer.Email && !viewer.IsAdmin() {
		ev.Kind, ev.Outcome = audit.StaffDenied, audit.Refused("ending another member's session needs the admin role")
		s.appendEvent(ev)
		return ErrForbidden
	}
	s.mu.Lock()
	delete(s.seen, string(h))
	s.mu.Unlock()
	ev.Outcome = audit.OutcomeDone
	return s.Store.DeleteStaffSession(h, &ev)
}
