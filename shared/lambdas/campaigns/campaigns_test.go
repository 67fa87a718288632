package campaigns

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/conduit-cx/conduit/shared/campaignjob"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

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
	payload, err := os.ReadFile("../../../events/campaigns/scheduled.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Invoke(ctx, payload)
	var ans campaignjob.Answer
	if err != nil || json.Unmarshal(out, &ans) != nil || ans.Lifecycle == nil {
		t.Fatalf("%s %v", out, err)
	}
	sample, err := os.ReadFile("../../../events/campaigns/whatif.json")
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
