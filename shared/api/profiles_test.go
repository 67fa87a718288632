package api_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/api/apitest"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/logging"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

// The DynamoDB stores are the API's profile store and an eraser.
var (
	_ api.ProfileStore = (*store.Profiles)(nil)
	_ api.Eraser       = (*store.Contacts)(nil)
)

const (
	marketer = api.ScopeMarketer
	analyst  = api.ScopeAnalyst
	admin    = api.ScopeAdmin
)

var clock = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// fixture is the real API over a real profile store in DynamoDB Local.
type fixture struct {
	t      *testing.T
	srv    *api.Server
	env    storetest.Env
	logs   *bytes.Buffer
	erased *erasures
}

// erasures records the calls of an Eraser and can be told to fail.
type erasures struct {
	mu    sync.Mutex
	ids   []string
	fail  bool
	calls int
}

func (e *erasures) EraseProfile(_ context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls++
	if e.fail {
		return errors.New("contacts store unavailable")
	}
	e.ids = append(e.ids, id)
	return nil
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := storetest.New(t)
	logs := &bytes.Buffer{}
	f := &fixture{t: t, env: env, logs: logs, erased: &erasures{}}
	f.srv = api.NewServer(api.Deps{
		Profiles: store.NewProfiles(env.Clients.Dynamo, env.Tables),
		Identity: identity.NewHasher(env.Config.IdentityKey),
		Erasers:  []api.Eraser{f.erased},
		Clock:    func() time.Time { return clock },
		Log:      logging.New(logs, slog.LevelInfo),
	})
	return f
}

func (f *fixture) do(method, target string, body any, scopes ...string) apitest.Response {
	f.t.Helper()
	return apitest.Do(f.t, f.srv, apitest.Request(method, target, body, scopes...))
}

func (f *fixture) send(ev events.APIGatewayV2HTTPRequest) apitest.Response {
	f.t.Helper()
	return apitest.Do(f.t, f.srv, ev)
}

// items counts what the profiles table holds.
func (f *fixture) items() int {
	f.t.Helper()
	out, err := f.env.Clients.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{
		TableName: aws.String(f.env.Tables.Profiles), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(out.Items)
}

// view is a profile as the API shows it.
type view struct {
	ID         string   `json:"id"`
	Version    int      `json:"version"`
	Identities []string `json:"identities"`
	Segments   []string `json:"segments"`
	Products   []string `json:"products"`
	ValueTier  string   `json:"valueTier"`
	Language   string   `json:"language"`
	Consent    map[string]struct {
		Status    string    `json:"status"`
		UpdatedAt time.Time `json:"updatedAt"`
		Source    string    `json:"source"`
		UpdatedBy string    `json:"updatedBy"`
	} `json:"consent"`
	LifeEvents   []map[string]any `json:"lifeEvents"`
	RecentOffers []map[string]any `json:"recentOffers"`
	CreatedAt    time.Time        `json:"createdAt"`
	UpdatedAt    time.Time        `json:"updatedAt"`
}

func (f *fixture) create(body string) view {
	f.t.Helper()
	resp := f.do(http.MethodPost, "/v1/profiles", body, marketer)
	if resp.Status != http.StatusCreated {
		f.t.Fatalf("create: %d %s", resp.Status, resp.Body)
	}
	var v view
	resp.JSON(f.t, &v)
	return v
}

func (f *fixture) get(id string) (view, apitest.Response) {
	f.t.Helper()
	resp := f.do(http.MethodGet, "/v1/profiles/"+id, nil, analyst)
	var v view
	if resp.Status == http.StatusOK {
		resp.JSON(f.t, &v)
	}
	return v, resp
}

// wantError checks status, error code and the fields named in details.
func wantError(t *testing.T, resp apitest.Response, status int, code string, fields ...string) apitest.Error {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status %d; want %d\n%s", resp.Status, status, resp.Body)
	}
	var e apitest.Error
	resp.JSON(t, &e)
	if e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("error code %q message %q; want code %q and a message", e.Error.Code, e.Error.Message, code)
	}
	if e.Error.RequestID == "" || e.Error.RequestID != resp.Headers.Get("X-Request-Id") {
		t.Errorf("requestId %q, X-Request-Id %q; want the same id in both", e.Error.RequestID, resp.Headers.Get("X-Request-Id"))
	}
	for _, field := range fields {
		if !slices.Contains(e.Fields(), field) {
			t.Errorf("details name %v; want %q among them\n%s", e.Fields(), field, resp.Body)
		}
	}
	return e
}

