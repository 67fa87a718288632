package lambdas

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

func TestRegistryEntriesAreComplete(t *testing.T) {
	for name, fn := range Registry() {
		if fn.New == nil {
			t.Errorf("%s has no constructor", name)
		}
		if _, err := os.Stat("../../functions/" + name + "/main.go"); err != nil {
			t.Errorf("%s has no functions/%s/main.go", name, name)
		}
		tr := fn.Trigger
		switch tr.Kind {
		case KindInvoke, KindAPI:
		case KindStream:
			if tr.Stream.Suffix == "" || tr.BatchSize <= 0 || tr.RetryAttempts < 0 {
				t.Errorf("%s: a stream trigger needs a stream, a batch size and bounded retries: %+v", name, tr)
			}
		case KindEvents:
			if tr.Source == "" {
				t.Errorf("%s: an events trigger needs a source", name)
			}
		case KindSchedule:
			if tr.Every <= 0 {
				t.Errorf("%s: a schedule needs a period", name)
			}
		default:
			t.Errorf("%s: unknown trigger kind %q", name, tr.Kind)
		}
	}
}

// TestAPIAnswersTheSampleEvent runs the api function as Lambda would, with
// the sample event of events/api, over a real DynamoDB Local.
func TestAPIAnswersTheSampleEvent(t *testing.T) {
	env := storetest.New(t)
	ctx := context.Background()
	key, err := identity.NewHasher(env.Config.IdentityKey).CustomerID("C-0001")
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.NewProfiles(env.Clients.Dynamo, env.Tables).Create(ctx, profiles.Profile{
		ID: "demo-0001", Identities: []identity.Key{key}, Segments: []string{"families"},
		ValueTier: "gold", CustomerSince: time.Date(2019, 4, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := Registry()["api"].New(ctx, env.Config, env.Clients)
	if err != nil {
		t.Fatal(err)
	}
	event, err := os.ReadFile("../../events/api/get-profile.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Invoke(ctx, event)
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       string            `json:"body"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"id":"demo-0001"`) || !strings.Contains(resp.Body, `"valueTier":"gold"`) {
		t.Fatalf("response %d %s", resp.StatusCode, resp.Body)
	}
	if resp.Headers["X-Request-Id"] != "Q2sZxYabcDEFg=" {
		t.Errorf("the request id of the event should answer as X-Request-Id; headers %v", resp.Headers)
	}
}
