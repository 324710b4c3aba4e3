//go:build windows

package cli

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

func runService(args []string, stdout, stderr io.Writer) int {
	cmd, err := parseServiceArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "sesame service: %v\n\n%s", err, serviceUsage)
		return 2
	}
	if cmd.Help {
		fmt.Fprint(stdout, serviceUsage)
		return 0
	}
	if cmd.Action == "run" {
		return runAsService(cmd.Config, stderr)
	}
	var done string
	switch cmd.Action {
	case "install":
		done, err = installService(cmd.Config)
	case "uninstall":
		done, err = uninstallService()
	case "start":
		done, err = startService()
	case "stop":
		done, err = stopService()
	}
	if err != nil {
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
			err = fmt.Errorf("%w (run PowerShell as Administrator)", err)
		}
		fmt.Fprintf(stderr, "sesame service %s: %v\n", cmd.Action, err)
		return 1
	}
	fmt.Fprintln(stdout, done)
	return 0
}

func installService(config string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	// The service starts in C:\Windows\System32: every path it is given
	// must be absolute.
	if config, err = filepath.Abs(config); err != nil {
		return "", err
	}
	if _, err := os.Stat(config); err != nil {
		return "", fmt.Errorf("the configuration file %s: %w (create it first, from sesame.env.example)", config, err)
	}
	m, err := mgr.Connect()
	if err != nil {
		return "", err
	}
	defer m.Disconnect()
	if s, err := m.OpenService(serviceName); err == nil {
		s.Close()
		return "", fmt.Errorf("the service %s is already installed (to change it: sesame service uninstall, then install)", serviceName)
	}
	s, err := m.CreateService(serviceName, exe, mgr.Config{
		DisplayName: serviceDisplayName,
		Description: serviceDescription,
		StartType:   mgr.StartAutomatic,
	}, "service", "run", "--config", config)
	if err != nil {
		return "", err
	}
	defer s.Close()
	// Restarted a few seconds after a failure (a crash, or serve ending
	// with an error), at most once a minute apart after the second.
	if err := s.SetRecoveryActions([]mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 60 * time.Second},
	}, 24*60*60); err == nil {
		_ = s.SetRecoveryActionsOnNonCrashFailures(true)
	}
	if err := eventlog.InstallAsEventCreate(serviceName, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil {
		s.Delete()
		return "", fmt.Errorf("registering the event log source %s: %w", serviceName, err)
	}
	return fmt.Sprintf("service %s installed: %s service run --config %s (automatic start; start it now with `sesame service start`)", serviceName, exe, config), nil
}

func uninstallService() (string, error) {
	m, err := mgr.Connect()
	if err != nil {
		return "", err
	}
	defer m.Disconnect()
	s, err := m.OpenService(serviceName)
	if err != nil {
		return "", fmt.Errorf("the service %s is not installed: %w", serviceName, err)
	}
	defer s.Close()
	if err := stopAndWait(s); err != nil {
		return "", err
	}
	if err := s.Delete(); err != nil {
		return "", err
	}
	if err := eventlog.Remove(serviceName); err != nil {
		return "", fmt.Errorf("service removed, but not its event log source: %w", err)
	}
	return fmt.Sprintf("service %s removed (the configuration and data files are kept)", serviceName), nil
}

func openService() (*mgr.Mgr, *mgr.Service, error) {
	m, err := mgr.Connect()
	if err != nil {
		return nil, nil, err
	}
	s, err := m.OpenService(serviceName)
	if err != nil {
		m.Disconnect()
		return nil, nil, fmt.Errorf("the service %s is not installed (sesame service install): %w", serviceName, err)
	}
	return m, s, nil
}