const annBody = `{"phone":"+15551230001","email":"Ann@Example.com","segments":["young_family"],"products":["broadband"],
	"valueTier":"gold","language":"en-US","customerSince":"2021-05-01T00:00:00Z",
	"consent":{"sms":{"status":"opt_in","source":"web"}},
	"lifeEvents":[{"kind":"new_baby","at":"2026-02-01T00:00:00Z","source":"call"}]}`

func TestCreateProfile(t *testing.T) {
	f := newFixture(t)
	resp := f.do(http.MethodPost, "/v1/profiles", annBody, marketer)
	if resp.Status != http.StatusCreated {
		t.Fatalf("status %d: %s", resp.Status, resp.Body)
	}
	var v view
	resp.JSON(t, &v)
	checks := []struct {
		name string
		ok   bool
	}{
		{"Location names the profile", resp.Headers.Get("Location") == "/v1/profiles/"+v.ID},
		{"ETag is the version", resp.Headers.Get("ETag") == `"1"` && v.Version == 1},
		{"identities show their kinds only", slices.Equal(v.Identities, []string{"phone", "email"})},
		{"no raw phone or email in the answer", !bytes.Contains(resp.Body, []byte("5551230001")) && !bytes.Contains(bytes.ToLower(resp.Body), []byte("ann@"))},
		{"no identity hash in the answer", !bytes.Contains(resp.Body, []byte("phone#"))},
		{"fields kept", v.ValueTier == "gold" && slices.Equal(v.Segments, []string{"young_family"}) && v.Language == "en-US" && len(v.LifeEvents) == 1},
		{"consent records who and when", v.Consent["sms"].Status == "opt_in" && v.Consent["sms"].UpdatedBy == apitest.Subject && v.Consent["sms"].UpdatedAt.Equal(clock)},
		{"times in UTC", v.CreatedAt.Equal(clock) && strings.Contains(string(resp.Body), `"createdAt":"2026-03-02T09:30:00Z"`)},
		{"empty lists are []", strings.Contains(string(resp.Body), `"recentOffers":[]`)},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s\n%s", c.name, resp.Body)
		}
	}
	if got, _ := f.get(v.ID); got.ID != v.ID || got.ValueTier != "gold" {
		t.Errorf("read back %+v", got)
	}
	if n := f.items(); n != 3 {
		t.Errorf("%d items; want 3 (profile, phone, email)", n)
	}
	// The same phone cannot start a second profile.
	resp = f.do(http.MethodPost, "/v1/profiles", `{"phone":"+1 555 123 0001"}`, marketer)
	e := wantError(t, resp, http.StatusConflict, "conflict")
	if !strings.Contains(e.Error.Message, "phone belongs to another profile") {
		t.Errorf("message %q; want it to say the phone belongs to another profile", e.Error.Message)
	}
	if n := f.items(); n != 3 {
		t.Errorf("a refused create changed the table: %d items", n)
	}
}

func TestCreateProfileRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	huge := `{"phone":"+15551230001","segments":["` + strings.Repeat("a", api.MaxBodyBytes) + `"]}`
	cases := []struct {
		name   string
		body   string
		ctype  string
		status int
		code   string
		fields []string
	}{
		{"malformed JSON", `{"phone":`, "", 400, "invalid_input", []string{"body"}},
		{"not JSON at all", `phone=+15551230001`, "", 400, "invalid_input", []string{"body"}},
		{"empty body", ``, "", 400, "invalid_input", []string{"body"}},
		{"two objects", `{"phone":"+15551230001"}{}`, "", 400, "invalid_input", []string{"body"}},
		{"unknown field", `{"phone":"+15551230001","colour":"red"}`, "", 400, "invalid_input", []string{"colour"}},
		{"wrong type", `{"phone":"+15551230001","segments":"gold"}`, "", 400, "invalid_input", []string{"segments"}},
		{"wrong type of number", `{"phone":15551230001}`, "", 400, "invalid_input", []string{"phone"}},
		{"time not RFC 3339", `{"phone":"+15551230001","customerSince":"2021-05-01"}`, "", 400, "invalid_input", []string{"customerSince"}},
		{"nested time not RFC 3339", `{"phone":"+15551230001","lifeEvents":[{"kind":"moved_house","at":"yesterday"}]}`, "", 400, "invalid_input", []string{"lifeEvents[0].at"}},
		{"phone not E.164", `{"phone":"5551230001"}`, "", 400, "invalid_input", []string{"phone"}},
		{"phone with letters", `{"phone":"+1555CALLNOW"}`, "", 400, "invalid_input", []string{"phone"}},
		{"invalid email", `{"email":"ann@"}`, "", 400, "invalid_input", []string{"email"}},
		{"every problem at once", `{"phone":"123","email":"x","valueTier":"diamond","segments":["Bad Segment"]}`, "", 400, "invalid_input",
			[]string{"phone", "email", "valueTier", "segments[0]"}},
		{"no identity", `{"segments":["young_family"]}`, "", 400, "invalid_input", []string{"phone"}},
		{"version on create", `{"phone":"+15551230001","version":3}`, "", 400, "invalid_input", []string{"version"}},
		{"unknown consent channel", `{"phone":"+15551230001","consent":{"fax":{"status":"opt_in"}}}`, "", 400, "invalid_input", []string{"consent.fax"}},
		{"future customerSince", `{"phone":"+15551230001","customerSince":"2030-01-01T00:00:00Z"}`, "", 400, "invalid_input", []string{"customerSince"}},
		{"not JSON content type", `{"phone":"+15551230001"}`, "text/plain", 415, "unsupported_media_type", nil},
		{"body over 256 KiB", huge, "", 413, "payload_too_large", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := apitest.Request(http.MethodPost, "/v1/profiles", c.body, marketer)
			if c.ctype != "" {
				ev = apitest.WithHeader(ev, "Content-Type", c.ctype)
			}
			wantError(t, f.send(ev), c.status, c.code, c.fields...)
		})
	}
	if n := f.items(); n != 0 {
		t.Fatalf("refused requests stored %d items", n)
	}
}

func TestProfileScopes(t *testing.T) {
	f := newFixture(t)
	ann := f.create(annBody)
	cases := []struct {
		name   string
		method string
		target string
		body   any
		scopes []string
		status int
	}{
		{"no token", http.MethodGet, "/v1/profiles/" + ann.ID, nil, nil, 401},
		{"no token on create", http.MethodPost, "/v1/profiles", `{"phone":"+15551230002"}`, nil, 401},
		{"analyst reads", http.MethodGet, "/v1/profiles/" + ann.ID, nil, []string{analyst}, 200},
		{"analyst looks up", http.MethodGet, "/v1/profiles/lookup?email=ann@example.com", nil, []string{analyst}, 200},
		{"analyst cannot create", http.MethodPost, "/v1/profiles", `{"phone":"+15551230002"}`, []string{analyst}, 403},
		{"analyst cannot update", http.MethodPut, "/v1/profiles/" + ann.ID, `{"version":1,"valueTier":"silver"}`, []string{analyst}, 403},
		{"analyst cannot change consent", http.MethodPut, "/v1/profiles/" + ann.ID + "/consent", `{"consent":{"sms":"opt_out"},"source":"call"}`, []string{analyst}, 403},
		{"marketer cannot erase", http.MethodDelete, "/v1/profiles/" + ann.ID, nil, []string{marketer}, 403},
		{"analyst cannot erase", http.MethodDelete, "/v1/profiles/" + ann.ID, nil, []string{analyst}, 403},
		{"ingest cannot read profiles", http.MethodGet, "/v1/profiles/" + ann.ID, nil, []string{api.ScopeIngest}, 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := f.do(c.method, c.target, c.body, c.scopes...)
			switch c.status {
			case 401:
				wantError(t, resp, 401, "unauthorized")
			case 403:
				wantError(t, resp, 403, "forbidden")
			default:
				if resp.Status != c.status {
					t.Fatalf("status %d; want %d: %s", resp.Status, c.status, resp.Body)
				}
			}
		})
	}
	if got, _ := f.get(ann.ID); got.Version != 1 {
		t.Errorf("refused calls changed the profile to version %d", got.Version)
	}
}

