package activation

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"time"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/identity"
	"sesame/internal/mail/outbox"
	"sesame/internal/recovery"
)

// The optional step after the password: « Ajouter ou corriger mon
// adresse e-mail ». A parent who activated with a letter often has no
// address on file, or an old one; they type one, a security code is sent
// to it, and typing the code back makes it the account's address, so
// the recovery works for them from then on. The previous address, if
// any, is told. Skipping it is signing in.
//
// The codes are the recovery's (8 digits, recovery.NewCode and
// NormalizeCode), kept in the flow only as an HMAC, valid EmailCodeTTL,
// EmailMaxTries wrong tries each (counted before the comparison, in the
// same transaction), EmailMaxCodes per flow, one every EmailCooldown:
// the step can reach only the flow's own account, and mail only as
// often as that.
const (
	EmailCodeTTL  = 30 * time.Minute
	EmailMaxTries = 5
	EmailMaxCodes = 3
	EmailCooldown = time.Minute
)

// EmailAttempt is what the store reads for one action of the e-mail
// step, in one transaction, and what it writes back once try decided.
type EmailAttempt struct {
	// Flow is the browser's flow, written back whatever try returns (a
	// wrong code stays counted).
	Flow Flow
	// Account is the flow's account (nil: gone). When SaveAccount, it is
	// written as try left it (its new address, indexed).
	Account     *account.Account
	SaveAccount bool
	// Mail is queued and Events recorded; on an error only Events are.
	Mail   []outbox.Message
	Events []audit.Event
}

// EmailWait says a code was sent less than EmailCooldown ago, and when
// the next may be asked for.
type EmailWait struct{ Until time.Time }

func (e *EmailWait) Error() string {
	return "activation: an e-mail code was just sent; the next at " + e.Until.UTC().Format(time.RFC3339)
}

// WrongEmailCode is ErrEmailCodeWrong with the tries left (at least 1).
type WrongEmailCode struct{ Left int }

func (e *WrongEmailCode) Error() string {
	return fmt.Sprintf("activation: wrong e-mail code, %d tries left", e.Left)
}

// Unwrap makes errors.Is(err, ErrEmailCodeWrong) true.
func (e *WrongEmailCode) Unwrap() error { return ErrEmailCodeWrong }

func emailMAC(secret []byte, id, email, code string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("activation-email\x00" + id + "\x00" + email + "\x00" + code))
	return m.Sum(nil)
}

// StartEmail sends a code to the address the parent typed, once the
// password is set (Done), or again from EmailSent (another address, or
// « Recevoir un nouveau code » with input the pending one). The flow
// then lives as long as the code.
func (s *Service) StartEmail(ctx context.Context, token, input string) (Flow, error) {
	if token == "" || len(token) > 100 {
		return Flow{}, ErrNoFlow
	}
	email, err := identity.NormalizeEmail(input)
	if err != nil {
		f, _ := s.Get(token)
		return f, ErrBadEmail
	}
	code, err := recovery.NewCode()
	if err != nil {
		return Flow{}, err
	}
	var out Flow
	err = s.Store.EmailStep(Key(token), func(at *EmailAttempt) error {
		f, now := &at.Flow, s.now()
		defer func() { out = *f }()
		switch {
		case !now.Before(f.Expires):
			return ErrNoFlow
		case f.State == Verified:
			return ErrNotYet
		case at.Account == nil || at.Account.State != account.Active:
			return ErrRevoked
		case at.Account.Email == email:
			return ErrSameEmail
		case f.EmailCodes >= EmailMaxCodes:
			return ErrEmailLimit
		case now.Before(f.EmailSentAt.Add(EmailCooldown)):
			return &EmailWait{Until: f.EmailSentAt.Add(EmailCooldown)}
		}
		a := at.Account
		f.State, f.Email, f.EmailMAC, f.EmailTries = EmailSent, email, emailMAC(s.Secret, a.ID, email, code), 0
		f.EmailExpires, f.EmailSentAt = now.Add(EmailCodeTTL), now
		f.EmailCodes++
		f.Expires = maxTime(f.Expires, f.EmailExpires)
		at.Mail = []outbox.Message{outbox.NewPending(outbox.Message{Kind: outbox.KindEmailCode, To: email, Lang: f.Lang,
			Name: a.Name(), Identifiers: []string{a.ID}, Code: code, ExpiresAt: f.EmailExpires}, now)}
		at.Events = []audit.Event{{Time: now, Kind: audit.EmailCodeSent, Account: a.ID, Email: outbox.MaskAddress(email), IP: audit.IP(ctx),
			Detail: fmt.Sprintf("code %d of %d for this activation", f.EmailCodes, EmailMaxCodes)}}
		return nil
	})
	if err == nil {
		s.notify()
	}
	return out, err
}

