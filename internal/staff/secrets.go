package staff

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// TOTP parameters: RFC 6238's defaults, which every authenticator app
// reads (Google Authenticator ignores any other).
const (
	totpPeriod = 30 * time.Second
	totpDigits = otp.DigitsSix
	// totpSkew is the ±1 step window: a code typed just before its
	// period ended, or on a phone whose clock is 30 s off, still works.
	totpSkew = 1
	// secretBytes is 160 bits, RFC 4226's recommended key length.
	secretBytes = 20
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// derive is a key for one purpose, from the data file's secret.
func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("staff\x00" + purpose))
	return m.Sum(nil)
}

// seal encrypts a TOTP secret for member email.
func (s *Service) seal(email string, plain []byte) ([]byte, error) {
	block, err := aes.NewCipher(derive(s.Secret, "totp-seal"))
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return gcm.Seal(nonce, nonce, plain, []byte(email)), nil
}

// errSealed means a sealed secret does not open: another data file's,
// another member's, or damaged.
var errSealed = errors.New("staff: sealed secret does not open")

func (s *Service) unseal(email string, sealed []byte) ([]byte, error) {
	block, err := aes.NewCipher(derive(s.Secret, "totp-seal"))
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errSealed
	}
	plain, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte(email))
	if err != nil {
		return nil, errSealed
	}
	return plain, nil
}

// step is the TOTP time step of t.
func step(t time.Time) int64 { return t.Unix() / int64(totpPeriod/time.Second) }

// totpCode is the code of secret for time step n.
func totpCode(secret []byte, n int64) (string, error) {
	return hotp.GenerateCodeCustom(b32.EncodeToString(secret), uint64(n), hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
}

// matchTOTP returns the step, within ±totpSkew of now and after last,
// whose code is input; ok is false when none is. Every candidate is
// compared in constant time, and a code of a step already used (last)
// or before it is refused: a code seen over a shoulder or in a proxy's
// log cannot be played again.
func matchTOTP(secret []byte, input string, now time.Time, last int64) (int64, bool) {
	input = normalizeDigits(input)
	if len(input) != totpDigits.Length() {
		return 0, false
	}
	cur := step(now)
	found, ok := int64(0), false
	for n := cur - totpSkew; n <= cur+totpSkew; n++ {
		code, err := totpCode(secret, n)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(code), []byte(input)) == 1 && n > last && !ok {
			found, ok = n, true
		}
	}
	return found, ok
}

// normalizeDigits drops the spaces an app shows in a code ("123 456").
func normalizeDigits(s string) string {
	if len(s) > 32 {
		return ""
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r
		case r == ' ' || r == '-' || r == '\u00a0' || r == '\u202f':
			return -1
		}
		return 'x'
	}, s)
}

// Recovery codes: 10 characters of Crockford's base32 (50 bits), shown
// as two groups of five. Ten of them, each usable once.
const (
	recoveryAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	recoveryLen      = 10
	recoveryCount    = 10
)

// newRecoveryCodes draws n codes, grouped for display.
func newRecoveryCodes(n int) ([]string, error) {
	out := make([]string, n)
	buf := make([]byte, recoveryLen)
	for i := range out {
		if _, err := rand.Read(buf); err != nil {
			return nil, err
		}
		var b strings.Builder
		for j, c := range buf {
			if j == recoveryLen/2 {
				b.WriteByte('-')
			}
			b.WriteByte(recoveryAlphabet[c&31])
		}
		out[i] = b.String()
	}
	return out, nil
}

// normalizeRecovery reads a recovery code as typed: any case, with or
// without its dash or spaces, O for 0 and I or L for 1. It returns ""
// for anything that is not one.
func normalizeRecovery(s string) string {
	if len(s) > 64 {
		return ""
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ' || r == '\u00a0':
		case r == 'O':
			b.WriteByte('0')
		case r == 'I' || r == 'L':
			b.WriteByte('1')
		case r < 128 && strings.ContainsRune(recoveryAlphabet, r):
			b.WriteRune(r)
		default:
			return ""
		}
	}
	if b.Len() != recoveryLen {
		return ""
	}
	return b.String()
}

// recoveryMAC is how a recovery code is kept: an HMAC bound to the
// member. 50 random bits need no slow hash: they cannot be guessed
// offline from the MAC without the data file's secret, nor online under
// the sign-in lockout.
func (s *Service) recoveryMAC(email, code string) []byte {
	m := hmac.New(sha256.New, derive(s.Secret, "recovery-codes"))
	m.Write([]byte(email + "\x00" + code))
	return m.Sum(nil)
}

// useRecovery removes the recovery code input from m and reports
// whether it was one of m's unused codes.
func (s *Service) useRecovery(m *Member, input string) bool {
	code := normalizeRecovery(input)
	if code == "" {
		return false
	}
	want := s.recoveryMAC(m.Email, code)
	for i, mac := range m.RecoveryCodes {
		if hmac.Equal(mac, want) {
			m.RecoveryCodes = append(m.RecoveryCodes[:i:i], m.RecoveryCodes[i+1:]...)
			return true
		}
	}
	return false
}

// newToken is 256 random bits, as the link or the cookie carries them.
func newToken() (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// SessionHash is how a session token is keyed in the store.
func SessionHash(token string) []byte {
	h := sha256.Sum256([]byte("staff-session\x00" + token))
	return h[:]
}

// setupHash is how a set-up link's token is kept.
func setupHash(token string) []byte {
	h := sha256.Sum256([]byte("staff-setup\x00" + token))
	return h[:]
}