func TestGetProfile(t *testing.T) {
	f := newFixture(t)
	ann := f.create(annBody)
	got, resp := f.get(ann.ID)
	if resp.Status != 200 || got.ID != ann.ID || resp.Headers.Get("ETag") != `"1"` {
		t.Fatalf("get: %d ETag %q %s", resp.Status, resp.Headers.Get("ETag"), resp.Body)
	}
	for _, id := range []string{"pnothere", "bad%20id", strings.Repeat("x", 65)} {
		_, resp := f.get(id)
		wantError(t, resp, 404, "not_found")
	}
}

func TestUpdateProfile(t *testing.T) {
	cases := []struct {
		name        string
		body        string
		ifMatch     string
		status      int
		fields      []string
		wantVersion int
		wantTier    string
	}{
		{"version in the body", `{"version":1,"valueTier":"platinum"}`, "", 200, nil, 2, "platinum"},
		{"version as If-Match", `{"valueTier":"platinum"}`, `"1"`, 200, nil, 2, "platinum"},
		{"weak If-Match", `{"valueTier":"platinum"}`, `W/"1"`, 200, nil, 2, "platinum"},
		{"stale version", `{"version":0,"valueTier":"platinum"}`, "", 400, []string{"version"}, 1, "gold"},
		{"stale If-Match", `{"valueTier":"platinum"}`, `"7"`, 409, nil, 1, "gold"},
		{"stale body version", `{"version":4,"valueTier":"platinum"}`, "", 409, nil, 1, "gold"},
		{"no version", `{"valueTier":"platinum"}`, "", 400, []string{"version"}, 1, "gold"},
		{"body and If-Match disagree", `{"version":1,"valueTier":"platinum"}`, `"2"`, 400, []string{"version"}, 1, "gold"},
		{"If-Match not a version", `{"valueTier":"platinum"}`, `*`, 400, []string{"If-Match"}, 1, "gold"},
		{"invalid field", `{"version":1,"valueTier":"diamond","phone":"12"}`, "", 400, []string{"valueTier", "phone"}, 1, "gold"},
		{"consent is not changed here", `{"version":1,"consent":{"sms":{"status":"opt_out"}}}`, "", 400, []string{"consent"}, 1, "gold"},
		{"unknown field", `{"version":1,"tier":"gold"}`, "", 400, []string{"tier"}, 1, "gold"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			ann := f.create(annBody)
			ev := apitest.Request(http.MethodPut, "/v1/profiles/"+ann.ID, c.body, marketer)
			if c.ifMatch != "" {
				ev = apitest.WithHeader(ev, "If-Match", c.ifMatch)
			}
			resp := f.send(ev)
			switch {
			case c.status == 200 && resp.Status != 200:
				t.Fatalf("status %d: %s", resp.Status, resp.Body)
			case c.status == 409:
				wantError(t, resp, 409, "conflict")
			case c.status == 400:
				wantError(t, resp, 400, "invalid_input", c.fields...)
			}
			got, _ := f.get(ann.ID)
			if got.Version != c.wantVersion || got.ValueTier != c.wantTier {
				t.Errorf("stored version %d tier %q; want %d %q", got.Version, got.ValueTier, c.wantVersion, c.wantTier)
			}
			// Fields the body left out keep their values, identities too.
			if !slices.Equal(got.Identities, []string{"phone", "email"}) || !slices.Equal(got.Segments, []string{"young_family"}) || got.Consent["sms"].Status != "opt_in" {
				t.Errorf("update lost fields: %+v", got)
			}
		})
	}
}

