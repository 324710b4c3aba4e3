package handlers

import (
	"errors"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"sesame/internal/account"
	"sesame/internal/desk"
	"sesame/internal/mail/outbox"
	"sesame/views"
)

// deskSchool is the school's view: the counts by class.
func (h *handler) deskSchool(c *fiber.Ctx) error {
	cs, err := h.Desk.Classes()
	if err != nil {
		return err
	}
	pct := func(n, of int) int {
		if of == 0 {
			return 0
		}
		return (200*n + of) / (2 * of)
	}
	v := views.DeskSchoolView{}
	for i, cl := range cs {
		d := views.DeskClass{Class: cl.Class, Accounts: cl.Accounts, Activated: cl.Activated, NoLogin: cl.NoLogin, Percent: pct(cl.Activated, cl.Accounts)}
		if i == len(cs)-1 {
			v.Total = d
		} else {
			v.Classes = append(v.Classes, d)
		}
	}
	return render(c, fiber.StatusOK, views.DeskSchoolPage(h.deskPage(c), deskNav(c, "school"), v))
}

// deskOutbox lists the e-mails not delivered.
func (h *handler) deskOutbox(c *fiber.Ctx) error {
	ms, pending, failed, err := h.Desk.Undelivered()
	if err != nil {
		return err
	}
	v := views.DeskOutboxView{Mails: h.deskMails(c, ms, true), Pending: pending, Failed: failed}
	switch c.Query("r") {
	case "retried":
		v.Notice = "desk.outbox.retried"
	case "gone":
		v.Error = "desk.outbox.gone"
	}
	return render(c, fiber.StatusOK, views.DeskOutboxPage(h.deskPage(c), deskNav(c, "outbox"), v))
}

// deskRetry is « retry now » on one message.
func (h *handler) deskRetry(c *fiber.Ctx) error {
	id, err := formValue(c, "id", 64)
	if err != nil {
		return err
	}
	_, err = h.Desk.Retry(c.UserContext(), id, deskOf(c).member.Operator())
	var nr *outbox.NotRetryable
	switch {
	case errors.As(err, &nr), errors.Is(err, outbox.ErrNoMessage):
		return c.Redirect(h.path(deskRoot+"/envois?r=gone"), fiber.StatusSeeOther)
	case err != nil:
		return err
	}
	return c.Redirect(h.path(deskRoot+"/envois?r=retried"), fiber.StatusSeeOther)
}

// logKinds are the kinds the log's filter offers: families first, then
// each kind the locales name.
var logKinds = []string{"staff.", "desk.", "account.", "recovery.", "activation.", "login.", "admin."}

