// Command sesame is the sign-in and self-service account recovery of a
// school's Espace Parents, in one self-hosted executable.
package main

import (
	"os"

	"sesame/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
