package activation_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"sesame/internal/activation"
	"sesame/internal/audit"
	"sesame/internal/mail/outbox"
)

// activated walks id through the letter and the password, and returns
// the browser's token at the confirmation.
func (f *fixture) activated(t *testing.T, id string) string {
	t.Helper()
	tok, _, err := f.act.Verify(ctx0, "", id, f.issue(t, id), "en")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.act.SetPassword(ctx0, tok, newPassword, newPassword); err != nil {
		t.Fatal(err)
	}
	return tok
}

// lastCode is the code of the newest e-mail-step message to addr.
func (f *fixture) lastCode(t *testing.T, addr string) string {
	t.Helper()
	msgs, _ := f.st.Outbox()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Kind == outbox.KindEmailCode && msgs[i].To == addr {
			return msgs[i].Code
		}
	}
	t.Fatalf("no code for %s", addr)
	return ""
}

func (f *fixture) ofKind(t *testing.T, k outbox.Kind) []outbox.Message {
	t.Helper()
	msgs, _ := f.st.Outbox()
	var out []outbox.Message
	for _, m := range msgs {
		if m.Kind == k {
			out = append(out, m)
		}
	}
	return out
}

func wrongDigits(code string) string {
	if code[7] == '0' {
		return code[:7] + "1"
	}
	return code[:7] + "0"
}

// An adult activated with a letter, without an address, adds one: the
// code goes to it, the wrong tries are counted, the right code makes it
// the account's (indexed for the recovery), audited, masked.
func TestEmailStepAddsAnAddress(t *testing.T) {
	f := setup(t)
	tok := f.activated(t, "nguyen.lan")

	// Before a code: nothing to confirm.
	if _, err := f.act.ConfirmEmail(ctx0, tok, "1234 5678"); !errors.Is(err, activation.ErrStepDone) {
		t.Fatalf("confirm before any code: %v", err)
	}
	for _, bad := range []string{"", "lan", "lan@", "a@b@c.fr", "lan@exemple.fr\r\nBcc: x@y.fr"} {
		if _, err := f.act.StartEmail(ctx0, tok, bad); !errors.Is(err, activation.ErrBadEmail) {
			t.Errorf("StartEmail(%q): %v", bad, err)
		}
	}
	fl, err := f.act.StartEmail(ctx0, tok, "  Lan.Nguyen@Exemple.FR ")
	if err != nil {
		t.Fatal(err)
	}
	if fl.State != activation.EmailSent || fl.Email != "lan.nguyen@exemple.fr" || fl.EmailCodes != 1 ||
		!fl.EmailExpires.Equal(t0.Add(activation.EmailCodeTTL)) || !fl.Expires.Equal(fl.EmailExpires) {
		t.Fatalf("flow after StartEmail: %+v", fl)
	}
	sent := f.ofKind(t, outbox.KindEmailCode)
	if len(sent) != 1 || sent[0].To != "lan.nguyen@exemple.fr" || sent[0].Lang != "en" || len(sent[0].Code) != 8 ||
		!reflect.DeepEqual(sent[0].Identifiers, []string{"nguyen.lan"}) || !sent[0].ExpiresAt.Equal(fl.EmailExpires) {
		t.Fatalf("code e-mail: %+v", sent)
	}
	code := sent[0].Code
	if _, err := f.act.ConfirmEmail(ctx0, tok, "12345"); !errors.Is(err, activation.ErrEmailCodeFormat) {
		t.Fatalf("short code: %v", err)
	}
	var wrong *activation.WrongEmailCode
	if _, err := f.act.ConfirmEmail(ctx0, tok, wrongDigits(code)); !errors.As(err, &wrong) || wrong.Left != 4 {
		t.Fatalf("wrong code: %v", err)
	}
	if a, _ := f.st.Account("nguyen.lan"); a.Email != "" {
		t.Fatal("a wrong code set the address")
	}
	f.clk.add(time.Minute)
	fl, err = f.act.ConfirmEmail(ctx0, tok, code[:4]+" "+code[4:])
	if err != nil {
		t.Fatal(err)
	}
	if fl.State != activation.Done || fl.EmailSet != "lan.nguyen@exemple.fr" || fl.Email != "" || fl.EmailMAC != nil {
		t.Fatalf("flow after the code: %+v", fl)
	}
	a, _ := f.st.Account("nguyen.lan")
	if a.Email != "lan.nguyen@exemple.fr" || !a.Updated.Equal(f.clk.now()) || !a.Activated() {
		t.Fatalf("account: %+v", a)
	}
	if as, _ := f.st.AccountsByEmail("lan.nguyen@exemple.fr"); len(as) != 1 || as[0].ID != "nguyen.lan" {
		t.Fatalf("the recovery does not find the new address: %+v", as)
	}
	if n := len(f.ofKind(t, outbox.KindEmailChanged)); n != 0 {
		t.Fatalf("%d notices, but there was no previous address", n)
	}
	evs, _ := f.st.Audit(time.Time{}, "nguyen.lan")
	var got []string
	for _, e := range evs {
		switch e.Kind {
		case audit.EmailCodeSent, audit.EmailCodeFailed, audit.EmailConfirmed:
			got = append(got, string(e.Kind)+" "+e.Email+" "+e.Detail)
		}
	}
	want := []string{
		"email.code_sent l•••@exemple.fr code 1 of 3 for this activation",
		"email.code_failed l•••@exemple.fr try 1 of 5",
		"email.confirmed l•••@exemple.fr address added: l•••@exemple.fr, confirmed by a code after activation",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("audit:\n%q\nwant\n%q", got, want)
	}
	// The same code again: the step is over.
	if _, err := f.act.ConfirmEmail(ctx0, tok, code); !errors.Is(err, activation.ErrStepDone) {
		t.Fatalf("code reused: %v", err)
	}
}

