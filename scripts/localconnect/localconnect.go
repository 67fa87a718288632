// Package localconnect serves the Amazon Connect operations the load
// watcher calls, for a local instance with a few queues: GetCurrentMetricData
// (POST /metrics/current/{InstanceId}) and ListQueues (GET
// /queues-summary/{InstanceId}) in Connect's REST-JSON protocol, so the
// SDK's connect client works against it with only an endpoint override.
//
// A queue's numbers come from the contact-events waiting lists (contacts in
// queue, oldest contact age) unless a test or the simulator has set them
// with POST /local/queues/{name}; agents default to DefaultAgentsAvailable
// available and DefaultAgentsOnContact on contact. POST /local/fail makes
// GetCurrentMetricData fail (throttling, an internal error) for a while.
package localconnect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The local instance.
const (
	DefaultInstanceID = "c0d0c0d0-0000-4000-8000-00000000c0de"
	DefaultRegion     = "us-east-1"
	DefaultAccountID  = "000000000000"
)

// Agents of a queue nobody has set numbers for.
const (
	DefaultAgentsAvailable = 8
	DefaultAgentsOnContact = 4
)

// Queue is one queue of the local instance.
type Queue struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// DefaultQueues are the local instance's queues; the simulator's contact
// events use the same ids.
var DefaultQueues = []Queue{
	{ID: "5a1e5000-0000-4000-8000-000000000001", Name: "Sales"},
	{ID: "b111e000-0000-4000-8000-000000000002", Name: "Billing"},
	{ID: "5e1f0000-0000-4000-8000-000000000003", Name: "Support"},
	{ID: "4e7e0000-0000-4000-8000-000000000004", Name: "Retention"},
}

// QueueIDs lists the ids of queues.
func QueueIDs(qs []Queue) []string {
	ids := make([]string, len(qs))
	for i, q := range qs {
		ids[i] = q.ID
	}
	return ids
}

// Counters reads a queue's live waiting list (store.Contacts).
type Counters interface {
	QueueCounters(ctx context.Context, queueID string) (waiting int, oldestWait time.Duration, err error)
}

// Setting is what a test or the simulator sets for a queue. A nil number
// falls back to the counters (waiting, oldest age) or the defaults (agents).
type Setting struct {
	ContactsInQueue  *float64 `json:"contactsInQueue,omitempty"`
	OldestContactAge *float64 `json:"oldestContactAge,omitempty"`
	AgentsAvailable  *float64 `json:"agentsAvailable,omitempty"`
	AgentsOnContact  *float64 `json:"agentsOnContact,omitempty"`
	// Missing names metrics (CONTACTS_IN_QUEUE, ...) returned without a
	// value, as partial data.
	Missing []string `json:"missing,omitempty"`
	// Absent leaves the queue out of GetCurrentMetricData's results.
	Absent bool `json:"absent,omitempty"`
	// Deleted leaves the queue out of ListQueues too, as if it were gone.
	Deleted bool `json:"deleted,omitempty"`
}

// Failure makes GetCurrentMetricData fail with an AWS error code
// (ThrottlingException, InternalServiceException, ...) for the next Count
// calls, or until cleared when Count is 0.
type Failure struct {
	Code  string `json:"code"`
	Count int    `json:"count,omitempty"`
}

// Server is the local Connect endpoint. Its zero value serves
// DefaultQueues of DefaultInstanceID.
type Server struct {
	InstanceID string
	Region     string
	AccountID  string
	Queues     []Queue
	Counters   Counters
	Clock      func() time.Time

	mu       sync.Mutex
	settings map[string]Setting // by queue id
	failure  *Failure
	calls    int
}

func (s *Server) instance() string { return orString(s.InstanceID, DefaultInstanceID) }

func (s *Server) queues() []Queue {
	if len(s.Queues) == 0 {
		return DefaultQueues
	}
	return s.Queues
}

func (s *Server) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// QueueARN is a queue's ARN in the local instance.
func (s *Server) QueueARN(id string) string {
	return fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s/queue/%s",
		orString(s.Region, DefaultRegion), orString(s.AccountID, DefaultAccountID), s.instance(), id)
}

