package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/api/apitest"
	"github.com/conduit-cx/conduit/shared/catalog"
)

const fibreOffer = `{"id":"fibre-1g","name":"Fibre 1 Gbit for less","campaignId":"fibre-upgrade","channels":["voice","chat"],
	"validFrom":"2026-03-09T08:00:00Z","validTo":"2026-05-31T20:00:00Z","value":{"amount":"120.00","currency":"EUR"},
	"businessLever":1.2,"priorityWeight":1,
	"eligibility":"\"broadband\" in profile.segments && contact.intent == \"high_bill\" && profile.tenure_months >= 12",
	"intents":["high_bill"],"caps":{"perCustomer":{"max":1,"windowDays":30},"global":5000},"suppressionDaysAfterDecline":60,
	"content":{"pitch":"Ten times the speed for €5 a month less than you pay now.","script":"I see your bill went up...",
	"faq":[{"question":"Is there an installation fee?","answer":"No, installation is free."}],
	"objections":[{"objection":"I don't want a new contract.","response":"It keeps your current end date."}],
	"whyItFits":"You called about {intent}; fibre costs less than your current plan.",
	"variants":[{"id":"a","script":"Short script","weight":1},{"id":"b","script":"Benefit-first script","weight":1}]}}`

func (f *catalogFixture) offer(id string) (catalog.Offer, apitest.Response) {
	f.t.Helper()
	resp := f.do(http.MethodGet, "/v1/offers/"+id, nil, analyst)
	var o catalog.Offer
	if resp.Status == http.StatusOK {
		resp.JSON(f.t, &o)
	}
	return o, resp
}

func TestOfferThroughTheAPI(t *testing.T) {
	t.Parallel()
	f := newCatalogFixture(t)
	// No campaign yet: the offer names its campaign field.
	e := wantError(t, f.do(http.MethodPost, "/v1/offers", fibreOffer, marketer), http.StatusBadRequest, "invalid_input", "campaignId")
	if !strings.Contains(e.Error.Details[0].Problem, `no campaign "fibre-upgrade"`) {
		t.Errorf("problem %q", e.Error.Details[0].Problem)
	}
	f.mustStatus(f.do(http.MethodPost, "/v1/campaigns", fibreCampaign, marketer), http.StatusCreated)
	resp := f.do(http.MethodPost, "/v1/offers", fibreOffer, marketer)
	f.mustStatus(resp, http.StatusCreated)
	var o catalog.Offer
	resp.JSON(t, &o)
	if o.Status != catalog.OfferDraft || o.Version != 1 || o.Content.Variants[1].ID != "b" || o.Value.Amount != "120.00" ||
		o.Caps.Global != 5000 || o.CreatedBy != apitest.Subject || !o.CreatedAt.Equal(clock) || resp.Headers.Get("ETag") != `"1"` {
		t.Fatalf("created %+v", o)
	}
	got, resp := f.offer("fibre-1g")
	if got.Eligibility != o.Eligibility || got.Content.FAQ[0].Answer != "No, installation is free." || resp.Headers.Get("ETag") != `"1"` {
		t.Fatalf("read back %+v", got)
	}

	// Status moves: allowed and refused.
	move := func(status string, scopes ...string) apitest.Response {
		return f.do(http.MethodPost, "/v1/offers/fibre-1g/status", fmt.Sprintf(`{"status":%q}`, status), scopes...)
	}
	wantError(t, move("paused", marketer), http.StatusBadRequest, "invalid_input", "status")
	wantError(t, move("launched", marketer), http.StatusBadRequest, "invalid_input", "status")
	wantError(t, move("active", analyst), http.StatusForbidden, "forbidden")
	for _, st := range []string{"active", "paused", "active"} {
		f.mustStatus(move(st, marketer), http.StatusOK)
	}
	wantError(t, move("draft", marketer), http.StatusBadRequest, "invalid_input", "status")
	got, _ = f.offer("fibre-1g")
	if got.Status != catalog.OfferActive || len(got.Transitions) != 3 || got.Transitions[2].By != apitest.Subject || got.Version != 4 {
		t.Fatalf("after moves %+v", got)
	}

	// Edits need the version; a stale one is 409 and changes nothing.
	edit := strings.Replace(fibreOffer, `"id":"fibre-1g",`, `"version":4,`, 1)
	edit = strings.Replace(edit, `"businessLever":1.2`, `"businessLever":1.5`, 1)
	resp = f.do(http.MethodPut, "/v1/offers/fibre-1g", edit, marketer)
	f.mustStatus(resp, http.StatusOK)
	resp.JSON(t, &o)
	if o.BusinessLever != 1.5 || o.Version != 5 || o.Status != catalog.OfferActive {
		t.Fatalf("edited %+v", o)
	}
	wantError(t, f.do(http.MethodPut, "/v1/offers/fibre-1g", edit, marketer), http.StatusConflict, "conflict")
	wantError(t, f.do(http.MethodPut, "/v1/offers/fibre-1g", strings.Replace(edit, `"version":4,`, "", 1), marketer),
		http.StatusBadRequest, "invalid_input", "version")
	wantError(t, f.do(http.MethodPut, "/v1/offers/fibre-1g", strings.Replace(edit, `"version":4,`, `"version":5,"id":"other",`, 1), marketer),
		http.StatusBadRequest, "invalid_input", "id")

	// Analysts read, never write.
	f.mustStatus(f.do(http.MethodGet, "/v1/offers?campaignId=fibre-upgrade&channel=chat&status=active", nil, analyst), http.StatusOK)
	wantError(t, f.do(http.MethodPut, "/v1/offers/fibre-1g", edit, analyst), http.StatusForbidden, "forbidden")
	wantError(t, f.do(http.MethodDelete, "/v1/offers/fibre-1g?version=5", nil, analyst), http.StatusForbidden, "forbidden")
	wantError(t, f.do(http.MethodGet, "/v1/offers/fibre-1g", nil), http.StatusUnauthorized, "unauthorized")

	// An active offer is paused before it is deleted; never referenced, it goes.
	wantError(t, f.do(http.MethodDelete, "/v1/offers/fibre-1g?version=5", nil, marketer), http.StatusConflict, "conflict")
	f.mustStatus(move("paused", marketer), http.StatusOK)
	ev := apitest.WithHeader(apitest.Request(http.MethodDelete, "/v1/offers/fibre-1g", nil, marketer), "If-Match", `"6"`)
	f.mustStatus(apitest.Do(t, f.srv, ev), http.StatusNoContent)
	_, resp = f.offer("fibre-1g")
	wantError(t, resp, http.StatusNotFound, "not_found")
	wantError(t, f.do(http.MethodGet, "/v1/offers/Not An Id", nil, analyst), http.StatusNotFound, "not_found")
}

