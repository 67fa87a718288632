package rules

import (
	"strings"
	"testing"
)

// FuzzCompile feeds the compiler arbitrary text: it never panics, every
// refusal names a position inside the text, and every rule it accepts
// evaluates (guarded and CEL-only alike) without panicking.
func FuzzCompile(f *testing.F) {
	for _, s := range append(guardRules,
		"", "(", `"`, "profile.", `profile.segments.all(s, profile.products.all(p, p == s))`,
		"1 / 0 == 1", `profile.life_event_days["x"] > 1`, strings.Repeat("(", 200), "\x00", "contact.hour == 25u",
		`[1,2,3].map(x, [1,2,3].map(y, x * y)).size() > 0`, `rules.Campaign{id: "x"}.id == "x"`,
	) {
		f.Add(s)
	}
	vars := guardVars()
	f.Fuzz(func(t *testing.T, src string) {
		r, err := Compile(src)
		if err != nil {
			ce, ok := err.(*CompileError)
			if !ok || len(ce.Issues) == 0 {
				t.Fatalf("error %T %v is not a CompileError with issues", err, err)
			}
			for _, is := range ce.Issues {
				if is.Line < 1 || is.Column < 1 || is.Message == "" {
					t.Fatalf("issue without a position or message: %+v", is)
				}
			}
			return
		}
		for _, v := range vars {
			got, _ := r.Eval(NewActivation(v), Campaign{ID: "c"})
			want, werr := celOnly(t, r, NewActivation(v), Campaign{ID: "c"})
			if werr == nil && got != want {
				t.Fatalf("%q: guarded %v, CEL %v", src, got, want)
			}
		}
	})
}
