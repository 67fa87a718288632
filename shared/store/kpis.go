package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
	"github.com/guregu/dynamo/v2/dynamodbiface"
	"golang.org/x/sync/errgroup"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/kpi"
	"github.com/conduit-cx/conduit/shared/rollup"
)

// Items of the kpis table (partition key "series", sort key "bucket"):
//
//	aggregate   series <grain>#<dimension>#<value> (kpi.Key.Series), bucket
//	            kpi.BucketKey; "agg" the kpi.Aggregate as JSON, "hash" its hash
//	directory   series keys#<grain>#<dimension>, bucket as above; "keys" maps
//	            "=<value>" of every key with contacts in the bucket to the
//	            hash of its aggregate; "version" for optimistic locking
//	benchmark   series "benchmark", bucket the metric name; target, warning,
//	            version, updatedAt, updatedBy
//
// The directory lets a reader list a dimension's keys (every queue, every
// agent) without a scan, and lets the rollup write only what changed. The
// rollup's watermark is the state item "rollup#watermark".
const (
	attrSeries      = "series"
	attrBucket      = "bucket"
	attrAggregate   = "agg"
	attrHash        = "hash"
	attrKeys        = "keys"
	attrKPIVersion  = "version"
	directoryPrefix = "keys#"
	benchmarkSeries = "benchmark"
	watermarkPK     = "rollup#watermark"
	attrAsOf        = "asOf"
	// keyMark prefixes directory map keys: the total's value is empty, and
	// map keys may not be.
	keyMark = "="
)

// DefaultReadSlice is the span of initiation times one query of a day
// reads; a day's slices are read in parallel.
const DefaultReadSlice = 3 * time.Hour

// DefaultPageSize caps the contacts one Query page returns: a full 1 MB
// page of contacts can take DynamoDB Local longer than the client's
// request timeout on a busy machine; the read capacity used is the same.
const DefaultPageSize = 250

// KPIs is the storage of the rollup and of the KPI API: the aggregates of
// every bucket, their directories and the metric benchmarks in the kpis
// table, the rollup's watermark in the state table, and the contacts of a
// day read through the contacts table's byDay index.
type KPIs struct {
	db     dynamodbiface.DynamoDBAPI
	tables Tables
	// Concurrency bounds the requests one call has in flight.
	Concurrency int
	// ReadSlice is the span of initiation times one query of contacts
	// covers (DefaultReadSlice when zero).
	ReadSlice time.Duration
	// PageSize caps the contacts one Query page returns (DefaultPageSize
	// when zero; negative: DynamoDB's own 1 MB pages).
	PageSize int32
}

// NewKPIs returns the KPI store of a stage.
func NewKPIs(db *dynamo.DB, tables Tables) *KPIs {
	return &KPIs{db: db.Client(), tables: tables, Concurrency: 4}
}

var (
	_ rollup.ContactSource  = (*KPIs)(nil)
	_ rollup.BucketStore    = (*KPIs)(nil)
	_ rollup.WatermarkStore = (*KPIs)(nil)
	_ rollup.Reader         = (*KPIs)(nil)
)

func (s *KPIs) concurrency() int { return max(1, s.Concurrency) }

// contactAttributes are what the rollup reads of a contact item (not the
// lens or the event timeline, which can be large).
var contactAttributes = []string{
	contacts.AttrContactID, contacts.AttrProfileID, contacts.AttrDay, contacts.AttrInitiatedAt,
	contacts.AttrAgentUsername, contacts.AttrChannel, contacts.AttrQueue, contacts.AttrFacts,
	contacts.AttrDecision, contacts.AttrOutcome, contacts.AttrRepeatWithin7d, contacts.AttrSurvey,
}

