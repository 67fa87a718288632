package localstack

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestKinesaliteSurvivesAnAbortedRequest: a client that gives up in the
// middle of a request (a cancelled context, a timeout) must not take
// kinesalite down for everyone else sharing it.
func TestKinesaliteSurvivesAnAbortedRequest(t *testing.T) {
	srv, err := StartKinesis(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	addr := strings.TrimPrefix(srv.Endpoint, "http://")
	for range 3 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = conn.Write([]byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n" +
			"X-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Length: 100\r\n\r\n{\"Lim"))
		conn.Close()
	}
	time.Sleep(200 * time.Millisecond) // let the server see the closed connections
	req, _ := http.NewRequest(http.MethodPost, srv.Endpoint, strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.ListStreams")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("kinesalite stopped answering after aborted requests: %v", err)
	}
	resp.Body.Close()
	select {
	case <-srv.Done():
		t.Fatal("kinesalite exited")
	default:
	}
	srv.Stop()
	select {
	case <-srv.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not end kinesalite")
	}
}