func TestUpdateProfileReplacesAnIdentity(t *testing.T) {
	f := newFixture(t)
	ann := f.create(annBody)
	resp := f.do(http.MethodPut, "/v1/profiles/"+ann.ID, `{"version":1,"phone":"+15551230009","segments":[]}`, marketer)
	if resp.Status != 200 {
		t.Fatalf("status %d: %s", resp.Status, resp.Body)
	}
	var v view
	resp.JSON(t, &v)
	if v.Version != 2 || len(v.Segments) != 0 || resp.Headers.Get("ETag") != `"2"` {
		t.Errorf("after update: version %d segments %v ETag %s", v.Version, v.Segments, resp.Headers.Get("ETag"))
	}
	if resp := f.do(http.MethodGet, "/v1/profiles/lookup?phone=%2B15551230001", nil, analyst); resp.Status != 404 {
		t.Errorf("old phone: %d; want 404", resp.Status)
	}
	if resp := f.do(http.MethodGet, "/v1/profiles/lookup?phone=%2B15551230009", nil, analyst); resp.Status != 200 {
		t.Errorf("new phone: %d; want 200", resp.Status)
	}
}

func TestLookupProfile(t *testing.T) {
	f := newFixture(t)
	ann := f.create(`{"phone":"+15551230001","email":"ann@example.com","customerId":"CUST-1"}`)
	cases := []struct {
		name   string
		query  string
		status int
		code   string
		field  string
	}{
		{"phone, encoded +", "phone=%2B15551230001", 200, "", ""},
		{"phone, raw + (arrives as a space)", "phone=+15551230001", 200, "", ""},
		{"phone with spaces", "phone=%2B1%20555%20123%200001", 200, "", ""},
		{"phone with brackets and dashes", "phone=%2B1%20(555)%20123-0001", 200, "", ""},
		{"phone with a trunk 1 after the country code", "phone=%2B1%201%20555%20123%200001", 200, "", ""},
		{"email in another case", "email=ANN@example.com", 200, "", ""},
		{"customer id", "customerId=CUST-1", 200, "", ""},
		{"unknown phone", "phone=%2B15559999999", 404, "not_found", ""},
		{"phone not E.164", "phone=5551230001", 400, "invalid_input", "phone"},
		{"invalid email", "email=ann", 400, "invalid_input", "email"},
		{"nothing to look up by", "", 400, "invalid_input", "query"},
		{"two things to look up by", "phone=%2B15551230001&email=ann@example.com", 400, "invalid_input", "query"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := f.do(http.MethodGet, "/v1/profiles/lookup?"+c.query, nil, analyst)
			if c.status != 200 {
				if c.field != "" {
					wantError(t, resp, c.status, c.code, c.field)
				} else {
					wantError(t, resp, c.status, c.code)
				}
				return
			}
			var v view
			resp.JSON(t, &v)
			if resp.Status != 200 || v.ID != ann.ID {
				t.Fatalf("status %d id %q: %s", resp.Status, v.ID, resp.Body)
			}
		})
	}
	if strings.Contains(f.logs.String(), "5551230001") || strings.Contains(f.logs.String(), "ann@") {
		t.Errorf("a raw phone or email reached the logs:\n%s", f.logs)
	}
}