// Set replaces a queue's setting (by name or id).
func (s *Server) Set(queue string, st Setting) error {
	q, ok := s.find(queue)
	if !ok {
		return fmt.Errorf("no queue %q", queue)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.settings == nil {
		s.settings = map[string]Setting{}
	}
	s.settings[q.ID] = st
	return nil
}

// Clear removes a queue's setting.
func (s *Server) Clear(queue string) {
	if q, ok := s.find(queue); ok {
		s.mu.Lock()
		delete(s.settings, q.ID)
		s.mu.Unlock()
	}
}

// Fail sets (or with nil clears) the failure of GetCurrentMetricData.
func (s *Server) Fail(f *Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failure = f
}

// Calls counts GetCurrentMetricData calls served (failed ones included).
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func (s *Server) find(nameOrID string) (Queue, bool) {
	for _, q := range s.queues() {
		if q.ID == nameOrID || strings.EqualFold(q.Name, nameOrID) {
			return q, true
		}
	}
	return Queue{}, false
}

func (s *Server) setting(id string) Setting {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings[id]
}

// ServeHTTP routes Connect's operations and the local controls.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(path, "/metrics/current/") && r.Method == http.MethodPost:
		s.currentMetricData(w, r, strings.TrimPrefix(path, "/metrics/current/"))
	case strings.HasPrefix(path, "/queues-summary/") && r.Method == http.MethodGet:
		s.listQueues(w, r, strings.TrimPrefix(path, "/queues-summary/"))
	case path == "/local/queues" && r.Method == http.MethodGet:
		s.showQueues(w, r)
	case strings.HasPrefix(path, "/local/queues/"):
		s.setQueue(w, r, strings.TrimPrefix(path, "/local/queues/"))
	case path == "/local/fail":
		s.setFailure(w, r)
	default:
		awsError(w, http.StatusNotFound, "UnknownOperationException",
			fmt.Sprintf("no operation %s %s here; this endpoint serves GetCurrentMetricData, ListQueues and /local/queues", r.Method, r.URL.Path))
	}
}

// metricDataRequest is GetCurrentMetricData's body.
type metricDataRequest struct {
	CurrentMetrics []struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	} `json:"CurrentMetrics"`
	Filters *struct {
		Queues   []string `json:"Queues"`
		Channels []string `json:"Channels"`
	} `json:"Filters"`
	Groupings  []string `json:"Groupings"`
	MaxResults *int     `json:"MaxResults"`
	NextToken  string   `json:"NextToken"`
}

// units are the metrics served and the unit Connect requires of each.
var units = map[string]string{
	"AGENTS_ONLINE": "COUNT", "AGENTS_AVAILABLE": "COUNT", "AGENTS_ON_CALL": "COUNT", "AGENTS_NON_PRODUCTIVE": "COUNT",
	"AGENTS_AFTER_CONTACT_WORK": "COUNT", "AGENTS_ERROR": "COUNT", "AGENTS_STAFFED": "COUNT", "CONTACTS_IN_QUEUE": "COUNT",
	"OLDEST_CONTACT_AGE": "SECONDS", "CONTACTS_SCHEDULED": "COUNT", "AGENTS_ON_CONTACT": "COUNT",
	"SLOTS_ACTIVE": "COUNT", "SLOTS_AVAILABLE": "COUNT",
}

type metricRef struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type collection struct {
	Metric metricRef `json:"Metric"`
	Value  *float64  `json:"Value,omitempty"`
}

type queueRef struct {
	ID  string `json:"Id"`
	Arn string `json:"Arn"`
}

type metricResult struct {
	Dimensions  map[string]queueRef `json:"Dimensions"`
	Collections []collection        `json:"Collections"`
}

