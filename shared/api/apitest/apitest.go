// Package apitest runs the API's real handler the way it runs in AWS: an
// API Gateway HTTP API event (payload 2.0) carrying the JWT authorizer's
// claims and scopes, through the same Lambda adapter, answered as API
// Gateway would see it. Tests of every resource use it.
package apitest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/akrylysov/algnhsa"
	"github.com/aws/aws-lambda-go/events"
)

// Subject is the "sub" claim of every request built with scopes.
const Subject = "apitest-user"

// Request builds the event API Gateway sends for method and target (a path
// with an optional ?query). body is sent as is when it is a string or
// []byte, as JSON otherwise, and not at all when nil. With scopes, the
// request carries the claims the JWT authorizer passes on (sub, scope,
// iss, aud, exp) and the scopes; without, it carries no authorizer at all,
// as a request that never passed one.
func Request(method, target string, body any, scopes ...string) events.APIGatewayV2HTTPRequest {
	path, query, _ := strings.Cut(target, "?")
	now := time.Now().UTC()
	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       "$default",
		RawPath:        path,
		RawQueryString: query,
		Headers:        map[string]string{"host": "api.example.test", "user-agent": "apitest"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:   "$default",
			AccountID:  "123456789012",
			Stage:      "$default",
			RequestID:  requestID(),
			APIID:      "apitest",
			DomainName: "api.example.test",
			Time:       now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:  now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "192.0.2.10", UserAgent: "apitest",
			},
		},
	}
	switch b := body.(type) {
	case nil:
	case string:
		ev.Body = b
	case []byte:
		ev.Body = string(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			panic("apitest: body is not JSON: " + err.Error())
		}
		ev.Body = string(raw)
	}
	if body != nil {
		ev.Headers["content-type"] = "application/json"
	}
	if len(scopes) > 0 {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
				Claims: map[string]string{
					"sub":   Subject,
					"scope": strings.Join(scopes, " "),
					"iss":   "https://conduit.local/apitest",
					"aud":   "conduit",
					"exp":   now.Add(time.Hour).Format(time.RFC3339),
				},
				Scopes: scopes,
			},
		}
	}
	return ev
}

// WithHeader returns ev with one more header (names are lower-cased, as API
// Gateway sends them).
func WithHeader(ev events.APIGatewayV2HTTPRequest, name, value string) events.APIGatewayV2HTTPRequest {
	headers := make(map[string]string, len(ev.Headers)+1)
	for k, v := range ev.Headers {
		headers[k] = v
	}
	headers[strings.ToLower(name)] = value
	ev.Headers = headers
	return ev
}

// Response is the handler's answer as API Gateway receives it.
type Response struct {
	Status  int
	Headers http.Header
	Body    []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response %d is not JSON: %v\n%s", r.Status, err, r.Body)
	}
}

// Error is the API's error body.
type Error struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Field   string `json:"field"`
			Problem string `json:"problem"`
		} `json:"details"`
		RequestID string `json:"requestId"`
	} `json:"error"`
}

// Fields lists the fields the error's details name.
func (e Error) Fields() []string {
	var out []string
	for _, d := range e.Error.Details {
		out = append(out, d.Field)
	}
	return out
}

// Do sends ev through the Lambda adapter to h and returns the answer.
func Do(t testing.TB, h http.Handler, ev events.APIGatewayV2HTTPRequest) Response {
	t.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := algnhsa.New(h, &algnhsa.Options{RequestType: algnhsa.RequestTypeAPIGatewayV2}).Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("%s %s: the adapter failed: %v", ev.RequestContext.HTTP.Method, ev.RawPath, err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			t.Fatal(err)
		}
	}
	headers := http.Header{}
	for k, v := range resp.Headers {
		headers.Set(k, v)
	}
	return Response{Status: resp.StatusCode, Headers: headers, Body: body}
}

func requestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
