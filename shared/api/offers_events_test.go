package api_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/api/apitest"
	"github.com/conduit-cx/conduit/shared/catalog"
)

// The sample API Gateway events of the catalog (events/api/catalog-*.json)
// are real calls: replayed in order through the handler over DynamoDB
// Local, each gets the answer a marketer would expect.
func TestCatalogSampleEvents(t *testing.T) {
	t.Parallel()
	f := newCatalogFixture(t)
	replay := func(name string, want int) apitest.Response {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join("..", "..", "events", "api", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		resp := apitest.Do(t, f.srv, ev)
		if resp.Status != want {
			t.Fatalf("%s: status %d, want %d\n%s", name, resp.Status, want, resp.Body)
		}
		return resp
	}
	replay("catalog-create-campaign", http.StatusCreated)
	replay("catalog-create-offer", http.StatusCreated)
	replay("catalog-checklist-item", http.StatusOK)
	for _, item := range []string{catalog.ItemAgentBriefingPublished, catalog.ItemScriptsApproved, catalog.ItemFAQPublished} {
		f.mustStatus(f.do(http.MethodPut, "/v1/campaigns/spring-fibre/checklist/"+item, `{"done":true}`, marketer), http.StatusOK)
	}
	var c catalog.Campaign
	replay("catalog-move-campaign", http.StatusOK).JSON(t, &c)
	if c.Status != catalog.CampaignReady || c.Checklist.StaffingConfirmed.By != "carl.contactcenter@example.com" {
		t.Fatalf("campaign %+v", c)
	}
	replay("catalog-move-offer", http.StatusOK)
	var check struct {
		OK       bool
		Problems []struct{ Token string }
	}
	replay("catalog-validate-rule", http.StatusOK).JSON(t, &check)
	if check.OK || len(check.Problems) != 1 || check.Problems[0].Token != ".tenur_months" {
		t.Fatalf("rule check %+v", check)
	}
	var page api.Page[catalog.Offer]
	replay("catalog-list-offers", http.StatusOK).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ID != "spring-fibre-1000" || !strings.HasPrefix(page.Items[0].Content.Pitch, "Fibre 1000") {
		t.Fatalf("list %+v", page)
	}
}
