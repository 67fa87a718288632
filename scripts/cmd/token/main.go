// Command token prints a JWT signed with the local development key
// (scripts/token), for the local API's emulated JWT authorizer.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/scripts/devstack"
	"github.com/conduit-cx/conduit/scripts/localauth"
	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/localstack"
)

// knownScopes are the API's scopes (DESIGN section 9).
var knownScopes = []string{api.ScopeMarketer, api.ScopeAnalyst, api.ScopeAdmin, api.ScopeIngest}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr, time.Now()); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "conduit:", err)
		}
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer, now time.Time) error {
	fs := flag.NewFlagSet("scripts/token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sub := fs.String("sub", "developer@conduit.local", "the subject: who the token speaks for")
	ttl := fs.Duration("ttl", localauth.DefaultTTL, "how long the token is valid")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: scripts/token [--sub NAME] [--ttl 1h] SCOPE...\nscopes: %s (or just marketer, analyst, admin, ingest)\n",
			strings.Join(knownScopes, ", "))
		fs.PrintDefaults()
	}
	// Flags may come before or after the scopes.
	var named []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if args = fs.Args(); len(args) == 0 {
			break
		}
		named, args = append(named, args[0]), args[1:]
	}
	scopes, err := parseScopes(named)
	if err != nil {
		fs.Usage()
		return err
	}
	if *ttl <= 0 {
		return fmt.Errorf("--ttl must be positive")
	}
	root, err := localstack.Root()
	if err != nil {
		return err
	}
	key, err := localauth.LoadOrCreate(devstack.PathsFor(root).Dir)
	if err != nil {
		return err
	}
	tok, err := key.Mint(localauth.Claims{Subject: *sub, Scopes: scopes, TTL: *ttl}, now)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// parseScopes accepts the full scope names or their short forms.
func parseScopes(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, errors.New("name at least one scope")
	}
	var out []string
	for _, a := range args {
		s := a
		if !strings.Contains(s, "/") {
			s = "conduit/" + s
		}
		if !slices.Contains(knownScopes, s) {
			return nil, fmt.Errorf("%q is not a scope of the API; use %s", a, strings.Join(knownScopes, ", "))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}
