package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/conduit-cx/conduit/shared/metrics"
)

// note is a test record: {"v":1,"contact":"c1","seq":3,"fail":"…"}.
type note struct {
	V       int    `json:"v"`
	Contact string `json:"contact"`
	Seq     int    `json:"seq"`
	Fail    string `json:"fail"`
}

type fakeHandler struct {
	mu      sync.Mutex
	applied map[string][]int // contact → seqs in the order applied
	calls   int
	failing map[string]int // "contact#seq" → transient failures left
	active  int
	peak    int
}

func newFake() *fakeHandler {
	return &fakeHandler{applied: map[string][]int{}, failing: map[string]int{}}
}

func (h *fakeHandler) Decode(r Record) (Item[note], error) {
	var n note
	if err := json.Unmarshal(r.Data, &n); err != nil {
		if reason := JSONReason(r.Data); reason != "" {
			return Item[note]{}, Permanent(reason, err)
		}
		return Item[note]{}, err
	}
	if n.V != 1 {
		return Item[note]{}, Permanentf(ReasonUnknownVersion, "version %d", n.V)
	}
	if n.Contact == "" {
		return Item[note]{}, Permanentf(ReasonMissingField, "contact: missing")
	}
	return Item[note]{Key: fmt.Sprintf("%s#%d", n.Contact, n.Seq), Group: n.Contact, Value: n}, nil
}

func (h *fakeHandler) Apply(ctx context.Context, r Record, it Item[note]) error {
	h.mu.Lock()
	h.calls++
	h.active++
	h.peak = max(h.peak, h.active)
	h.mu.Unlock()
	time.Sleep(200 * time.Microsecond)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.active--
	switch it.Value.Fail {
	case "panic":
		panic("boom 4155550100")
	case "permanent":
		return Permanentf(ReasonInvalid, "refused")
	}
	if h.failing[it.Key] > 0 {
		h.failing[it.Key]--
		return errors.New("throttled")
	}
	h.applied[it.Value.Contact] = append(h.applied[it.Value.Contact], it.Value.Seq)
	return nil
}

type memIdem struct {
	mu   sync.Mutex
	keys map[string]bool
	fail bool
}

func (m *memIdem) Seen(_ context.Context, keys []string) (map[string]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return nil, errors.New("unavailable")
	}
	out := map[string]bool{}
	for _, k := range keys {
		if m.keys[k] {
			out[k] = true
		}
	}
	return out, nil
}

func (m *memIdem) Remember(_ context.Context, keys []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = map[string]bool{}
	}
	for _, k := range keys {
		m.keys[k] = true
	}
	return nil
}

type counts struct {
	mu      sync.Mutex
	skipped map[string]int
	failed  int
}

func (c *counts) RecordsSkipped(_ context.Context, _, reason string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.skipped == nil {
		c.skipped = map[string]int{}
	}
	c.skipped[reason] += n
}

func (c *counts) RecordsFailed(_ context.Context, _ string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failed += n
}

func rec(i int, data string) Record {
	return Record{EventID: fmt.Sprintf("shardId-000000000000:%04d", i), SequenceNumber: fmt.Sprintf("%04d", i), Data: []byte(data)}
}

func noteRec(i int, contact string, seq int, fail string) Record {
	b, _ := json.Marshal(note{V: 1, Contact: contact, Seq: seq, Fail: fail})
	return rec(i, string(b))
}

func quiet() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

