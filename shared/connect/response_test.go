package connect

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidKey(t *testing.T) {
	cases := []struct {
		key  string
		want bool
	}{
		{"offer", true},
		{"decisionId", true},
		{"offer-name_2", true},
		{"", false},
		{"offer name", false},
		{"offer.name", false},
		{"préféré", false},
		{"a/b", false},
		{"$offer", false},
	}
	for _, c := range cases {
		if got := ValidKey(c.key); got != c.want {
			t.Errorf("ValidKey(%q) = %v, want %v", c.key, got, c.want)
		}
	}
}

func TestNewResponseKeepsValidPairs(t *testing.T) {
	r, trims := NewResponse(
		Pair{"offer", "fibre-upgrade"},
		Pair{"reason", "ranked first"},
		Pair{"pitch", "Faster broadband for £5 less — ask me how"},
	)
	if len(trims) != 0 {
		t.Errorf("trims = %v", trims)
	}
	want := Response{"offer": "fibre-upgrade", "reason": "ranked first", "pitch": "Faster broadband for £5 less — ask me how"}
	if len(r) != len(want) {
		t.Fatalf("response = %v", r)
	}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("%s = %q, want %q", k, r[k], v)
		}
	}
	if err := r.Validate(); err != nil {
		t.Error(err)
	}
}

func TestNewResponseDropsInvalidAndRepeatedKeys(t *testing.T) {
	r, trims := NewResponse(
		Pair{"offer", "none"},
		Pair{"bad key", "x"},
		Pair{"", "x"},
		Pair{"offer", "second"},
		Pair{"reason", "upset caller"},
	)
	if r["offer"] != "none" || r["reason"] != "upset caller" || len(r) != 2 {
		t.Errorf("response = %v", r)
	}
	wantDropped := []string{"bad key", "", "offer"}
	if len(trims) != len(wantDropped) {
		t.Fatalf("trims = %+v", trims)
	}
	for i, k := range wantDropped {
		if trims[i].Key != k || !trims[i].Dropped || trims[i].Reason == "" {
			t.Errorf("trim %d = %+v, want %q dropped with a reason", i, trims[i], k)
		}
	}
}

func TestNewResponseFitsTheBudget(t *testing.T) {
	long := strings.Repeat("Ask about the family bundle. ", 2000) // ~58 KB
	r, trims := NewResponse(
		Pair{"offer", "family-bundle"},
		Pair{"reason", "life event: new baby"},
		Pair{"decisionId", "dec-1"},
		Pair{"script", long},
		Pair{"faq", long},
	)
	if n := r.Size(); n > ResponseBudget {
		t.Fatalf("size %d over budget", n)
	}
	b, _ := json.Marshal(r)
	if len(b) != r.Size() {
		t.Errorf("Size %d, encoding/json wrote %d bytes", r.Size(), len(b))
	}
	if len(b) >= 32*1024 {
		t.Errorf("encoded %d bytes, Connect limit is 32 KB", len(b))
	}
	for _, k := range []string{"offer", "reason", "decisionId"} {
		if _, ok := r[k]; !ok {
			t.Errorf("first pair %s lost", k)
		}
	}
	if !strings.HasSuffix(r["script"], ellipsis) {
		t.Error("cut value does not end with an ellipsis")
	}
	if _, ok := r["faq"]; ok {
		t.Error("faq should be dropped: no room after the cut script")
	}
	if len(trims) != 2 || trims[0].Key != "script" || trims[0].Dropped || trims[1].Key != "faq" || !trims[1].Dropped {
		t.Errorf("trims = %+v", trims)
	}
	if err := r.Validate(); err != nil {
		t.Error(err)
	}
}

func TestNewResponseCutsAtCharacterBoundaries(t *testing.T) {
	values := []string{
		strings.Repeat("é", 100),
		strings.Repeat("日本語", 50),
		strings.Repeat("🙂", 40),
		strings.Repeat("a<b>&", 40),
		strings.Repeat("\"\\\n", 40),
		strings.Repeat("\u2028x", 40),
	}
	for budget := 20; budget < 140; budget++ {
		for _, v := range values {
			r, _ := newResponse(budget, []Pair{{"offer", "x"}, {"text", v}})
			b, _ := json.Marshal(r)
			if len(b) > budget {
				t.Fatalf("budget %d value %q: encoded %d bytes: %s", budget, v[:8], len(b), b)
			}
			if got, ok := r["text"]; ok {
				if !utf8.ValidString(got) {
					t.Fatalf("budget %d: cut value is not valid UTF-8: %q", budget, got)
				}
				if got != v && !strings.HasPrefix(v, strings.TrimSuffix(got, ellipsis)) {
					t.Fatalf("budget %d: %q is not a prefix of the value", budget, got)
				}
			}
			if r.Size() != len(b) {
				t.Fatalf("budget %d: Size %d, encoded %d", budget, r.Size(), len(b))
			}
		}
	}
}

func TestNewResponseRepairsInvalidUTF8(t *testing.T) {
	r, _ := NewResponse(Pair{"pitch", "ok\xffok"})
	if !utf8.ValidString(r["pitch"]) || r["pitch"] != "ok\uFFFDok" {
		t.Errorf("pitch = %q", r["pitch"])
	}
}

// Size must match encoding/json exactly, whatever the text: the budget is
// only as good as the measure.
func TestSizeMatchesEncodingJSON(t *testing.T) {
	alphabet := []rune("aZ09-_ \"\\/<>&\b\f\n\r\t\x00\x1f\x7féß日🙂\u2028\u2029")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		r := Response{}
		for j := 0; j < rng.IntN(5); j++ {
			var sb strings.Builder
			for k := 0; k < rng.IntN(30); k++ {
				sb.WriteRune(alphabet[rng.IntN(len(alphabet))])
			}
			r["k"+string(rune('a'+j))] = sb.String()
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if r.Size() != len(b) {
			t.Fatalf("Size %d, encoding/json %d for %q", r.Size(), len(b), b)
		}
	}
}

func TestResponseValidate(t *testing.T) {
	r := Response{"ok": "x", "not ok": "y", "bin": "\xff", "huge": strings.Repeat("x", ResponseBudget)}
	err := r.Validate()
	if err == nil {
		t.Fatal("want problems")
	}
	msg := err.Error()
	for _, want := range []string{"not ok: invalid key", "bin: value is not valid UTF-8", "over the 30000 byte budget"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if err := (Response{}).Validate(); err != nil {
		t.Errorf("empty response: %v", err)
	}
}

func TestNewResponseDropsEvenEmptyValuesWhenFull(t *testing.T) {
	// Found by fuzzing: with no room left, "" must not count as fitting.
	// {"offer":"none"} is exactly 16 bytes.
	r, trims := newResponse(16, []Pair{{"offer", "none"}, {"reason", ""}})
	b, _ := json.Marshal(r)
	if len(b) > 16 {
		t.Fatalf("encoded %d bytes over a 16-byte budget: %s", len(b), b)
	}
	if r["offer"] != "none" {
		t.Errorf("offer lost: %v", r)
	}
	if _, ok := r["reason"]; ok || len(trims) != 1 || trims[0].Key != "reason" || !trims[0].Dropped {
		t.Errorf("response %v trims %+v", r, trims)
	}
}
