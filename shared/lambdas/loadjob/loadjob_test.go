package loadjob

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/scripts/localconnect"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/load"
	"github.com/conduit-cx/conduit/shared/loadwatch"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

func TestLoadSettingsFromEnvironment(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	cfg := config.Config{ConnectQueueIDs: []string{"q1", "q2"}}
	s, err := loadSettings(cfg, env(map[string]string{EnvLoadStaleAfter: "90s", EnvLoadMinHold: "15m", EnvServiceWindow: "30m", config.EnvServiceLevelSeconds: "30"}))
	if err != nil || s.Thresholds.StaleAfter != 90*time.Second || s.MinHold != 15*time.Minute || s.ServiceWindow != 30*time.Minute ||
		s.ServiceThreshold != 30*time.Second || len(s.QueueIDs) != 2 || s.Thresholds.MinDwell != 5*time.Minute {
		t.Errorf("settings %+v %v", s, err)
	}
	_, err = loadSettings(cfg, env(map[string]string{EnvLoadStaleAfter: "soon", EnvLoadMinDwell: "-1m", config.EnvServiceLevelSeconds: "0"}))
	for _, name := range []string{EnvLoadStaleAfter, EnvLoadMinDwell, config.EnvServiceLevelSeconds} {
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

// TestLoadWatchAnswersTheSampleEvent runs the loadwatch function as Lambda
// would, with the sample scheduled event, over DynamoDB Local and a small
// stand-in for Connect's two REST operations.
func TestLoadWatchAnswersTheSampleEvent(t *testing.T) {
	env := storetest.New(t)
	ctx := context.Background()
	// The local Amazon Connect endpoint the runner serves, its Sales queue
	// overloaded: 18 waiting, the oldest for 200 s, no agent free.
	connect := &localconnect.Server{Queues: []localconnect.Queue{{ID: "q-1", Name: "Sales"}}}
	n := func(v float64) *float64 { return &v }
	if err := connect.Set("Sales", localconnect.Setting{ContactsInQueue: n(18), OldestContactAge: n(200), AgentsAvailable: n(0), AgentsOnContact: n(10)}); err != nil {
		t.Fatal(err)
	}
	connectAPI := httptest.NewServer(connect)
	defer connectAPI.Close()
	cfg := env.Config
	cfg.ConnectEndpoint, cfg.ConnectInstanceID, cfg.ConnectQueueIDs = connectAPI.URL, localconnect.DefaultInstanceID, []string{"q-1"}
	h, err := LoadWatch(ctx, cfg, env.Clients)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := os.ReadFile("../../../events/loadwatch/scheduled.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Invoke(ctx, payload)
	var res loadwatch.Result
	if err != nil || json.Unmarshal(out, &res) != nil || len(res.Wallboard.Queues) != 1 {
		t.Fatalf("%s %v", out, err)
	}
	if q := res.Wallboard.Queues[0]; q.Name != "Sales" || q.State.Level != load.Overloaded {
		t.Fatalf("queue %+v", q)
	}
	if _, err := h.Invoke(ctx, []byte(`{"whatif":{"jobId":"x"}}`)); err == nil || !strings.Contains(err.Error(), "detail-type") {
		t.Fatalf("not a scheduled event: %v", err)
	}
}
