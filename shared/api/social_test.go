package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/api/apitest"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/logging"
	"github.com/conduit-cx/conduit/shared/offer"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
	"github.com/conduit-cx/conduit/shared/voice"
)

const ingester = api.ScopeIngest

// routedEvents records routed posts; it fails while fail is set.
type routedEvents struct {
	mu   sync.Mutex
	fail bool
	got  []voice.RoutedEvent
}

func (e *routedEvents) Publish(_ context.Context, evs ...voice.RoutedEvent) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fail {
		return errors.New("stream unavailable")
	}
	e.got = append(e.got, evs...)
	return nil
}

type socialFixture struct {
	t      *testing.T
	env    storetest.Env
	srv    *api.Server
	social *store.Social
	events *routedEvents
}

func newSocialFixture(t *testing.T, env storetest.Env, publisher api.EventPublisher) *socialFixture {
	t.Helper()
	profileStore := store.NewProfiles(env.Clients.Dynamo, env.Tables)
	f := &socialFixture{t: t, env: env, social: store.NewSocial(env.Clients.Dynamo, env.Tables), events: &routedEvents{}}
	if publisher == nil {
		publisher = f.events
	}
	f.srv = api.NewServer(api.Deps{
		Profiles:      profileStore,
		Identity:      identity.NewHasher(env.Config.IdentityKey),
		Social:        f.social,
		VoiceEvents:   publisher,
		VoiceProfiles: profileStore,
		Surveys:       &offer.SurveyRecorder{Store: store.NewSurveys(env.Clients.Dynamo, env.Tables), Profiles: profileStore},
		Clock:         func() time.Time { return clock },
		Log:           logging.New(&strings.Builder{}, slog.LevelWarn),
	})
	return f
}

func (f *socialFixture) do(method, target string, body any, scopes ...string) apitest.Response {
	f.t.Helper()
	return apitest.Do(f.t, f.srv, apitest.Request(method, target, body, scopes...))
}

func (f *socialFixture) must(resp apitest.Response, status int) apitest.Response {
	f.t.Helper()
	if resp.Status != status {
		f.t.Fatalf("status %d; want %d\n%s", resp.Status, status, resp.Body)
	}
	return resp
}

func postBody(id, author, text string, followers int) map[string]any {
	return map[string]any{"network": "x", "postId": id, "author": author, "text": text,
		"postedAt": clock.Add(-10 * time.Minute).Format(time.RFC3339), "followers": followers, "language": "en"}
}

// postView is a post as the API answers it.
type postView struct {
	Network     string       `json:"network"`
	PostID      string       `json:"postId"`
	ProfileID   string       `json:"profileId"`
	Text        string       `json:"text"`
	Status      string       `json:"status"`
	Version     int          `json:"version"`
	HandledBy   string       `json:"handledBy"`
	HandledAt   time.Time    `json:"handledAt"`
	Note        string       `json:"note"`
	ReceivedAt  time.Time    `json:"receivedAt"`
	PublishedAt time.Time    `json:"publishedAt"`
	Triage      voice.Triage `json:"triage"`
}

