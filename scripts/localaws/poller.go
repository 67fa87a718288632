package localaws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// StreamSource is an event source mapping from a Kinesis stream to a
// function: how it batches, retries and gives up.
type StreamSource struct {
	Function string
	// Stream is the stream's name (kinesalite takes names, not ARNs).
	Stream string
	// BatchSize is the most records per invocation (default 100).
	BatchSize int
	// BatchWindow is how long to gather records before invoking with a
	// batch that is not full; zero invokes as soon as records arrive.
	BatchWindow time.Duration
	// RetryAttempts bounds the retries of a failing batch; after them its
	// records go to the failure destination and reading moves past them.
	RetryAttempts int
	// BisectOnError splits a failing batch in two and retries each half,
	// so one poison record does not take good ones down with it.
	BisectOnError bool
	// ReportBatchItemFailures lets the function name the records that
	// failed (events.KinesisEventResponse); reading resumes at the lowest.
	ReportBatchItemFailures bool
	// StartingPosition applies to a shard without checkpoint (default TRIM_HORIZON).
	StartingPosition kintypes.ShardIteratorType
	// PollInterval is how often an idle shard is read (default 250ms).
	PollInterval time.Duration
	// RetryBackoff is the first pause before a retry; it doubles up to 5s
	// (default 100ms).
	RetryBackoff time.Duration
}

func (s StreamSource) withDefaults() StreamSource {
	if s.BatchSize <= 0 {
		s.BatchSize = 100
	}
	if s.StartingPosition == "" {
		s.StartingPosition = kintypes.ShardIteratorTypeTrimHorizon
	}
	if s.PollInterval <= 0 {
		s.PollInterval = 250 * time.Millisecond
	}
	if s.RetryBackoff <= 0 {
		s.RetryBackoff = 100 * time.Millisecond
	}
	return s
}

// Poller feeds one stream's records to one function with the semantics of
// Lambda's event source mapping: per shard, in order, one batch at a time;
// a failure holds the shard until the batch succeeds or its retries run out.
type Poller struct {
	Source      StreamSource
	Kinesis     *kinesis.Client
	Invoke      InvokeFunc
	FunctionARN string
	Region      string
	Checkpoints Checkpoints
	Failures    *Failures
	Log         *slog.Logger
}