// ContactsInitiated calls each, from one goroutine at a time, for every
// contact item whose initiatedAt is in [from, to), found through the byDay
// index (eventually consistent, as every index read is). The item carries
// its facts, decision, outcome, survey and repeat mark, not its lens or
// events.
func (s *KPIs) ContactsInitiated(ctx context.Context, from, to time.Time, each func(contacts.Contact)) error {
	from, to = from.UTC(), to.UTC()
	span := s.ReadSlice
	if span <= 0 {
		span = DefaultReadSlice
	}
	type slice struct{ day, lo, hi string }
	var parts []slice
	for d := kpi.GrainDay.Start(from); d.Before(to); d = d.Add(24 * time.Hour) {
		end := earliest(d.Add(24*time.Hour), to)
		for x := latest(d, from); x.Before(end); x = x.Add(span) {
			y := earliest(x.Add(span), end)
			// BETWEEN is inclusive; times are kept to the millisecond.
			parts = append(parts, slice{contacts.Day(d), contacts.FormatTime(x), contacts.FormatTime(y.Add(-time.Millisecond))})
		}
	}
	names := map[string]string{}
	proj := make([]string, len(contactAttributes))
	for i, a := range contactAttributes {
		names["#"+a] = a
		proj[i] = "#" + a
	}
	var limit *int32
	switch {
	case s.PageSize == 0:
		limit = aws.Int32(DefaultPageSize)
	case s.PageSize > 0:
		limit = aws.Int32(s.PageSize)
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.concurrency())
	for _, p := range parts {
		g.Go(func() error {
			var start map[string]types.AttributeValue
			for {
				out, err := s.db.Query(gctx, &dynamodb.QueryInput{
					TableName:                aws.String(s.tables.Contacts),
					IndexName:                aws.String(IndexContactsByDay),
					KeyConditionExpression:   aws.String("#day = :day AND #initiatedAt BETWEEN :lo AND :hi"),
					ProjectionExpression:     aws.String(strings.Join(proj, ", ")),
					ExpressionAttributeNames: names,
					ExpressionAttributeValues: map[string]types.AttributeValue{
						":day": str(p.day), ":lo": str(p.lo), ":hi": str(p.hi),
					},
					ExclusiveStartKey: start,
					Limit:             limit,
				})
				if err != nil {
					return fmt.Errorf("read contacts of %s: %w", p.day, err)
				}
				batch := make([]contacts.Contact, len(out.Items))
				for i, item := range out.Items {
					if err := dynamo.UnmarshalItem(item, &batch[i]); err != nil {
						return fmt.Errorf("decode contact: %w", err)
					}
				}
				mu.Lock()
				for _, c := range batch {
					each(c)
				}
				mu.Unlock()
				if len(out.LastEvaluatedKey) == 0 {
					return nil
				}
				start = out.LastEvaluatedKey
			}
		})
	}
	return g.Wait()
}

// directoryChange is one bucket's directory of one dimension, before and
// after.
type directoryChange struct {
	grain   kpi.Grain
	start   time.Time
	dim     kpi.Dimension
	next    map[string]storedAggregate // by key value
	prev    map[string]string          // hash by key value
	version int64
	exists  bool
}

type storedAggregate struct {
	json string
	hash string
}

func (c *directoryChange) key() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrSeries: str(directorySeries(c.grain, c.dim)),
		attrBucket: str(kpi.BucketKey(c.start)),
	}
}

func directorySeries(g kpi.Grain, d kpi.Dimension) string {
	return directoryPrefix + string(g) + "#" + string(d)
}

func aggregateKey(g kpi.Grain, start time.Time, d kpi.Dimension, value string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrSeries: str(kpi.Key{Dimension: d, Value: value}.Series(g)),
		attrBucket: str(kpi.BucketKey(start)),
	}
}

