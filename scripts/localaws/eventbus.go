package localaws

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Rule sends matching events to a function, as an EventBridge rule with a
// Lambda target does.
type Rule struct {
	Name   string
	Source string
	// DetailTypes to match; empty matches every detail type of the source.
	DetailTypes []string
	Function    string
}

func (r Rule) matches(e events.CloudWatchEvent) bool {
	return r.Source == e.Source && (len(r.DetailTypes) == 0 || slices.Contains(r.DetailTypes, e.DetailType))
}

// Entry is one event put on the bus.
type Entry struct {
	Source     string
	DetailType string
	Detail     json.RawMessage
	Resources  []string
	Time       time.Time
}

// asyncRetries is how often Lambda retries a failed asynchronous invocation.
const asyncRetries = 2

// EventBus is the local event bus: events put on it reach the functions of
// matching rules asynchronously, retried like Lambda's asynchronous
// invocations, and land in the failure destination when retries run out.
type EventBus struct {
	Invoke   InvokeFunc
	ARN      func(function string) string
	Region   string
	Rules    []Rule
	Failures *Failures
	Log      *slog.Logger
	// RetryDelay is the pause before each retry (Lambda waits minutes; a
	// developer should not).
	RetryDelay time.Duration
	pending    sync.WaitGroup
}

// Put turns entries into EventBridge events, starts their delivery and
// returns their ids.
func (b *EventBus) Put(ctx context.Context, entries []Entry) []string {
	ids := make([]string, len(entries))
	for i, en := range entries {
		at := en.Time
		if at.IsZero() {
			at = time.Now()
		}
		ev := events.CloudWatchEvent{
			Version: "0", ID: NewRequestID(), DetailType: en.DetailType, Source: en.Source,
			AccountID: AccountID, Time: at.UTC().Truncate(time.Second), Region: b.Region,
			Resources: nonNilStrings(en.Resources), Detail: en.Detail,
		}
		ids[i] = ev.ID
		for _, r := range b.Rules {
			if r.matches(ev) {
				b.pending.Add(1)
				go func() {
					defer b.pending.Done()
					b.deliver(context.WithoutCancel(ctx), r, ev)
				}()
			}
		}
	}
	return ids
}

// Wait blocks until every event put so far has been delivered or recorded
// as failed.
func (b *EventBus) Wait() { b.pending.Wait() }

func (b *EventBus) deliver(ctx context.Context, r Rule, ev events.CloudWatchEvent) {
	payload, _ := json.Marshal(ev)
	var ferr *FunctionError
	attempts := 0
	for attempts <= asyncRetries {
		if attempts > 0 {
			time.Sleep(b.RetryDelay)
		}
		attempts++
		var err error
		_, ferr, err = b.Invoke(ctx, r.Function, payload, Invocation{})
		if err != nil {
			ferr = &FunctionError{Type: "ServiceException", Message: err.Error()}
		}
		if ferr == nil {
			return
		}
	}
	b.logger().Error("event delivery failed; recorded", "rule", r.Name, "function", r.Function, "event_id", ev.ID, "error", ferr.Message)
	if b.Failures == nil {
		return
	}
	record := map[string]any{
		"version":   "1.0",
		"timestamp": awsTime(time.Now()),
		"requestContext": FailureContext{
			RequestID: ev.ID, FunctionARN: b.ARN(r.Function), Condition: "RetriesExhausted", ApproximateInvokeCount: attempts,
		},
		"requestPayload":  json.RawMessage(payload),
		"responseContext": FailureResponse{StatusCode: 200, ExecutedVersion: "$LATEST", FunctionError: "Unhandled"},
		"responsePayload": ferr,
	}
	if err := b.Failures.Record(r.Function, record); err != nil {
		b.logger().Error("could not record a failed event", "function", r.Function, "error", err.Error())
	}
}

func (b *EventBus) logger() *slog.Logger {
	if b.Log == nil {
		return slog.Default()
	}
	return b.Log
}

// putEventsRequest is EventBridge's PutEvents request (JSON 1.1).
type putEventsRequest struct {
	Entries []struct {
		Source       string
		DetailType   string
		Detail       string
		Resources    []string
		Time         *float64
		EventBusName string
	}
}

type putEventsResultEntry struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// ServePutEvents answers EventBridge's PutEvents, so the AWS SDKs and CLI
// can put events on the local bus.
func (b *EventBus) ServePutEvents(w http.ResponseWriter, r *http.Request) {
	var req putEventsRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		writeJSON11Error(w, "ValidationException", "the request is not a PutEvents JSON document: "+err.Error())
		return
	}
	if n := len(req.Entries); n == 0 || n > 10 {
		writeJSON11Error(w, "ValidationException", fmt.Sprintf("Entries must hold 1 to 10 events, not %d", n))
		return
	}
	result := make([]putEventsResultEntry, len(req.Entries))
	failed := 0
	for i, e := range req.Entries {
		var detail map[string]any
		switch {
		case e.Source == "" || e.DetailType == "" || e.Detail == "":
			result[i] = putEventsResultEntry{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter(s) Source, DetailType and Detail must be specified."}
		case json.Unmarshal([]byte(e.Detail), &detail) != nil:
			result[i] = putEventsResultEntry{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."}
		default:
			en := Entry{Source: e.Source, DetailType: e.DetailType, Detail: json.RawMessage(e.Detail), Resources: e.Resources}
			if e.Time != nil {
				en.Time = time.UnixMilli(int64(*e.Time * 1000))
			}
			result[i] = putEventsResultEntry{EventID: b.Put(r.Context(), []Entry{en})[0]}
			continue
		}
		failed++
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{"Entries": result, "FailedEntryCount": failed})
}

func writeJSON11Error(w http.ResponseWriter, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