// ConfirmEmail is the code typed back. The try is counted before the
// comparison; the right code makes the pending address the account's —
// the previous address told, the change audited, the flow back to Done —
// in one transaction.
func (s *Service) ConfirmEmail(ctx context.Context, token, input string) (Flow, error) {
	if token == "" || len(token) > 100 {
		return Flow{}, ErrNoFlow
	}
	code, err := recovery.NormalizeCode(input)
	if err != nil {
		f, _ := s.Get(token)
		return f, ErrEmailCodeFormat
	}
	var out Flow
	err = s.Store.EmailStep(Key(token), func(at *EmailAttempt) error {
		f, now := &at.Flow, s.now()
		defer func() { out = *f }()
		switch {
		case !now.Before(f.Expires):
			return ErrNoFlow
		case f.State != EmailSent:
			return ErrStepDone
		case !now.Before(f.EmailExpires) || f.EmailTries >= EmailMaxTries:
			return ErrEmailCodeDead
		case at.Account == nil || at.Account.State != account.Active:
			return ErrRevoked
		}
		a := at.Account
		f.EmailTries++
		if !hmac.Equal(emailMAC(s.Secret, a.ID, f.Email, code), f.EmailMAC) {
			at.Events = []audit.Event{{Time: now, Kind: audit.EmailCodeFailed, Account: a.ID, Email: outbox.MaskAddress(f.Email), IP: audit.IP(ctx),
				Detail: fmt.Sprintf("try %d of %d", f.EmailTries, EmailMaxTries)}}
			if left := EmailMaxTries - f.EmailTries; left > 0 {
				return &WrongEmailCode{Left: left}
			}
			return ErrEmailCodeDead
		}
		old := a.Email
		detail := "address added: " + outbox.MaskAddress(f.Email)
		if old != "" {
			detail = "address changed: " + outbox.MaskAddress(old) + " → " + outbox.MaskAddress(f.Email)
			at.Mail = []outbox.Message{outbox.NewPending(outbox.Message{Kind: outbox.KindEmailChanged, To: old, Lang: f.Lang,
				Name: a.Name(), Identifiers: []string{a.ID}, NewEmail: outbox.MaskAddress(f.Email)}, now)}
		}
		a.Email, a.Updated = f.Email, now
		at.SaveAccount = true
		at.Events = []audit.Event{{Time: now, Kind: audit.EmailConfirmed, Account: a.ID, Email: outbox.MaskAddress(f.Email), IP: audit.IP(ctx),
			Detail: detail + ", confirmed by a code after activation"}}
		f.State, f.EmailSet = Done, f.Email
		f.Email, f.EmailMAC, f.EmailExpires, f.EmailTries = "", nil, time.Time{}, 0
		return nil
	})
	if err == nil {
		s.notify()
	}
	return out, err
}

// CancelEmail is « Annuler » on the code: back to the confirmation,
// the pending code dead. Codes already sent still count.
func (s *Service) CancelEmail(token string) (Flow, error) {
	if token == "" || len(token) > 100 {
		return Flow{}, ErrNoFlow
	}
	var out Flow
	err := s.Store.EmailStep(Key(token), func(at *EmailAttempt) error {
		f := &at.Flow
		defer func() { out = *f }()
		if !s.now().Before(f.Expires) {
			return ErrNoFlow
		}
		if f.State == EmailSent {
			f.State, f.Email, f.EmailMAC, f.EmailExpires, f.EmailTries = Done, "", nil, time.Time{}, 0
		}
		return nil
	})
	return out, err
}

// NextEmailCode is when flow f may send another code: zero when now,
// or when it may send none (EmailMaxCodes reached).
func (s *Service) NextEmailCode(f Flow) time.Time {
	if f.EmailCodes >= EmailMaxCodes {
		return time.Time{}
	}
	if next := f.EmailSentAt.Add(EmailCooldown); s.now().Before(next) {
		return next
	}
	return time.Time{}
}

// notify wakes the mail worker, the accounts' (the server sets it).
func (s *Service) notify() {
	if s.Accounts != nil && s.Accounts.Mail != nil {
		s.Accounts.Mail.Notify()
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