// ReplaceBuckets makes each bucket's stored aggregates exactly the given
// ones: aggregates whose hash changed (or that are new) are written, keys
// no longer in the bucket are deleted, unchanged ones are left alone. The
// directory of each bucket and dimension is written last, conditional on
// the version it was read at, so two runs racing on one bucket cannot
// leave it listing what is not stored; the loser gets apperr.ErrConflict
// (the next run recomputes the bucket).
func (s *KPIs) ReplaceBuckets(ctx context.Context, buckets []rollup.BucketAggregates) (rollup.WriteStats, error) {
	var stats rollup.WriteStats
	var changes []*directoryChange
	for _, b := range buckets {
		stats.Buckets++
		byDim := map[kpi.Dimension]*directoryChange{}
		for _, d := range kpi.Dimensions {
			c := &directoryChange{grain: b.Grain, start: b.Start.UTC(), dim: d, next: map[string]storedAggregate{}}
			byDim[d] = c
			changes = append(changes, c)
		}
		for k, a := range b.Aggregates {
			c := byDim[k.Dimension]
			if c == nil {
				return stats, fmt.Errorf("bucket %s %s: unknown dimension %q", b.Grain, kpi.BucketKey(b.Start), k.Dimension)
			}
			raw, err := json.Marshal(a)
			if err != nil {
				return stats, fmt.Errorf("encode aggregate: %w", err)
			}
			h := fnv.New64a()
			_, _ = h.Write(raw)
			c.next[k.Value] = storedAggregate{json: string(raw), hash: strconv.FormatUint(h.Sum64(), 16)}
		}
	}
	if err := s.readDirectories(ctx, changes); err != nil {
		return stats, err
	}

	var writes []types.WriteRequest
	var dirty []*directoryChange
	for _, c := range changes {
		changed := false
		for _, v := range slices.Sorted(maps.Keys(c.next)) {
			n := c.next[v]
			if c.prev[v] == n.hash {
				stats.Unchanged++
				continue
			}
			item := aggregateKey(c.grain, c.start, c.dim, v)
			item[attrAggregate], item[attrHash] = str(n.json), str(n.hash)
			writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
			stats.Written++
			changed = true
		}
		for _, v := range slices.Sorted(maps.Keys(c.prev)) {
			if _, ok := c.next[v]; !ok {
				writes = append(writes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: aggregateKey(c.grain, c.start, c.dim, v)}})
				stats.Deleted++
				changed = true
			}
		}
		if changed {
			dirty = append(dirty, c)
		}
	}
	if err := s.writeAll(ctx, s.tables.KPIs, writes); err != nil {
		return stats, fmt.Errorf("write KPI items: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.concurrency())
	for _, c := range dirty {
		g.Go(func() error { return s.writeDirectory(gctx, c) })
	}
	return stats, g.Wait()
}

// readDirectories fills prev and version of each change.
func (s *KPIs) readDirectories(ctx context.Context, changes []*directoryChange) error {
	byKey := map[string]*directoryChange{}
	var keys []map[string]types.AttributeValue
	for _, c := range changes {
		byKey[directorySeries(c.grain, c.dim)+"|"+kpi.BucketKey(c.start)] = c
		keys = append(keys, c.key())
	}
	var mu sync.Mutex
	return s.batchGet(ctx, keys, true, func(item map[string]types.AttributeValue) error {
		series, bucket := stringAttr(item, attrSeries), stringAttr(item, attrBucket)
		mu.Lock()
		defer mu.Unlock()
		c := byKey[series+"|"+bucket]
		if c == nil {
			return nil
		}
		c.exists = true
		c.version = numberAttr(item, attrKPIVersion)
		c.prev = map[string]string{}
		if m, ok := item[attrKeys].(*types.AttributeValueMemberM); ok {
			for k, v := range m.Value {
				if sv, ok := v.(*types.AttributeValueMemberS); ok && strings.HasPrefix(k, keyMark) {
					c.prev[strings.TrimPrefix(k, keyMark)] = sv.Value
				}
			}
		}
		return nil
	})
}

// writeDirectory stores a bucket's new directory (or deletes it when the
// bucket is now empty), if it is still at the version read.
func (s *KPIs) writeDirectory(ctx context.Context, c *directoryChange) error {
	cond := "attribute_not_exists(#series)"
	values := map[string]types.AttributeValue{}
	names := map[string]string{"#series": attrSeries}
	if c.exists {
		cond = "#version = :version"
		names = map[string]string{"#version": attrKPIVersion}
		values[":version"] = num(c.version)
	}
	var err error
	if len(c.next) == 0 {
		if !c.exists {
			return nil
		}
		_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(s.tables.KPIs), Key: c.key(), ConditionExpression: aws.String(cond),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		})
	} else {
		keys := make(map[string]types.AttributeValue, len(c.next))
		for v, n := range c.next {
			keys[keyMark+v] = str(n.hash)
		}
		item := c.key()
		item[attrKeys] = &types.AttributeValueMemberM{Value: keys}
		item[attrKPIVersion] = num(c.version + 1)
		if len(values) == 0 {
			values = nil
		}
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(s.tables.KPIs), Item: item, ConditionExpression: aws.String(cond),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		})
	}
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return fmt.Errorf("KPI bucket %s %s by %s was rewritten meanwhile: %w", c.grain, kpi.BucketKey(c.start), c.dim, apperr.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("write KPI directory: %w", err)
	}
	return nil
}