func TestUpdateConsent(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		ifMatch string
		status  int
		fields  []string
		want    map[string]string
		version int
	}{
		{"opt out of sms", `{"consent":{"sms":"opt_out"},"source":"call"}`, "", 200, nil, map[string]string{"sms": "opt_out"}, 2},
		{"several channels at once", `{"consent":{"email":"opt_out","voice":"opt_in"},"source":"web"}`, "", 200, nil,
			map[string]string{"sms": "opt_in", "email": "opt_out", "voice": "opt_in"}, 2},
		{"with the current version", `{"consent":{"all":"opt_out"},"source":"call","version":1}`, "", 200, nil, map[string]string{"all": "opt_out"}, 2},
		{"stale version", `{"consent":{"sms":"opt_out"},"source":"call","version":5}`, "", 409, nil, map[string]string{"sms": "opt_in"}, 1},
		{"stale If-Match", `{"consent":{"sms":"opt_out"},"source":"call"}`, `"3"`, 409, nil, map[string]string{"sms": "opt_in"}, 1},
		{"unknown channel", `{"consent":{"fax":"opt_out"},"source":"call"}`, "", 400, []string{"consent.fax"}, map[string]string{"sms": "opt_in"}, 1},
		{"unknown status", `{"consent":{"sms":"maybe"},"source":"call"}`, "", 400, []string{"consent.sms"}, map[string]string{"sms": "opt_in"}, 1},
		{"no source", `{"consent":{"sms":"opt_out"}}`, "", 400, []string{"source"}, map[string]string{"sms": "opt_in"}, 1},
		{"no channel", `{"consent":{},"source":"call"}`, "", 400, []string{"consent"}, map[string]string{"sms": "opt_in"}, 1},
		{"status of the wrong type", `{"consent":{"sms":false},"source":"call"}`, "", 400, []string{"consent"}, map[string]string{"sms": "opt_in"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			ann := f.create(annBody)
			ev := apitest.Request(http.MethodPut, "/v1/profiles/"+ann.ID+"/consent", c.body, marketer)
			if c.ifMatch != "" {
				ev = apitest.WithHeader(ev, "If-Match", c.ifMatch)
			}
			resp := f.send(ev)
			switch c.status {
			case 200:
				if resp.Status != 200 {
					t.Fatalf("status %d: %s", resp.Status, resp.Body)
				}
			case 409:
				wantError(t, resp, 409, "conflict")
			default:
				wantError(t, resp, c.status, "invalid_input", c.fields...)
			}
			got, _ := f.get(ann.ID)
			if got.Version != c.version {
				t.Errorf("version %d; want %d", got.Version, c.version)
			}
			for ch, status := range c.want {
				if got.Consent[ch].Status != status {
					t.Errorf("consent %s = %q; want %q", ch, got.Consent[ch].Status, status)
				}
			}
			if c.status == 200 {
				for ch := range c.want {
					if got.Consent[ch].UpdatedBy != apitest.Subject || !got.Consent[ch].UpdatedAt.Equal(clock) {
						t.Errorf("consent %s recorded by %q at %v; want %q at %v", ch, got.Consent[ch].UpdatedBy, got.Consent[ch].UpdatedAt, apitest.Subject, clock)
					}
				}
			}
		})
	}
}

