package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/api/apitest"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/logging"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

// The DynamoDB store is the API's catalog store.
var _ api.CatalogStore = (*catalogstore.Catalog)(nil)

// catalogFixture is the real API over a real catalog in DynamoDB Local.
type catalogFixture struct {
	t   *testing.T
	srv *api.Server
	env storetest.Env
}

func newCatalogFixture(t *testing.T) *catalogFixture {
	t.Helper()
	env := storetest.New(t)
	return &catalogFixture{t: t, env: env, srv: api.NewServer(api.Deps{
		CatalogStore: catalogstore.NewCatalog(env.Clients.Dynamo, env.Tables),
		Clock:        func() time.Time { return clock },
		Log:          logging.New(&strings.Builder{}, slog.LevelWarn),
	})}
}

func (f *catalogFixture) do(method, target string, body any, scopes ...string) apitest.Response {
	f.t.Helper()
	return apitest.Do(f.t, f.srv, apitest.Request(method, target, body, scopes...))
}

// items counts the catalog items of a kind, deleted or not.
func (f *catalogFixture) items(kind string) int {
	f.t.Helper()
	n, err := f.env.Clients.Dynamo.Table(f.env.Tables.Catalog).Get("kind", kind).Consistent(true).Count(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *catalogFixture) campaign(id string) catalog.Campaign {
	f.t.Helper()
	resp := f.do(http.MethodGet, "/v1/campaigns/"+id, nil, analyst)
	if resp.Status != http.StatusOK {
		f.t.Fatalf("get campaign %s: %d %s", id, resp.Status, resp.Body)
	}
	var c catalog.Campaign
	resp.JSON(f.t, &c)
	return c
}

func (f *catalogFixture) mustStatus(resp apitest.Response, status int) {
	f.t.Helper()
	if resp.Status != status {
		f.t.Fatalf("status %d; want %d\n%s", resp.Status, status, resp.Body)
	}
}

const fibreCampaign = `{"id":"fibre-upgrade","name":"Fibre upgrade","goal":"Move high-bill broadband customers to fibre",
	"owner":"maria.marketing","launchAt":"2026-03-09T08:00:00Z","endAt":"2026-05-31T20:00:00Z",
	"audience":"\"broadband\" in profile.segments","holdoutShare":0.1,"expectedResponseRate":0.02,"audienceSize":40000,
	"loadGate":{"maxASASeconds":60,"minServiceLevel":0.8,"queues":["billing","sales"]}}`

func TestCampaignLifecycleThroughTheAPI(t *testing.T) {
	t.Parallel()
	f := newCatalogFixture(t)
	resp := f.do(http.MethodPost, "/v1/campaigns", fibreCampaign, marketer)
	f.mustStatus(resp, http.StatusCreated)
	var c catalog.Campaign
	resp.JSON(t, &c)
	if c.Status != catalog.CampaignPlanned || c.Version != 1 || resp.Headers.Get("ETag") != `"1"` ||
		resp.Headers.Get("Location") != "/v1/campaigns/fibre-upgrade" || c.CreatedBy != apitest.Subject || len(c.Checklist.Open()) != 4 {
		t.Fatalf("created %+v (ETag %s)", c, resp.Headers.Get("ETag"))
	}
	move := func(status, reason string, scopes ...string) apitest.Response {
		return f.do(http.MethodPost, "/v1/campaigns/fibre-upgrade/status", map[string]string{"status": status, "reason": reason}, scopes...)
	}
	// Every refused move names the field and the problem, and stores nothing.
	e := wantError(t, move("live", "", marketer), http.StatusBadRequest, "invalid_input", "status")
	if !strings.Contains(e.Error.Details[0].Problem, "from planned it can go to ready, ended") {
		t.Errorf("planned → live problem = %q", e.Error.Details[0].Problem)
	}
	e = wantError(t, move("ready", "", marketer), http.StatusBadRequest, "invalid_input", "status")
	if !strings.Contains(e.Error.Details[0].Problem, "agentBriefingPublished, scriptsApproved, faqPublished, staffingConfirmed") {
		t.Errorf("open checklist problem = %q", e.Error.Details[0].Problem)
	}
	wantError(t, move("launched", "", marketer), http.StatusBadRequest, "invalid_input", "status")
	wantError(t, move("ready", "", analyst), http.StatusForbidden, "forbidden")
	wantError(t, move("ready", ""), http.StatusUnauthorized, "unauthorized")
	if got := f.campaign("fibre-upgrade"); got.Version != 1 || got.Status != catalog.CampaignPlanned {
		t.Fatalf("refused moves changed the campaign: %+v", got)
	}

	// Fill the checklist, item by item.
	for _, item := range catalog.ChecklistItems {
		resp := f.do(http.MethodPut, "/v1/campaigns/fibre-upgrade/checklist/"+item, `{"done":true}`, marketer)
		f.mustStatus(resp, http.StatusOK)
	}
	wantError(t, f.do(http.MethodPut, "/v1/campaigns/fibre-upgrade/checklist/coffee", `{"done":true}`, marketer), http.StatusNotFound, "not_found")
	wantError(t, f.do(http.MethodPut, "/v1/campaigns/fibre-upgrade/checklist/faqPublished", `{}`, marketer), http.StatusBadRequest, "invalid_input", "done")
	wantError(t, f.do(http.MethodPut, "/v1/campaigns/fibre-upgrade/checklist/faqPublished", `{"done":true}`, analyst), http.StatusForbidden, "forbidden")
	c = f.campaign("fibre-upgrade")
	if it := c.Checklist.StaffingConfirmed; !it.Done || it.By != apitest.Subject || !it.At.Equal(clock) {
		t.Fatalf("staffing item = %+v", it)
	}

	f.mustStatus(move("ready", "briefing done", marketer), http.StatusOK)
	// A ready campaign cannot reopen an item.
	wantError(t, f.do(http.MethodPut, "/v1/campaigns/fibre-upgrade/checklist/faqPublished", `{"done":false}`, marketer),
		http.StatusBadRequest, "invalid_input", "done")
	f.mustStatus(move("live", "launch", marketer), http.StatusOK)
	f.mustStatus(move("held", "billing ASA 95 s", marketer), http.StatusOK)
	f.mustStatus(move("live", "queues recovered", marketer), http.StatusOK)
	resp = move("ended", "target reached", marketer)
	f.mustStatus(resp, http.StatusOK)
	resp.JSON(t, &c)
	want := [][2]string{{"planned", "ready"}, {"ready", "live"}, {"live", "held"}, {"held", "live"}, {"live", "ended"}}
	if len(c.Transitions) != len(want) {
		t.Fatalf("transitions %+v", c.Transitions)
	}
	for i, tr := range c.Transitions {
		if tr.From != want[i][0] || tr.To != want[i][1] || tr.By != apitest.Subject || !tr.At.Equal(clock) || tr.Reason == "" {
			t.Errorf("transition %d = %+v; want %v by %s at %v with a reason", i, tr, want[i], apitest.Subject, clock)
		}
	}
	wantError(t, move("live", "", marketer), http.StatusBadRequest, "invalid_input", "status")
	wantError(t, f.do(http.MethodPut, "/v1/campaigns/fibre-upgrade", fibreCampaign[:len(fibreCampaign)-1]+`,"version":`+fmt.Sprint(c.Version)+`}`, marketer),
		http.StatusConflict, "conflict")
}

func TestCampaignValidationStoresNothing(t *testing.T) {
	t.Parallel()
	f := newCatalogFixture(t)
	with := func(field, value string) string {
		return strings.Replace(fibreCampaign, `"goal":`, fmt.Sprintf(`%q:%s,"goal":`, field, value), 1)
	}
	cases := []struct {
		name, body, field, says string
	}{
		{"holdout over 50 %", strings.Replace(fibreCampaign, `"holdoutShare":0.1`, `"holdoutShare":0.6`, 1), "holdoutShare", "50 %"},
		{"dates out of order", strings.Replace(fibreCampaign, `"endAt":"2026-05-31T20:00:00Z"`, `"endAt":"2026-03-01T00:00:00Z"`, 1), "endAt", "after launchAt"},
		{"audience rule with an unknown variable", strings.Replace(fibreCampaign, `"audience":"\"broadband\" in profile.segments"`, `"audience":"\"broadband\" in profile.segmentz"`, 1), "audience", `line 1, column 23, at ".segmentz": undefined field 'segmentz'`},
		{"audience rule type error", strings.Replace(fibreCampaign, `"audience":"\"broadband\" in profile.segments"`, `"audience":"profile.tenure_months > \"12\""`, 1), "audience", "line 1, column 23"},
		{"negative audience size", strings.Replace(fibreCampaign, `"audienceSize":40000`, `"audienceSize":-5`, 1), "audienceSize", "0 or more"},
		{"response rate over 1", strings.Replace(fibreCampaign, `"expectedResponseRate":0.02`, `"expectedResponseRate":2`, 1), "expectedResponseRate", "from 0 to 1"},
		{"service level in percent", strings.Replace(fibreCampaign, `"minServiceLevel":0.8`, `"minServiceLevel":80`, 1), "loadGate.minServiceLevel", "from 0 to 1"},
		{"holdout as text", strings.Replace(fibreCampaign, `"holdoutShare":0.1`, `"holdoutShare":"10%"`, 1), "holdoutShare", "a number"},
		{"bad id", strings.Replace(fibreCampaign, `"id":"fibre-upgrade"`, `"id":"Fibre Upgrade!"`, 1), "id", "lower-case"},
		{"version on create", with("version", "3"), "version", "leave it out"},
		{"unknown field", with("budget", "1000"), "budget", "not a known field"},
		{"status is not written directly", with("status", `"live"`), "status", "not a known field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := wantError(t, f.do(http.MethodPost, "/v1/campaigns", tc.body, marketer), http.StatusBadRequest, "invalid_input", tc.field)
			found := false
			for _, d := range e.Error.Details {
				found = found || (d.Field == tc.field && strings.Contains(d.Problem, tc.says))
			}
			if !found {
				t.Errorf("details %+v; want %s saying %q", e.Error.Details, tc.field, tc.says)
			}
		})
	}
	if n := f.items(catalog.KindCampaign); n != 0 {
		t.Fatalf("%d items stored after refused input", n)
	}
	wantError(t, f.do(http.MethodPost, "/v1/campaigns", fibreCampaign, analyst), http.StatusForbidden, "forbidden")
	wantError(t, f.do(http.MethodPost, "/v1/campaigns", fibreCampaign), http.StatusUnauthorized, "unauthorized")
	if n := f.items(catalog.KindCampaign); n != 0 {
		t.Fatalf("%d items stored without the scope", n)
	}
}

