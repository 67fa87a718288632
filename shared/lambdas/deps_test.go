package lambdas

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestFunctionsLinkOnlyWhatTheyUse keeps heavy libraries out of the
// binaries that do not need them, listing each package's dependencies with
// the build tags of scripts/build.
//   - The rule language (CEL, with the decision engine): only offer, api and
//     campaigns evaluate or check rules; shared/offer holds the outcome and
//     survey handlers and the flow contract, the decision lives in
//     offer/decision.
//   - The phone-number library and protobuf: megabytes themselves, and
//     protobuf's reflection makes the linker keep every exported method of
//     every type held in an interface (the whole Amazon Connect client in
//     loadwatch). Only phoneinput parses numbers people write; the stream
//     and contact-flow functions take Amazon Connect's canonical E.164.
func TestFunctionsLinkOnlyWhatTheyUse(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies with")
	}
	const module = "github.com/conduit-cx/conduit/"
	deps := func(pkg string) []string {
		out, err := exec.Command(goTool, "list", "-tags", "lambda.norpc", "-deps", module+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		return strings.Fields(string(out))
	}
	linksRules := func(dep string) bool {
		return strings.HasPrefix(dep, "cel.dev/") || dep == module+"shared/decide" || dep == module+"shared/rules"
	}
	linksPhoneLibrary := func(dep string) bool {
		return dep == "github.com/nyaruka/phonenumbers" || strings.HasPrefix(dep, "google.golang.org/protobuf/")
	}
	for _, c := range []struct {
		pkgs      []string
		forbidden func(string) bool
	}{
		{[]string{"shared/offer", "functions/outcome", "functions/survey"}, linksRules},
		{[]string{"functions/ctr", "functions/speech", "functions/contactevents", "functions/rollup",
			"functions/loadwatch", "functions/outcome", "functions/survey"}, linksPhoneLibrary},
	} {
		for _, pkg := range c.pkgs {
			for _, dep := range deps(pkg) {
				if c.forbidden(dep) {
					t.Errorf("%s links %s", pkg, dep)
				}
			}
		}
	}
	// The API reads numbers people write: it must link the library, or
	// this test is not looking where it thinks.
	if !slices.Contains(deps("functions/api"), "github.com/nyaruka/phonenumbers") {
		t.Error("functions/api does not link github.com/nyaruka/phonenumbers: is phoneinput still what the API uses?")
	}
}
