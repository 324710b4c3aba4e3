package activation

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"net/url"
	"strings"
)

// alphabet is Crockford's base32: the digits and the letters without I,
// L, O and U, so that no two characters look alike on paper and none
// spells a word by accident. Each character carries 5 bits.
const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// CodeLen is the number of characters of a code: 12 × 5 = 60 bits,
// which the attempt limits keep out of reach for the code's whole life
// (security.md, « Activation codes on paper »).
const CodeLen = 12

// newCode draws 60 uniform bits from crypto/rand and writes them in the
// alphabet: every code is equally likely.
func newCode() (string, error) {
	var buf [8]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return "", err
	}
	n := binary.BigEndian.Uint64(buf[:])
	out := make([]byte, CodeLen)
	for i := range out {
		out[i] = alphabet[n&31]
		n >>= 5
	}
	return string(out), nil
}

// Group writes a code as the letter prints it, in three groups of four:
// K7QM-4RXP-9TDW. A string that is not a code is returned as it is.
func Group(code string) string {
	c, err := NormalizeCode(code)
	if err != nil {
		return code
	}
	return c[0:4] + "-" + c[4:8] + "-" + c[8:12]
}

// NormalizeCode reads a code as a parent types or pastes it: any case,
// with spaces, dashes or dots between characters, and the look-alikes
// read as Crockford says (O as 0, I and L as 1). It returns the 12
// characters in upper case, or ErrCodeFormat.
func NormalizeCode(s string) (string, error) {
	if len(s) > 64 {
		return "", ErrCodeFormat
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		case r == ' ' || r == '-' || r == '.' || r == '\t' || r == '\u00a0' || r == '\u202f' || r == '\u2009' ||
			r == '\u2010' || r == '\u2011' || r == '\u2013':
			continue
		}
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 127 || strings.IndexRune(alphabet, r) < 0 {
			return "", ErrCodeFormat
		}
		b.WriteRune(r)
	}
	if b.Len() != CodeLen {
		return "", ErrCodeFormat
	}
	return b.String(), nil
}

// mac is what the store keeps of a code: its HMAC under the store's
// secret, bound to the account, so the data file alone activates no one
// and a code is worth nothing for another identifier.
func mac(secret []byte, account, code string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("activation\x00" + account + "\x00" + code))
	return m.Sum(nil)
}

// Link is the address a letter writes out and its QR code holds: the
// activation page with the identifier and the code filled in, under
// baseURL (the portal's --base-url, which may carry a path:
// https://college.fr/parents). Opening it only fills the form; nothing
// is used until the parent presses « Valider ».
func Link(baseURL, identifier, code string) string {
	return strings.TrimRight(baseURL, "/") + "/activation?id=" + url.QueryEscape(identifier) + "&code=" + url.QueryEscape(Group(code))
}
