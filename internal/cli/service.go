package cli

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// The Windows service: its name for the service manager and the event
// log (ASCII, so every tool and console code page can type it), and the
// name shown in the Services console.
const (
	serviceName        = "Sesame"
	serviceDisplayName = "Sésame – Espace Parents"
	serviceDescription = "Sign-in and password recovery of the school's Espace Parents (sesame serve)."
	// defaultServiceConfig is the configuration file the service reads
	// when install is given none: ProgramData is where Windows keeps a
	// service's settings and data, apart from the program's folder that
	// an upgrade replaces.
	defaultServiceConfig = `C:\ProgramData\Sesame\sesame.env`
)

const serviceUsage = `Usage (Windows, as Administrator):
  sesame service install [--config FILE]   register the Windows service "Sesame" (automatic start)
                                           that runs serve with FILE (default ` + defaultServiceConfig + `)
  sesame service start                     start it
  sesame service stop                      stop it (requests in progress finish) and wait until stopped
  sesame service uninstall                 stop it and remove it
Logs: the Event Viewer, Windows Logs > Application, source Sesame.
`

// serviceCmd is one `sesame service` command line.
type serviceCmd struct {
	// Action is install, uninstall, start, stop, or run (what the
	// service manager starts; not for people).
	Action string
	// Config is the configuration file (install and run only).
	Config string
	// Help is true for --help: print serviceUsage.
	Help bool
}

// parseServiceArgs reads a `sesame service` command line. It is the same
// on every system, so that it is tested where the tests run.
func parseServiceArgs(args []string) (serviceCmd, error) {
	if len(args) == 0 {
		return serviceCmd{}, fmt.Errorf("say what to do: install, uninstall, start or stop")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return serviceCmd{Help: true}, nil
	}
	cmd := serviceCmd{Action: args[0]}
	switch cmd.Action {
	case "install", "run":
		cmd.Config = defaultServiceConfig
	case "uninstall", "start", "stop":
	default:
		return serviceCmd{}, fmt.Errorf("unknown command %q: install, uninstall, start or stop", args[0])
	}
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "-h" || a == "-help" || a == "--help" {
			return serviceCmd{Help: true}, nil
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "config" {
			return serviceCmd{}, fmt.Errorf("service %s: unexpected %q", cmd.Action, a)
		}
		if cmd.Action != "install" && cmd.Action != "run" {
			return serviceCmd{}, fmt.Errorf("service %s takes no --config: the service keeps the file given at install", cmd.Action)
		}
		if !hasValue {
			if i+1 >= len(rest) {
				return serviceCmd{}, fmt.Errorf("--config needs a file path")
			}
			i++
			value = rest[i]
		}
		if value == "" {
			return serviceCmd{}, fmt.Errorf("--config needs a file path")
		}
		cmd.Config = value
	}
	return cmd, nil
}

// eventSink is the part of the Windows event log (*eventlog.Log) the
// service's logs are written to: one event a record, at its severity.
type eventSink interface {
	Info(eid uint32, msg string) error
	Warning(eid uint32, msg string) error
	Error(eid uint32, msg string) error
}

// eventID is the one event id used: the event log's EventCreate source
// accepts 1 to 1000, and the level already tells the kind.
const eventID = 1

// eventHandler is a slog.Handler writing each record to the event log
// as key=value text (the message first, without time or level, which
// the event log records itself). Debug records go as Info.
type eventHandler struct {
	sink  eventSink
	level slog.Leveler
	// with are the WithAttrs and WithGroup calls, replayed on the text
	// handler each record is formatted with.
	with []func(slog.Handler) slog.Handler
}

func newEventHandler(sink eventSink, level slog.Leveler) *eventHandler {
	return &eventHandler{sink: sink, level: level}
}

func (h *eventHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *eventHandler) Handle(ctx context.Context, r slog.Record) error {
	var buf bytes.Buffer
	var t slog.Handler = slog.NewTextHandler(&buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
				return slog.Attr{}
			}
			return a
		},
	})
	for _, w := range h.with {
		t = w(t)
	}
	if err := t.Handle(ctx, r); err != nil {
		return err
	}
	msg := strings.TrimSuffix(buf.String(), "\n")
	switch {
	case r.Level >= slog.LevelError:
		return h.sink.Error(eventID, msg)
	case r.Level >= slog.LevelWarn:
		return h.sink.Warning(eventID, msg)
	}
	return h.sink.Info(eventID, msg)
}

func (h *eventHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return h.with1(func(t slog.Handler) slog.Handler { return t.WithAttrs(as) })
}

func (h *eventHandler) WithGroup(name string) slog.Handler {
	return h.with1(func(t slog.Handler) slog.Handler { return t.WithGroup(name) })
}

func (h *eventHandler) with1(f func(slog.Handler) slog.Handler) *eventHandler {
	c := *h
	c.with = append(append([]func(slog.Handler) slog.Handler(nil), h.with...), f)
	return &c
}
