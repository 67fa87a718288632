package invoke

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/conduit-cx/conduit/shared/campaignjob"
)

func TestStartWhatIfSendsASignedEventInvocation(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r, must(io.ReadAll(r.Body))
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	l := &Lambda{Endpoint: srv.URL, Region: "us-east-1", Function: "conduit-dev-campaigns",
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Clock:       func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }}
	if err := l.StartWhatIf(context.Background(), campaignjob.WhatIfRun{JobID: "wi-1", Chunk: 2}); err != nil {
		t.Fatal(err)
	}
	if got.URL.Path != "/2015-03-31/functions/conduit-dev-campaigns/invocations" || got.Header.Get("X-Amz-Invocation-Type") != "Event" {
		t.Fatalf("%s %v", got.URL.Path, got.Header)
	}
	auth := got.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKID/20260302/us-east-1/lambda/aws4_request") {
		t.Fatalf("authorization %q", auth)
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil || p.WhatIf == nil || p.WhatIf.JobID != "wi-1" || p.WhatIf.Chunk != 2 {
		t.Fatalf("payload %s", body)
	}
}

func TestRefusedInvocationIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"Message":"Function not found"}`))
	}))
	defer srv.Close()
	err := (&Lambda{Endpoint: srv.URL, Region: "us-east-1", Function: "nope"}).StartWhatIf(context.Background(), campaignjob.WhatIfRun{JobID: "x"})
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("%v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