func TestOfferValidationStoresNothing(t *testing.T) {
	t.Parallel()
	f := newCatalogFixture(t)
	f.mustStatus(f.do(http.MethodPost, "/v1/campaigns", fibreCampaign, marketer), http.StatusCreated)
	rule := `"eligibility":"\"broadband\" in profile.segments && contact.intent == \"high_bill\" && profile.tenure_months >= 12"`
	cases := []struct {
		name, from, to, field, says string
	}{
		{"rule with an unknown variable", rule, `"eligibility":"\"broadband\" in profile.segments && customer.intent == \"high_bill\""`,
			"eligibility", `line 1, column 36, at "customer": undeclared reference to 'customer'`},
		{"rule of the wrong type", rule, `"eligibility":"profile.tenure_months"`, "eligibility", "must be true or false"},
		{"rule over two lines with a type error", rule, `"eligibility":"contact.channel == \"voice\" &&\n  profile.tenure_months >= \"12\""`,
			"eligibility", "line 2, column 25"},
		{"pitch over 200 characters", `"pitch":"Ten times the speed for €5 a month less than you pay now."`,
			`"pitch":"` + strings.Repeat("Faster fibre. ", 15) + `"`, "content.pitch", "209 characters; at most 200"},
		{"negative global cap", `"global":5000`, `"global":-1`, "caps.global", "0 (no cap) or more"},
		{"negative per-customer cap", `"max":1`, `"max":-2`, "caps.perCustomer.max", "0 (no cap) or more"},
		{"dates out of order", `"validTo":"2026-05-31T20:00:00Z"`, `"validTo":"2026-03-01T00:00:00Z"`, "validTo", "after validFrom"},
		{"unknown channel", `"channels":["voice","chat"]`, `"channels":["voice","fax"]`, "channels[1]", `"fax"`},
		{"money with too many decimals", `"amount":"120.00"`, `"amount":"120.001"`, "value.amount", "3 decimals"},
		{"unknown currency", `"currency":"EUR"`, `"currency":"EURO"`, "value.currency", "ISO 4217"},
		{"negative suppression", `"suppressionDaysAfterDecline":60`, `"suppressionDaysAfterDecline":-1`, "suppressionDaysAfterDecline", "from 0"},
		{"unknown placeholder", `{intent}`, `{mood}`, "content.whyItFits", "{mood}"},
		{"business lever as text", `"businessLever":1.2`, `"businessLever":"high"`, "businessLever", "a number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(fibreOffer, tc.from) {
				t.Fatalf("the sample offer has no %s", tc.from)
			}
			e := wantError(t, f.do(http.MethodPost, "/v1/offers", strings.Replace(fibreOffer, tc.from, tc.to, 1), marketer),
				http.StatusBadRequest, "invalid_input", tc.field)
			found := false
			for _, d := range e.Error.Details {
				found = found || (d.Field == tc.field && strings.Contains(d.Problem, tc.says))
			}
			if !found {
				t.Errorf("details %+v; want %s saying %q", e.Error.Details, tc.field, tc.says)
			}
		})
	}
	if n := f.items(catalog.KindOffer); n != 0 {
		t.Fatalf("%d offers stored after refused input", n)
	}
}