func TestEraseProfile(t *testing.T) {
	f := newFixture(t)
	ann := f.create(annBody)
	bob := f.create(`{"phone":"+15551230002"}`)
	erase := func(id string) apitest.Response { return f.do(http.MethodDelete, "/v1/profiles/"+id, nil, admin) }

	if resp := erase(ann.ID); resp.Status != 204 || len(resp.Body) != 0 {
		t.Fatalf("erase: %d %s", resp.Status, resp.Body)
	}
	steps := []struct {
		name   string
		resp   apitest.Response
		status int
		code   string
	}{
		{"read after erasure", second(f.get(ann.ID)), 410, "suppressed"},
		{"lookup by phone", f.do(http.MethodGet, "/v1/profiles/lookup?phone=%2B15551230001", nil, analyst), 410, "suppressed"},
		{"lookup by email", f.do(http.MethodGet, "/v1/profiles/lookup?email=ann@example.com", nil, analyst), 410, "suppressed"},
		{"re-create with the phone", f.do(http.MethodPost, "/v1/profiles", `{"phone":"+15551230001","segments":["students"]}`, marketer), 410, "suppressed"},
		{"update", f.do(http.MethodPut, "/v1/profiles/"+ann.ID, `{"version":1,"valueTier":"silver"}`, marketer), 410, "suppressed"},
		{"consent", f.do(http.MethodPut, "/v1/profiles/"+ann.ID+"/consent", `{"consent":{"sms":"opt_in"},"source":"call"}`, marketer), 410, "suppressed"},
		{"unknown profile", erase("pnothere"), 404, "not_found"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) { wantError(t, s.resp, s.status, s.code) })
	}
	// Erasing again answers 204 and runs the erasers again, so a retry
	// after a failure finishes the job.
	if resp := erase(ann.ID); resp.Status != 204 {
		t.Fatalf("second erase: %d %s", resp.Status, resp.Body)
	}
	if want := []string{ann.ID, ann.ID}; !slices.Equal(f.erased.ids, want) {
		t.Errorf("erasers saw %v; want %v", f.erased.ids, want)
	}
	f.erased.fail = true
	wantError(t, erase(bob.ID), 500, "internal")
	f.erased.fail = false
	if resp := erase(bob.ID); resp.Status != 204 || f.erased.ids[len(f.erased.ids)-1] != bob.ID {
		t.Fatalf("retried erase: %d, erasers saw %v", resp.Status, f.erased.ids)
	}
	// Only suppression is left: one tombstone and one entry per identity.
	if n := f.items(); n != 5 {
		t.Errorf("%d items; want 5 (2 tombstones, 3 suppression entries)", n)
	}
	if !strings.Contains(f.logs.String(), `"msg":"profile erased"`) {
		t.Errorf("no audit line for the erasure:\n%s", f.logs)
	}
}

func second[A, B any](_ A, b B) B { return b }

// FuzzCreateProfileBody sends arbitrary bodies to the create handler, through
// the Lambda adapter, against DynamoDB Local: it must answer 201 or a 4xx in
// the error shape, never a 5xx.
func FuzzCreateProfileBody(f *testing.F) {
	for _, seed := range []string{
		annBody, `{"phone":"+15551230001"}`, `{"email":"a@b.co","customerId":"x"}`, `{}`, ``, `null`, `[]`, `"x"`,
		`{"phone":"+1"}`, `{"consent":{"all":{"status":"opt_out"}},"customerId":"c"}`,
		`{"lifeEvents":[{"kind":"moved_house","at":"2026-01-01T00:00:00Z","expiresAt":"2025-01-01T00:00:00Z"}],"customerId":"c"}`,
		`{"customerSince":"2021-01-01T00:00:00+02:00","customerId":"c","version":null}`,
		`{"segments":[` + strings.Repeat(`"a",`, 60) + `"b"],"customerId":"c"}`,
		"{\"customerId\":\"\xff\xfe\"}", `{"phone":"+15551230001"} trailing`, `{"customerId":"c","language":"x-` + strings.Repeat("y", 20) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	fx := newFuzzFixture(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := apitest.Do(t, fx.srv, apitest.Request(http.MethodPost, "/v1/profiles", body, marketer))
		switch {
		case resp.Status == http.StatusCreated:
			var v view
			resp.JSON(t, &v)
			if v.ID == "" || v.Version != 1 {
				t.Fatalf("201 without a profile: %s", resp.Body)
			}
		case resp.Status >= 400 && resp.Status < 500:
			var e apitest.Error
			resp.JSON(t, &e)
			if e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%d without the error shape: %s", resp.Status, resp.Body)
			}
		default:
			t.Fatalf("status %d for body %q: %s", resp.Status, body, resp.Body)
		}
	})
}

// newFuzzFixture builds one server per fuzzing process: tables are made
// once, not per input.
func newFuzzFixture(f *testing.F) *fixture {
	env := storetest.New(f)
	fx := &fixture{env: env, logs: &bytes.Buffer{}, erased: &erasures{}}
	fx.srv = api.NewServer(api.Deps{
		Profiles: store.NewProfiles(env.Clients.Dynamo, env.Tables),
		Identity: identity.NewHasher(env.Config.IdentityKey),
		Clock:    func() time.Time { return clock },
		Log:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	return fx
}