func TestSocialPostThroughTheAPI(t *testing.T) {
	t.Parallel()
	f := newSocialFixture(t, storetest.New(t), nil)
	// A customer whose profile carries their handle on X.
	resp := f.must(f.do(http.MethodPost, "/v1/profiles", map[string]any{"phone": "+447700900123",
		"handles": []map[string]string{{"network": "x", "handle": "@JaneDoe"}}}, marketer), http.StatusCreated)
	var profile struct {
		ID         string   `json:"id"`
		Identities []string `json:"identities"`
	}
	resp.JSON(t, &profile)

	// Her complaint: stored, triaged, linked, published.
	complaint := postBody("1899001", "@janedoe", "Internet is down AGAIN in Leeds. Third time this week!", 1200)
	resp = f.must(f.do(http.MethodPost, "/v1/social/posts", complaint, ingester), http.StatusCreated)
	var p postView
	resp.JSON(t, &p)
	if p.ProfileID != profile.ID || p.Triage.Route != voice.RouteService || p.Triage.Topic != "outage" || p.Triage.Severity != voice.SeverityCritical ||
		p.Triage.Priority != "p1" || !p.Triage.OpensComplaint || len(p.Triage.Reasons) == 0 || p.Triage.RulesVersion == "" ||
		p.Status != voice.StatusOpen || p.Version != 1 || p.PublishedAt.IsZero() {
		t.Fatalf("created %s", resp.Body)
	}
	if loc := resp.Headers.Get("Location"); loc != "/v1/social/posts/x/1899001" {
		t.Errorf("Location %q", loc)
	}
	// The handle is never stored or shown; neither is its hash.
	if s := strings.ToLower(string(resp.Body)); strings.Contains(s, "janedoe") || strings.Contains(s, "handle#") || strings.Contains(s, "author") {
		t.Errorf("the answer shows the author: %s", resp.Body)
	}
	// The same post again: 200, the stored post, nothing changed, published once.
	changed := postBody("1899001", "@janedoe", "edited: all fine now", 1200)
	resp = f.must(f.do(http.MethodPost, "/v1/social/posts", changed, ingester), http.StatusOK)
	var again postView
	resp.JSON(t, &again)
	if again.Text != p.Text || !again.ReceivedAt.Equal(p.ReceivedAt) || again.Version != 1 || len(f.events.got) != 1 {
		t.Fatalf("duplicate answered %s; %d events", resp.Body, len(f.events.got))
	}
	ev := f.events.got[0]
	if ev.Source != voice.EventSource || ev.DetailType != voice.EventDetailType || ev.ID != "social#x#1899001" ||
		ev.Detail.ProfileID != profile.ID || ev.Detail.Route != voice.RouteService || ev.Detail.Priority != "p1" {
		t.Fatalf("event %+v", ev)
	}

	// The profile shows the signal, and holds an open complaint.
	var view struct {
		Voice struct {
			LastSocialTopic   string    `json:"lastSocialTopic"`
			LastSocialRoute   string    `json:"lastSocialRoute"`
			ComplaintOpenedAt time.Time `json:"complaintOpenedAt"`
			OpenComplaints    []struct {
				Post string `json:"post"`
			} `json:"openComplaints"`
		} `json:"voice"`
	}
	f.must(f.do(http.MethodGet, "/v1/profiles/"+profile.ID, nil, analyst), http.StatusOK).JSON(t, &view)
	if v := view.Voice; v.LastSocialTopic != "outage" || v.LastSocialRoute != "service" || v.ComplaintOpenedAt.IsZero() ||
		len(v.OpenComplaints) != 1 || v.OpenComplaints[0].Post != "x#1899001" {
		t.Fatalf("profile voice %+v", v)
	}

	// Someone else's praise goes to marketing, unlinked.
	resp = f.must(f.do(http.MethodPost, "/v1/social/posts", postBody("1899002", "@fan", "Never had a problem with Acme, 6 years and counting", 90000), ingester), http.StatusCreated)
	p = postView{}
	resp.JSON(t, &p)
	if p.Triage.Route != voice.RouteMarketing || p.Triage.Action != voice.ActionAdvocate || p.ProfileID != "" || p.Triage.Urgency != voice.UrgencyHigh {
		t.Fatalf("praise %s", resp.Body)
	}

	// Work queues.
	list := func(query string, scopes ...string) []postView {
		var page struct {
			Items      []postView `json:"items"`
			NextCursor string     `json:"nextCursor"`
		}
		f.must(f.do(http.MethodGet, "/v1/social/posts?"+query, nil, scopes...), http.StatusOK).JSON(t, &page)
		return page.Items
	}
	if got := list("route=service&status=open", analyst); len(got) != 1 || got[0].PostID != "1899001" {
		t.Fatalf("service queue %+v", got)
	}
	if got := list("route=marketing", marketer); len(got) != 1 || got[0].PostID != "1899002" {
		t.Fatalf("marketing queue %+v", got)
	}
	wantError(t, f.do(http.MethodGet, "/v1/social/posts", nil, analyst), http.StatusBadRequest, "invalid_input", "route")
	wantError(t, f.do(http.MethodGet, "/v1/social/posts?route=sales&status=closed", nil, analyst), http.StatusBadRequest, "invalid_input", "route", "status")
	wantError(t, f.do(http.MethodGet, "/v1/social/posts?route=service&cursor=nonsense", nil, analyst), http.StatusBadRequest, "invalid_input", "cursor")

	// Handling: the version is required, who and when are recorded, the
	// complaint on the profile closes.
	wantError(t, f.do(http.MethodPatch, "/v1/social/posts/x/1899001", `{"status":"handled"}`, marketer), http.StatusBadRequest, "invalid_input", "version")
	wantError(t, f.do(http.MethodPatch, "/v1/social/posts/x/1899001", `{"status":"closed","version":1}`, marketer), http.StatusBadRequest, "invalid_input", "status")
	wantError(t, f.do(http.MethodPatch, "/v1/social/posts/x/1899001", `{"status":"handled","version":3}`, marketer), http.StatusConflict, "conflict")
	ev2 := apitest.WithHeader(apitest.Request(http.MethodPatch, "/v1/social/posts/x/1899001",
		`{"status":"handled","note":"DM sent with the outage page and a credit"}`, ingester), "If-Match", `"1"`)
	resp = f.must(apitest.Do(t, f.srv, ev2), http.StatusOK)
	resp.JSON(t, &p)
	if p.Status != voice.StatusHandled || p.HandledBy != apitest.Subject || !p.HandledAt.Equal(clock) || p.Version != 2 ||
		p.Note != "DM sent with the outage page and a credit" || resp.Headers.Get("ETag") != `"2"` {
		t.Fatalf("handled %s", resp.Body)
	}
	wantError(t, f.do(http.MethodPatch, "/v1/social/posts/x/1899001", `{"status":"handled","version":2}`, marketer), http.StatusConflict, "conflict")
	view.Voice.OpenComplaints, view.Voice.ComplaintOpenedAt = nil, time.Time{}
	f.must(f.do(http.MethodGet, "/v1/profiles/"+profile.ID, nil, analyst), http.StatusOK).JSON(t, &view)
	if !view.Voice.ComplaintOpenedAt.IsZero() || len(view.Voice.OpenComplaints) != 0 || view.Voice.LastSocialTopic != "outage" {
		t.Fatalf("after handling, profile voice %+v", view.Voice)
	}
	if got := list("route=service&status=handled", analyst); len(got) != 1 || got[0].HandledBy != apitest.Subject {
		t.Fatalf("handled queue %+v", got)
	}
	f.must(f.do(http.MethodGet, "/v1/social/posts/x/1899001", nil, analyst), http.StatusOK)
	wantError(t, f.do(http.MethodGet, "/v1/social/posts/x/404", nil, analyst), http.StatusNotFound, "not_found")
	wantError(t, f.do(http.MethodGet, "/v1/social/posts/myspace/1", nil, analyst), http.StatusNotFound, "not_found")

	// Scopes.
	for _, c := range []struct {
		method, target string
		body           any
		scope          string
	}{
		{http.MethodPost, "/v1/social/posts", postBody("9", "@a", "hi", 0), analyst},
		{http.MethodPost, "/v1/social/posts", postBody("9", "@a", "hi", 0), marketer},
		{http.MethodGet, "/v1/social/posts?route=service", nil, ingester},
		{http.MethodPatch, "/v1/social/posts/x/1899002", `{"status":"handled","version":1}`, analyst},
	} {
		wantError(t, f.do(c.method, c.target, c.body, c.scope), http.StatusForbidden, "forbidden")
	}
	wantError(t, f.do(http.MethodPost, "/v1/social/posts", postBody("9", "@a", "hi", 0)), http.StatusUnauthorized, "unauthorized")
}

