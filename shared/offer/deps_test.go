package offer_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOutcomeAndSurveyDoNotLinkTheRuleLanguage keeps the decision engine
// and its rule language (CEL, megabytes of binary) out of the functions
// that only record what the customer said: they live in this package, the
// decision in offer/decision.
func TestOutcomeAndSurveyDoNotLinkTheRuleLanguage(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list dependencies with")
	}
	const module = "github.com/conduit-cx/conduit/"
	for _, pkg := range []string{"shared/offer", "functions/outcome", "functions/survey"} {
		out, err := exec.Command(goTool, "list", "-deps", module+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "cel.dev/") || dep == module+"shared/decide" || dep == module+"shared/rules" {
				t.Errorf("%s links %s", pkg, dep)
			}
		}
	}
}
