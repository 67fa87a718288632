package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/scripts/devstack"
	"github.com/conduit-cx/conduit/scripts/localauth"
	"github.com/conduit-cx/conduit/shared/localstack"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

// readyWriter tells when the runner printed its ready line.
type readyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), "conduit: ready") {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func portOf(t *testing.T, endpoint string) string {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// TestRunnerServesAndStops runs the whole runner against the test
// servers (attached to, so it starts none): the ready line, health, the
// API through the authorizer to the api function and DynamoDB, the Lambda
// Invoke API, and a clean stop.
func TestRunnerServesAndStops(t *testing.T) {
	env := storetest.NewWithStreams(t)
	apiAddr, invokeAddr := freeAddr(t), freeAddr(t)
	out := &readyWriter{ready: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--in-memory", "--no-seed", "--api", apiAddr, "--invoke", invokeAddr,
			"--dynamodb-port", portOf(t, env.Config.DynamoDBEndpoint), "--kinesis-port", portOf(t, env.Config.KinesisEndpoint)},
			out, io.Discard)
	}()
	select {
	case <-out.ready:
	case err := <-done:
		t.Fatalf("the runner stopped before it was ready: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("no ready line")
	}
	for _, want := range []string{"http://" + apiAddr, "http://" + invokeAddr, env.Config.DynamoDBEndpoint, env.Config.KinesisEndpoint} {
		if !strings.Contains(out.buf.String(), want) {
			t.Errorf("the ready line %q does not name %s", out.buf.String(), want)
		}
	}

	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+apiAddr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/healthz", ""); code != 200 || !strings.Contains(body, `"status":"ok"`) {
		t.Fatalf("healthz %d %s", code, body)
	}
	if code, body := get("/v1/profiles/demo-0001", ""); code != 401 || !strings.Contains(body, `"unauthorized"`) {
		t.Fatalf("no token: %d %s", code, body)
	}
	root, err := localstack.Root()
	if err != nil {
		t.Fatal(err)
	}
	key, err := localauth.LoadOrCreate(devstack.PathsFor(root).Dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := key.Mint(localauth.Claims{Subject: "runner-test", Scopes: []string{"conduit/analyst"}}, time.Now())
	// Nobody is seeded: the api function looked in DynamoDB and found nothing.
	if code, body := get("/v1/profiles/nobody-here", tok); code != 404 || !strings.Contains(body, `"not_found"`) {
		t.Fatalf("an unknown profile: %d %s", code, body)
	}
	resp, err := http.Post(fmt.Sprintf("http://%s/2015-03-31/functions/api/invocations", invokeAddr), "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Function-Error") != "Unhandled" {
		t.Fatalf("an event that is not API Gateway's: %d %v", resp.StatusCode, resp.Header)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the runner did not stop")
	}
	if localstack.Reachable("http://" + apiAddr) {
		t.Fatal("the API still listens after the stop")
	}
}
