package cli

import (
	"bytes"
	"fmt"
	"strings"
)

// envFile is a configuration file read by --config (or SESAME_CONFIG):
// KEY=value lines with the keys of the SESAME_* environment variables.
// It keeps to the part of systemd's EnvironmentFile syntax that every
// reader agrees on, so the same file serves systemd, the Windows
// service and `sesame serve --config`: what systemd would read
// differently (a value continued on the next line, half-quoted values)
// is refused rather than guessed.
type envFile struct {
	// Path is the file's name as given, for error messages.
	Path string
	// Values maps each key to its value and the line it is on.
	Values map[string]envFileValue
}

type envFileValue struct {
	Value string
	Line  int
}

// parseEnvFile parses a configuration file's content: blank lines, lines
// starting with # or ; (comments), and KEY=value lines. The value may be
// quoted whole with "…" (where \" \\ \$ and \` stand for the character)
// or '…' (taken as it is); unquoted, it is trimmed of surrounding spaces
// and a # inside it is part of it, as systemd reads it. A UTF-8 byte
// order mark and Windows line endings (both from Notepad) are accepted.
func parseEnvFile(path string, b []byte, known map[string]bool) (*envFile, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	f := &envFile{Path: path, Values: map[string]envFileValue{}}
	for i, line := range strings.Split(string(b), "\n") {
		n := i + 1
		fail := func(format string, a ...any) error {
			return fmt.Errorf("%s line %d: %s", path, n, fmt.Sprintf(format, a...))
		}
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		key, raw, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok {
			return nil, fail("expected KEY=value, e.g. SESAME_ADDR=:8080")
		}
		if strings.HasPrefix(key, "export ") {
			return nil, fail("write %s=… without \"export\" (systemd does not read it)", strings.TrimSpace(strings.TrimPrefix(key, "export ")))
		}
		if !known[key] {
			return nil, fail("unknown key %s (a typo? `sesame serve --help` lists the options; --addr is SESAME_ADDR)", key)
		}
		if prev, dup := f.Values[key]; dup {
			return nil, fail("%s is already set on line %d", key, prev.Line)
		}
		value, err := unquoteEnvValue(strings.TrimSpace(raw))
		if err != nil {
			return nil, fail("%s: %v", key, err)
		}
		f.Values[key] = envFileValue{Value: value, Line: n}
	}
	return f, nil
}

// unquoteEnvValue reads a value as systemd does, for the forms we accept.
func unquoteEnvValue(v string) (string, error) {
	if strings.HasSuffix(v, `\`) {
		return "", fmt.Errorf(`a value ending in \ continues on the next line in systemd; write it on one line`)
	}
	if v == "" || (v[0] != '"' && v[0] != '\'') {
		if strings.ContainsAny(v, `"'`) && (strings.HasSuffix(v, `"`) || strings.HasSuffix(v, `'`)) {
			return "", fmt.Errorf("quote the whole value, e.g. KEY=\"two words\"")
		}
		if strings.Contains(v, `\`) {
			// systemd drops a backslash outside quotes: C:\sesame would
			// become C:sesame under one reader and not the other.
			return "", fmt.Errorf(`a \ outside quotes is dropped by systemd: quote the value, e.g. KEY="C:\ProgramData\Sesame\sesame.db", or use /`)
		}
		return v, nil
	}
	q := v[0]
	if len(v) < 2 || v[len(v)-1] != q {
		return "", fmt.Errorf("a quoted value must end the line, e.g. KEY=%c%s%c", q, strings.Trim(v, `"'`), q)
	}
	inner := v[1 : len(v)-1]
	if q == '\'' {
		if strings.ContainsRune(inner, '\'') {
			return "", fmt.Errorf("a value in '…' cannot hold a ': use \"…\"")
		}
		return inner, nil
	}
	var out strings.Builder
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		switch {
		case c == '\\' && i+1 == len(inner):
			return "", fmt.Errorf(`a \ before the closing " escapes it in systemd: write \\`)
		case c == '\\':
			i++
			switch inner[i] {
			case '"', '\\', '$', '`':
				out.WriteByte(inner[i])
			default:
				// systemd keeps the backslash before other characters
				// (e.g. a Windows path C:\sesame): so do we.
				out.WriteByte('\\')
				out.WriteByte(inner[i])
			}
		case c == '"':
			return "", fmt.Errorf(`a " inside "…" must be written \"`)
		default:
			out.WriteByte(c)
		}
	}
	return out.String(), nil
}
