//go:build !unix

package cli

// umask does nothing where there is no file mode mask (Windows): the
// admin socket file takes the access list of the data file's folder,
// which `serve` creates for the service's account and Administrators.
func umask(int) int { return 0 }

// restrictSocket does nothing here: Windows has no mode bits, and os.Chmod
// would only toggle the read-only attribute of the socket file.
func restrictSocket(string) error { return nil }
