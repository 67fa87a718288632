package lambdas

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/campaignjob"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

func TestLoadSettingsFromEnvironment(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	cfg := config.Config{ConnectQueueIDs: []string{"q1", "q2"}}
	s, err := loadSettings(cfg, env(map[string]string{EnvLoadStaleAfter: "90s", EnvLoadMinHold: "15m", EnvServiceWindow: "30m", EnvServiceLevelSeconds: "30"}))
	if err != nil || s.Thresholds.StaleAfter != 90*time.Second || s.MinHold != 15*time.Minute || s.ServiceWindow != 30*time.Minute ||
		s.ServiceThreshold != 30*time.Second || len(s.QueueIDs) != 2 || s.Thresholds.MinDwell != 5*time.Minute {
		t.Errorf("settings %+v %v", s, err)
	}
	_, err = loadSettings(cfg, env(map[string]string{EnvLoadStaleAfter: "soon", EnvLoadMinDwell: "-1m", EnvServiceLevelSeconds: "0"}))
	for _, name := range []string{EnvLoadStaleAfter, EnvLoadMinDwell, EnvServiceLevelSeconds} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
}

func TestLoadWatchNeedsItsQueues(t *testing.T) {
	_, err := LoadWatch(context.Background(), config.Config{Stage: "t"}, nil)
	if err == nil || !strings.Contains(err.Error(), config.EnvConnectInstanceID) || !strings.Contains(err.Error(), config.EnvConnectQueueIDs) {
		t.Fatalf("%v", err)
	}
}

// TestCampaignsAnswersItsPayloads runs the campaigns function as Lambda
// would over DynamoDB Local: the sample scheduled event runs the
// lifecycle, a what-if run of an unknown job fails, anything else is
// refused with the fields named.
func TestCampaignsAnswersItsPayloads(t *testing.T) {
	env := storetest.New(t)
	ctx := context.Background()
	h, err := Campaigns(ctx, env.Config, env.Clients)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := os.ReadFile("../../events/campaigns/scheduled.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Invoke(ctx, payload)
	var ans campaignjob.Answer
	if err != nil || json.Unmarshal(out, &ans) != nil || ans.Lifecycle == nil {
		t.Fatalf("%s %v", out, err)
	}
	sample, err := os.ReadFile("../../events/campaigns/whatif.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Invoke(ctx, sample); err == nil || !strings.Contains(err.Error(), "no what-if") {
		t.Fatalf("unknown job: %v", err)
	}
	for payload, want := range map[string]string{
		`{"whatif":{"chunk":-1}}`:                       "whatif.jobId",
		`{"whatif":{"jobId":"x","chunk":1,"extra":1}}`:  "whatif",
		`{"version":"2.0","routeKey":"GET /v1/queues"}`: "detail-type",
	} {
		if _, err := h.Invoke(ctx, []byte(payload)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", payload, err)
		}
	}
}