func TestEveryKindOfBadRecordIsSkippedOnceWithItsReason(t *testing.T) {
	var logs bytes.Buffer
	h, m, idem := newFake(), &counts{}, &memIdem{}
	p := New[note](h, Config{Name: "test", MaxRecordBytes: 256, Idempotency: idem, Metrics: m, Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	batch := []Record{
		noteRec(0, "c1", 1, ""),
		rec(1, "this is not json"),
		rec(2, `{"v":1,"contact":"c2","se`),
		rec(3, `{"v":7,"contact":"c2","seq":1}`),
		rec(4, `{"v":1,"seq":1}`),
		rec(5, `{"v":1,"contact":"c3","seq":1,"pad":"`+strings.Repeat("x", 300)+`"}`),
		noteRec(6, "c4", 1, "permanent"),
		rec(7, `{"v":"one"}`),
		rec(8, ``),
		noteRec(9, "c1", 2, ""),
	}
	rep := p.Process(context.Background(), batch)
	wantReasons := map[int]string{1: ReasonNotJSON, 2: ReasonTruncated, 3: ReasonUnknownVersion, 4: ReasonMissingField,
		5: ReasonOversized, 6: ReasonInvalid, 7: ReasonInvalid, 8: ReasonNotJSON}
	if !mapsEqual(rep.Reasons, wantReasons) {
		t.Errorf("reasons\n got %v\nwant %v", rep.Reasons, wantReasons)
	}
	if rep.Applied != 2 || rep.Skipped != 8 || rep.Failed != 0 {
		t.Errorf("report %+v", rep)
	}
	if !slices.Equal(h.applied["c1"], []int{1, 2}) {
		t.Errorf("c1 applied %v", h.applied["c1"])
	}
	if got := m.skipped; got[ReasonInvalid] != 2 || got[ReasonNotJSON] != 2 || got[ReasonOversized] != 1 || got[ReasonTruncated] != 1 {
		t.Errorf("metric %v", got)
	}
	if n := strings.Count(logs.String(), `"msg":"stream record skipped"`); n != 8 {
		t.Errorf("%d skip lines, want 8:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), `"sequenceNumber":"0002"`) {
		t.Error("a skip line does not say where the record is")
	}

	// The same batch again (a retry from an earlier failure) applies,
	// logs and counts nothing a second time.
	logs.Reset()
	rep = p.Process(context.Background(), batch)
	if rep.Duplicates != len(batch) || m.skipped[ReasonInvalid] != 2 || strings.Contains(logs.String(), "stream record skipped") {
		t.Errorf("redelivery: %+v metric %v\n%s", rep, m.skipped, logs.String())
	}
}

func TestTransientFailureFailsOnlyThatContactFromThatRecordOn(t *testing.T) {
	h, m := newFake(), &counts{}
	h.failing["c1#2"] = 1
	p := New[note](h, Config{Name: "test", Idempotency: &memIdem{}, Metrics: m, Log: quiet()})
	batch := []Record{
		noteRec(0, "c1", 1, ""), noteRec(1, "c2", 1, ""), noteRec(2, "c1", 2, ""),
		noteRec(3, "c2", 2, ""), noteRec(4, "c1", 3, ""), noteRec(5, "c3", 1, ""),
	}
	resp, err := p.Handle(context.Background(), kinesisEvent(batch))
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if !slices.Equal(failed, []string{"0002", "0004"}) {
		t.Errorf("failures %v, want the failed record and the later one of the same contact", failed)
	}
	if !slices.Equal(h.applied["c1"], []int{1}) || !slices.Equal(h.applied["c2"], []int{1, 2}) || len(h.applied["c3"]) != 1 {
		t.Errorf("applied %v", h.applied)
	}
	if m.failed != 2 {
		t.Errorf("failed metric %d", m.failed)
	}
	// Lambda redelivers from the lowest failed sequence number on.
	resp, _ = p.Handle(context.Background(), kinesisEvent(batch[2:]))
	if len(resp.BatchItemFailures) != 0 || !slices.Equal(h.applied["c1"], []int{1, 2, 3}) || !slices.Equal(h.applied["c2"], []int{1, 2}) {
		t.Errorf("after retry: %v %v", resp.BatchItemFailures, h.applied)
	}
}

func TestAPanicFailsOneRecordNotTheBatch(t *testing.T) {
	var logs bytes.Buffer
	h := newFake()
	p := New[note](h, Config{Name: "test", Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	rep := p.Process(context.Background(), []Record{noteRec(0, "c1", 1, "panic"), noteRec(1, "c2", 1, "")})
	if rep.Outcomes[0] != Failed || rep.Outcomes[1] != Applied {
		t.Errorf("outcomes %v", rep.Outcomes)
	}
	if strings.Contains(logs.String(), "4155550100") {
		t.Error("a phone number reached the log")
	}
}

func TestRecordsOfOneContactApplyInOrderWithBoundedConcurrency(t *testing.T) {
	h := newFake()
	p := New[note](h, Config{Name: "test", Concurrency: 4, Log: quiet()})
	var batch []Record
	for i := range 400 {
		batch = append(batch, noteRec(i, fmt.Sprintf("c%d", i%40), i/40, ""))
	}
	rep := p.Process(context.Background(), batch)
	if rep.Applied != 400 {
		t.Fatalf("report %+v", rep)
	}
	for c, seqs := range h.applied {
		if !slices.IsSorted(seqs) || len(seqs) != 10 {
			t.Errorf("%s applied %v", c, seqs)
		}
	}
	if h.peak > 4 || h.peak < 2 {
		t.Errorf("peak concurrency %d, want 2..4", h.peak)
	}
}

func TestDuplicatesInOneBatchApplyOnce(t *testing.T) {
	h := newFake()
	p := New[note](h, Config{Name: "test", Log: quiet()})
	rep := p.Process(context.Background(), []Record{noteRec(0, "c1", 1, ""), noteRec(1, "c1", 1, ""), noteRec(2, "c1", 2, "")})
	if !slices.Equal(rep.Outcomes, []Outcome{Applied, Duplicate, Applied}) || !slices.Equal(h.applied["c1"], []int{1, 2}) {
		t.Errorf("outcomes %v applied %v", rep.Outcomes, h.applied)
	}
}

func TestNoRecordStartsWhenTheInvocationIsAboutToTimeOut(t *testing.T) {
	h := newFake()
	p := New[note](h, Config{Name: "test", DeadlineMargin: time.Minute, Log: quiet()})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep := p.Process(ctx, []Record{noteRec(0, "c1", 1, ""), noteRec(1, "c2", 1, "")})
	if rep.Failed != 2 || h.calls != 0 {
		t.Errorf("report %+v calls %d", rep, h.calls)
	}
}

func TestUnreadableIdempotencyStoreStillAppliesTheBatch(t *testing.T) {
	h := newFake()
	p := New[note](h, Config{Name: "test", Idempotency: &memIdem{fail: true}, Log: quiet()})
	if rep := p.Process(context.Background(), []Record{noteRec(0, "c1", 1, "")}); rep.Applied != 1 {
		t.Errorf("report %+v", rep)
	}
}

func TestJSONReason(t *testing.T) {
	cases := []struct{ data, want string }{
		{`{"a":1}`, ""},
		{`{"a":1`, ReasonTruncated},
		{`{"a":"b`, ReasonTruncated},
		{`[1,2`, ReasonTruncated},
		{`{"a":1}}`, ReasonNotJSON},
		{`hello`, ReasonNotJSON},
		{"\x00\x01binary", ReasonNotJSON},
		{``, ReasonNotJSON},
		{`{"a" 1}`, ReasonNotJSON},
	}
	for _, c := range cases {
		if got := JSONReason([]byte(c.data)); got != c.want {
			t.Errorf("%q: got %q, want %q", c.data, got, c.want)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := redact(`got number 14155550100, want "abc" at 12`); got != `got number [digits], want "abc" at 12` {
		t.Errorf("redact: %s", got)
	}
}

func kinesisEvent(recs []Record) events.KinesisEvent {
	var ev events.KinesisEvent
	for _, r := range recs {
		ev.Records = append(ev.Records, events.KinesisEventRecord{
			EventID: r.EventID,
			Kinesis: events.KinesisRecord{SequenceNumber: r.SequenceNumber, Data: r.Data, PartitionKey: "pk"},
		})
	}
	return ev
}

func mapsEqual(a, b map[int]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func FuzzProcess(f *testing.F) {
	f.Add([]byte(`{"v":1,"contact":"c1","seq":1}`))
	f.Add([]byte(`{"v":1,"contact":"c1","se`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := New[note](newFake(), Config{Name: "fuzz", MaxRecordBytes: 512, Log: quiet()})
		rep := p.Process(context.Background(), []Record{rec(0, string(data)), noteRec(1, "ok", 1, "")})
		if rep.Outcomes[1] != Applied {
			t.Fatalf("a good record after %q was not applied: %v", data, rep.Outcomes)
		}
		if o := rep.Outcomes[0]; o != Applied && o != Skipped && o != Failed {
			t.Fatalf("outcome %v", o)
		}
	})
}

func TestEMFCountsSkippedByReason(t *testing.T) {
	var out bytes.Buffer
	m := EMF(metrics.New(&out, metrics.Namespace))
	p := New[note](newFake(), Config{Name: "ctr", Metrics: m, Log: quiet()})
	p.Process(context.Background(), []Record{rec(0, "not json"), rec(1, `{"v":1`)})
	for _, want := range []string{`"StreamRecordsSkipped":1`, `"Reason":"not_json"`, `"Reason":"truncated"`, `"Consumer":"ctr"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %s in\n%s", want, out.String())
		}
	}
}

func TestRememberSkippedOnlyAppliesARedeliveryAgainButCountsSkipsOnce(t *testing.T) {
	var logs bytes.Buffer
	h, m, idem := newFake(), &counts{}, &memIdem{}
	p := New[note](h, Config{Name: "test", Idempotency: idem, RememberSkippedOnly: true, Metrics: m,
		Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	batch := []Record{noteRec(0, "c1", 1, ""), rec(1, "this is not json"), noteRec(2, "c2", 1, "permanent"), noteRec(3, "c1", 2, "")}
	for delivery := 1; delivery <= 2; delivery++ {
		rep := p.Process(context.Background(), batch)
		wantDup := 0
		if delivery == 2 {
			wantDup = 2
		}
		if rep.Applied != 2 || rep.Duplicates != wantDup || rep.Skipped != 2-wantDup {
			t.Errorf("delivery %d: report %+v", delivery, rep)
		}
	}
	if !slices.Equal(h.applied["c1"], []int{1, 2, 1, 2}) {
		t.Errorf("c1 applied %v, want both records applied by each delivery", h.applied["c1"])
	}
	if m.skipped[ReasonNotJSON] != 1 || m.skipped[ReasonInvalid] != 1 {
		t.Errorf("skip metric %v, want each skipped record counted once", m.skipped)
	}
	if n := strings.Count(logs.String(), `"msg":"stream record skipped"`); n != 2 {
		t.Errorf("%d skip lines, want 2", n)
	}
	if len(idem.keys) != 2 {
		t.Errorf("remembered %v, want the two skipped records only", idem.keys)
	}
}
