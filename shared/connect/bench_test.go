package connect

import (
	"encoding/json"
	"strings"
	"testing"
)

// BenchmarkDecode decodes each sample. The flow event decode sits on the
// offer path; "flow-event-plain-json" is the same input into a map with no
// checks, as a floor to compare against.
func BenchmarkDecode(b *testing.B) {
	cases := []struct {
		name string
		file string
		run  func([]byte) error
	}{
		{"flow-event-voice", "connect/flow-event-voice.json", func(d []byte) error { _, err := DecodeFlowEvent(d); return err }},
		{"flow-event-chat", "connect/flow-event-chat.json", func(d []byte) error { _, err := DecodeFlowEvent(d); return err }},
		{"flow-event-offer-voice", "offer/voice.json", func(d []byte) error { _, err := DecodeFlowEvent(d); return err }},
		{"flow-event-nested-parameters", "connect/flow-event-nested-parameters.json", func(d []byte) error { _, err := DecodeFlowEvent(d); return err }},
		{"flow-event-plain-json", "connect/flow-event-voice.json", func(d []byte) error { var m map[string]any; return json.Unmarshal(d, &m) }},
		{"contact-record", "connect/ctr.json", func(d []byte) error { _, err := DecodeContactRecord(d); return err }},
		{"lens-segments", "connect/lens-segments.json", func(d []byte) error { _, err := DecodeLensEvent(d); return err }},
		{"lens-completed", "connect/lens-completed.json", func(d []byte) error { _, err := DecodeLensEvent(d); return err }},
		{"lens-chat-segments", "connect/lens-chat-segments.json", func(d []byte) error { _, err := DecodeLensEvent(d); return err }},
		{"contact-event-queued", "connect/contact-event-queued.json", func(d []byte) error { _, err := DecodeContactEvent(d); return err }},
		{"contact-event-disconnected", "connect/contact-event-disconnected.json", func(d []byte) error { _, err := DecodeContactEvent(d); return err }},
	}
	for _, c := range cases {
		data := sample(b, c.file)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := c.run(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNewResponse builds a typical offer answer, and one whose script
// must be cut to the budget.
func BenchmarkNewResponse(b *testing.B) {
	typical := []Pair{
		{"offer", "fibre-upgrade-2024"},
		{"reason", "ranked first: high bill, long tenure"},
		{"decisionId", "dec-01J9ZC3W8Q7M4V2K6T5R1N0P8H"},
		{"offerName", "Fibre upgrade"},
		{"pitch", "You could get faster broadband for less than you pay today."},
		{"script", strings.Repeat("Explain the speed and the price. ", 20)},
		{"faq", strings.Repeat("Q: Is there a contract? A: 12 months. ", 20)},
		{"variant", "B"},
		{"holdout", "false"},
	}
	long := append(append([]Pair(nil), typical[:5]...), Pair{"script", strings.Repeat("é and <b> ", 5000)})
	for _, c := range []struct {
		name  string
		pairs []Pair
	}{{"typical", typical}, {"cut-to-budget", long}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				NewResponse(c.pairs...)
			}
		})
	}
}
