// Package api is Conduit's HTTPS API for marketers, analysts and
// administrators: a stdlib http.Handler that runs behind API Gateway (HTTP
// API, payload 2.0, JWT authorizer) through a Lambda adapter, and behind the
// local runner, which emulates the same authorizer.
package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/akrylysov/algnhsa"

	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/identity/phoneinput"
	"github.com/conduit-cx/conduit/shared/logging"
	"github.com/conduit-cx/conduit/shared/voice"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 256 << 10

// Deps is what the API needs from the world. Each field is a small interface
// declared next to the handlers that use it.
type Deps struct {
	Profiles ProfileStore
	// Identity hashes the phone numbers, emails and customer ids of
	// requests; the raw values go no further. The API reads a phone
	// number as a person writes it (phoneinput) before hashing it.
	Identity identity.Hasher
	// Erasers remove what other stores hold about an erased profile
	// (contacts, offer history); each runs on every erasure request.
	Erasers []Eraser
	// Catalog and Policy let a simulation decide exactly as the offer
	// function does; Contacts reads recorded decisions.
	Catalog  CatalogView
	Policy   decide.Policy
	Contacts ContactReader
	// CatalogStore is where marketers keep offers and campaigns.
	CatalogStore CatalogStore
	Clock        func() time.Time
	Log          *slog.Logger

	// KPIs reads the rollup's KPI buckets; Benchmarks keeps the metric
	// benchmarks administrators set.
	KPIs       KPIReader
	Benchmarks BenchmarkStore

	// Load is the load watcher's wallboard: queue load states and the
	// campaigns they hold. WhatIf starts and reads campaign what-ifs.
	Load   LoadBoardReader
	WhatIf WhatIfRunner

	// Social keeps social posts; VoiceEvents publishes routed posts to the
	// teams' tools; VoiceRules triage them (nil: voice.DefaultRules()).
	// VoiceProfiles puts posts on their authors' profiles; Surveys records
	// post-contact survey answers from survey tools.
	Social        SocialStore
	VoiceEvents   EventPublisher
	VoiceRules    *voice.Rules
	VoiceProfiles ProfileMutator
	Surveys       SurveyRecorder
}

// Route is one registered operation and the scopes that may call it.
type Route struct {
	Method string
	Path   string
	// Scopes lists the JWT scopes of which the caller needs at least one.
	Scopes []string
}

// Pattern is the ServeMux pattern and the API Gateway route key.
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Server is the API's http.Handler.
type Server struct {
	deps Deps
	// identity is deps.Identity reading phone numbers as people write them.
	identity phoneinput.Hasher
	mux      *http.ServeMux
	routes   []Route
}

// NewServer builds the API over its dependencies.
func NewServer(deps Deps) *Server {
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	s := &Server{deps: deps, identity: phoneinput.Hasher{Hasher: deps.Identity}, mux: http.NewServeMux()}
	s.registerRoutes()
	return s
}

// Routes lists every registered route, sorted, for the OpenAPI check and
// for the CDK stack's per-route authorization scopes.
func (s *Server) Routes() []Route {
	out := append([]Route(nil), s.routes...)
	sort.Slice(out, func(i, j int) bool { return out[i].Pattern() < out[j].Pattern() })
	return out
}

// Routes lists the API's routes without any dependencies wired.
func Routes() []Route { return NewServer(Deps{}).Routes() }

// handle registers h for method and path, reachable with any of scopes.
func (s *Server) handle(method, path string, scopes []string, h http.Handler) {
	route := Route{Method: method, Path: path, Scopes: scopes}
	s.routes = append(s.routes, route)
	s.mux.Handle(route.Pattern(), requireScope(scopes, h))
}

// handlePublic registers a route that needs no token (the OpenAPI document).
func (s *Server) handlePublic(method, path string, h http.Handler) {
	s.routes = append(s.routes, Route{Method: method, Path: path})
	s.mux.Handle(method+" "+path, h)
}

// ServeHTTP adds the request id, bounds the body, recovers from panics and
// answers unknown routes in the API's error shape.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := requestID(r)
	ctx := logging.WithRequestID(r.Context(), id)
	r = r.WithContext(ctx)
	w.Header().Set("X-Request-Id", id)
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	start := s.deps.Clock()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			s.deps.Log.ErrorContext(ctx, "panic in handler", "panic", fmt.Sprint(p), "path", r.URL.Path)
			writeError(rec, r, fmt.Errorf("panic: %v", p))
		}
		s.deps.Log.InfoContext(ctx, "request", "method", r.Method, "route", r.Pattern, "status", rec.status,
			"ms", float64(s.deps.Clock().Sub(start).Microseconds())/1000)
	}()
	if _, pattern := s.mux.Handler(r); pattern == "" {
		writeError(rec, r, errNoRoute(r))
		return
	}
	s.mux.ServeHTTP(rec, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func requestID(r *http.Request) string {
	if ev, ok := algnhsa.APIGatewayV2RequestFromContext(r.Context()); ok && ev.RequestContext.RequestID != "" {
		return ev.RequestContext.RequestID
	}
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 {
		return id
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