func TestCampaignOptimisticLockingAndPaging(t *testing.T) {
	t.Parallel()
	f := newCatalogFixture(t)
	for i := range 5 {
		body := strings.Replace(fibreCampaign, `"id":"fibre-upgrade"`, fmt.Sprintf(`"id":"campaign-%d"`, i), 1)
		f.mustStatus(f.do(http.MethodPost, "/v1/campaigns", body, marketer), http.StatusCreated)
	}
	wantError(t, f.do(http.MethodPost, "/v1/campaigns", strings.Replace(fibreCampaign, "fibre-upgrade", "campaign-0", 1), marketer),
		http.StatusConflict, "conflict")
	update := strings.Replace(fibreCampaign, `"id":"fibre-upgrade",`, "", 1)
	update = strings.Replace(update, `"goal":"Move high-bill broadband customers to fibre"`, `"goal":"Fibre for movers too"`, 1)
	// Missing version, stale version, and If-Match disagreeing with the body.
	wantError(t, f.do(http.MethodPut, "/v1/campaigns/campaign-1", update, marketer), http.StatusBadRequest, "invalid_input", "version")
	ev := apitest.WithHeader(apitest.Request(http.MethodPut, "/v1/campaigns/campaign-1", update, marketer), "If-Match", `"1"`)
	resp := apitest.Do(t, f.srv, ev)
	f.mustStatus(resp, http.StatusOK)
	if resp.Headers.Get("ETag") != `"2"` {
		t.Fatalf("ETag after update = %s", resp.Headers.Get("ETag"))
	}
	stale := apitest.WithHeader(apitest.Request(http.MethodPut, "/v1/campaigns/campaign-1", update, marketer), "If-Match", `"1"`)
	e := wantError(t, apitest.Do(t, f.srv, stale), http.StatusConflict, "conflict")
	if !strings.Contains(e.Error.Message, "version 2, not 1") {
		t.Errorf("conflict message %q", e.Error.Message)
	}
	if got := f.campaign("campaign-1"); got.Goal != "Fibre for movers too" || got.Version != 2 {
		t.Fatalf("after conflict: %+v", got)
	}
	// Status moves may name a version too; a stale one is refused.
	wantError(t, f.do(http.MethodPost, "/v1/campaigns/campaign-1/status", `{"status":"ended","version":1}`, marketer), http.StatusConflict, "conflict")

	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		target := "/v1/campaigns?limit=2"
		if cursor != "" {
			target += "&cursor=" + cursor
		}
		resp := f.do(http.MethodGet, target, nil, analyst)
		f.mustStatus(resp, http.StatusOK)
		var page api.Page[catalog.Campaign]
		resp.JSON(t, &page)
		for _, c := range page.Items {
			ids = append(ids, c.ID)
		}
		if page.NextCursor == "" {
			if pages != 2 {
				t.Errorf("%d pages; want 3", pages+1)
			}
			break
		}
		cursor = page.NextCursor
	}
	if strings.Join(ids, ",") != "campaign-0,campaign-1,campaign-2,campaign-3,campaign-4" {
		t.Fatalf("paged ids %v", ids)
	}
	wantError(t, f.do(http.MethodGet, "/v1/campaigns?cursor=bogus", nil, analyst), http.StatusBadRequest, "invalid_input", "cursor")
	wantError(t, f.do(http.MethodGet, "/v1/campaigns?status=running", nil, analyst), http.StatusBadRequest, "invalid_input", "status")
	wantError(t, f.do(http.MethodGet, "/v1/campaigns?limit=500", nil, analyst), http.StatusBadRequest, "invalid_input", "limit")

	// Delete: version required; then gone.
	wantError(t, f.do(http.MethodDelete, "/v1/campaigns/campaign-4", nil, marketer), http.StatusBadRequest, "invalid_input", "version")
	f.mustStatus(f.do(http.MethodDelete, "/v1/campaigns/campaign-4?version=1", nil, marketer), http.StatusNoContent)
	wantError(t, f.do(http.MethodGet, "/v1/campaigns/campaign-4", nil, analyst), http.StatusNotFound, "not_found")
}
