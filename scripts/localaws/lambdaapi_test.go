package localaws

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type echoIn struct {
	Say   string `json:"say"`
	Fail  string `json:"fail"`
	Panic string `json:"panic"`
	Sleep string `json:"sleep"`
}

// testFunctions are handlers written the way Conduit's functions are:
// typed events through lambda.NewHandler.
func testFunctions(calls *atomic.Int32) map[string]lambda.Handler {
	return map[string]lambda.Handler{
		"echo": lambda.NewHandler(func(ctx context.Context, in echoIn) (map[string]string, error) {
			calls.Add(1)
			lc, _ := lambdacontext.FromContext(ctx)
			_, hasDeadline := ctx.Deadline()
			switch {
			case in.Fail != "":
				return nil, errors.New(in.Fail)
			case in.Panic != "":
				panic(in.Panic)
			case in.Sleep != "":
				d, _ := time.ParseDuration(in.Sleep)
				time.Sleep(d)
			}
			return map[string]string{
				"said": in.Say, "requestId": lc.AwsRequestID, "arn": lc.InvokedFunctionArn,
				"deadline": map[bool]string{true: "yes", false: "no"}[hasDeadline],
				"client":   lc.ClientContext.Custom["who"],
			}, nil
		}),
	}
}

func post(t *testing.T, srv *httptest.Server, path, body string, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

func TestLambdaInvokeAPI(t *testing.T) {
	var calls atomic.Int32
	fns := testFunctions(&calls)
	fns["broken"] = FailedStart(errors.New("CONDUIT_CONNECT_INSTANCE_ID is required"))
	iv := NewInvoker("us-east-1", fns, nil)
	iv.SetTimeout("echo", 300*time.Millisecond)
	srv := httptest.NewServer(&LambdaAPI{Invoker: iv})
	defer srv.Close()
	const path = "/2015-03-31/functions/echo/invocations"
	clientContext := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"who":"ana"}}`))

	cases := []struct {
		name       string
		path, body string
		headers    map[string]string
		status     int
		funcError  string
		errorType  string
		wantBody   []string
	}{
		{name: "a response comes back as the payload", path: path, body: `{"say":"hi"}`,
			headers: map[string]string{"X-Amz-Client-Context": clientContext},
			status:  200, wantBody: []string{`"said":"hi"`, `"deadline":"yes"`, `"arn":"arn:aws:lambda:us-east-1:000000000000:function:echo"`, `"client":"ana"`}},
		{name: "a full ARN with a qualifier names the function", path: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Aecho%3A%24LATEST/invocations",
			body: `{"say":"arn"}`, status: 200, wantBody: []string{`"said":"arn"`}},
		{name: "no payload reaches the function as {}", path: path, body: "", status: 200, wantBody: []string{`"said":""`}},
		{name: "a function error is a 200 flagged Unhandled", path: path, body: `{"fail":"the offer catalog is empty"}`,
			status: 200, funcError: "Unhandled", errorType: "errorString", wantBody: []string{`"errorMessage":"the offer catalog is empty"`}},
		{name: "a panic is a function error", path: path, body: `{"panic":"boom"}`,
			status: 200, funcError: "Unhandled", errorType: "string", wantBody: []string{`"errorMessage":"boom"`, `"stackTrace"`}},
		{name: "a timeout is a function error", path: path, body: `{"sleep":"2s"}`,
			status: 200, funcError: "Unhandled", errorType: "Sandbox.Timedout", wantBody: []string{"Task timed out after 0.30 seconds"}},
		{name: "a function that could not start answers its start-up error", path: "/2015-03-31/functions/broken/invocations", body: `{}`,
			status: 200, funcError: "Unhandled", errorType: "Runtime.ExitError", wantBody: []string{"CONDUIT_CONNECT_INSTANCE_ID is required"}},
		{name: "an unknown function is ResourceNotFoundException", path: "/2015-03-31/functions/nope/invocations", body: `{}`,
			status: 404, errorType: "ResourceNotFoundException", wantBody: []string{`"Message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"`}},
		{name: "a published version is not found", path: path + "?Qualifier=3", body: `{}`, status: 404, errorType: "ResourceNotFoundException"},
		{name: "a payload that is not JSON is refused", path: path, body: `{"say":`, status: 400, errorType: "InvalidRequestContentException"},
		{name: "an unknown invocation type is refused", path: path, body: `{}`, headers: map[string]string{"X-Amz-Invocation-Type": "Later"},
			status: 400, errorType: "InvalidParameterValueException"},
		{name: "a dry run checks and runs nothing", path: path, body: `{"say":"dry"}`, headers: map[string]string{"X-Amz-Invocation-Type": "DryRun"}, status: 204},
		{name: "another path is an unknown operation", path: "/2015-03-31/functions/echo", body: `{}`, status: 404, errorType: "UnknownOperationException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := calls.Load()
			resp, body := post(t, srv, c.path, c.body, c.headers)
			if resp.StatusCode != c.status {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, c.status, body)
			}
			if got := resp.Header.Get("X-Amz-Function-Error"); got != c.funcError {
				t.Errorf("X-Amz-Function-Error = %q, want %q", got, c.funcError)
			}
			if c.status == 200 && resp.Header.Get("X-Amz-Executed-Version") != "$LATEST" {
				t.Errorf("X-Amz-Executed-Version = %q", resp.Header.Get("X-Amz-Executed-Version"))
			}
			if c.errorType != "" {
				got := resp.Header.Get("X-Amzn-Errortype")
				if c.funcError != "" {
					var doc struct{ ErrorType string }
					_ = json.Unmarshal([]byte(body), &doc)
					got = doc.ErrorType
				}
				if got != c.errorType {
					t.Errorf("error type = %q, want %q; body %s", got, c.errorType, body)
				}
			}
			for _, want := range c.wantBody {
				if !strings.Contains(body, want) {
					t.Errorf("body %s lacks %s", body, want)
				}
			}
			if c.status == 204 && calls.Load() != before {
				t.Error("a dry run ran the function")
			}
		})
	}
}

func TestEventInvocationRunsInTheBackground(t *testing.T) {
	var calls atomic.Int32
	iv := NewInvoker("us-east-1", testFunctions(&calls), nil)
	srv := httptest.NewServer(&LambdaAPI{Invoker: iv})
	defer srv.Close()
	resp, body := post(t, srv, "/2015-03-31/functions/echo/invocations", `{"say":"later"}`,
		map[string]string{"X-Amz-Invocation-Type": "Event"})
	if resp.StatusCode != http.StatusAccepted || body != "" {
		t.Fatalf("status %d body %q, want 202 and no body", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Amzn-Requestid") == "" {
		t.Error("no request id")
	}
	iv.Wait()
	if calls.Load() != 1 {
		t.Fatalf("the function ran %d times, want 1", calls.Load())
	}
}

func TestFunctionFromPath(t *testing.T) {
	cases := map[string]string{
		"/2015-03-31/functions/api/invocations":                                     "api",
		"/2015-03-31/functions/api%3A%24LATEST/invocations":                         "api",
		"/2015-03-31/functions/000000000000%3Afunction%3Aapi/invocations":           "api",
		"/2015-03-31/functions/arn:aws:lambda:eu-west-1:1:function:ctr/invocations": "ctr",
		"/2015-03-31/functions//invocations":                                        "",
		"/2015-03-31/functions/a/b/invocations":                                     "",
		"/2015-03-31/functions/api":                                                 "",
	}
	for path, want := range cases {
		got, ok := functionFromPath(path)
		if got != want || ok != (want != "") {
			t.Errorf("functionFromPath(%q) = %q, %v; want %q", path, got, ok, want)
		}
	}
}
