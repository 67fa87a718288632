package api_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/api/apitest"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/logging"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
	"github.com/conduit-cx/conduit/shared/voice"
)

// The sample API Gateway events of events/social are real calls of a
// listening tool and the care team: replayed in order through the handler
// over DynamoDB Local, each gets the answer they would expect.
func TestSocialSampleEvents(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	profileStore := store.NewProfiles(env.Clients.Dynamo, env.Tables)
	published := &routedEvents{}
	srv := api.NewServer(api.Deps{
		Profiles: profileStore, Identity: identity.NewHasher(env.Config.IdentityKey),
		Social: store.NewSocial(env.Clients.Dynamo, env.Tables), VoiceEvents: published, VoiceProfiles: profileStore,
		Clock: func() time.Time { return time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC) },
		Log:   logging.New(&strings.Builder{}, slog.LevelWarn),
	})
	replay := func(name string, want int) apitest.Response {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join("..", "..", "events", "social", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var ev events.APIGatewayV2HTTPRequest
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("%s is not an API Gateway payload 2.0 event: %v", name, err)
		}
		resp := apitest.Do(t, srv, ev)
		if resp.Status != want {
			t.Fatalf("%s: status %d, want %d\n%s", name, resp.Status, want, resp.Body)
		}
		return resp
	}
	var p postView
	replay("post-outage", http.StatusCreated).JSON(t, &p)
	if p.Triage.Route != voice.RouteService || p.Triage.Topic != "outage" || p.Triage.Priority != "p1" {
		t.Fatalf("outage post %+v", p.Triage)
	}
	replay("post-outage", http.StatusOK)
	p = postView{}
	replay("post-lead", http.StatusCreated).JSON(t, &p)
	if p.Triage.Route != voice.RouteMarketing || p.Triage.Action != voice.ActionLead || p.Triage.Urgency != voice.UrgencyHigh {
		t.Fatalf("lead post %+v", p.Triage)
	}
	var page struct{ Items []postView }
	replay("list-service-open", http.StatusOK).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].PostID != "1897734012998211584" {
		t.Fatalf("service queue %+v", page.Items)
	}
	p = postView{}
	replay("handle-post", http.StatusOK).JSON(t, &p)
	if p.Status != voice.StatusHandled || p.HandledBy != "social.care@example.com" || p.Version != 2 {
		t.Fatalf("handled %+v", p)
	}
	replay("handle-post", http.StatusConflict)
	if len(published.got) != 2 {
		t.Fatalf("%d routed events, want 2", len(published.got))
	}
}
