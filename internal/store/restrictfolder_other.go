//go:build !windows

package store

// restrictFolder has nothing to add where the folder's mode (0700)
// already keeps others out.
func restrictFolder(string) error { return nil }
