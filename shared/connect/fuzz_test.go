package connect

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// seed adds every sample of the kind under events/, plus hand-made edge cases.
func seed(f *testing.F, kind Kind, extra ...string) {
	for _, s := range allSamples(f) {
		if Sniff(s.data) == kind {
			f.Add(s.data)
		}
	}
	for _, e := range extra {
		f.Add([]byte(e))
	}
}

// fuzzDecode checks the properties every decoder must keep on any input: no
// panic; an error is an apperr.Problems naming at least one field; on
// success the required ids are set, and encoding then decoding gives the
// same value back.
func fuzzDecode[T any](t *testing.T, b []byte, decode func([]byte) (T, error), ids func(T) []string) {
	v, err := decode(b)
	if err != nil {
		p, ok := apperr.AsProblems(err)
		if !ok || len(p) == 0 || p[0].Field == "" {
			t.Fatalf("error %T %q is not a problem naming a field", err, err)
		}
		return
	}
	for i, id := range ids(v) {
		if isBlank(id) {
			t.Fatalf("decoded without required id %d: %#v", i, v)
		}
	}
	enc, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	again, err := decode(enc)
	if err != nil {
		t.Fatalf("decode of own encoding: %v\n%s", err, enc)
	}
	if !reflect.DeepEqual(v, again) {
		t.Fatalf("round trip changed the value\nfirst:  %#v\nsecond: %#v", v, again)
	}
}

func FuzzDecodeFlowEvent(f *testing.F) {
	seed(f, KindFlowEvent,
		``, `null`, `[]`, `{}`, `{"Details":null}`, `{"Details":{"ContactData":null}}`,
		`{"Details":{"ContactData":{"ContactId":"c","Queue":"q","CustomerEndpoint":null},"Parameters":{"a":{"b":[1,"<x>"]},"n":null,"s":"\u00e9"}}}`,
		`{"details":{"contactdata":{"contactid":"c","QUEUE":null,"queue":{"arn":"x"}}}}`,
	)
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzDecode(t, b, DecodeFlowEvent, func(e FlowEvent) []string { return []string{e.ContactID()} })
	})
}

func FuzzDecodeContactRecord(f *testing.F) {
	seed(f, KindContactRecord,
		`{}`, `{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"c","LastUpdateTimestamp":"2019-08-21T17:53:27.5+14:00"}`,
		`{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"c","LastUpdateTimestamp":"9999-12-31T23:59:59-01:00"}`,
	)
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzDecode(t, b, DecodeContactRecord, func(r ContactRecord) []string {
			return []string{r.ContactID, r.AWSContactTraceRecordFormatVersion}
		})
	})
}

func FuzzDecodeLensEvent(f *testing.F) {
	seed(f, KindLensEvent,
		`{}`, `{"Version":"2","ContactId":"c","StreamingEventType":"x","Segments":[{"Event":{}}]}`,
	)
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzDecode(t, b, DecodeLensEvent, func(e LensEvent) []string {
			return []string{e.ContactID, string(e.Type()), e.Version}
		})
	})
}

func FuzzDecodeContactEvent(f *testing.F) {
	seed(f, KindContactEvent,
		`{}`, `{"id":"e","source":"aws.connect","detail-type":"Amazon Connect Contact Event","detail":{"eventType":"X","contactId":"c","routingCriteria":[{"a":"<&>"}]}}`,
	)
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzDecode(t, b, DecodeContactEvent, func(e ContactEvent) []string {
			return []string{e.ID, e.Detail.ContactID, e.Detail.EventType}
		})
	})
}

// FuzzNewResponse checks the flat response always fits Connect's rules.
func FuzzNewResponse(f *testing.F) {
	f.Add("offer", "fibre", "script", "Say hello <b>&</b>", 200)
	f.Add("bad key", "\xff\xfe", "faq", "日本語🙂\u2028", 40)
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string, budget int) {
		if budget < 2 || budget > ResponseBudget {
			budget = ResponseBudget
		}
		r, _ := newResponse(budget, []Pair{{k1, v1}, {k2, v2}})
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > budget || r.Size() != len(b) {
			t.Fatalf("budget %d, Size %d, encoded %d", budget, r.Size(), len(b))
		}
		for k := range r {
			if !ValidKey(k) {
				t.Fatalf("invalid key %q kept", k)
			}
		}
		if budget == ResponseBudget {
			if err := r.Validate(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