// Series reads one key's stored buckets overlapping [from, to), oldest
// first.
func (s *KPIs) Series(ctx context.Context, g kpi.Grain, k kpi.Key, from, to time.Time) ([]rollup.Bucket, error) {
	lo, hi, ok := bucketRange(g, from, to)
	if !ok {
		return nil, nil
	}
	var out []rollup.Bucket
	err := s.queryRange(ctx, k.Series(g), lo, hi, func(item map[string]types.AttributeValue) error {
		b, err := decodeBucket(item)
		if err == nil {
			out = append(out, b)
		}
		return err
	})
	return out, err
}

// Dimension reads the stored buckets of every key of a dimension
// overlapping [from, to) that match (nil: all), through the buckets'
// directories. More than limit buckets (limit > 0) is refused with a
// problem naming the limit.
func (s *KPIs) Dimension(ctx context.Context, g kpi.Grain, d kpi.Dimension, from, to time.Time, match func(kpi.Key) bool, limit int) ([]rollup.Bucket, error) {
	lo, hi, ok := bucketRange(g, from, to)
	if !ok {
		return nil, nil
	}
	var keys []map[string]types.AttributeValue
	err := s.queryRange(ctx, directorySeries(g, d), lo, hi, func(item map[string]types.AttributeValue) error {
		start, err := kpi.ParseBucketKey(stringAttr(item, attrBucket))
		if err != nil {
			return err
		}
		m, _ := item[attrKeys].(*types.AttributeValueMemberM)
		if m == nil {
			return nil
		}
		for _, name := range slices.Sorted(maps.Keys(m.Value)) {
			v := strings.TrimPrefix(name, keyMark)
			if match != nil && !match(kpi.Key{Dimension: d, Value: v}) {
				continue
			}
			keys = append(keys, aggregateKey(g, start, d, v))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if limit > 0 && len(keys) > limit {
		return nil, apperr.Invalid("by", "by=%s with grain %s from %s to %s holds %d points, more than the limit of %d in one answer; "+
			"narrow the range, use a larger grain or filter by %s", d, g, lo, hi, len(keys), limit, strings.Join(d.Parts(), " or "))
	}
	var mu sync.Mutex
	var out []rollup.Bucket
	err = s.batchGet(ctx, keys, false, func(item map[string]types.AttributeValue) error {
		b, err := decodeBucket(item)
		if err != nil {
			return err
		}
		mu.Lock()
		out = append(out, b)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b rollup.Bucket) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Key.Value, b.Key.Value)
	})
	return out, nil
}

// bucketRange is the sort-key range of the buckets overlapping [from, to).
func bucketRange(g kpi.Grain, from, to time.Time) (lo, hi string, ok bool) {
	if !g.Valid() || !from.Before(to) {
		return "", "", false
	}
	// Bucket starts are whole seconds: start < to ⇔ start ≤ to − 1 s.
	last := to.Add(-time.Second)
	if ns := to.Nanosecond(); ns != 0 {
		last = to.Truncate(time.Second)
	}
	return kpi.BucketKey(g.Start(from)), kpi.BucketKey(last), true
}

func decodeBucket(item map[string]types.AttributeValue) (rollup.Bucket, error) {
	g, k, err := kpi.ParseSeries(stringAttr(item, attrSeries))
	if err != nil {
		return rollup.Bucket{}, err
	}
	start, err := kpi.ParseBucketKey(stringAttr(item, attrBucket))
	if err != nil {
		return rollup.Bucket{}, err
	}
	b := rollup.Bucket{Grain: g, Start: start, Key: k}
	if err := json.Unmarshal([]byte(stringAttr(item, attrAggregate)), &b.Aggregate); err != nil {
		return rollup.Bucket{}, fmt.Errorf("decode aggregate of %s %s: %w", stringAttr(item, attrSeries), kpi.BucketKey(start), err)
	}
	return b, nil
}

func (s *KPIs) queryRange(ctx context.Context, series, lo, hi string, each func(map[string]types.AttributeValue) error) error {
	var start map[string]types.AttributeValue
	for {
		out, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                aws.String(s.tables.KPIs),
			KeyConditionExpression:   aws.String("#s = :s AND #b BETWEEN :lo AND :hi"),
			ExpressionAttributeNames: map[string]string{"#s": attrSeries, "#b": attrBucket},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":s": str(series), ":lo": str(lo), ":hi": str(hi),
			},
			ExclusiveStartKey: start,
		})
		if err != nil {
			return fmt.Errorf("read KPI series %s: %w", series, err)
		}
		for _, item := range out.Items {
			if err := each(item); err != nil {
				return err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		start = out.LastEvaluatedKey
	}
}