// Correcting an address: the old one is told (the new one masked); the
// flow's limits hold: the password first, not the same address, one code
// a minute, three per activation, five tries per code, thirty minutes.
func TestEmailStepLimits(t *testing.T) {
	f := setup(t)
	// The password first.
	tok, _, err := f.act.Verify(ctx0, "", "dupont.paul", f.issue(t, "dupont.paul"), "fr")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.act.StartEmail(ctx0, tok, "paul@exemple.fr"); !errors.Is(err, activation.ErrNotYet) {
		t.Fatalf("before the password: %v", err)
	}
	if _, err := f.act.SetPassword(ctx0, tok, newPassword, newPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := f.act.StartEmail(ctx0, tok, "Famille@exemple.fr"); !errors.Is(err, activation.ErrSameEmail) {
		t.Fatalf("the same address: %v", err)
	}
	if _, err := f.act.StartEmail(ctx0, tok, "paul@exemple.fr"); err != nil {
		t.Fatal(err)
	}
	var wait *activation.EmailWait
	if _, err := f.act.StartEmail(ctx0, tok, "paul.dupont@exemple.fr"); !errors.As(err, &wait) || !wait.Until.Equal(t0.Add(time.Minute)) {
		t.Fatalf("within the minute: %v", err)
	}
	// Five wrong tries kill the code, the right one included after.
	code := f.lastCode(t, "paul@exemple.fr")
	for i := 4; i >= 1; i-- {
		var wrong *activation.WrongEmailCode
		if _, err := f.act.ConfirmEmail(ctx0, tok, wrongDigits(code)); !errors.As(err, &wrong) || wrong.Left != i {
			t.Fatalf("wrong try, %d left: %v", i, err)
		}
	}
	if _, err := f.act.ConfirmEmail(ctx0, tok, wrongDigits(code)); !errors.Is(err, activation.ErrEmailCodeDead) {
		t.Fatalf("fifth wrong try: %v", err)
	}
	if _, err := f.act.ConfirmEmail(ctx0, tok, code); !errors.Is(err, activation.ErrEmailCodeDead) {
		t.Fatalf("the right code after five wrong ones: %v", err)
	}
	// A second code, a minute later; then it expires.
	f.clk.add(time.Minute)
	if _, err := f.act.StartEmail(ctx0, tok, "paul@exemple.fr"); err != nil {
		t.Fatal(err)
	}
	code = f.lastCode(t, "paul@exemple.fr")
	f.clk.add(activation.EmailCodeTTL)
	if _, err := f.act.ConfirmEmail(ctx0, tok, code); !errors.Is(err, activation.ErrNoFlow) {
		t.Fatalf("after 30 minutes: %v", err) // the flow lived as long as its code
	}
	// A new activation flow gets its own codes; the third code of a flow
	// is its last.
	f.clk.add(time.Hour)
	tok = f.activated(t, "dupont.marie")
	for i := range activation.EmailMaxCodes {
		if _, err := f.act.StartEmail(ctx0, tok, "marie@exemple.fr"); err != nil {
			t.Fatalf("code %d: %v", i+1, err)
		}
		f.clk.add(time.Minute)
	}
	if _, err := f.act.StartEmail(ctx0, tok, "marie@exemple.fr"); !errors.Is(err, activation.ErrEmailLimit) {
		t.Fatalf("fourth code: %v", err)
	}
	// « Annuler », then the last code is dead; the right one of an
	// earlier code never worked anyway.
	code = f.lastCode(t, "marie@exemple.fr")
	if fl, err := f.act.CancelEmail(tok); err != nil || fl.State != activation.Done || fl.Email != "" {
		t.Fatalf("cancel: %+v %v", fl, err)
	}
	if _, err := f.act.ConfirmEmail(ctx0, tok, code); !errors.Is(err, activation.ErrStepDone) {
		t.Fatalf("code after cancel: %v", err)
	}
	if a, _ := f.st.Account("dupont.marie"); a.Email != "famille@exemple.fr" {
		t.Fatalf("address changed without a code: %s", a.Email)
	}
}

// A corrected address: the previous one gets a notice naming the new
// one masked; the family's other account keeps the shared address.
func TestEmailStepNotifiesTheOldAddress(t *testing.T) {
	f := setup(t)
	tok := f.activated(t, "dupont.paul")
	if _, err := f.act.StartEmail(ctx0, tok, "paul.dupont@exemple.fr"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.act.ConfirmEmail(ctx0, tok, f.lastCode(t, "paul.dupont@exemple.fr")); err != nil {
		t.Fatal(err)
	}
	notices := f.ofKind(t, outbox.KindEmailChanged)
	if len(notices) != 1 || notices[0].To != "famille@exemple.fr" || notices[0].NewEmail != "p•••@exemple.fr" ||
		!reflect.DeepEqual(notices[0].Identifiers, []string{"dupont.paul"}) || notices[0].Code != "" {
		t.Fatalf("notice: %+v", notices)
	}
	if as, _ := f.st.AccountsByEmail("famille@exemple.fr"); len(as) != 1 || as[0].ID != "dupont.marie" {
		t.Fatalf("the family address: %+v", as)
	}
	evs, _ := f.st.Audit(time.Time{}, "dupont.paul")
	last := evs[len(evs)-1]
	if last.Kind != audit.EmailConfirmed || last.Detail != "address changed: f•••@exemple.fr → p•••@exemple.fr, confirmed by a code after activation" {
		t.Fatalf("audit: %+v", last)
	}
}