func TestOfferListFiltersAndPages(t *testing.T) {
	t.Parallel()
	f := newCatalogFixture(t)
	f.mustStatus(f.do(http.MethodPost, "/v1/campaigns", fibreCampaign, marketer), http.StatusCreated)
	for i := range 5 {
		body := strings.Replace(fibreOffer, `"id":"fibre-1g"`, fmt.Sprintf(`"id":"offer-%d"`, i), 1)
		if i%2 == 1 {
			body = strings.Replace(body, `"channels":["voice","chat"]`, `"channels":["sms"]`, 1)
		}
		f.mustStatus(f.do(http.MethodPost, "/v1/offers", body, marketer), http.StatusCreated)
	}
	list := func(query string) (ids []string) {
		cursor := ""
		for {
			target := "/v1/offers?limit=2" + query
			if cursor != "" {
				target += "&cursor=" + cursor
			}
			resp := f.do(http.MethodGet, target, nil, analyst)
			f.mustStatus(resp, http.StatusOK)
			var page api.Page[catalog.Offer]
			resp.JSON(t, &page)
			for _, o := range page.Items {
				ids = append(ids, o.ID)
			}
			if page.NextCursor == "" {
				return ids
			}
			cursor = page.NextCursor
		}
	}
	if got := strings.Join(list(""), ","); got != "offer-0,offer-1,offer-2,offer-3,offer-4" {
		t.Fatalf("all offers %s", got)
	}
	if got := strings.Join(list("&channel=sms"), ","); got != "offer-1,offer-3" {
		t.Fatalf("sms offers %s", got)
	}
	if got := list("&status=active"); len(got) != 0 {
		t.Fatalf("active offers %v", got)
	}
	wantError(t, f.do(http.MethodGet, "/v1/offers?channel=fax&status=live", nil, analyst), http.StatusBadRequest, "invalid_input", "channel", "status")
}

func TestValidateRule(t *testing.T) {
	t.Parallel()
	srv := api.NewServer(api.Deps{})
	check := func(source string, scopes ...string) (apitest.Response, struct {
		OK       bool `json:"ok"`
		Problems []struct {
			Line, Column   int
			Token, Message string
		} `json:"problems"`
	}) {
		resp := apitest.Do(t, srv, apitest.Request(http.MethodPost, "/v1/rules/validate", map[string]string{"source": source}, scopes...))
		var out struct {
			OK       bool `json:"ok"`
			Problems []struct {
				Line, Column   int
				Token, Message string
			} `json:"problems"`
		}
		if resp.Status == http.StatusOK {
			resp.JSON(t, &out)
		}
		return resp, out
	}
	if resp, out := check(`"move" in profile.life_events && profile.life_event_days["move"] <= 60`, marketer); resp.Status != 200 || !out.OK || len(out.Problems) != 0 {
		t.Fatalf("good rule: %d %s", resp.Status, resp.Body)
	}
	resp, out := check("contact.intent == \"move\" &&\n  profile.valu_tier == \"gold\"", analyst)
	if resp.Status != 200 || out.OK || len(out.Problems) != 1 {
		t.Fatalf("bad rule: %d %s", resp.Status, resp.Body)
	}
	if p := out.Problems[0]; p.Line != 2 || p.Column != 10 || p.Token != ".valu_tier" || !strings.Contains(p.Message, "undefined field 'valu_tier'") {
		t.Fatalf("problem %+v", p)
	}
	wantError(t, apitest.Do(t, srv, apitest.Request(http.MethodPost, "/v1/rules/validate", map[string]string{"source": "true"})), http.StatusUnauthorized, "unauthorized")
	vars := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/rules/variables", nil, analyst))
	if vars.Status != 200 || !strings.Contains(string(vars.Body), "profile.life_event_days") {
		t.Fatalf("variables: %d %s", vars.Status, vars.Body)
	}
}