// Run reads every shard of the stream until ctx ends. It waits for the
// stream to exist.
func (p *Poller) Run(ctx context.Context) error {
	p.Source = p.Source.withDefaults()
	if p.Log == nil {
		p.Log = slog.Default()
	}
	p.Log = p.Log.With("function", p.Source.Function, "stream", p.Source.Stream)
	if p.Checkpoints == nil {
		p.Checkpoints = &MemoryCheckpoints{}
	}
	streamARN, shards, err := p.discover(ctx)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(shards))
	for i, shard := range shards {
		r := &shardReader{p: p, src: p.Source, shard: shard, streamARN: streamARN,
			key: p.Source.Function + "/" + p.Source.Stream + "/" + shard}
		wg.Go(func() { errs[i] = r.run(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// discover waits for the stream and lists its open shards.
func (p *Poller) discover(ctx context.Context) (string, []string, error) {
	warned := false
	for {
		sum, err := p.Kinesis.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(p.Source.Stream)})
		if err == nil && sum.StreamDescriptionSummary.StreamStatus != kintypes.StreamStatusCreating {
			var shards []string
			var next *string
			for {
				in := &kinesis.ListShardsInput{NextToken: next}
				if next == nil {
					in.StreamName = aws.String(p.Source.Stream)
				}
				out, err := p.Kinesis.ListShards(ctx, in)
				if err != nil {
					return "", nil, fmt.Errorf("list the shards of %s: %w", p.Source.Stream, err)
				}
				for _, s := range out.Shards {
					if s.SequenceNumberRange == nil || s.SequenceNumberRange.EndingSequenceNumber == nil {
						shards = append(shards, aws.ToString(s.ShardId))
					}
				}
				if next = out.NextToken; next == nil {
					break
				}
			}
			return aws.ToString(sum.StreamDescriptionSummary.StreamARN), shards, nil
		}
		if err != nil && !warned {
			p.Log.Warn("waiting for the stream", "error", err.Error())
			warned = true
		}
		if err := sleep(ctx, time.Second); err != nil {
			return "", nil, err
		}
	}
}

type shardReader struct {
	p         *Poller
	src       StreamSource
	shard     string
	streamARN string
	key       string
	iter      *string
	// lastRead is the sequence number of the last record read, where a new
	// iterator starts when the old one expires.
	lastRead string
}

func (s *shardReader) run(ctx context.Context) error {
	cp, err := s.p.Checkpoints.Load(s.key)
	if err != nil {
		return fmt.Errorf("load the checkpoint of %s: %w", s.key, err)
	}
	s.lastRead = cp
	for {
		if err := s.renew(ctx); err == nil {
			break
		} else if ctx.Err() != nil {
			return ctx.Err()
		} else {
			s.p.Log.Warn("could not get a shard iterator; retrying", "shard", s.shard, "error", err.Error())
		}
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
	}
	var pending []kintypes.Record
	var windowStart time.Time
	for ctx.Err() == nil {
		got := 0
		if len(pending) < s.src.BatchSize && s.iter != nil {
			recs, err := s.read(ctx, s.src.BatchSize-len(pending))
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				s.p.Log.Warn("read failed; retrying", "shard", s.shard, "error", err.Error())
				_ = sleep(ctx, s.src.PollInterval)
				continue
			}
			if len(recs) > 0 && len(pending) == 0 {
				windowStart = time.Now()
			}
			pending = append(pending, recs...)
			got = len(recs)
		}
		due := len(pending) >= s.src.BatchSize ||
			len(pending) > 0 && (time.Since(windowStart) >= s.src.BatchWindow || s.iter == nil)
		if due {
			n := min(s.src.BatchSize, len(pending))
			if err := s.deliver(ctx, pending[:n]); err != nil {
				return err
			}
			pending = pending[n:]
			windowStart = time.Now()
			continue
		}
		if s.iter == nil && len(pending) == 0 {
			return nil // the shard is closed and drained
		}
		if got > 0 {
			continue // there may be more right away
		}
		wait := s.src.PollInterval
		if len(pending) > 0 {
			wait = min(wait, s.src.BatchWindow-time.Since(windowStart))
		}
		if err := sleep(ctx, wait); err != nil {
			break
		}
	}
	return ctx.Err()
}

func (s *shardReader) renew(ctx context.Context) error {
	in := &kinesis.GetShardIteratorInput{StreamName: aws.String(s.src.Stream), ShardId: aws.String(s.shard)}
	if s.lastRead != "" {
		in.ShardIteratorType = kintypes.ShardIteratorTypeAfterSequenceNumber
		in.StartingSequenceNumber = aws.String(s.lastRead)
	} else {
		in.ShardIteratorType = s.src.StartingPosition
	}
	out, err := s.p.Kinesis.GetShardIterator(ctx, in)
	if err != nil {
		return err
	}
	s.iter = out.ShardIterator
	return nil
}

func (s *shardReader) read(ctx context.Context, limit int) ([]kintypes.Record, error) {
	out, err := s.p.Kinesis.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: s.iter, Limit: aws.Int32(int32(limit))})
	var expired *kintypes.ExpiredIteratorException
	if errors.As(err, &expired) {
		if err := s.renew(ctx); err != nil {
			return nil, err
		}
		out, err = s.p.Kinesis.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: s.iter, Limit: aws.Int32(int32(limit))})
	}
	if err != nil {
		return nil, err
	}
	s.iter = out.NextShardIterator
	if n := len(out.Records); n > 0 {
		s.lastRead = aws.ToString(out.Records[n-1].SequenceNumber)
	}
	return out.Records, nil
}