// batchGet reads items of the kpis table by key, 100 per request, a few
// requests at a time; each may be called concurrently.
func (s *KPIs) batchGet(ctx context.Context, keys []map[string]types.AttributeValue, consistent bool, each func(map[string]types.AttributeValue) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.concurrency())
	for start := 0; start < len(keys); start += batchGetLimit {
		chunk := keys[start:min(start+batchGetLimit, len(keys))]
		g.Go(func() error {
			req := map[string]types.KeysAndAttributes{s.tables.KPIs: {Keys: chunk, ConsistentRead: aws.Bool(consistent)}}
			for attempt := 0; len(req) > 0; attempt++ {
				if attempt >= unprocessedAttempts {
					return errors.New("read KPI items: keys left unprocessed after retries")
				}
				if attempt > 0 {
					if err := pause(gctx, attempt); err != nil {
						return err
					}
				}
				out, err := s.db.BatchGetItem(gctx, &dynamodb.BatchGetItemInput{RequestItems: req})
				if err != nil {
					return fmt.Errorf("read KPI items: %w", err)
				}
				for _, item := range out.Responses[s.tables.KPIs] {
					if err := each(item); err != nil {
						return err
					}
				}
				req = out.UnprocessedKeys
			}
			return nil
		})
	}
	return g.Wait()
}

// writeAll runs write requests 25 per BatchWriteItem, a few at a time,
// retrying unprocessed items.
func (s *KPIs) writeAll(ctx context.Context, table string, reqs []types.WriteRequest) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.concurrency())
	for start := 0; start < len(reqs); start += batchWriteLimit {
		chunk := reqs[start:min(start+batchWriteLimit, len(reqs))]
		g.Go(func() error {
			pending := map[string][]types.WriteRequest{table: chunk}
			for attempt := 0; len(pending) > 0; attempt++ {
				if attempt >= unprocessedAttempts {
					return fmt.Errorf("still unprocessed after %d rounds", attempt)
				}
				if attempt > 0 {
					if err := pause(gctx, attempt); err != nil {
						return err
					}
				}
				out, err := s.db.BatchWriteItem(gctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
				if err != nil {
					return err
				}
				pending = out.UnprocessedItems
			}
			return nil
		})
	}
	return g.Wait()
}

// Benchmarks reads every administrator's benchmark, by metric name.
func (s *KPIs) Benchmarks(ctx context.Context) (map[string]rollup.BenchmarkSetting, error) {
	out := map[string]rollup.BenchmarkSetting{}
	err := s.queryRange(ctx, benchmarkSeries, "\x00", "\U0010FFFF", func(item map[string]types.AttributeValue) error {
		b, err := decodeBenchmark(item)
		if err == nil {
			out[b.Metric] = b
		}
		return err
	})
	return out, err
}