func TestSocialPostBadInputStoresNothing(t *testing.T) {
	t.Parallel()
	f := newSocialFixture(t, storetest.New(t), nil)
	good := `{"network":"x","postId":"42","author":"@jo","text":"bill is wrong","postedAt":"2026-03-02T09:00:00Z","followers":10}`
	with := func(from, to string) string {
		if !strings.Contains(good, from) {
			t.Fatalf("the good post lacks %s", from)
		}
		return strings.Replace(good, from, to, 1)
	}
	cases := []struct {
		name, body string
		fields     []string
	}{
		{"unknown network", with(`"network":"x"`, `"network":"myspace"`), []string{"network"}},
		{"empty text", with(`"text":"bill is wrong"`, `"text":"   "`), []string{"text"}},
		{"huge text", with(`"text":"bill is wrong"`, `"text":"`+strings.Repeat("slow ", voice.MaxTextChars/4)+`"`), []string{"text"}},
		{"text that is not UTF-8", with(`"text":"bill is wrong"`, "\"text\":\"bill \xff\xfe wrong\""), []string{"text"}},
		{"text already mangled on the way", with(`"text":"bill is wrong"`, `"text":"bill \ufffd wrong"`), []string{"text"}},
		{"a date that is no date", with(`"postedAt":"2026-03-02T09:00:00Z"`, `"postedAt":"yesterday"`), []string{"postedAt"}},
		{"a date in the future", with(`"postedAt":"2026-03-02T09:00:00Z"`, `"postedAt":"2026-04-02T09:00:00Z"`), []string{"postedAt"}},
		{"no date", with(`,"postedAt":"2026-03-02T09:00:00Z"`, ``), []string{"postedAt"}},
		{"negative followers", with(`"followers":10`, `"followers":-4`), []string{"followers"}},
		{"followers as text", with(`"followers":10`, `"followers":"many"`), []string{"followers"}},
		{"no author", with(`"author":"@jo"`, `"author":""`), []string{"author"}},
		{"a post id with a slash", with(`"postId":"42"`, `"postId":"4/2"`), []string{"postId"}},
		{"an unknown field", with(`"followers":10`, `"followers":10,"likes":3`), []string{"likes"}},
		{"everything wrong at once", `{"network":"","postId":"","author":"","text":"","followers":-1}`,
			[]string{"network", "postId", "author", "text", "postedAt", "followers"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := apitest.Request(http.MethodPost, "/v1/social/posts", tc.body, ingester)
			if !utf8.ValidString(tc.body) {
				// API Gateway passes a body that is not UTF-8 text base64-encoded.
				ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(tc.body)), true
			}
			wantError(t, apitest.Do(t, f.srv, ev), http.StatusBadRequest, "invalid_input", tc.fields...)
		})
	}
	wantError(t, f.do(http.MethodPost, "/v1/social/posts", "not json", ingester), http.StatusBadRequest, "invalid_input", "body")
	for _, route := range []voice.Route{voice.RouteService, voice.RouteMarketing} {
		if got, _, err := f.social.ListPosts(context.Background(), route, "", 100, ""); err != nil || len(got) != 0 {
			t.Fatalf("refused posts were stored: %v %v", got, err)
		}
	}
	if len(f.events.got) != 0 {
		t.Fatalf("refused posts were published: %v", f.events.got)
	}
}

