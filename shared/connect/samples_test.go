package connect

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// ownedSampleDirs hold only Connect-shaped samples: every file in them must be
// recognised and decode. Other folders under events/ (events/api, ...) hold
// other kinds of events; their Connect-shaped files are decoded too, the rest
// skipped.
var ownedSampleDirs = []string{"connect", "offer", "outcome"}

// moduleRoot finds the directory holding go.mod above the test's directory.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// sample reads a file under events/.
func sample(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot(tb), "events", filepath.FromSlash(rel)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

type sampleFile struct {
	rel   string // path under events/, slash-separated
	owned bool
	data  []byte
}

// allSamples lists every JSON file under events/.
func allSamples(tb testing.TB) []sampleFile {
	tb.Helper()
	root := filepath.Join(moduleRoot(tb), "events")
	var out []sampleFile
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".json") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		top, _, _ := strings.Cut(rel, "/")
		owned := false
		for _, d := range ownedSampleDirs {
			owned = owned || top == d
		}
		out = append(out, sampleFile{rel: rel, owned: owned, data: data})
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// roundTrip decodes b, encodes the value, decodes that again, and fails
// unless both decoded values are equal.
func roundTrip[T any](t *testing.T, b []byte, decode func([]byte) (T, error)) T {
	t.Helper()
	first, err := decode(b)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	enc, err := json.Marshal(first)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	second, err := decode(enc)
	if err != nil {
		t.Fatalf("decode of own encoding: %v\n%s", err, enc)
	}
	if !reflect.DeepEqual(first, second) {
		t.Fatalf("round trip changed the value\nfirst:  %#v\nsecond: %#v\nencoded: %s", first, second, enc)
	}
	return first
}

func TestEverySampleDecodesAndRoundTrips(t *testing.T) {
	files := allSamples(t)
	decoded := map[Kind]int{}
	for _, f := range files {
		t.Run(f.rel, func(t *testing.T) {
			kind := Sniff(f.data)
			switch kind {
			case KindFlowEvent:
				roundTrip(t, f.data, DecodeFlowEvent)
			case KindContactRecord:
				roundTrip(t, f.data, DecodeContactRecord)
			case KindLensEvent:
				roundTrip(t, f.data, DecodeLensEvent)
			case KindContactEvent:
				roundTrip(t, f.data, DecodeContactEvent)
			default:
				if f.owned {
					t.Fatalf("not recognised as a Connect payload")
				}
				t.Skip("not a Connect payload; checked elsewhere")
			}
			decoded[kind]++
		})
	}
	for _, k := range []Kind{KindFlowEvent, KindContactRecord, KindLensEvent, KindContactEvent} {
		if decoded[k] == 0 {
			t.Errorf("no %s sample under events/", k)
		}
	}
}

// The samples named in the brief exist and are of the kind their name says.
func TestNamedSamplesHaveTheirKind(t *testing.T) {
	cases := []struct {
		rel  string
		want Kind
	}{
		{"connect/flow-event-voice.json", KindFlowEvent},
		{"connect/flow-event-chat.json", KindFlowEvent},
		{"connect/ctr.json", KindContactRecord},
		{"connect/lens-segments.json", KindLensEvent},
		{"connect/lens-completed.json", KindLensEvent},
		{"connect/lens-chat-segments.json", KindLensEvent},
		{"connect/contact-event-queued.json", KindContactEvent},
		{"connect/contact-event-connected.json", KindContactEvent},
		{"connect/contact-event-disconnected.json", KindContactEvent},
		{"offer/voice.json", KindFlowEvent},
		{"offer/chat.json", KindFlowEvent},
		{"outcome/accepted.json", KindFlowEvent},
	}
	for _, c := range cases {
		if got := Sniff(sample(t, c.rel)); got != c.want {
			t.Errorf("%s: Sniff = %q, want %q", c.rel, got, c.want)
		}
	}
}

func TestSniffLeavesOtherEventsAlone(t *testing.T) {
	cases := []struct {
		name string
		body string
	}{
		{"api gateway v2", `{"version":"2.0","routeKey":"GET /v1/offers","rawPath":"/v1/offers","requestContext":{"http":{"method":"GET"}}}`},
		{"eventbridge scheduled", `{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","detail":{}}`},
		{"kinesis batch", `{"Records":[{"kinesis":{"data":"e30="}}]}`},
		{"not json", `hello`},
		{"array", `[1,2]`},
	}
	for _, c := range cases {
		if got := Sniff([]byte(c.body)); got != KindUnknown {
			t.Errorf("%s: Sniff = %q, want unknown", c.name, got)
		}
	}
}