func startService() (string, error) {
	m, s, err := openService()
	if err != nil {
		return "", err
	}
	defer m.Disconnect()
	defer s.Close()
	if err := s.Start(); err != nil {
		return "", err
	}
	st, err := waitState(s, svc.StartPending, 30*time.Second)
	if err != nil {
		return "", err
	}
	if st.State != svc.Running {
		return "", fmt.Errorf("the service did not start: see the Event Viewer (Windows Logs > Application, source %s)", serviceName)
	}
	return fmt.Sprintf("service %s running", serviceName), nil
}

func stopService() (string, error) {
	m, s, err := openService()
	if err != nil {
		return "", err
	}
	defer m.Disconnect()
	defer s.Close()
	if err := stopAndWait(s); err != nil {
		return "", err
	}
	return fmt.Sprintf("service %s stopped", serviceName), nil
}

// stopAndWait stops s unless it is stopped already, and waits until it
// is: requests in progress finish (shutdownTimeout) and the data file
// closes before this returns, so the file may then be replaced.
func stopAndWait(s *mgr.Service) error {
	st, err := s.Query()
	if err != nil {
		return err
	}
	if st.State == svc.Stopped {
		return nil
	}
	if st.State != svc.StopPending {
		if _, err := s.Control(svc.Stop); err != nil {
			return err
		}
	}
	st, err = waitState(s, svc.StopPending, shutdownTimeout+30*time.Second)
	if err != nil {
		return err
	}
	if st.State != svc.Stopped {
		return fmt.Errorf("the service is still stopping; see the Event Viewer")
	}
	return nil
}

// waitState polls s while it is in the pending state, for at most max.
func waitState(s *mgr.Service, pending svc.State, max time.Duration) (svc.Status, error) {
	deadline := time.Now().Add(max)
	for {
		st, err := s.Query()
		if err != nil || st.State != pending || time.Now().After(deadline) {
			return st, err
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// runAsService is what the service manager starts: serve with the
// configuration file, its logs in the event log.
func runAsService(config string, stderr io.Writer) int {
	isService, err := svc.IsWindowsService()
	if err != nil || !isService {
		fmt.Fprintln(stderr, "sesame service run: this is what the Windows service runs; use `sesame service start`, or `sesame serve --config FILE` in a console")
		return 2
	}
	elog, err := eventlog.Open(serviceName)
	if err != nil {
		return 1
	}
	defer elog.Close()
	// A relative SESAME_DATA is then beside the configuration file, not
	// in C:\Windows\System32 where services start.
	if config, err = filepath.Abs(config); err == nil {
		err = os.Chdir(filepath.Dir(config))
	}
	if err != nil {
		elog.Error(eventID, fmt.Sprintf("configuration file %s: %v", config, err))
		return 1
	}
	if err := svc.Run(serviceName, &serviceHandler{config: config, elog: elog}); err != nil {
		elog.Error(eventID, "service: "+err.Error())
		return 1
	}
	return 0
}

// serviceHandler runs serve under the service manager: Stop and
// Shutdown cancel serve's context, which shuts down as on Ctrl+C.
type serviceHandler struct {
	config string
	elog   *eventlog.Log
}

func (h *serviceHandler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// What serve would print on stderr (a bad configuration line, the
	// error it stopped on) goes to the event log once it has returned.
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runServeContext(ctx, []string{"--config", h.config}, io.Discard, &errOut, func(l slog.Leveler) slog.Handler {
			return newEventHandler(h.elog, l)
		})
	}()
	h.elog.Info(eventID, "service starting with "+h.config)
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	finish := func(code int) (bool, uint32) {
		if errOut.Len() > 0 {
			h.elog.Error(eventID, errOut.String())
		}
		if code != 0 {
			return true, uint32(code)
		}
		h.elog.Info(eventID, "service stopped")
		return false, 0
	}
	for {
		select {
		case code := <-done:
			return finish(cmp.Or(code, 1))
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending, WaitHint: uint32((shutdownTimeout + 10*time.Second) / time.Millisecond)}
				cancel()
				return finish(<-done)
			}
		}
	}
}
