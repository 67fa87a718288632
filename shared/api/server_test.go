package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/api/apitest"
	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/logging"
	"github.com/conduit-cx/conduit/shared/profiles"
)

// stubProfiles answers every read with one profile, or panics when told to.
type stubProfiles struct{ panics bool }

func (s stubProfiles) Create(_ context.Context, p profiles.Profile) (profiles.Profile, error) {
	return p, nil
}

func (s stubProfiles) Get(_ context.Context, id string) (profiles.Profile, error) {
	if s.panics {
		panic("store exploded")
	}
	if id != "p1" {
		return profiles.Profile{}, apperr.ErrNotFound
	}
	return profiles.Profile{ID: "p1", Version: 4}, nil
}

func (s stubProfiles) Update(context.Context, string, int, func(*profiles.Profile) error) (profiles.Profile, error) {
	return profiles.Profile{}, apperr.ErrConflict
}

func (s stubProfiles) LookupByIdentity(context.Context, identity.Key) (profiles.Profile, error) {
	return profiles.Profile{ID: "p1", Version: 4}, nil
}

func (s stubProfiles) Erase(context.Context, string, time.Time) error { return nil }

func stubServer(panics bool) (*Server, *bytes.Buffer) {
	logs := &bytes.Buffer{}
	return NewServer(Deps{
		Profiles: stubProfiles{panics: panics},
		Identity: identity.NewHasher([]byte("server-test-key")),
		Log:      logging.New(logs, slog.LevelInfo),
	}), logs
}

func errorCode(t *testing.T, resp apitest.Response) string {
	t.Helper()
	var e apitest.Error
	resp.JSON(t, &e)
	return e.Error.Code
}

func TestServeHTTP(t *testing.T) {
	cases := []struct {
		name   string
		method string
		target string
		scopes []string
		panics bool
		status int
		code   string
	}{
		{"a known operation", http.MethodGet, "/v1/profiles/p1", []string{ScopeAnalyst}, false, 200, ""},
		{"an unknown path", http.MethodGet, "/v1/nothing", []string{ScopeAdmin}, false, 404, "not_found"},
		{"an unknown path without a token", http.MethodGet, "/v1/nothing", nil, false, 404, "not_found"},
		{"a method the path does not have", http.MethodPatch, "/v1/profiles/p1", []string{ScopeAdmin}, false, 404, "not_found"},
		{"a panic answers 500 in the error shape", http.MethodGet, "/v1/profiles/p1", []string{ScopeAnalyst}, true, 500, "internal"},
		{"a scope only from the scope claim", http.MethodGet, "/v1/profiles/p1", []string{ScopeMarketer}, false, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, logs := stubServer(c.panics)
			ev := apitest.Request(c.method, c.target, nil, c.scopes...)
			if c.name == "a scope only from the scope claim" {
				ev.RequestContext.Authorizer.JWT.Scopes = nil
			}
			resp := apitest.Do(t, srv, ev)
			if resp.Status != c.status {
				t.Fatalf("status %d; want %d: %s", resp.Status, c.status, resp.Body)
			}
			if c.code != "" && errorCode(t, resp) != c.code {
				t.Errorf("code %q; want %q", errorCode(t, resp), c.code)
			}
			if got := resp.Headers.Get("X-Request-Id"); got != ev.RequestContext.RequestID {
				t.Errorf("X-Request-Id %q; want API Gateway's request id %q", got, ev.RequestContext.RequestID)
			}
			var line map[string]any
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &line); err != nil {
				t.Fatalf("last log line is not JSON: %v\n%s", err, logs)
			}
			if line["msg"] != "request" || line["status"] != float64(c.status) || line["aws_request_id"] != ev.RequestContext.RequestID {
				t.Errorf("request log line %v; want msg request, status %d, aws_request_id", line, c.status)
			}
			if c.panics && !strings.Contains(logs.String(), "panic in handler") {
				t.Errorf("the panic was not logged:\n%s", logs)
			}
		})
	}
}

func TestRequestLogsKeepQueryStringsOut(t *testing.T) {
	srv, logs := stubServer(false)
	resp := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/profiles/lookup?phone=%2B15551230001", nil, ScopeAnalyst))
	if resp.Status != 200 {
		t.Fatalf("status %d: %s", resp.Status, resp.Body)
	}
	if strings.Contains(logs.String(), "5551230001") {
		t.Fatalf("the phone number reached the logs:\n%s", logs)
	}
	if !strings.Contains(logs.String(), `"route":"GET /v1/profiles/lookup"`) {
		t.Errorf("the log names no route:\n%s", logs)
	}
}

func TestRequestIDOutsideAPIGateway(t *testing.T) {
	srv, _ := stubServer(false)
	cases := []struct {
		name, sent string
		keep       bool
	}{
		{"a caller's id is kept", "abc-123", true},
		{"an overlong id is replaced", strings.Repeat("x", 65), false},
		{"none is made up", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/healthz-not-here", nil)
			if c.sent != "" {
				r.Header.Set("X-Request-Id", c.sent)
			}
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			got := w.Header().Get("X-Request-Id")
			if got == "" || (got == c.sent) != c.keep {
				t.Fatalf("X-Request-Id %q (sent %q)", got, c.sent)
			}
		})
	}
}

func TestProfileRoutesAndScopes(t *testing.T) {
	routes := Routes()
	if !slices.IsSortedFunc(routes, func(a, b Route) int { return strings.Compare(a.Pattern(), b.Pattern()) }) {
		t.Errorf("Routes() is not sorted")
	}
	want := map[string][]string{
		"POST /v1/profiles":             marketers,
		"GET /v1/profiles/{id}":         readers,
		"PUT /v1/profiles/{id}":         marketers,
		"GET /v1/profiles/lookup":       readers,
		"PUT /v1/profiles/{id}/consent": marketers,
		"DELETE /v1/profiles/{id}":      admins,
	}
	for _, r := range routes {
		if scopes, ok := want[r.Pattern()]; ok {
			if !slices.Equal(r.Scopes, scopes) {
				t.Errorf("%s scopes %v; want %v", r.Pattern(), r.Scopes, scopes)
			}
			delete(want, r.Pattern())
		}
	}
	for p := range want {
		t.Errorf("route %s missing", p)
	}
}
