package seed

import (
	"context"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/rules"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

// The demo catalog is valid, loads as the decision engine sees it, its
// rules pick the customers they are written for, and a second run adds
// nothing.
func TestSeedCatalog(t *testing.T) {
	env := storetest.New(t)
	cat := catalogstore.NewCatalog(env.Clients.Dynamo, env.Tables)
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	ctx := context.Background()
	for range 2 {
		if err := SeedCatalog(ctx, cat, now); err != nil {
			t.Fatal(err)
		}
	}
	offers, campaigns, err := cat.LoadActive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(offers) != 10 || len(campaigns) != 3 {
		t.Fatalf("%d offers in %d campaigns; want 10 in 3", len(offers), len(campaigns))
	}
	status := map[string]catalog.CampaignStatus{}
	for _, c := range campaigns {
		status[c.ID] = c.Status
		if len(c.Checklist.Open()) != 0 || c.Version != 1 {
			t.Errorf("campaign %s: open items %v, version %d", c.ID, c.Checklist.Open(), c.Version)
		}
	}
	if status["fibre-upgrade"] != catalog.CampaignLive || status["home-move"] != catalog.CampaignLive || status["family-plan"] != catalog.CampaignReady {
		t.Fatalf("statuses %v", status)
	}
	// A mover who calls about the move gets the moving-day offer; a
	// price-sensitive broadband customer with a high bill the value plan.
	mover := rules.NewActivation(rules.Vars{Contact: rules.Contact{Channel: "voice", Intent: "move"}})
	saver := rules.NewActivation(rules.Vars{
		Profile: rules.Profile{Segments: []string{"price_sensitive"}, Products: []string{"broadband_100"}, TenureMonths: 20},
		Contact: rules.Contact{Channel: "voice", Intent: "high_bill"},
	})
	want := map[string][2]bool{"move-day-one": {true, false}, "fibre-500-value": {false, true}, "fibre-1000-switch": {false, true}, "wifi-booster": {false, false}}
	for _, o := range offers {
		w, ok := want[o.ID]
		if !ok {
			continue
		}
		r, err := rules.Compiled(o.Eligibility)
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range []*rules.Activation{mover, saver} {
			if got, _ := a.Eval(r, rules.Campaign{ID: o.CampaignID}); got != w[i] {
				t.Errorf("offer %s for customer %d: %v, want %v", o.ID, i, got, w[i])
			}
		}
	}
}
