package kpijob

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/rollup"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

func TestRollupOptionsFromEnvironment(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	o, err := rollupOptions(env(map[string]string{EnvRollupLateWindow: "90m", EnvRollupMaxDays: "3", config.EnvServiceLevelSeconds: "30"}))
	if err != nil || o.LateWindow != 90*time.Minute || o.MaxDaysPerRun != 3 || o.Rules.ServiceLevelThreshold != 30*time.Second {
		t.Errorf("options %+v %v", o, err)
	}
	_, err = rollupOptions(env(map[string]string{EnvRollupLateWindow: "forever", EnvRollupLookBack: "1s", EnvRollupMaxDays: "0", config.EnvServiceLevelSeconds: "x"}))
	for _, name := range []string{EnvRollupLateWindow, EnvRollupLookBack, EnvRollupMaxDays, config.EnvServiceLevelSeconds} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
}

// TestRollupAnswersTheSampleEvent runs the rollup function as Lambda
// would, with the sample scheduled event of events/rollup, over DynamoDB
// Local; a payload it cannot take is refused with the field named.
func TestRollupAnswersTheSampleEvent(t *testing.T) {
	env := storetest.New(t)
	h, err := Rollup(context.Background(), env.Config, env.Clients)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := os.ReadFile("../../../events/rollup/scheduled.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	var rep rollup.Report
	if err := json.Unmarshal(out, &rep); err != nil || rep.Mode != rollup.ModeScheduled || !rep.Complete || rep.Watermark.IsZero() {
		t.Errorf("report %s (%v)", out, err)
	}
	if _, err := h.Invoke(context.Background(), []byte(`{"from":"2026-03-02T00:00:00Z","to":"yesterday"}`)); err == nil || !strings.Contains(err.Error(), "to:") {
		t.Errorf("bad backfill payload: %v", err)
	}
}
