package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sesame/internal/mail/outbox"
	"sesame/internal/store"
)

// restoreScene writes a data file with four pending messages, backs it
// up, then plays the newer life of the file: the first message sent, the
// second failed, the third still pending, and a fifth queued after the
// backup. It returns the data file and the backup, both closed.
func restoreScene(t *testing.T) (data, backup string, ids []string) {
	t.Helper()
	dir := t.TempDir()
	data, backup = filepath.Join(dir, "sesame.db"), filepath.Join(dir, "backup.db")
	st, err := store.Create(data, time.Second) // a new file, as serve makes it
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var msgs []outbox.Message
	for _, to := range []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org"} {
		m := outbox.NewPending(outbox.Message{Kind: outbox.KindTest, To: to, Lang: "fr"}, now)
		if err := st.Enqueue(&m); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
		ids = append(ids, m.ID)
	}
	if _, err := st.Backup(backup); err != nil {
		t.Fatal(err)
	}
	msgs[0].Status, msgs[0].SentAt, msgs[0].Attempts = outbox.StatusSent, now, 1
	msgs[1].Status, msgs[1].LastError, msgs[1].Attempts = outbox.StatusFailed, "550 no such user", 1
	for _, m := range msgs[:2] {
		if err := st.Save(m); err != nil {
			t.Fatal(err)
		}
	}
	late := outbox.NewPending(outbox.Message{Kind: outbox.KindTest, To: "e@example.org", Lang: "fr"}, now)
	if err := st.Enqueue(&late); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return data, backup, ids
}

func statuses(t *testing.T, path string) map[string]outbox.Status {
	t.Helper()
	st, err := store.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ms, err := st.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]outbox.Status{}
	for _, m := range ms {
		out[m.To] = m.Status
	}
	due, err := st.Due(time.Now().Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range due {
		out["due:"+m.To] = m.Status
	}
	return out
}

func TestRestoreNeverResendsWhatTheNewerFileSent(t *testing.T) {
	data, backup, _ := restoreScene(t)
	out, code := run(t, "", "restore", backup, "--data", data)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"4 pending in the backup", "1 marked sent", "1 marked failed", "2 will be delivered", "1 messages queued after the backup", data + ".before-restore"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	got := statuses(t, data)
	want := map[string]outbox.Status{
		"a@example.org": outbox.StatusSent, "b@example.org": outbox.StatusFailed,
		"c@example.org": outbox.StatusPending, "d@example.org": outbox.StatusPending,
		"due:c@example.org": outbox.StatusPending, "due:d@example.org": outbox.StatusPending,
	}
	if len(got) != len(want) {
		t.Errorf("restored outbox %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (whole outbox %v)", k, got[k], v, got)
		}
	}
	// The previous file is kept, untouched: it still has the late message.
	if kept := statuses(t, data+".before-restore"); kept["e@example.org"] != outbox.StatusPending || kept["a@example.org"] != outbox.StatusSent {
		t.Errorf("kept file: %v", kept)
	}
	// The backup itself is not changed.
	if b := statuses(t, backup); b["a@example.org"] != outbox.StatusPending {
		t.Errorf("backup changed: %v", b)
	}
	if _, err := os.Stat(data + ".restoring"); err == nil {
		t.Error("the temporary copy was left behind")
	}

	// A second restore would overwrite the kept file: refused.
	out, code = run(t, "", "restore", backup, "--data", data)
	if code == 0 || !strings.Contains(out, "already exists") {
		t.Errorf("second restore: exit %d\n%s", code, out)
	}
}

func TestRestoreRefusesWhileTheFileIsInUse(t *testing.T) {
	data, backup, _ := restoreScene(t)
	st, err := store.Open(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out, code := run(t, "", "restore", backup, "--data", data)
	if code == 0 || !strings.Contains(out, "stop it first") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(data + ".before-restore"); err == nil {
		t.Error("the data file was moved aside while in use")
	}
}

func TestRestoreRefusesItself(t *testing.T) {
	data, _, _ := restoreScene(t)
	if out, code := run(t, "", "restore", data, "--data", data); code == 0 || !strings.Contains(out, "data file itself") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}