// attempt is what came of one invocation with a batch.
type attempt struct {
	// done is how many leading records were handled for good.
	done int
	// functionError is set when the whole invocation failed.
	functionError bool
	err           *FunctionError
	requestID     string
}

// deliver hands a batch to the function until each of its records has
// been handled or, after the retries, sent to the failure destination. It
// returns early only when ctx ends, leaving the rest uncheckpointed.
func (s *shardReader) deliver(ctx context.Context, batch []kintypes.Record) error {
	queue := [][]kintypes.Record{batch}
	for len(queue) > 0 {
		part := queue[0]
		halves, err := s.deliverPart(ctx, part)
		if err != nil {
			return err
		}
		queue = append(halves, queue[1:]...)
	}
	return nil
}

// deliverPart invokes the function with b until b is handled, given up or
// bisected; a bisected b comes back as two halves to deliver in order.
func (s *shardReader) deliverPart(ctx context.Context, b []kintypes.Record) ([][]kintypes.Record, error) {
	// tries counts the invocations that failed on the record now at the
	// head: retries are bounded per record, so progress restarts the count.
	tries := 0
	for {
		if tries > 0 {
			backoff := min(s.src.RetryBackoff<<min(tries-1, 6), 5*time.Second)
			if err := sleep(ctx, backoff); err != nil {
				return nil, err
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res := s.invoke(ctx, b)
		tries++
		if res.done > 0 {
			s.checkpoint(b[res.done-1])
			b = b[res.done:]
			tries = 1
		}
		if len(b) == 0 {
			return nil, nil
		}
		if s.src.BisectOnError && len(b) > 1 && (res.functionError || tries > s.src.RetryAttempts) {
			half := len(b) / 2
			return [][]kintypes.Record{b[:half], b[half:]}, nil
		}
		if tries > s.src.RetryAttempts {
			s.giveUp(b, res, tries)
			s.checkpoint(b[len(b)-1])
			return nil, nil
		}
	}
}

func (s *shardReader) invoke(ctx context.Context, b []kintypes.Record) attempt {
	ev := events.KinesisEvent{Records: make([]events.KinesisEventRecord, len(b))}
	for i, r := range b {
		seq := aws.ToString(r.SequenceNumber)
		ev.Records[i] = events.KinesisEventRecord{
			AwsRegion:         s.p.Region,
			EventID:           s.shard + ":" + seq,
			EventName:         "aws:kinesis:record",
			EventSource:       "aws:kinesis",
			EventSourceArn:    s.streamARN,
			EventVersion:      "1.0",
			InvokeIdentityArn: fmt.Sprintf("arn:aws:iam::%s:role/conduit-local-%s", AccountID, s.src.Function),
			Kinesis: events.KinesisRecord{
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: aws.ToTime(r.ApproximateArrivalTimestamp)},
				Data:                        r.Data,
				PartitionKey:                aws.ToString(r.PartitionKey),
				SequenceNumber:              seq,
				KinesisSchemaVersion:        "1.0",
			},
		}
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return attempt{functionError: true, err: &FunctionError{Type: "InvalidEvent", Message: err.Error()}}
	}
	requestID := NewRequestID()
	out, ferr, err := s.p.Invoke(ctx, s.src.Function, payload, Invocation{RequestID: requestID})
	if err != nil {
		ferr = &FunctionError{Type: "ServiceException", Message: err.Error()}
	}
	if ferr != nil {
		return attempt{functionError: true, err: ferr, requestID: requestID}
	}
	if !s.src.ReportBatchItemFailures {
		return attempt{done: len(b), requestID: requestID}
	}
	return reportedFailures(b, out, requestID)
}

// reportedFailures reads a function's batch item failures as Lambda does:
// none (or a response of another shape) is success; an identifier that is
// empty or not in the batch fails the whole batch; otherwise the batch
// succeeded up to the lowest failed sequence number.
func reportedFailures(b []kintypes.Record, out []byte, requestID string) attempt {
	var resp events.KinesisEventResponse
	if json.Unmarshal(out, &resp) != nil || len(resp.BatchItemFailures) == 0 {
		return attempt{done: len(b), requestID: requestID}
	}
	index := make(map[string]int, len(b))
	for i, r := range b {
		index[aws.ToString(r.SequenceNumber)] = i
	}
	lowest := len(b)
	for _, f := range resp.BatchItemFailures {
		i, ok := index[f.ItemIdentifier]
		if !ok {
			return attempt{requestID: requestID, err: &FunctionError{
				Type:    "InvalidBatchItemFailure",
				Message: fmt.Sprintf("batchItemFailures names %q, which is not a sequence number of the batch; the whole batch counts as failed", f.ItemIdentifier),
			}}
		}
		lowest = min(lowest, i)
	}
	return attempt{done: lowest, requestID: requestID, err: &FunctionError{
		Type:    "BatchItemFailures",
		Message: fmt.Sprintf("the function reported %d failed records; the lowest is %s", len(resp.BatchItemFailures), aws.ToString(b[lowest].SequenceNumber)),
	}}
}

func (s *shardReader) checkpoint(r kintypes.Record) {
	if err := s.p.Checkpoints.Save(s.key, aws.ToString(r.SequenceNumber)); err != nil {
		s.p.Log.Error("could not save the checkpoint", "shard", s.shard, "error", err.Error())
	}
}

// KinesisBatchInfo says which records an on-failure record stands for.
type KinesisBatchInfo struct {
	ShardID                         string `json:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int    `json:"batchSize"`
	StreamARN                       string `json:"streamArn"`
}

// StreamFailure is the on-failure record of a stream batch, as Lambda
// sends it to an on-failure destination, plus the last error (a local
// addition: the cloud record does not carry it).
type StreamFailure struct {
	RequestContext   FailureContext   `json:"requestContext"`
	ResponseContext  FailureResponse  `json:"responseContext"`
	Version          string           `json:"version"`
	Timestamp        string           `json:"timestamp"`
	KinesisBatchInfo KinesisBatchInfo `json:"KinesisBatchInfo"`
	Error            *FunctionError   `json:"error,omitempty"`
}

func (s *shardReader) giveUp(b []kintypes.Record, res attempt, invocations int) {
	first, last := b[0], b[len(b)-1]
	rec := StreamFailure{
		RequestContext: FailureContext{
			RequestID: res.requestID, FunctionARN: s.p.FunctionARN,
			Condition: "RetryAttemptsExhausted", ApproximateInvokeCount: invocations,
		},
		ResponseContext: FailureResponse{StatusCode: 200, ExecutedVersion: "$LATEST"},
		Version:         "1.0",
		Timestamp:       awsTime(time.Now()),
		KinesisBatchInfo: KinesisBatchInfo{
			ShardID:                         s.shard,
			StartSequenceNumber:             aws.ToString(first.SequenceNumber),
			EndSequenceNumber:               aws.ToString(last.SequenceNumber),
			ApproximateArrivalOfFirstRecord: awsTime(aws.ToTime(first.ApproximateArrivalTimestamp)),
			ApproximateArrivalOfLastRecord:  awsTime(aws.ToTime(last.ApproximateArrivalTimestamp)),
			BatchSize:                       len(b),
			StreamARN:                       s.streamARN,
		},
		Error: res.err,
	}
	if res.functionError {
		rec.ResponseContext.FunctionError = "Unhandled"
	}
	s.p.Log.Error("records skipped after their retries; sent to the failure destination",
		"shard", s.shard, "from", rec.KinesisBatchInfo.StartSequenceNumber, "to", rec.KinesisBatchInfo.EndSequenceNumber,
		"records", len(b), "invocations", invocations)
	if s.p.Failures == nil {
		return
	}
	if err := s.p.Failures.Record(s.src.Function, rec); err != nil {
		s.p.Log.Error("could not record the failure", "error", err.Error())
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
