package stream

import (
	"context"

	"github.com/conduit-cx/conduit/shared/metrics"
)

// DimConsumer is the dimension naming the consumer of a stream metric.
const DimConsumer = "Consumer"

// EMF counts skipped and failed records as CloudWatch metrics
// (StreamRecordsSkipped by Reason, StreamRecordsFailed) on an EMF writer,
// flushed at once so a batch's counts are never lost with a frozen
// instance.
func EMF(w *metrics.Writer) Metrics { return emf{w} }

type emf struct{ w *metrics.Writer }

func (m emf) RecordsSkipped(_ context.Context, consumer, reason string, n int) {
	m.w.Count(metrics.StreamRecordsSkipped, float64(n), metrics.Dim(DimConsumer, consumer), metrics.Dim(metrics.DimReason, reason))
	_ = m.w.Flush()
}

func (m emf) RecordsFailed(_ context.Context, consumer string, n int) {
	m.w.Count(metrics.StreamRecordsFailed, float64(n), metrics.Dim(DimConsumer, consumer))
	_ = m.w.Flush()
}