// deskLog is the audit log with its filters, a plain GET form.
func (h *handler) deskLog(c *fiber.Ctx) error {
	q := func(k string) (string, bool) {
		v := strings.TrimSpace(c.Query(k))
		return v, len(v) <= 200 && utf8.ValidString(v) && strings.IndexByte(v, 0) < 0
	}
	v := views.DeskLogView{}
	var ok [5]bool
	v.Account, ok[0] = q("compte")
	v.Operator, ok[1] = q("par")
	v.Kind, ok[2] = q("type")
	v.From, ok[3] = q("du")
	v.To, ok[4] = q("au")
	for _, o := range ok {
		if !o {
			return errBadInput
		}
	}
	lang := langOf(c)
	for _, k := range logKinds {
		v.Kinds = append(v.Kinds, [2]string{k, h.Locales.T(lang, "desk.log.family."+strings.TrimSuffix(k, "."), nil)})
	}
	var kinds []string
	for _, id := range h.Locales.IDs(lang) {
		if k, found := strings.CutPrefix(id, "desk.kind."); found {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		v.Kinds = append(v.Kinds, [2]string{k, h.Locales.T(lang, "desk.kind."+k, nil)})
	}
	f := desk.Filter{Account: v.Account, Operator: v.Operator, Kind: v.Kind}
	day := func(s string) (time.Time, bool) {
		if s == "" {
			return time.Time{}, true
		}
		t, err := time.ParseInLocation("2006-01-02", s, h.zone())
		return t, err == nil
	}
	from, okFrom := day(v.From)
	to, okTo := day(v.To)
	if !okFrom || !okTo {
		v.Error = "desk.log.baddate"
	} else {
		f.From = from
		if !to.IsZero() {
			f.To = to.AddDate(0, 0, 1) // the whole last day
		}
	}
	if v.Error == "" {
		evs, total, err := h.Desk.Log(f)
		if err != nil {
			return err
		}
		v.Events, v.Total = h.deskEvents(c, evs), total
	}
	return render(c, fiber.StatusOK, views.DeskLogPage(h.deskPage(c), deskNav(c, "audit"), v))
}

// importLimit is the largest export the desk takes: a 3,000-pupil
// school's is about 1 MB.
const importLimit = 8 << 20

// deskImportShow is the import page (admins only).
func (h *handler) deskImportShow(c *fiber.Ctx) error {
	if ok, err := h.needAdmin(c, "import page"); !ok {
		return err
	}
	return render(c, fiber.StatusOK, views.DeskImportPage(h.deskPage(c), deskNav(c, "import"), views.DeskImportView{}))
}

// deskImportUpload reads the uploaded export and shows the dry run's
// report with its confirmation; nothing is written yet.
func (h *handler) deskImportUpload(c *fiber.Ctx) error {
	if ok, err := h.needAdmin(c, "import upload"); !ok {
		return err
	}
	if !strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEMultipartForm) {
		return errUnsupported // a file comes as multipart/form-data
	}
	v := views.DeskImportView{Sync: c.FormValue("sync") == "1", SkipInvalid: c.FormValue("skip") == "1"}
	fh, err := c.FormFile("file")
	if err != nil || fh.Size == 0 {
		v.Error = "desk.import.nofile"
		return render(c, fiber.StatusBadRequest, views.DeskImportPage(h.deskPage(c), deskNav(c, "import"), v))
	}
	f, err := fh.Open()
	if err != nil {
		return errBadInput
	}
	defer f.Close()
	csv, err := io.ReadAll(io.LimitReader(f, importLimit+1))
	if err != nil || len(csv) > importLimit {
		return &userError{fiber.StatusRequestEntityTooLarge, "error.toolarge.title", "error.toolarge", 0}
	}
	o := account.ImportOptions{Sync: v.Sync, SkipInvalid: v.SkipInvalid, PurgeAfter: account.DefaultPurgeAfter}
	report, tok, err := h.Desk.DryRun(c.UserContext(), csv, o, deskOf(c).member.Operator())
	if err != nil {
		// The file could not be read as an export: say why.
		v.Error, v.ErrorDetail = "desk.import.unreadable", h.importError(langOf(c), err)
		return render(c, fiber.StatusUnprocessableEntity, views.DeskImportPage(h.deskPage(c), deskNav(c, "import"), v))
	}
	v.Report, v.Token = h.importReport(langOf(c), report), tok
	return render(c, fiber.StatusOK, views.DeskImportPage(h.deskPage(c), deskNav(c, "import"), v))
}

// deskImportConfirm applies the import its dry run showed.
func (h *handler) deskImportConfirm(c *fiber.Ctx) error {
	tok, err := formValue(c, "t", 64)
	if err != nil {
		return err
	}
	if ok, err := h.needAdmin(c, "import confirmation"); !ok {
		return err
	}
	report, written, err := h.Desk.Confirm(c.UserContext(), tok, deskOf(c).member.Operator())
	v := views.DeskImportView{Done: written, Refused: !written}
	if report.File != nil {
		v.Report = h.importReport(langOf(c), report)
	}
	switch {
	case errors.Is(err, desk.ErrNoStaged):
		v = views.DeskImportView{Error: "desk.import.expired"}
		return render(c, fiber.StatusConflict, views.DeskImportPage(h.deskPage(c), deskNav(c, "import"), v))
	case err != nil:
		v.Error, v.ErrorDetail, v.Report, v.Refused = "desk.import.unreadable", h.importError(langOf(c), err), nil, false
		return render(c, fiber.StatusUnprocessableEntity, views.DeskImportPage(h.deskPage(c), deskNav(c, "import"), v))
	}
	return render(c, fiber.StatusOK, views.DeskImportPage(h.deskPage(c), deskNav(c, "import"), v))
}
