// Package stream applies batches of Kinesis records the way every Conduit
// consumer must: each record is decoded and applied at most once in effect,
// records of one contact in stream order, many contacts at a time but never
// more than a bounded number against DynamoDB, and one bad record never
// blocks or loses the others.
//
// For each record of a batch:
//
//   - a record that can never be applied (not JSON, truncated, an unknown
//     version, a missing id or timestamp, oversized, or refused by the
//     handler as permanent) is skipped: logged once with its reason and the
//     place to find it again in the stream (shard, sequence number), and
//     counted in the StreamRecordsSkipped metric;
//   - a record already applied (its identity is in the idempotency store) is
//     passed over;
//   - any other failure (throttling, a timeout) fails that record and the
//     later records of the same contact, which are reported in
//     BatchItemFailures so Lambda retries them (and, after its bounded
//     retries, sends them to the on-failure destination); the others of the
//     batch are applied and stay applied.
//
// Identities of applied and skipped records are remembered with a time to
// live, so a redelivered batch neither applies nor counts a record twice
// (a consumer may keep skipped ones only: Config.RememberSkippedOnly).
// Handlers keep their own writes idempotent as well (conditional writes),
// so a record applied just before a crash and redelivered changes nothing.
package stream

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/sync/errgroup"

	"github.com/conduit-cx/conduit/shared/logging"
)

// Record is one stream record as a handler sees it.
type Record struct {
	// EventID is the shard and sequence number ("shardId-000…:4954…").
	EventID string
	// SequenceNumber identifies the record in BatchItemFailures.
	SequenceNumber string
	PartitionKey   string
	// ArrivedAt is when Kinesis took the record; it is the same on every
	// delivery, so handlers use it as the record's time.
	ArrivedAt time.Time
	Source    string
	Data      []byte
}

// Item is a record a handler decoded.
type Item[T any] struct {
	// Key is the record's identity for idempotency, such as
	// "<ContactId>#<LastUpdateTimestamp>". Required.
	Key string
	// Group is what orders records: records of one group (a contact) are
	// applied one after another in stream order. Required.
	Group string
	Value T
}

// Handler decodes and applies the records of one stream.
type Handler[T any] interface {
	// Decode reads a record. Every error is permanent: the record is
	// skipped; wrap it with Permanent to give the reason.
	Decode(r Record) (Item[T], error)
	// Apply applies a decoded record. An error wrapped with Permanent skips
	// the record; any other error is transient and fails it for a retry.
	Apply(ctx context.Context, r Record, it Item[T]) error
}

// Idempotency remembers which records were applied.
type Idempotency interface {
	// Seen reports which of keys are remembered.
	Seen(ctx context.Context, keys []string) (map[string]bool, error)
	// Remember records keys, each kept for the store's time to live.
	Remember(ctx context.Context, keys []string) error
}

// Metrics counts what happened to the records of a batch.
type Metrics interface {
	RecordsSkipped(ctx context.Context, consumer, reason string, n int)
	RecordsFailed(ctx context.Context, consumer string, n int)
}

// Config sets up a Processor.
type Config struct {
	// Name names the consumer in logs, metrics and idempotency keys.
	Name string
	// MaxRecordBytes skips records larger than this; 0 means 1 MiB, the
	// Kinesis limit.
	MaxRecordBytes int
	// Concurrency bounds the contacts applied at the same time; 0 means 16.
	Concurrency int
	// Idempotency remembers applied records; nil relies on the handler's own
	// conditional writes alone.
	Idempotency Idempotency
	// RememberSkippedOnly keeps keys of skipped records only: for a handler
	// whose conditional writes make a redelivered record change nothing,
	// a key written for every applied record costs as much as the record's
	// own write, to save work only on redelivery, which is rare. Skipped
	// records are still remembered, so a redelivery neither logs nor
	// counts them twice.
	RememberSkippedOnly bool
	Metrics             Metrics
	Log                 *slog.Logger
	// DeadlineMargin: no record is started this close to the invocation's
	// deadline; the rest are failed for a retry instead of lost to a
	// timeout. 0 means 2 s.
	DeadlineMargin time.Duration
}

// Defaults.
const (
	DefaultMaxRecordBytes = 1 << 20
	DefaultConcurrency    = 16
	DefaultDeadlineMargin = 2 * time.Second
)

// Outcome is what happened to one record.
type Outcome int

// Outcomes.
const (
	Applied Outcome = iota + 1
	// Duplicate: applied before (in an earlier delivery or earlier in this
	// batch); nothing done.
	Duplicate
	// Skipped: can never be applied; logged and counted.
	Skipped
	// Failed: a transient error; reported for a retry.
	Failed
)

func (o Outcome) String() string {
	switch o {
	case Applied:
		return "applied"
	case Duplicate:
		return "duplicate"
	case Skipped:
		return "skipped"
	case Failed:
		return "failed"
	}
	return "pending"
}

// Report is the outcome of a batch, record by record in batch order.
type Report struct {
	Outcomes []Outcome
	// Reasons holds the skip reason of each skipped record.
	Reasons map[int]string
	// Applied, Duplicates, Skipped and Failed count the outcomes.
	Applied, Duplicates, Skipped, Failed int
}