func (s *Server) currentMetricData(w http.ResponseWriter, r *http.Request, instance string) {
	s.mu.Lock()
	s.calls++
	f := s.failure
	if f != nil && f.Count > 0 {
		f.Count--
		if f.Count == 0 {
			s.failure = nil
		}
	}
	s.mu.Unlock()
	if f != nil {
		awsError(w, statusOf(f.Code), f.Code, "local failure set with POST /local/fail")
		return
	}
	if instance != s.instance() {
		awsError(w, http.StatusNotFound, "ResourceNotFoundException", "instance "+instance+" not found")
		return
	}
	var req metricDataRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		awsError(w, http.StatusBadRequest, "InvalidRequestException", "the body is not valid JSON: "+err.Error())
		return
	}
	if msg := validate(req); msg != "" {
		awsError(w, http.StatusBadRequest, "InvalidParameterException", msg)
		return
	}
	var results []metricResult
	for _, ref := range req.Filters.Queues {
		q, ok := s.find(queueIDOf(ref))
		if !ok || q.ID != queueIDOf(ref) {
			continue // Connect returns nothing for a queue it does not know
		}
		st := s.setting(q.ID)
		if st.Absent || st.Deleted || slices.ContainsFunc(results, func(m metricResult) bool { return m.Dimensions["Queue"].ID == q.ID }) {
			continue
		}
		values, err := s.values(r.Context(), q, st)
		if err != nil {
			awsError(w, http.StatusInternalServerError, "InternalServiceException", "queue counters: "+err.Error())
			return
		}
		res := metricResult{Dimensions: map[string]queueRef{"Queue": {ID: q.ID, Arn: s.QueueARN(q.ID)}}}
		for _, m := range req.CurrentMetrics {
			c := collection{Metric: metricRef{Name: m.Name, Unit: m.Unit}}
			if !slices.Contains(st.Missing, m.Name) {
				v := values[m.Name]
				c.Value = &v
			}
			res.Collections = append(res.Collections, c)
		}
		results = append(results, res)
	}
	sort.Slice(results, func(i, j int) bool { return results[i].Dimensions["Queue"].ID < results[j].Dimensions["Queue"].ID })
	limit := 100
	if req.MaxResults != nil {
		limit = *req.MaxResults
	}
	start := 0
	if req.NextToken != "" {
		n, err := strconv.Atoi(req.NextToken)
		if err != nil || n < 0 || n > len(results) {
			awsError(w, http.StatusBadRequest, "InvalidParameterException", "NextToken is not one this endpoint gave")
			return
		}
		start = n
	}
	end := min(start+limit, len(results))
	out := map[string]any{
		"MetricResults":         nonNil(results[start:end]),
		"DataSnapshotTime":      epoch(s.now()),
		"ApproximateTotalCount": len(results),
	}
	if end < len(results) {
		out["NextToken"] = strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, out)
}

func validate(req metricDataRequest) string {
	switch {
	case req.Filters == nil || len(req.Filters.Queues) == 0:
		return "Filters.Queues must name at least one queue"
	case len(req.Filters.Queues) > 100:
		return "Filters.Queues takes at most 100 queues"
	case len(req.CurrentMetrics) == 0:
		return "CurrentMetrics must name at least one metric"
	case req.MaxResults != nil && (*req.MaxResults < 1 || *req.MaxResults > 100):
		return "MaxResults must be from 1 to 100"
	}
	for _, c := range req.Filters.Channels {
		if c != "VOICE" && c != "CHAT" && c != "TASK" {
			return "Filters.Channels takes VOICE, CHAT and TASK, not " + c
		}
	}
	for _, g := range req.Groupings {
		if g != "QUEUE" {
			return "only the QUEUE grouping is served locally, not " + g
		}
	}
	for _, m := range req.CurrentMetrics {
		unit, ok := units[m.Name]
		switch {
		case !ok:
			return "unknown current metric " + m.Name
		case m.Unit != unit:
			return fmt.Sprintf("metric %s takes unit %s, not %s", m.Name, unit, m.Unit)
		}
	}
	return ""
}

// values are every metric of a queue now.
func (s *Server) values(ctx context.Context, q Queue, st Setting) (map[string]float64, error) {
	waiting, oldest := 0.0, 0.0
	if s.Counters != nil && (st.ContactsInQueue == nil || st.OldestContactAge == nil) {
		n, age, err := s.Counters.QueueCounters(ctx, q.ID)
		if err != nil {
			return nil, err
		}
		waiting, oldest = float64(n), float64(int64(age.Seconds()))
	}
	pick := func(p *float64, def float64) float64 {
		if p != nil {
			return *p
		}
		return def
	}
	waiting, oldest = pick(st.ContactsInQueue, waiting), pick(st.OldestContactAge, oldest)
	avail, busy := pick(st.AgentsAvailable, DefaultAgentsAvailable), pick(st.AgentsOnContact, DefaultAgentsOnContact)
	online := avail + busy
	return map[string]float64{
		"CONTACTS_IN_QUEUE": waiting, "OLDEST_CONTACT_AGE": oldest,
		"AGENTS_AVAILABLE": avail, "AGENTS_ON_CONTACT": busy, "AGENTS_ON_CALL": busy,
		"AGENTS_ONLINE": online, "AGENTS_STAFFED": online, "SLOTS_ACTIVE": busy, "SLOTS_AVAILABLE": online,
		"AGENTS_AFTER_CONTACT_WORK": 0, "AGENTS_NON_PRODUCTIVE": 0, "AGENTS_ERROR": 0, "CONTACTS_SCHEDULED": 0,
	}, nil
}

