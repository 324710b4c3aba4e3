//go:build !unix

package cli

// ownerOf cannot name a file's owner on this platform (Windows: ACLs,
// not one owning user); the message then says only to run the command
// as the service's account.
func ownerOf(string) (string, bool) { return "", false }
