// Package integration holds black-box tests of the sesame binary: they
// build it once, start it as a child process on loopback with its own
// data file, drive it over HTTP, its admin socket and a real SMTP server
// run in the test (github.com/emersion/go-smtp), and kill it with
// SIGKILL at awkward moments to check what survives a restart:
//
//   - the outbox: nothing queued is lost and nothing delivered twice
//     when the process dies while the SMTP server is down, and at most
//     the one message in flight is delivered twice when it dies in the
//     middle of a delivery (issue 4);
//   - acknowledged password changes survive a SIGKILL under load and the
//     data file stays consistent (issue 6, "Faults");
//   - a read-only data file and a second server on the same file end
//     with a clear message instead of a hang or a half-written state.
//
// The package has only tests; run it with
//
//	go test -count=1 -race ./integration/
package integration