// Processor applies batches with a Handler.
type Processor[T any] struct {
	h   Handler[T]
	cfg Config
}

// New returns a Processor over h.
func New[T any](h Handler[T], cfg Config) *Processor[T] {
	if cfg.MaxRecordBytes <= 0 {
		cfg.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.DeadlineMargin <= 0 {
		cfg.DeadlineMargin = DefaultDeadlineMargin
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Processor[T]{h: h, cfg: cfg}
}

// Handle is the Lambda handler of a Kinesis event source mapping with
// ReportBatchItemFailures: it answers the records to retry and never fails
// the whole batch for one record.
func (p *Processor[T]) Handle(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	recs := make([]Record, len(ev.Records))
	for i, r := range ev.Records {
		recs[i] = Record{
			EventID:        r.EventID,
			SequenceNumber: r.Kinesis.SequenceNumber,
			PartitionKey:   r.Kinesis.PartitionKey,
			ArrivedAt:      r.Kinesis.ApproximateArrivalTimestamp.UTC(),
			Source:         r.EventSourceArn,
			Data:           r.Kinesis.Data,
		}
	}
	rep := p.Process(ctx, recs)
	resp := events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{}}
	for i, o := range rep.Outcomes {
		if o == Failed {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: recs[i].SequenceNumber})
		}
	}
	return resp, nil
}

// slot is one record on its way through a batch.
type slot[T any] struct {
	rec    Record
	item   Item[T]
	key    string // idempotency key, namespaced
	reason string // skip reason, once known
	err    error
	out    Outcome
}

// Process applies a batch and reports what happened to each record.
func (p *Processor[T]) Process(ctx context.Context, recs []Record) Report {
	slots := make([]slot[T], len(recs))
	for i, r := range recs {
		s := &slots[i]
		s.rec = r
		if len(r.Data) > p.cfg.MaxRecordBytes {
			s.reason, s.err = ReasonOversized, Permanentf(ReasonOversized, "record of %d bytes is over the limit of %d", len(r.Data), p.cfg.MaxRecordBytes)
		} else if it, err := p.h.Decode(r); err != nil {
			s.reason, s.err = reasonOf(err), err
		} else if it.Key == "" || it.Group == "" {
			s.reason, s.err = ReasonMissingField, Permanentf(ReasonMissingField, "the record has no identity (key %q, group %q)", it.Key, it.Group)
		} else {
			s.item = it
		}
		if s.reason != "" {
			// A bad record has no identity of its own: its place in the
			// stream is one, so a redelivery is not logged and counted again.
			s.key = p.cfg.Name + "#at#" + r.EventID
			if r.EventID == "" {
				s.key = p.cfg.Name + "#at#" + r.Source + "#" + r.SequenceNumber
			}
		} else {
			s.key = p.cfg.Name + "#" + s.item.Key
		}
	}

	seen := p.seen(ctx, slots)
	var groups []string
	members := map[string][]int{}
	for i := range slots {
		s := &slots[i]
		switch {
		case seen[s.key]:
			s.out = Duplicate
		case s.reason != "":
			s.out = Skipped
			p.logSkip(ctx, s)
		default:
			g := s.item.Group
			if _, ok := members[g]; !ok {
				groups = append(groups, g)
			}
			members[g] = append(members[g], i)
		}
	}

	start := func() bool { return p.mayStart(ctx) }
	var g errgroup.Group
	g.SetLimit(p.cfg.Concurrency)
	for _, name := range groups {
		idx := members[name]
		g.Go(func() error {
			p.applyGroup(ctx, slots, idx, start)
			return nil
		})
	}
	_ = g.Wait()

	p.remember(ctx, slots)
	return p.report(ctx, slots)
}

// applyGroup applies one contact's records in order; after a transient
// failure the rest wait for the retry, which redelivers them anyway.
func (p *Processor[T]) applyGroup(ctx context.Context, slots []slot[T], idx []int, mayStart func() bool) {
	done := map[string]bool{}
	failed := false
	for _, i := range idx {
		s := &slots[i]
		switch {
		case failed:
			s.out = Failed
			continue
		case done[s.key]:
			s.out = Duplicate
			continue
		case !mayStart():
			s.out, s.err = Failed, errors.New("not started: the invocation is about to time out")
			failed = true
			continue
		}
		err := p.apply(ctx, s)
		if reason, ok := IsPermanent(err); ok {
			s.out, s.reason, s.err = Skipped, reason, err
			done[s.key] = true
			p.logSkip(ctx, s)
			continue
		}
		if err != nil {
			s.out, s.err = Failed, err
			failed = true
			p.cfg.Log.WarnContext(logging.WithContactID(ctx, s.item.Group), "stream record failed; it will be retried",
				"consumer", p.cfg.Name, "error", redact(err.Error()), "eventId", s.rec.EventID,
				"sequenceNumber", s.rec.SequenceNumber, "source", s.rec.Source)
			continue
		}
		s.out = Applied
		done[s.key] = true
	}
}

