package localaws

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// Health answers GET /healthz: 200 only when storage and streams both
// answer, else 503 naming the part that is down.
type Health struct {
	DynamoDB *dynamodb.Client
	Kinesis  *kinesis.Client
	// Table and Stream are the Conduit table and stream asked about.
	Table, Stream string
}

// HealthReport is the body of a health answer.
type HealthReport struct {
	Status   string `json:"status"`
	DynamoDB string `json:"dynamodb"`
	Kinesis  string `json:"kinesis"`
}

// Check asks both parts at once.
func (h *Health) Check(ctx context.Context) HealthReport {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var ddbErr, kinErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		_, ddbErr = h.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(h.Table)},
			func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	})
	wg.Go(func() {
		_, kinErr = h.Kinesis.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(h.Stream)},
			func(o *kinesis.Options) { o.RetryMaxAttempts = 1 })
	})
	wg.Wait()
	rep := HealthReport{Status: "ok", DynamoDB: "ok", Kinesis: "ok"}
	if ddbErr != nil {
		rep.Status, rep.DynamoDB = "down", "down: "+ddbErr.Error()
	}
	if kinErr != nil {
		rep.Status, rep.Kinesis = "down", "down: "+kinErr.Error()
	}
	return rep
}

func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep := h.Check(r.Context())
	status := http.StatusOK
	if rep.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(rep)
}
