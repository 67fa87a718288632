package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/conduit-cx/conduit/scripts/localconnect"
	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/store"
)

// Target is where the simulator sends a contact's traffic: the running
// local stack (Stack), or a recorder in tests.
type Target interface {
	// Invoke calls a function through the Lambda Invoke API and returns its
	// response; a function error is an error.
	Invoke(ctx context.Context, function string, payload any) (json.RawMessage, error)
	// PutContactEvents puts contact events on the event bus.
	PutContactEvents(ctx context.Context, events ...connect.ContactEvent) error
	// PutLens puts Contact Lens events into the Contact Lens stream.
	PutLens(ctx context.Context, events ...connect.LensEvent) error
	// PutRecords puts contact records into the contact-records stream.
	PutRecords(ctx context.Context, records ...connect.ContactRecord) error
	// SetQueue sets a queue's current metrics on the local Connect
	// endpoint; ClearQueue hands the queue back to the contact-event
	// counters.
	SetQueue(ctx context.Context, name string, s localconnect.Setting) error
	ClearQueue(ctx context.Context, name string) error
}

// KinesisPutter is the part of the Kinesis client the stack uses.
type KinesisPutter interface {
	PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, opts ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

// Stack is the running local stack of scripts/dev, reached over loopback:
// the API (for health and reading contacts back), the local AWS endpoint
// (Lambda Invoke API, EventBridge PutEvents, the Amazon Connect instance)
// and kinesalite.
type Stack struct {
	// API and AWS are base URLs, such as http://127.0.0.1:8080.
	API, AWS string
	Kinesis  KinesisPutter
	Streams  store.Streams
	HTTP     *http.Client
	// Token is a bearer token with the analyst scope, for reading contacts
	// back; empty skips those reads.
	Token string
}

var _ Target = (*Stack)(nil)

// Loopback checks that a base URL points at this machine: the simulator
// only ever drives a local stack.
func Loopback(flag, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("--%s %q: want a URL such as http://127.0.0.1:8080", flag, raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--%s %q: the simulator drives only a local stack (127.0.0.1, ::1 or localhost)", flag, raw)
}

func (s *Stack) client() *http.Client {
	if s.HTTP != nil {
		return s.HTTP
	}
	return http.DefaultClient
}

// Health asks the runner's GET /healthz; nil means DynamoDB Local and
// kinesalite both answer.
func (s *Stack) Health(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.API+"/healthz", nil)
	resp, err := s.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /healthz answered %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// FunctionError is a function's failure, as the Invoke API reports it.
type FunctionError struct {
	Function string
	Type     string `json:"errorType"`
	Message  string `json:"errorMessage"`
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("function %s failed: %s: %s", e.Function, e.Type, e.Message)
}

// Invoke calls POST /2015-03-31/functions/{name}/invocations.
func (s *Stack) Invoke(ctx context.Context, function string, payload any) (json.RawMessage, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost,
		s.AWS+"/2015-03-31/functions/"+url.PathEscape(function)+"/invocations", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, awsError("invoke "+function, resp, out)
	}
	if resp.Header.Get("X-Amz-Function-Error") != "" {
		fe := &FunctionError{Function: function}
		if json.Unmarshal(out, fe) != nil || fe.Type == "" {
			fe.Type, fe.Message = "Unhandled", string(out)
		}
		return nil, fe
	}
	return out, nil
}

func awsError(what string, resp *http.Response, body []byte) error {
	var e struct{ Message, Type string }
	_ = json.Unmarshal(body, &e)
	msg := e.Message
	if msg == "" {
		msg = strings.TrimSpace(string(body))
	}
	code := resp.Header.Get("X-Amzn-Errortype")
	if code == "" {
		code = resp.Status
	}
	return fmt.Errorf("%s: %s: %s", what, code, msg)
}

// putEventsEntry is one entry of EventBridge's PutEvents request.
type putEventsEntry struct {
	Source     string
	DetailType string
	Detail     string
	Resources  []string
	Time       float64
}

// PutContactEvents puts events on the local event bus with EventBridge's
// PutEvents, ten at a time; the bus gives each its own id, as EventBridge
// does.
func (s *Stack) PutContactEvents(ctx context.Context, events ...connect.ContactEvent) error {
	for len(events) > 0 {
		n := min(len(events), 10)
		entries := make([]putEventsEntry, n)
		for i, e := range events[:n] {
			detail, err := json.Marshal(e.Detail)
			if err != nil {
				return err
			}
			entries[i] = putEventsEntry{
				Source: e.Source, DetailType: e.DetailType, Detail: string(detail), Resources: e.Resources,
				Time: float64(e.Time.UnixMilli()) / 1000,
			}
		}
		if err := s.putEvents(ctx, entries); err != nil {
			return err
		}
		events = events[n:]
	}
	return nil
}

func (s *Stack) putEvents(ctx context.Context, entries []putEventsEntry) error {
	body, _ := json.Marshal(map[string]any{"Entries": entries})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.AWS+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSEvents.PutEvents")
	resp, err := s.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if json.Unmarshal(out, &e) == nil && e.Type != "" {
			return fmt.Errorf("PutEvents: %s: %s", e.Type, e.Message)
		}
		return fmt.Errorf("PutEvents: %s: %s (is the event bus served at %s?)", resp.Status, strings.TrimSpace(string(out)), s.AWS)
	}
	var result struct {
		FailedEntryCount int
		Entries          []struct{ EventID, ErrorCode, ErrorMessage string }
	}
	if err := json.Unmarshal(out, &result); err != nil {
		return fmt.Errorf("PutEvents: unreadable answer: %w", err)
	}
	if result.FailedEntryCount > 0 {
		for _, e := range result.Entries {
			if e.ErrorCode != "" {
				return fmt.Errorf("PutEvents: %d of %d events refused: %s: %s", result.FailedEntryCount, len(entries), e.ErrorCode, e.ErrorMessage)
			}
		}
	}
	return nil
}