// A failed publish answers 500 after storing the post; the tool's retry
// finds it (200) and publishes it then.
func TestSocialPostPublishedOnRetry(t *testing.T) {
	t.Parallel()
	f := newSocialFixture(t, storetest.New(t), nil)
	f.events.fail = true
	body := postBody("77", "@sam", "charged twice this month", 0)
	wantError(t, f.do(http.MethodPost, "/v1/social/posts", body, ingester), http.StatusInternalServerError, "internal")
	f.events.fail = false
	resp := f.must(f.do(http.MethodPost, "/v1/social/posts", body, ingester), http.StatusOK)
	var p postView
	resp.JSON(t, &p)
	if p.PublishedAt.IsZero() || len(f.events.got) != 1 || f.events.got[0].Detail.Topic != "billing" {
		t.Fatalf("after the retry: %s, %d events", resp.Body, len(f.events.got))
	}
	f.must(f.do(http.MethodPost, "/v1/social/posts", body, ingester), http.StatusOK)
	if len(f.events.got) != 1 {
		t.Fatalf("a published post was published again: %d events", len(f.events.got))
	}
}

// The routed event on the local Kinesis stream (kinesalite), as the api
// function publishes it in the cloud: the EventBridge envelope and the detail.
func TestRoutedPostOnTheDecisionsStream(t *testing.T) {
	t.Parallel()
	env := storetest.NewWithStreams(t)
	publisher := store.NewStreamPublisher(env.Clients.Kinesis, env.Streams.Decisions, func(e voice.RoutedEvent) string { return e.ID })
	f := newSocialFixture(t, env, publisher)
	f.must(f.do(http.MethodPost, "/v1/social/posts", postBody("5001", "@buyer", "Looking to buy a new phone, what deals do you have?", 300), ingester), http.StatusCreated)

	ctx := context.Background()
	kin, name := env.Clients.Kinesis, aws.String(env.Streams.Decisions)
	shards, err := kin.ListShards(ctx, &kinesis.ListShardsInput{StreamName: name})
	if err != nil {
		t.Fatal(err)
	}
	var records [][]byte
	for _, sh := range shards.Shards {
		it, err := kin.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: name, ShardId: sh.ShardId, ShardIteratorType: kintypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		got, err := kin.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got.Records {
			records = append(records, r.Data)
		}
	}
	if len(records) != 1 {
		t.Fatalf("%d records on the stream, want 1", len(records))
	}
	var ev map[string]any
	if err := json.Unmarshal(records[0], &ev); err != nil {
		t.Fatal(err)
	}
	detail, _ := ev["detail"].(map[string]any)
	want := map[string]any{"type": "social_post_routed", "source": "conduit.voice", "detailType": "Social Post Routed", "id": "social#x#5001", "schemaVersion": 1.0}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("%s = %v, want %v", k, ev[k], v)
		}
	}
	if detail["route"] != "marketing" || detail["action"] != "lead" || detail["topic"] != "purchase_intent" || detail["postId"] != "5001" ||
		detail["text"] == nil || detail["rulesVersion"] == nil {
		t.Errorf("detail %v", detail)
	}
	if strings.Contains(string(records[0]), "buyer") {
		t.Errorf("the event carries the author's handle: %s", records[0])
	}
}
