// Package api_test checks that the api function's sample events are the
// shapes API Gateway sends: each decodes into the aws-lambda-go type and
// encodes back to the same document, so no field is misspelt or lost.
package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestSampleEventsRoundTrip(t *testing.T) {
	files, err := filepath.Glob("*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events: %v", err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			var ev events.APIGatewayV2HTTPRequest
			if err := dec.Decode(&ev); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if ev.Version != "2.0" || ev.RouteKey == "" || ev.RequestContext.HTTP.Method == "" {
				t.Fatalf("not a payload 2.0 event: %+v", ev)
			}
			again, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var want, got map[string]any
			_ = json.Unmarshal(raw, &want)
			_ = json.Unmarshal(again, &got)
			// The library always writes an empty mTLS block that API Gateway
			// sends only with mutual TLS; the sample rightly has none.
			if ev.RequestContext.Authentication.ClientCert.ClientCertPem == "" {
				delete(got["requestContext"].(map[string]any), "authentication")
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("the round trip changed the event:\nfile:  %s\nagain: %s", raw, again)
			}
		})
	}
}
