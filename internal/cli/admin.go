package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"sesame/internal/store"
)

// adminRequest is one admin command as it crosses the socket: the
// command line and what the client read for it (a CSV file, a password).
// The client reads files and terminals itself, so the command behaves
// the same whether the server or the client executes it.
type adminRequest struct {
	Args  []string `json:"args"`
	Input []byte   `json:"input,omitempty"`
}

type adminResponse struct {
	Output string `json:"output"`
	Code   int    `json:"code"`
}

// maxAdminRequest bounds what the socket reads: a CSV export of a large
// school is a few MB.
const maxAdminRequest = 64 << 20

func socketPath(data string) string { return data + ".sock" }

// adminServer answers admin commands on a Unix socket beside the data
// file, so the school never stops the portal to import parents. Only the
// file's owner can connect (mode 0600).
type adminServer struct {
	ln   net.Listener
	path string
}

func listenAdmin(data string, s *services) (*adminServer, error) {
	path := socketPath(data)
	// A socket file left by a crash answers nobody; one that answers
	// belongs to a live server, which store.Open would already have
	// refused.
	if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		c.Close()
		return nil, fmt.Errorf("another server answers on %s", path)
	}
	os.Remove(path)
	old := umask(0o177)
	ln, err := net.Listen("unix", path)
	umask(old)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	a := &adminServer{ln: ln, path: path}
	go a.serve(s)
	return a, nil
}

func (a *adminServer) serve(s *services) {
	for {
		conn, err := a.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Minute))
			var req adminRequest
			if err := json.NewDecoder(io.LimitReader(conn, maxAdminRequest)).Decode(&req); err != nil {
				json.NewEncoder(conn).Encode(adminResponse{Output: "sesame: unreadable admin request\n", Code: 2})
				return
			}
			var out bytes.Buffer
			code := execAdmin(s, req, &out)
			json.NewEncoder(conn).Encode(adminResponse{Output: out.String(), Code: code})
		}()
	}
}

// Close stops answering and removes the socket file.
func (a *adminServer) Close() error {
	err := a.ln.Close()
	os.Remove(a.path)
	return err
}

// runAdmin runs an admin command: through the server's socket when a
// server runs on this data file, else on the file directly.
func runAdmin(data string, req adminRequest, stdout, stderr io.Writer) int {
	if conn, err := net.DialTimeout("unix", socketPath(data), time.Second); err == nil {
		defer conn.Close()
		if err := json.NewEncoder(conn).Encode(req); err != nil {
			fmt.Fprintln(stderr, "sesame: admin socket:", err)
			return 1
		}
		var resp adminResponse
		if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&resp); err != nil {
			fmt.Fprintln(stderr, "sesame: admin socket:", err)
			return 1
		}
		io.WriteString(stdout, resp.Output)
		return resp.Code
	}
	st, err := store.Open(data, time.Second)
	if errors.Is(err, store.ErrLocked) {
		fmt.Fprintf(stderr, "sesame: %v\n(no admin socket answered at %s)\n", err, socketPath(data))
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return 1
	}
	defer st.Close()
	c := defaultServeConfig()
	s, err := newServices(st, c, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return 1
	}
	return execAdmin(s, req, stdout)
}

// defaultServeConfig is the configuration the offline admin commands use:
// the defaults, overridden by the same SESAME_* environment variables
// the server reads.
func defaultServeConfig() *serveConfig {
	fs, c := serveFlags(io.Discard)
	_ = parse(fs.FlagSet, nil)
	return c
}