// PutBenchmark sets a metric's benchmark if the stored one is at version
// (0: the metric still has its default benchmark); apperr.ErrConflict
// names the stored version otherwise. The new setting has version + 1.
func (s *KPIs) PutBenchmark(ctx context.Context, metric string, b kpi.Benchmark, version int, by string, at time.Time) (rollup.BenchmarkSetting, error) {
	set := rollup.BenchmarkSetting{Metric: metric, Benchmark: b, Version: version + 1, UpdatedAt: at.UTC(), UpdatedBy: by}
	item := map[string]types.AttributeValue{
		attrSeries:     str(benchmarkSeries),
		attrBucket:     str(metric),
		"target":       avF(b.Target),
		"warning":      avF(b.Warning),
		attrKPIVersion: num(int64(set.Version)),
		"updatedAt":    str(set.UpdatedAt.Format(time.RFC3339Nano)),
		"updatedBy":    str(by),
	}
	in := &dynamodb.PutItemInput{
		TableName: aws.String(s.tables.KPIs), Item: item,
		ConditionExpression:                 aws.String("attribute_not_exists(#s)"),
		ExpressionAttributeNames:            map[string]string{"#s": attrSeries},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if version > 0 {
		in.ConditionExpression = aws.String("#v = :v")
		in.ExpressionAttributeNames = map[string]string{"#v": attrKPIVersion}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": num(int64(version))}
	}
	_, err := s.db.PutItem(ctx, in)
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		have := 0
		if failed.Item != nil {
			have = int(numberAttr(failed.Item, attrKPIVersion))
		}
		return rollup.BenchmarkSetting{}, fmt.Errorf("the benchmark of %s is at version %d, not %d; read it again: %w", metric, have, version, apperr.ErrConflict)
	}
	if err != nil {
		return rollup.BenchmarkSetting{}, fmt.Errorf("write benchmark of %s: %w", metric, err)
	}
	return set, nil
}

func decodeBenchmark(item map[string]types.AttributeValue) (rollup.BenchmarkSetting, error) {
	b := rollup.BenchmarkSetting{
		Metric:    stringAttr(item, attrBucket),
		Version:   int(numberAttr(item, attrKPIVersion)),
		UpdatedBy: stringAttr(item, "updatedBy"),
	}
	var err error
	if b.Benchmark.Target, err = floatAttr(item, "target"); err != nil {
		return b, err
	}
	if b.Benchmark.Warning, err = floatAttr(item, "warning"); err != nil {
		return b, err
	}
	if t := stringAttr(item, "updatedAt"); t != "" {
		b.UpdatedAt, _ = time.Parse(time.RFC3339Nano, t)
	}
	return b, nil
}

// Watermark reads how far the last complete scheduled rollup got.
func (s *KPIs) Watermark(ctx context.Context) (time.Time, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.tables.State),
		Key:            map[string]types.AttributeValue{StateTable.PartitionKey.Name: str(watermarkPK)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read rollup watermark: %w", err)
	}
	raw := stringAttr(out.Item, attrAsOf)
	if raw == "" {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("rollup watermark %q: %w", raw, err)
	}
	return t.UTC(), true, nil
}

// AdvanceWatermark moves the watermark to t unless it is already there or
// later (times kept to the millisecond).
func (s *KPIs) AdvanceWatermark(ctx context.Context, t time.Time) error {
	v := contacts.FormatTime(t)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.tables.State),
		Key:                       map[string]types.AttributeValue{StateTable.PartitionKey.Name: str(watermarkPK)},
		UpdateExpression:          aws.String("SET #a = :t"),
		ConditionExpression:       aws.String("attribute_not_exists(#a) OR #a < :t"),
		ExpressionAttributeNames:  map[string]string{"#a": attrAsOf},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": str(v)},
	})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return fmt.Errorf("advance rollup watermark: %w", err)
	}
	return nil
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func stringAttr(item map[string]types.AttributeValue, name string) string {
	v, _ := item[name].(*types.AttributeValueMemberS)
	if v == nil {
		return ""
	}
	return v.Value
}

func floatAttr(item map[string]types.AttributeValue, name string) (float64, error) {
	v, _ := item[name].(*types.AttributeValueMemberN)
	if v == nil {
		return 0, fmt.Errorf("attribute %s missing", name)
	}
	return strconv.ParseFloat(v.Value, 64)
}

func avF(x float64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatFloat(x, 'g', -1, 64)}
}
