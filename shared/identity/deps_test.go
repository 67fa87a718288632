package identity_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestConnectPathsDoNotLinkThePhoneLibrary keeps the phone-number library
// out of the functions that only take Amazon Connect's canonical E.164.
// It costs megabytes itself and brings protobuf, whose reflection makes the
// linker keep every exported method of every type held in an interface
// (the whole Amazon Connect client in loadwatch). Only phoneinput uses it,
// for numbers people write; offer, api and campaigns link protobuf through
// the rule language anyway.
func TestConnectPathsDoNotLinkThePhoneLibrary(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies with")
	}
	const module = "github.com/conduit-cx/conduit/"
	deps := func(fn string) []string {
		// The flags the functions are built with (scripts/build).
		out, err := exec.Command(goTool, "list", "-tags", "lambda.norpc", "-deps", module+"functions/"+fn).Output()
		if err != nil {
			t.Fatalf("go list -deps functions/%s: %v", fn, err)
		}
		return strings.Fields(string(out))
	}
	linksPhoneLibrary := func(dep string) bool {
		return dep == "github.com/nyaruka/phonenumbers" || strings.HasPrefix(dep, "google.golang.org/protobuf/")
	}
	for _, fn := range []string{"ctr", "speech", "contactevents", "rollup", "loadwatch", "outcome", "survey"} {
		for _, dep := range deps(fn) {
			if linksPhoneLibrary(dep) {
				t.Errorf("functions/%s links %s", fn, dep)
			}
		}
	}
	// The API reads numbers people write: it must link the library, or
	// this test is not looking where it thinks.
	if !slices.Contains(deps("api"), "github.com/nyaruka/phonenumbers") {
		t.Error("functions/api does not link github.com/nyaruka/phonenumbers: is phoneinput still what the API uses?")
	}
}
