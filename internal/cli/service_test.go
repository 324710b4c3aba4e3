package cli

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParseServiceArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want serviceCmd
		err  string
	}{
		{args: []string{"install"}, want: serviceCmd{Action: "install", Config: defaultServiceConfig}},
		{args: []string{"install", "--config", `D:\sesame\school.env`}, want: serviceCmd{Action: "install", Config: `D:\sesame\school.env`}},
		{args: []string{"install", "-config=x.env"}, want: serviceCmd{Action: "install", Config: "x.env"}},
		{args: []string{"run", "--config", "x.env"}, want: serviceCmd{Action: "run", Config: "x.env"}},
		{args: []string{"start"}, want: serviceCmd{Action: "start"}},
		{args: []string{"stop"}, want: serviceCmd{Action: "stop"}},
		{args: []string{"uninstall"}, want: serviceCmd{Action: "uninstall"}},
		{args: []string{"--help"}, want: serviceCmd{Help: true}},
		{args: []string{"install", "-h"}, want: serviceCmd{Help: true}},
		{args: nil, err: "install, uninstall, start or stop"},
		{args: []string{"restart"}, err: `unknown command "restart"`},
		{args: []string{"install", "--config"}, err: "--config needs a file path"},
		{args: []string{"install", "--config="}, err: "--config needs a file path"},
		{args: []string{"install", "extra"}, err: `unexpected "extra"`},
		{args: []string{"install", "--data", "x.db"}, err: `unexpected "--data"`},
		{args: []string{"stop", "--config", "x.env"}, err: "takes no --config"},
	} {
		got, err := parseServiceArgs(tc.args)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one with %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v, %v; want %+v", tc.args, got, err, tc.want)
		}
	}
}

type fakeEvents struct{ got []string }

func (f *fakeEvents) Info(eid uint32, msg string) error    { return f.add("I", eid, msg) }
func (f *fakeEvents) Warning(eid uint32, msg string) error { return f.add("W", eid, msg) }
func (f *fakeEvents) Error(eid uint32, msg string) error   { return f.add("E", eid, msg) }
func (f *fakeEvents) add(l string, eid uint32, msg string) error {
	f.got = append(f.got, fmt.Sprintf("%s%d %s", l, eid, msg))
	return nil
}

// The service's logs reach the event log at their severity, one event a
// record, attributes and groups included, below the level dropped.
func TestEventHandler(t *testing.T) {
	ev := &fakeEvents{}
	log := slog.New(newEventHandler(ev, slog.LevelInfo))
	log.Debug("not logged")
	log.Info("Sésame is ready", "addr", "127.0.0.1:8080")
	log.With("part", "mail").Warn("slow", "after", "3s")
	log.WithGroup("smtp").Error("refused", "code", 530)
	want := []string{
		`I1 msg="Sésame is ready" addr=127.0.0.1:8080`,
		`W1 msg=slow part=mail after=3s`,
		`E1 msg=refused smtp.code=530`,
	}
	if strings.Join(ev.got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(ev.got, "\n"), strings.Join(want, "\n"))
	}
}