// apply runs the handler, turning a panic into a transient failure so one
// record cannot take the batch down.
func (p *Processor[T]) apply(ctx context.Context, s *slot[T]) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("panic while applying the record")
			p.cfg.Log.ErrorContext(ctx, "panic in stream handler", "consumer", p.cfg.Name, "panic", redact(stringOf(r)),
				"eventId", s.rec.EventID, "sequenceNumber", s.rec.SequenceNumber)
		}
	}()
	return p.h.Apply(logging.WithContactID(ctx, s.item.Group), s.rec, s.item)
}

func (p *Processor[T]) mayStart(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < p.cfg.DeadlineMargin {
		return false
	}
	return true
}

func (p *Processor[T]) seen(ctx context.Context, slots []slot[T]) map[string]bool {
	if p.cfg.Idempotency == nil {
		return nil
	}
	keys := make([]string, 0, len(slots))
	for i := range slots {
		keys = append(keys, slots[i].key)
	}
	seen, err := p.cfg.Idempotency.Seen(ctx, keys)
	if err != nil {
		// The handlers' own conditional writes still keep a redelivery
		// harmless; only the shortcut is lost.
		p.cfg.Log.WarnContext(ctx, "idempotency keys could not be read; applying the batch without them",
			"consumer", p.cfg.Name, "error", err.Error())
		return nil
	}
	return seen
}

func (p *Processor[T]) remember(ctx context.Context, slots []slot[T]) {
	if p.cfg.Idempotency == nil {
		return
	}
	var keys []string
	for i := range slots {
		switch slots[i].out {
		case Skipped:
			keys = append(keys, slots[i].key)
		case Applied:
			if !p.cfg.RememberSkippedOnly {
				keys = append(keys, slots[i].key)
			}
		}
	}
	if len(keys) == 0 {
		return
	}
	if err := p.cfg.Idempotency.Remember(context.WithoutCancel(ctx), keys); err != nil {
		p.cfg.Log.WarnContext(ctx, "idempotency keys could not be written; a redelivery will be deduplicated by the handlers' conditional writes",
			"consumer", p.cfg.Name, "keys", len(keys), "error", err.Error())
	}
}

func (p *Processor[T]) report(ctx context.Context, slots []slot[T]) Report {
	rep := Report{Outcomes: make([]Outcome, len(slots)), Reasons: map[int]string{}}
	byReason := map[string]int{}
	for i := range slots {
		s := &slots[i]
		rep.Outcomes[i] = s.out
		switch s.out {
		case Applied:
			rep.Applied++
		case Duplicate:
			rep.Duplicates++
		case Skipped:
			rep.Skipped++
			rep.Reasons[i] = s.reason
			byReason[s.reason]++
		default:
			rep.Outcomes[i] = Failed
			rep.Failed++
		}
	}
	if m := p.cfg.Metrics; m != nil {
		for reason, n := range byReason {
			m.RecordsSkipped(ctx, p.cfg.Name, reason, n)
		}
		if rep.Failed > 0 {
			m.RecordsFailed(ctx, p.cfg.Name, rep.Failed)
		}
	}
	p.cfg.Log.InfoContext(ctx, "stream batch", "consumer", p.cfg.Name, "records", len(slots),
		"applied", rep.Applied, "duplicates", rep.Duplicates, "skipped", rep.Skipped, "failed", rep.Failed)
	return rep
}

// logSkip logs a skipped record once, with what it takes to find it again
// in the stream (source, shard and sequence number) and its first bytes in
// base64 when they are not JSON, never its decoded content (contact records
// carry phone numbers).
func (p *Processor[T]) logSkip(ctx context.Context, s *slot[T]) {
	attrs := []any{"consumer", p.cfg.Name, "reason", s.reason, "problem", redact(errString(s.err)),
		"eventId", s.rec.EventID, "sequenceNumber", s.rec.SequenceNumber, "partitionKey", redact(s.rec.PartitionKey),
		"source", s.rec.Source, "bytes", len(s.rec.Data)}
	if s.reason == ReasonNotJSON && len(s.rec.Data) > 0 {
		attrs = append(attrs, "head", base64.StdEncoding.EncodeToString(s.rec.Data[:min(len(s.rec.Data), 16)]))
	}
	p.cfg.Log.WarnContext(ctx, "stream record skipped", attrs...)
}

func reasonOf(err error) string {
	if r, ok := IsPermanent(err); ok {
		return r
	}
	return ReasonInvalid
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func stringOf(v any) string {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	if s, ok := v.(string); ok {
		return s
	}
	return "non-error panic value"
}

// redact hides runs of seven or more digits (phone numbers that a decoding
// problem may quote) before a message is logged.
func redact(s string) string {
	var b strings.Builder
	run := 0
	flush := func(digits string) {
		if len(digits) >= 7 {
			b.WriteString("[digits]")
		} else {
			b.WriteString(digits)
		}
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if run == 0 {
				start = i
			}
			run++
			continue
		}
		if run > 0 {
			flush(s[start:i])
			run = 0
		}
		if i < len(s) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
