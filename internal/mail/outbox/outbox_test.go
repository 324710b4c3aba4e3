package outbox

import (
	"testing"
	"time"
)

func TestMaskAddress(t *testing.T) {
	for in, want := range map[string]string{
		"marie.dupont@exemple.fr": "m•••@exemple.fr",
		"é@exemple.fr":            "é•••@exemple.fr",
		"@exemple.fr":             "•••@exemple.fr",
		"a@b@exemple.fr":          "a•••@exemple.fr",
		"no-at-sign":              "•••",
		"":                        "•••",
	} {
		if got := MaskAddress(in); got != want {
			t.Errorf("MaskAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewPending(t *testing.T) {
	now := time.Date(2025, 11, 26, 14, 5, 0, 0, time.UTC)
	codeExpiry := now.Add(10 * time.Minute)
	tests := []struct {
		in          Message
		wantExpires time.Time
	}{
		{Message{Kind: KindPasswordChanged, Status: StatusSent, Attempts: 3, LastError: "x"}, now.Add(24 * time.Hour)},
		{Message{Kind: KindRecoveryCode, ExpiresAt: codeExpiry}, codeExpiry},
		{Message{Kind: KindRecoveryCode}, now.Add(30 * time.Minute)},
	}
	for _, tt := range tests {
		got := NewPending(tt.in, now)
		if got.Status != StatusPending || !got.Created.Equal(now) || !got.NextAttempt.Equal(now) ||
			got.Attempts != 0 || got.LastError != "" || !got.ExpiresAt.Equal(tt.wantExpires) {
			t.Errorf("NewPending(%+v) = %+v; want pending, due now, expiring %v", tt.in, got, tt.wantExpires)
		}
	}
}