func (s *Server) listQueues(w http.ResponseWriter, r *http.Request, instance string) {
	if instance != s.instance() {
		awsError(w, http.StatusNotFound, "ResourceNotFoundException", "instance "+instance+" not found")
		return
	}
	if types := r.URL.Query()["queueTypes"]; len(types) > 0 && !slices.Contains(types, "STANDARD") {
		writeJSON(w, http.StatusOK, map[string]any{"QueueSummaryList": []any{}})
		return
	}
	type summary struct {
		ID                 string  `json:"Id"`
		Arn                string  `json:"Arn"`
		Name               string  `json:"Name"`
		QueueType          string  `json:"QueueType"`
		LastModifiedTime   float64 `json:"LastModifiedTime"`
		LastModifiedRegion string  `json:"LastModifiedRegion"`
	}
	list := []summary{}
	for _, q := range s.queues() {
		if s.setting(q.ID).Deleted {
			continue
		}
		list = append(list, summary{ID: q.ID, Arn: s.QueueARN(q.ID), Name: q.Name, QueueType: "STANDARD",
			LastModifiedTime: epoch(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), LastModifiedRegion: orString(s.Region, DefaultRegion)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"QueueSummaryList": list})
}

// queueView is one queue in GET /local/queues.
type queueView struct {
	Queue
	Arn     string             `json:"arn"`
	Setting Setting            `json:"setting"`
	Metrics map[string]float64 `json:"metrics"`
}

func (s *Server) showQueues(w http.ResponseWriter, r *http.Request) {
	var out []queueView
	for _, q := range s.queues() {
		st := s.setting(q.ID)
		v, err := s.values(r.Context(), q, st)
		if err != nil {
			localError(w, http.StatusInternalServerError, err.Error())
			return
		}
		out = append(out, queueView{Queue: q, Arn: s.QueueARN(q.ID), Setting: st, Metrics: v})
	}
	s.mu.Lock()
	f := s.failure
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"instanceId": s.instance(), "queues": out, "failure": f})
}

func (s *Server) setQueue(w http.ResponseWriter, r *http.Request, name string) {
	q, ok := s.find(name)
	if !ok {
		localError(w, http.StatusNotFound, fmt.Sprintf("no queue %q; the queues are %s", name, s.names()))
		return
	}
	switch r.Method {
	case http.MethodDelete:
		s.Clear(q.ID)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPost, http.MethodPut:
		var st Setting
		dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&st); err != nil {
			localError(w, http.StatusBadRequest, "the body must be a queue setting: "+err.Error())
			return
		}
		for _, p := range []*float64{st.ContactsInQueue, st.OldestContactAge, st.AgentsAvailable, st.AgentsOnContact} {
			if p != nil && *p < 0 {
				localError(w, http.StatusBadRequest, "queue numbers must not be negative")
				return
			}
		}
		for _, m := range st.Missing {
			if _, ok := units[m]; !ok {
				localError(w, http.StatusBadRequest, "missing names an unknown metric "+m)
				return
			}
		}
		_ = s.Set(q.ID, st)
		writeJSON(w, http.StatusOK, map[string]any{"queue": q, "setting": st})
	default:
		localError(w, http.StatusMethodNotAllowed, "use POST to set a queue, DELETE to clear it")
	}
}

func (s *Server) setFailure(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodDelete:
		s.Fail(nil)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPost:
		var f Failure
		if err := json.NewDecoder(io.LimitReader(r.Body, 4<<10)).Decode(&f); err != nil || f.Code == "" || f.Count < 0 {
			localError(w, http.StatusBadRequest, `the body must be {"code":"ThrottlingException","count":3}`)
			return
		}
		s.Fail(&f)
		writeJSON(w, http.StatusOK, f)
	default:
		localError(w, http.StatusMethodNotAllowed, "use POST to set a failure, DELETE to clear it")
	}
}

func (s *Server) names() string {
	var ns []string
	for _, q := range s.queues() {
		ns = append(ns, q.Name)
	}
	return strings.Join(ns, ", ")
}

func queueIDOf(ref string) string {
	if i := strings.LastIndex(ref, "/queue/"); i >= 0 {
		return ref[i+len("/queue/"):]
	}
	return ref
}

func statusOf(code string) int {
	switch code {
	case "ThrottlingException":
		return http.StatusTooManyRequests
	case "InvalidParameterException", "InvalidRequestException":
		return http.StatusBadRequest
	case "ResourceNotFoundException":
		return http.StatusNotFound
	case "AccessDeniedException":
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// awsError answers in REST-JSON's error shape: the code in
// X-Amzn-ErrorType, the message in the body.
func awsError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Message": message})
}

func localError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"message": message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
