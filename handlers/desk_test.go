package handlers

import (
	"bytes"
	"context"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"sesame/internal/account"
	"sesame/internal/audit"
	"sesame/internal/mail/outbox"
	"sesame/internal/staff"
	"sesame/internal/store"
)

const staffPassword = "Tableau-Noir-42"

var secretRe = regexp.MustCompile(`data-testid="desk-totp-secret">([A-Z2-7 ]+)<`)

// totpAt is the code an authenticator shows for secret (as the set-up
// page prints it) at time at.
func totpAt(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := hotp.GenerateCodeCustom(strings.ReplaceAll(secret, " ", ""), uint64(at.Unix()/30), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolStaff adds a member and sets their access up through the pages,
// as they would from the e-mailed link; it returns the authenticator's
// secret.
func (e *env) enrolStaff(t testing.TB, email string, role staff.Role) string {
	t.Helper()
	_, link, err := e.stf.Add(context.Background(), email, "Claire Martin", role, "cli:root")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	path := u.Path + "?" + u.RawQuery
	tok := u.Query().Get("t")
	b := e.browser(t)
	if resp, body := b.get(path); resp.StatusCode != 200 || !strings.Contains(body, "Choisir votre mot de passe") {
		t.Fatalf("set-up page: %d", resp.StatusCode)
	}
	resp, body := b.post(path, "/secretariat/installation/mot-de-passe", url.Values{"t": {tok}, "new": {staffPassword}, "confirm": {staffPassword}})
	m := secretRe.FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil || !strings.Contains(body, `src="data:image/png;base64,`) {
		t.Fatalf("password step: %d\n%s", resp.StatusCode, body)
	}
	resp, body = b.post(path, "/secretariat/installation/totp", url.Values{"t": {tok}, "code": {totpAt(t, m[1], e.staffNow)}})
	if resp.StatusCode != 200 || strings.Count(body, "<li>") < 10 {
		t.Fatalf("authenticator step: %d\n%s", resp.StatusCode, body)
	}
	return m[1]
}

// deskBrowser is a browser signed in at the desk as email.
func (e *env) deskBrowser(t testing.TB, email, secret string) *browser {
	t.Helper()
	e.staffNow = e.staffNow.Add(30 * time.Second) // a fresh code: the last one is spent
	b := e.browser(t)
	resp, _ := b.post("/secretariat", "/secretariat/connexion", url.Values{"email": {email}, "password": {staffPassword}, "code": {totpAt(t, secret, e.staffNow)}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/secretariat/recherche" || b.cookies[deskCookie] == "" {
		t.Fatalf("desk sign-in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return b
}

func TestDeskSetUpAndSignIn(t *testing.T) {
	e := newEnv(t)
	_, link, err := e.stf.Add(context.Background(), "claire@ecole.test", "Claire Martin", staff.Secretariat, "cli:root")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	path, tok := u.Path+"?"+u.RawQuery, u.Query().Get("t")
	b := e.browser(t)
	// The link's language switch keeps the link.
	if _, body := b.get(path); !strings.Contains(body, `href="/secretariat/installation?t=`+url.QueryEscape(tok)+`&amp;lang=en"`) {
		t.Errorf("set-up page's language switch loses the link:\n%s", body)
	}
	resp, body := b.post(path, "/secretariat/installation/mot-de-passe", url.Values{"t": {tok}, "new": {"claire123"}, "confirm": {"claire123"}})
	if resp.StatusCode != 422 || !strings.Contains(body, "ne respecte pas toutes les règles") {
		t.Errorf("weak password: %d", resp.StatusCode)
	}
	resp, body = b.post(path, "/secretariat/installation/mot-de-passe", url.Values{"t": {tok}, "new": {staffPassword}, "confirm": {staffPassword + "x"}})
	if resp.StatusCode != 422 || !strings.Contains(body, "La confirmation ne correspond pas") {
		t.Errorf("mismatch: %d", resp.StatusCode)
	}
	resp, body = b.post(path, "/secretariat/installation/mot-de-passe", url.Values{"t": {tok}, "new": {staffPassword}, "confirm": {staffPassword}})
	m := secretRe.FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("password step: %d", resp.StatusCode)
	}
	wrong := "000000"
	if totpAt(t, m[1], e.staffNow) == wrong {
		wrong = "111111"
	}
	resp, body = b.post(path, "/secretariat/installation/totp", url.Values{"t": {tok}, "code": {wrong}})
	if resp.StatusCode != 422 || !strings.Contains(body, "Ce code n&#39;est pas le bon") || !strings.Contains(body, m[1]) {
		t.Errorf("wrong code: %d", resp.StatusCode)
	}
	resp, body = b.post(path, "/secretariat/installation/totp", url.Values{"t": {tok}, "code": {totpAt(t, m[1], e.staffNow)}})
	if resp.StatusCode != 200 || !strings.Contains(body, "ne seront plus jamais affichés") {
		t.Fatalf("authenticator step: %d", resp.StatusCode)
	}
	// The link is used up.
	if resp, body := b.get(path); resp.StatusCode != 410 || !strings.Contains(body, "ne fonctionne plus") {
		t.Errorf("used link: %d", resp.StatusCode)
	}

	// Sign-in: the password alone is not enough, a wrong or replayed
	// code is refused with the one sentence.
	for name, code := range map[string]string{"no code": "", "wrong code": wrong, "replayed enrolment code": totpAt(t, m[1], e.staffNow)} {
		resp, body := b.post("/secretariat", "/secretariat/connexion", url.Values{"email": {"claire@ecole.test"}, "password": {staffPassword}, "code": {code}})
		if resp.StatusCode != 401 || !strings.Contains(body, "Adresse, mot de passe ou code incorrect") || b.cookies[deskCookie] != "" {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
	// (three refusals: two more would lock the member; a right code now)
	d := e.deskBrowser(t, "claire@ecole.test", m[1])
	resp, body = d.get("/secretariat/sessions")
	if resp.StatusCode != 200 || strings.Count(body, `data-testid="desk-session"`) != 1 {
		t.Errorf("sessions page: %d", resp.StatusCode)
	}
	// The parents' side does not know the desk's cookie, nor the desk
	// the parents'.
	if resp, _ := d.get("/espace"); resp.StatusCode != 303 {
		t.Errorf("a staff session opens a parent's space: %d", resp.StatusCode)
	}
}

func TestDeskCookieAndSignOut(t *testing.T) {
	e := newEnv(t)
	secret := e.enrolStaff(t, "claire@ecole.test", staff.Secretariat)
	e.staffNow = e.staffNow.Add(30 * time.Second)
	b := e.browser(t)
	_, page := b.get("/secretariat")
	form := url.Values{"email": {"claire@ecole.test"}, "password": {staffPassword}, "code": {totpAt(t, secret, e.staffNow)},
		"_csrf": {csrfRe.FindStringSubmatch(page)[1]}}
	req := httptest.NewRequest("POST", "/secretariat/connexion", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, _ := b.do(req)
	ck := strings.Join(resp.Header.Values("Set-Cookie"), "\n")
	for _, want := range []string{deskCookie + "=", "path=/secretariat", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(strings.ToLower(ck), strings.ToLower(want)) {
			t.Errorf("desk cookie lacks %q: %s", want, ck)
		}
	}
	if resp, _ := b.get("/secretariat/sessions"); resp.StatusCode != 200 {
		t.Fatalf("signed in: %d", resp.StatusCode)
	}
	resp, _ = b.post("/secretariat/sessions", "/secretariat/deconnexion", url.Values{})
	if resp.StatusCode != 303 || b.cookies[deskCookie] != "" {
		t.Errorf("sign-out: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/secretariat/sessions"); resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/secretariat") {
		t.Errorf("after sign-out: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// A staff session idle for 30 minutes is over: the desk sends the
// member back to the sign-in and says why.
func TestDeskIdleSession(t *testing.T) {
	e := newEnv(t)
	secret := e.enrolStaff(t, "claire@ecole.test", staff.Secretariat)
	b := e.deskBrowser(t, "claire@ecole.test", secret)
	e.staffNow = e.staffNow.Add(29 * time.Minute)
	if resp, _ := b.get("/secretariat/sessions"); resp.StatusCode != 200 {
		t.Fatalf("after 29 minutes: %d", resp.StatusCode)
	}
	e.staffNow = e.staffNow.Add(30 * time.Minute)
	resp, _ := b.get("/secretariat/sessions")
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/secretariat?msg=idle" {
		t.Fatalf("after 30 idle minutes: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := b.get("/secretariat?msg=idle"); !strings.Contains(body, "faute d&#39;activité") {
		t.Error("the sign-in page does not say why")
	}
	// htmx is told to load the sign-in page, not to swap it in.
	req := httptest.NewRequest("GET", "/secretariat/sessions", nil)
	req.Header.Set("HX-Request", "true")
	b2 := e.deskBrowser(t, "claire@ecole.test", secret)
	e.staffNow = e.staffNow.Add(31 * time.Minute)
	resp, _ = b2.do(req)
	if resp.StatusCode != 401 || resp.Header.Get("HX-Redirect") != "/secretariat?msg=idle" {
		t.Errorf("htmx after the idle timeout: %d %q", resp.StatusCode, resp.Header.Get("HX-Redirect"))
	}
}

// --desk-network: from elsewhere every desk page is a localized refusal,
// the sign-in included; the parents' pages are not concerned.
func TestDeskNetwork(t *testing.T) {
	_, proxy, _ := net.ParseCIDR("0.0.0.0/32") // app.Test's peer address
	_, school, _ := net.ParseCIDR("10.0.0.0/8")
	e := newEnv(t, func(d *Deps) {
		d.Config.TrustedProxies = []*net.IPNet{proxy}
		d.Config.DeskNetworks = []*net.IPNet{school}
	})
	in, out := e.browser(t), e.browser(t)
	in.xff, out.xff = "10.1.2.3", "192.0.2.7"
	if resp, _ := in.get("/secretariat"); resp.StatusCode != 200 {
		t.Errorf("from the school: %d", resp.StatusCode)
	}
	for _, path := range []string{"/secretariat", "/secretariat/recherche", "/secretariat/installation?t=x", "/secretariat/sessions"} {
		resp, body := out.get(path)
		if resp.StatusCode != 403 || !strings.Contains(body, "réseau de l&#39;établissement") {
			t.Errorf("GET %s from outside: %d", path, resp.StatusCode)
		}
	}
	out.lang = "en"
	if resp, body := out.post("/", "/secretariat/connexion", url.Values{"email": {"a@b.fr"}}); resp.StatusCode != 403 || !strings.Contains(body, "school&#39;s network") {
		t.Errorf("POST from outside: %d", resp.StatusCode)
	}
	if resp, _ := out.get("/"); resp.StatusCode != 200 {
		t.Errorf("parents' page from outside: %d", resp.StatusCode)
	}
}

// Ending sessions: a member their own, an admin anyone's; a secretariat
// member is refused another's, on the server, and it is recorded.
func TestDeskSessionsRoles(t *testing.T) {
	e := newEnv(t)
	s1 := e.enrolStaff(t, "sec@ecole.test", staff.Secretariat)
	s2 := e.enrolStaff(t, "adm@ecole.test", staff.Admin)
	sec := e.deskBrowser(t, "sec@ecole.test", s1)
	adm := e.deskBrowser(t, "adm@ecole.test", s2)
	_, body := adm.get("/secretariat/sessions")
	if strings.Count(body, `data-testid="desk-session"`) != 2 {
		t.Fatalf("the admin sees %d sessions", strings.Count(body, `data-testid="desk-session"`))
	}
	admID := hexHash(adm.cookies[deskCookie])
	secID := hexHash(sec.cookies[deskCookie])
	resp, body := sec.post("/secretariat/sessions", "/secretariat/sessions/fin", url.Values{"id": {admID}})
	if resp.StatusCode != 403 || !strings.Contains(body, "réservée aux administrateurs") {
		t.Errorf("secretariat ends the admin's session: %d", resp.StatusCode)
	}
	if resp, _ := adm.get("/secretariat/sessions"); resp.StatusCode != 200 {
		t.Errorf("the admin's session was ended: %d", resp.StatusCode)
	}
	resp, _ = adm.post("/secretariat/sessions", "/secretariat/sessions/fin", url.Values{"id": {secID}})
	if resp.StatusCode != 303 {
		t.Errorf("admin ends a session: %d", resp.StatusCode)
	}
	if resp, _ := sec.get("/secretariat/sessions"); resp.StatusCode != 303 || resp.Header.Get("Location") != "/secretariat?msg=ended" {
		t.Errorf("ended session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	evs, _ := e.st.Audit(time.Time{}, "")
	var denied, ended bool
	for _, ev := range evs {
		denied = denied || (ev.Kind == audit.StaffDenied && ev.Operator == "staff:sec@ecole.test" && strings.HasPrefix(ev.Outcome, "refused"))
		ended = ended || (ev.Kind == audit.StaffSessionEnded && ev.Operator == "staff:adm@ecole.test" && ev.Outcome == audit.OutcomeDone)
	}
	if !denied || !ended {
		t.Errorf("audit: denied %v, ended %v: %+v", denied, ended, evs)
	}
}

// Two refusals more than the lockout allows: the member is told until
// when, and the right credentials wait too.
func TestDeskLockout(t *testing.T) {
	e := newEnv(t)
	secret := e.enrolStaff(t, "claire@ecole.test", staff.Secretariat)
	b := e.browser(t)
	var resp *http.Response
	var body string
	for i := 0; i < 5; i++ {
		resp, body = b.post("/secretariat", "/secretariat/connexion", url.Values{"email": {"claire@ecole.test"}, "password": {"Mauvais-2026"}, "code": {"123456"}})
	}
	if resp.StatusCode != 429 || !strings.Contains(body, "bloquée jusqu") {
		t.Fatalf("fifth refusal: %d", resp.StatusCode)
	}
	e.staffNow = e.staffNow.Add(30 * time.Second)
	resp, _ = b.post("/secretariat", "/secretariat/connexion", url.Values{"email": {"claire@ecole.test"}, "password": {staffPassword}, "code": {totpAt(t, secret, e.staffNow)}})
	if resp.StatusCode != 429 {
		t.Errorf("right credentials while locked: %d", resp.StatusCode)
	}
}

func TestDeskSearch(t *testing.T) {
	e := newEnv(t)
	secret := e.enrolStaff(t, "claire@ecole.test", staff.Secretariat)
	b := e.deskBrowser(t, "claire@ecole.test", secret)
	if _, _, err := e.acc.Edit("dupont.marie", account.Edit{FirstName: ptrTo("Hélène")}, "test"); err != nil {
		t.Fatal(err)
	}
	// Without JavaScript: the whole page, the query kept in the field
	// and in the language switch.
	resp, body := b.get("/secretariat/recherche?q=HELENE")
	if resp.StatusCode != 200 || !strings.Contains(body, `data-testid="desk-hit-dupont.marie"`) || !strings.Contains(body, `value="HELENE"`) ||
		!strings.Contains(body, "1 parent trouvé.") || !strings.Contains(body, `href="/secretariat/recherche?lang=en&amp;q=HELENE"`) && !strings.Contains(body, `href="/secretariat/recherche?q=HELENE&amp;lang=en"`) {
		t.Errorf("search page: %d\n%s", resp.StatusCode, body)
	}
	// With htmx: the results alone.
	req := httptest.NewRequest("GET", "/secretariat/recherche?q=dupont", nil)
	req.Header.Set("HX-Request", "true")
	resp, body = b.do(req)
	if resp.StatusCode != 200 || strings.Contains(body, "<html") || !strings.Contains(body, `id="desk-results"`) || !strings.Contains(body, "m@exemple.fr") {
		t.Errorf("htmx results: %d\n%s", resp.StatusCode, body)
	}
	for q, status := range map[string]int{"%ff": 400, strings.Repeat("a", 300): 400, "x": 200, "": 200, "%00": 400} {
		if resp, _ := b.get("/secretariat/recherche?q=" + q); resp.StatusCode != status {
			t.Errorf("q=%.20s: %d, want %d", q, resp.StatusCode, status)
		}
	}
	// Not signed in: to the sign-in.
	if resp, _ := e.browser(t).get("/secretariat/recherche?q=dupont"); resp.StatusCode != 303 {
		t.Errorf("search without a session: %d", resp.StatusCode)
	}
}

func ptrTo(s string) *string { return &s }

// A parent's page shows who they are, where their codes stand, the
// e-mails sent with the mail server's answer, and the history; it
// writes nothing.
func TestDeskParentPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.st.ApplyImport([]account.Account{{ID: "bernard.lea", LastName: "Bernard", FirstName: "Léa", Email: "lea@famille.test",
		State: account.Active, Children: []account.Child{{Key: "k1", FirstName: "Hugo", LastName: "Bernard", Class: "5e B"}}}}, nil, nil); err != nil {
		t.Fatal(err)
	}
	e.rec.Audit = store.AuditLog{Store: e.st}
	tok, _, err := e.rec.Start(ctx, "lea@famille.test", "fr")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.rec.Verify(ctx, tok, "0000 0000"); err == nil {
		t.Skip("the random code was 00000000")
	}
	due, _ := e.st.Due(time.Now().Add(time.Hour), 10)
	if len(due) != 1 {
		t.Fatalf("due: %+v", due)
	}
	m := due[0]
	m.Status, m.LastError, m.Attempts, m.Code = "failed", "550 5.1.1 <lea@famille.test>: mailbox unavailable", 1, ""
	if err := e.st.Save(m); err != nil {
		t.Fatal(err)
	}
	secret := e.enrolStaff(t, "claire@ecole.test", staff.Secretariat)
	b := e.deskBrowser(t, "claire@ecole.test", secret)
	v0, _ := e.st.AccountsVersion()
	resp, body := b.get("/secretariat/parent/bernard.lea")
	if resp.StatusCode != 200 {
		t.Fatalf("parent page: %d", resp.StatusCode)
	}
	for _, want := range []string{"Léa Bernard", "lea@famille.test", "Hugo Bernard — 5e B", "Pas encore activé", "Jamais",
		"1 sur 5 permis", "Échec", "550 5.1.1 &lt;lea@famille.test&gt;: mailbox unavailable", "Code de sécurité erroné",
		"Code de sécurité demandé (étape 1)", `data-testid="desk-action-code"`, `data-testid="desk-action-lettre"`} {
		if !strings.Contains(body, want) {
			t.Errorf("parent page lacks %q", want)
		}
	}
	if v1, _ := e.st.AccountsVersion(); v1 != v0 {
		t.Error("the parent's page wrote an account")
	}
	if resp, body := b.get("/secretariat/parent/personne.inconnue"); resp.StatusCode != 404 || !strings.Contains(body, "Parent introuvable") {
		t.Errorf("unknown parent: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/secretariat/parent/%ff%fe"); resp.StatusCode != 404 {
		t.Errorf("garbled identifier: %d", resp.StatusCode)
	}
	// A result in the address bar is shown only when it is a known one.
	if _, body := b.get("/secretariat/parent/bernard.lea?r=<script>"); strings.Contains(body, "<script>") {
		t.Error("the result parameter is reflected")
	}
}

// Every action on a parent: confirmed first (a GET that changes
// nothing), then done or refused, recorded with the staff member and
// the outcome, and said on the parent's page.
func TestDeskActions(t *testing.T) {
	e := newEnv(t)
	e.rec.Audit = store.AuditLog{Store: e.st}
	kids := []account.Child{{Key: "k1", FirstName: "Hugo", LastName: "Bernard", Class: "5e B"}}
	if err := e.st.ApplyImport([]account.Account{
		{ID: "bernard.lea", LastName: "Bernard", FirstName: "Léa", Email: "lea@famille.test", State: account.Active, Children: kids},
		{ID: "bernard.marc", LastName: "Bernard", FirstName: "Marc", Email: "lea@famille.test", State: account.Active, Children: kids},
	}, nil, nil); err != nil {
		t.Fatal(err)
	}
	secret := e.enrolStaff(t, "claire@ecole.test", staff.Secretariat)
	b := e.deskBrowser(t, "claire@ecole.test", secret)
	const page = "/secretariat/parent/bernard.lea"
	for act := range deskActions {
		if resp, body := b.get(page + "/" + act); resp.StatusCode != 200 || !strings.Contains(body, `data-testid="desk-confirm-submit"`) {
			t.Errorf("confirmation of %s: %d", act, resp.StatusCode)
		}
	}
	if resp, _ := b.get(page + "/motdepasse"); resp.StatusCode != 404 {
		t.Errorf("unknown action: %d", resp.StatusCode)
	}
	do := func(act string, form url.Values, want string) string {
		t.Helper()
		resp, body := b.post(page+"/"+act, page+"/"+act, form)
		if resp.StatusCode != 303 || resp.Header.Get("Location") != page+"?r="+want {
			t.Fatalf("%s: %d %s, want ?r=%s\n%s", act, resp.StatusCode, resp.Header.Get("Location"), want, body)
		}
		_, body = b.get(resp.Header.Get("Location"))
		return body
	}
	if body := do("code", url.Values{}, "code_done"); !strings.Contains(body, "Un nouveau code de sécurité est parti") {
		t.Error("the page does not say the code left")
	}
	if body := do("code", url.Values{}, "code_cooldown"); !strings.Contains(body, "Un code vient déjà de partir") {
		t.Error("the page does not say why no code left")
	}
	for value, msg := range map[string]string{"pas-une-adresse": "n&#39;est pas valide", "LEA@famille.test": "déjà cette adresse"} {
		resp, body := b.post(page+"/email", page+"/email", url.Values{"email": {value}})
		if resp.StatusCode != 422 || !strings.Contains(body, msg) {
			t.Errorf("e-mail %q: %d", value, resp.StatusCode)
		}
	}
	do("email", url.Values{"email": {"Lea.Bernard@Famille.test"}}, "email_done")
	if a, _ := e.acc.Get("bernard.lea"); a.Email != "lea.bernard@famille.test" {
		t.Errorf("address now %q", a.Email)
	}
	do("invitation", url.Values{}, "invite_done")
	do("limites", url.Values{}, "limits_done")
	do("code", url.Values{}, "code_done") // the new address has its own limits
	do("sessions", url.Values{}, "sessions_done")
	do("desactiver", url.Values{}, "disable_done")
	do("desactiver", url.Values{}, "disable_same")
	do("activer", url.Values{}, "enable_done")
	resp, body := b.post(page+"/lettre", page+"/lettre", url.Values{})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "lettre-activation-bernard.lea.pdf") {
		t.Errorf("letter: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if r, _, _ := e.st.ActivationState("bernard.lea"); r.Code == nil || r.History.Letter.IsZero() {
		t.Errorf("no letter code issued: %+v", r)
	}

	// The mails: the code, the parent told at both addresses, a code to
	// the new one.
	msgs, _ := e.st.Outbox()
	var kinds []string
	for _, m := range msgs {
		if m.Kind != "staff_setup" {
			kinds = append(kinds, string(m.Kind)+">"+m.To)
		}
	}
	want := []string{"recovery_code>lea@famille.test", "email_changed_old>lea@famille.test", "email_changed_new>lea.bernard@famille.test",
		"invitation>lea.bernard@famille.test", "recovery_code>lea.bernard@famille.test"}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Errorf("outbox: %v\nwant %v", kinds, want)
	}
	// The audit: each action with the operator and its outcome, found by
	// the account (as `audit --account` does), addresses masked.
	evs, _ := e.st.Audit(time.Time{}, "bernard.lea")
	got := map[string]string{}
	for _, ev := range evs {
		if ev.Operator == "staff:claire@ecole.test" {
			got[string(ev.Kind)+" "+ev.Outcome] = ev.Detail
		}
		if strings.Contains(ev.Detail, "lea.bernard@famille.test") || strings.Contains(ev.Detail, "lea@famille.test") {
			t.Errorf("an address in clear in the log: %+v", ev)
		}
	}
	for _, k := range []string{"desk.code_sent done", "desk.code_sent refused: recovery: wait before", "desk.email_changed done",
		"desk.limits_lifted done", "desk.sessions_ended done", "desk.disabled done", "desk.disabled refused: already disabled",
		"desk.enabled done", "desk.letter done", "invitation.queued done"} {
		found := false
		for g := range got {
			found = found || strings.HasPrefix(g, k)
		}
		if !found {
			t.Errorf("no %q in the audit: %v", k, got)
		}
	}
	_, body = b.get(page)
	if !strings.Contains(body, "staff:claire@ecole.test") || !strings.Contains(body, "Adresse e-mail corrigée par le secrétariat") {
		t.Error("the parent's page does not show the actions with the operator")
	}
}

// multipartCSV is the import form as a browser posts it.
func multipartCSV(t testing.TB, tok string, csv []byte, fields map[string]string) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("_csrf", tok)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if csv != nil {
		fw, _ := w.CreateFormFile("file", "export.csv")
		fw.Write(csv)
	}
	w.Close()
	req := httptest.NewRequest("POST", "/secretariat/import", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return req
}

// The school's view: counts by class, the e-mails not delivered with
// « retry now », the log with its filters, and the import — for an
// admin only, refused to the secretariat on the server.
func TestDeskSchoolView(t *testing.T) {
	e := newEnv(t)
	kid := func(first, class string) []account.Child {
		return []account.Child{{Key: first, FirstName: first, LastName: "X", Class: class}}
	}
	if err := e.st.ApplyImport([]account.Account{
		{ID: "a.one", LastName: "One", FirstName: "A", Email: "a@f.test", State: account.Active, Children: kid("Lou", "6e A")},
		{ID: "b.two", LastName: "Two", FirstName: "B", Email: "b@f.test", State: account.Active, Children: kid("Tom", "6e A"), PasswordHash: "x"},
		{ID: "c.three", LastName: "Three", FirstName: "C", Email: "c@f.test", State: account.Active, Children: kid("Zoé", "5e B")},
	}, nil, nil); err != nil {
		t.Fatal(err)
	}
	sec := e.deskBrowser(t, "sec@ecole.test", e.enrolStaff(t, "sec@ecole.test", staff.Secretariat))
	adm := e.deskBrowser(t, "adm@ecole.test", e.enrolStaff(t, "adm@ecole.test", staff.Admin))

	_, body := sec.get("/secretariat/etablissement")
	for _, want := range []string{"6e A", "5e B", `<td class="num">2</td><td class="num">1 (50 %)</td><td class="num">2</td>`,
		`<th scope="row">Tout l&#39;établissement</th><td class="num">4</td>`} {
		if !strings.Contains(body, want) {
			t.Errorf("counts lack %q\n%s", want, body)
		}
	}

	// An e-mail the server refused for good, and one still waiting.
	for _, m := range []outbox.Message{
		{Kind: outbox.KindPasswordChanged, To: "a@f.test", Identifiers: []string{"a.one"}, Status: outbox.StatusFailed, LastError: "550 5.1.1 no such user", Created: time.Now()},
		{Kind: outbox.KindRecoveryCode, To: "c@f.test", Identifiers: []string{"c.three"}, Status: outbox.StatusFailed, LastError: "550 5.1.1 no such user", Created: time.Now()},
	} {
		m := m
		if err := e.st.Enqueue(&m); err != nil {
			t.Fatal(err)
		}
	}
	_, body = sec.get("/secretariat/envois")
	// Retry for the failed notice and the two set-up links waiting (no
	// SMTP server here); none for the failed code, whose code is gone.
	if !strings.Contains(body, "550 5.1.1 no such user") || strings.Count(body, `data-testid="desk-mail-retry"`) != 3 {
		t.Errorf("outbox page: %d retry buttons\n%s", strings.Count(body, `data-testid="desk-mail-retry"`), body)
	}
	msgs, _ := e.st.Outbox()
	var failedPW, failedCode string
	for _, m := range msgs {
		switch m.Kind {
		case outbox.KindPasswordChanged:
			failedPW = m.ID
		case outbox.KindRecoveryCode:
			failedCode = m.ID
		}
	}
	if resp, _ := sec.post("/secretariat/envois", "/secretariat/envois/relancer", url.Values{"id": {failedPW}}); resp.Header.Get("Location") != "/secretariat/envois?r=retried" {
		t.Errorf("retry: %s", resp.Header.Get("Location"))
	}
	due, _ := e.st.Due(time.Now().Add(time.Second), 10)
	if !slices.ContainsFunc(due, func(m outbox.Message) bool { return m.ID == failedPW }) {
		t.Errorf("due after retry: %+v", due)
	}
	if resp, _ := sec.post("/secretariat/envois", "/secretariat/envois/relancer", url.Values{"id": {failedCode}}); resp.Header.Get("Location") != "/secretariat/envois?r=gone" {
		t.Errorf("retry of a code e-mail: %s", resp.Header.Get("Location"))
	}
	if resp, _ := sec.post("/secretariat/envois", "/secretariat/envois/relancer", url.Values{"id": {"zz"}}); resp.StatusCode != 303 {
		t.Errorf("retry of nothing: %d", resp.StatusCode)
	}

	// The import: refused to the secretariat, page and upload alike.
	if resp, body := sec.get("/secretariat/import"); resp.StatusCode != 403 || !strings.Contains(body, "réservée aux administrateurs") {
		t.Errorf("import page for the secretariat: %d", resp.StatusCode)
	}
	csv := []byte("Nom;Prénom;Courriel;Nom élève;Prénom élève;Classe\r\nQuatre;Dora;d@f.test;Quatre;Ève;4e C\r\n")
	_, page := sec.get("/secretariat/recherche")
	resp, _ := sec.do(multipartCSV(t, csrfRe.FindStringSubmatch(page)[1], csv, nil))
	if resp.StatusCode != 403 {
		t.Errorf("import upload by the secretariat: %d", resp.StatusCode)
	}
	_, page = adm.get("/secretariat/import")
	resp, body = adm.do(multipartCSV(t, csrfRe.FindStringSubmatch(page)[1], csv, nil))
	m := regexp.MustCompile(`name="t" value="([^"]+)"`).FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil || !strings.Contains(body, "Rien n&#39;est encore modifié") {
		t.Fatalf("dry run: %d\n%s", resp.StatusCode, body)
	}
	// The report is in the member's language, as every desk page.
	for _, want := range []string{"Fichier lu : UTF-8, séparateur point-virgule (;), une ligne par adulte et par élève ; 1 adulte(s), 1 élève(s).",
		"Aucune colonne ignorée.", "Comptes créés : 1", "quatre.dora — Dora Quatre"} {
		if !strings.Contains(strings.ReplaceAll(body, "&#39;", "'"), want) && !strings.Contains(body, want) {
			t.Errorf("the dry run's report lacks %q", want)
		}
	}
	for _, english := range []string{"Columns", "created", "Dry run"} {
		if strings.Contains(body, english) {
			t.Errorf("English %q in the French report", english)
		}
	}
	if _, err := e.acc.Get("quatre.dora"); err == nil {
		t.Error("the dry run wrote")
	}
	if resp, _ := sec.post("/secretariat/recherche", "/secretariat/import/confirmer", url.Values{"t": {m[1]}}); resp.StatusCode != 403 {
		t.Errorf("confirmation by the secretariat: %d", resp.StatusCode)
	}
	resp, body = adm.post("/secretariat/import", "/secretariat/import/confirmer", url.Values{"t": {m[1]}})
	if resp.StatusCode != 200 || !strings.Contains(body, "L&#39;import est fait") {
		t.Errorf("confirm: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := adm.post("/secretariat/import", "/secretariat/import/confirmer", url.Values{"t": {m[1]}}); resp.StatusCode != 409 {
		t.Errorf("confirmed twice: %d", resp.StatusCode)
	}
	if r, _ := e.dsk.Search("eve quatre", 5); r.Total != 1 {
		t.Errorf("the imported parent is not found: %+v", r)
	}
	// An export too large for the desk.
	_, page = adm.get("/secretariat/import")
	resp, _ = adm.doReal(multipartCSV(t, csrfRe.FindStringSubmatch(page)[1], bytes.Repeat([]byte("x;"), 5<<20), nil))
	if resp.StatusCode != 413 {
		t.Errorf("10 MB export: %d", resp.StatusCode)
	}

	// The log, filtered: by operator and kind, by account, by dates.
	for q, want := range map[string]string{
		"?par=staff:sec&type=staff.denied": "3 événements.",
		"?compte=a.one&type=desk.":         "1 événement.",
		"?du=2000-01-01&au=2000-01-02":     "0 événement.",
	} {
		_, body := adm.get("/secretariat/journal" + q)
		if !strings.Contains(body, want) {
			i := strings.Index(body, "desk-log-count")
			t.Errorf("log %s: want %q, got %.80s", q, want, body[i:])
		}
	}
	if resp, body := adm.get("/secretariat/journal?du=demain"); resp.StatusCode != 200 || !strings.Contains(body, "date n&#39;est pas lisible") {
		t.Errorf("bad date: %d", resp.StatusCode)
	}
	if resp, _ := adm.get("/secretariat/journal?par=%ff"); resp.StatusCode != 400 {
		t.Errorf("garbled filter: %d", resp.StatusCode)
	}
}