// PutLens puts Contact Lens events into the Contact Lens stream, keyed by
// contact so each contact's events stay in order.
func (s *Stack) PutLens(ctx context.Context, events ...connect.LensEvent) error {
	recs := make([]keyed, len(events))
	for i, e := range events {
		recs[i] = keyed{e.ContactID, e}
	}
	return s.put(ctx, s.Streams.ContactLens, recs)
}

// PutRecords puts contact records into the contact-records stream.
func (s *Stack) PutRecords(ctx context.Context, records ...connect.ContactRecord) error {
	recs := make([]keyed, len(records))
	for i, r := range records {
		recs[i] = keyed{r.ContactID, r}
	}
	return s.put(ctx, s.Streams.ContactRecords, recs)
}

type keyed struct {
	key string
	v   any
}

// putAttempts bounds retries of records Kinesis refused (throttling).
const putAttempts = 4

func (s *Stack) put(ctx context.Context, stream string, recs []keyed) error {
	if len(recs) == 0 {
		return nil
	}
	entries := make([]types.PutRecordsRequestEntry, len(recs))
	for i, r := range recs {
		data, err := json.Marshal(r.v)
		if err != nil {
			return err
		}
		entries[i] = types.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String(r.key)}
	}
	for attempt := 1; ; attempt++ {
		out, err := s.Kinesis.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: entries})
		if err != nil {
			return fmt.Errorf("put into %s: %w", stream, err)
		}
		if aws.ToInt32(out.FailedRecordCount) == 0 {
			return nil
		}
		// Only the refused records go again, in their order.
		var again []types.PutRecordsRequestEntry
		first := ""
		for i, r := range out.Records {
			if r.ErrorCode != nil {
				again = append(again, entries[i])
				if first == "" {
					first = aws.ToString(r.ErrorCode) + ": " + aws.ToString(r.ErrorMessage)
				}
			}
		}
		if attempt == putAttempts {
			return fmt.Errorf("put into %s: %d records refused after %d attempts: %s", stream, len(again), attempt, first)
		}
		entries = again
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
}

// ErrNoConnectEndpoint says the runner serves no local Amazon Connect
// instance, so queue metrics cannot be set.
var ErrNoConnectEndpoint = errors.New("no local Amazon Connect endpoint")

// ConnectQueues lists the queues of the local Connect endpoint
// (GET /local/queues), or ErrNoConnectEndpoint.
func (s *Stack) ConnectQueues(ctx context.Context) ([]string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.AWS+"/local/queues", nil)
	resp, err := s.client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusNotFound {
		return nil, ErrNoConnectEndpoint
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /local/queues: %s: %s", resp.Status, strings.TrimSpace(string(out)))
	}
	var body struct {
		Queues []struct {
			Name string `json:"name"`
		} `json:"queues"`
	}
	if err := json.Unmarshal(out, &body); err != nil {
		return nil, fmt.Errorf("GET /local/queues: %w", err)
	}
	names := make([]string, len(body.Queues))
	for i, q := range body.Queues {
		names[i] = q.Name
	}
	return names, nil
}

// SetQueue is POST /local/queues/{name}.
func (s *Stack) SetQueue(ctx context.Context, name string, st localconnect.Setting) error {
	body, _ := json.Marshal(st)
	return s.local(ctx, http.MethodPost, name, body)
}

// ClearQueue is DELETE /local/queues/{name}.
func (s *Stack) ClearQueue(ctx context.Context, name string) error {
	return s.local(ctx, http.MethodDelete, name, nil)
}

func (s *Stack) local(ctx context.Context, method, name string, body []byte) error {
	req, _ := http.NewRequestWithContext(ctx, method, s.AWS+"/local/queues/"+url.PathEscape(name), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s /local/queues/%s: %s: %s", method, name, resp.Status, strings.TrimSpace(string(out)))
	}
	return nil
}

// ContactView is what GET /v1/contacts/{contactId} answers.
type ContactView struct {
	contacts.Contact
	Sentiment  string   `json:"sentiment,omitempty"`
	Categories []string `json:"categories,omitempty"`
}

// ReadContact reads a contact back through the API; found is false on 404.
func (s *Stack) ReadContact(ctx context.Context, contactID string) (v ContactView, found bool, err error) {
	if s.Token == "" {
		return v, false, errors.New("no token to read the API with")
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.API+"/v1/contacts/"+url.PathEscape(contactID), nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := s.client().Do(req)
	if err != nil {
		return v, false, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch resp.StatusCode {
	case http.StatusOK:
		return v, true, json.Unmarshal(out, &v)
	case http.StatusNotFound:
		return v, false, nil
	}
	return v, false, fmt.Errorf("GET /v1/contacts/%s: %s: %s", contactID, resp.Status, strings.TrimSpace(string(out)))
}
