package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/load"
	"github.com/conduit-cx/conduit/shared/loadwatch"
)

func TestQueuesShowLoadAgeAndHolds(t *testing.T) {
	t.Parallel()
	f := newLoadFixture(t, 0)
	resp := f.do(http.MethodGet, "/v1/queues", nil, analyst)
	if resp.Status != http.StatusOK || string(resp.Body) != `{"items":[],"holds":[],"staleAfterSeconds":180}`+"\n" {
		t.Fatalf("before the load watcher ran: %d %s", resp.Status, resp.Body)
	}
	fresh, old := f.now.Add(-40*time.Second), f.now.Add(-10*time.Minute)
	board := loadwatch.Wallboard{RunAt: f.now.Add(-20 * time.Second), StaleAfterSeconds: 180,
		Queues: []loadwatch.Queue{
			{ID: "q1", Name: "Sales", CheckedAt: fresh, State: load.State{Queue: "Sales", Level: load.Overloaded, Since: old, UpdatedAt: fresh,
				Reason: "queue Sales ASA 94 s > 60 s", Metrics: load.Metrics{Queue: "Sales", At: fresh, ContactsWaiting: load.Known(18),
					AgentsAvailable: load.Known(1), AgentsOnContact: load.Known(9), ASA: load.Known(94)}},
				Counters: &loadwatch.Counters{Waiting: 17, OldestWaitSeconds: 210, At: fresh}},
			{ID: "q2", Name: "Billing", CheckedAt: fresh, Problem: "Connect returned no metrics for the queue",
				State: load.State{Queue: "Billing", Level: load.Normal, Since: old, UpdatedAt: old}},
		},
		Holds: []loadwatch.Hold{{CampaignID: "spring", Name: "Spring", Reason: "held: queue Sales ASA 94 s > 60 s", Since: old, Queues: []string{"Sales"}}},
	}
	if err := f.board.SaveWallboard(context.Background(), board); err != nil {
		t.Fatal(err)
	}
	resp = f.do(http.MethodGet, "/v1/queues", nil, marketer)
	var got struct {
		Items []struct {
			Name       string   `json:"name"`
			Level      string   `json:"level"`
			AgeSeconds *float64 `json:"ageSeconds"`
			Stale      bool     `json:"stale"`
			Reason     string   `json:"reason"`
			Problem    string   `json:"problem"`
			Metrics    struct {
				ContactsWaiting *float64 `json:"contactsWaiting"`
				Occupancy       *float64 `json:"occupancy"`
				ASA             *float64 `json:"asaSeconds"`
				ServiceLevel    *float64 `json:"serviceLevel"`
			} `json:"metrics"`
			Counters *struct {
				Waiting int `json:"waiting"`
			} `json:"counters"`
			Holds []struct {
				CampaignID string `json:"campaignId"`
				Reason     string `json:"reason"`
			} `json:"holds"`
		} `json:"items"`
		Holds []struct {
			CampaignID string `json:"campaignId"`
		} `json:"holds"`
		RunAt string `json:"runAt"`
	}
	resp.JSON(t, &got)
	if resp.Status != http.StatusOK || len(got.Items) != 2 || len(got.Holds) != 1 || got.RunAt == "" {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	sales, billing := got.Items[0], got.Items[1]
	if sales.Level != "overloaded" || *sales.AgeSeconds != 40 || sales.Stale || *sales.Metrics.ContactsWaiting != 18 ||
		*sales.Metrics.Occupancy != 0.9 || *sales.Metrics.ASA != 94 || sales.Metrics.ServiceLevel != nil ||
		sales.Counters.Waiting != 17 || len(sales.Holds) != 1 || sales.Holds[0].Reason != "held: queue Sales ASA 94 s > 60 s" {
		t.Fatalf("sales %+v\n%s", sales, resp.Body)
	}
	if !billing.Stale || *billing.AgeSeconds != 600 || billing.Problem == "" || len(billing.Holds) != 0 {
		t.Fatalf("billing %+v", billing)
	}
	if resp := f.do(http.MethodGet, "/v1/queues", nil); resp.Status != http.StatusUnauthorized {
		t.Fatalf("without a token: %d", resp.Status)
	}
}
