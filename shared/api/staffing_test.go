package api_test

import (
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/api"
	"github.com/conduit-cx/conduit/shared/api/apitest"
	"github.com/conduit-cx/conduit/shared/load"
	"github.com/conduit-cx/conduit/shared/logging"
)

func staffingServer() *api.Server {
	return api.NewServer(api.Deps{Log: logging.New(&strings.Builder{}, slog.LevelError)})
}

func TestStaffingAnswersErlangC(t *testing.T) {
	srv := staffingServer()
	resp := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/staffing?contacts=120&interval=30m&aht=300&sl=0.8&t=20s", nil, analyst))
	if resp.Status != http.StatusOK {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	var got struct {
		Agents       *int     `json:"agents"`
		ServiceLevel *float64 `json:"serviceLevel"`
		ASA          *float64 `json:"asa"`
		Occupancy    *float64 `json:"occupancy"`
	}
	resp.JSON(t, &got)
	want, err := load.Staff(load.StaffingRequest{Contacts: 120, Interval: 30 * time.Minute, AHT: 300 * time.Second, ServiceLevel: 0.8, Threshold: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if got.Agents == nil || *got.Agents != want.Agents || math.Abs(*got.ServiceLevel-want.ServiceLevel) > 1e-12 ||
		math.Abs(*got.ASA-want.ASA) > 1e-9 || math.Abs(*got.Occupancy-want.Occupancy) > 1e-12 {
		t.Fatalf("got %s, want %+v", resp.Body, want)
	}
	// 20 Erlangs at 80/20 with 5-minute calls: 25 agents (Erlang C tables).
	if want.Agents != 25 {
		t.Fatalf("agents %d", want.Agents)
	}
}

func TestStaffingRefusesBadInputWithFieldNames(t *testing.T) {
	srv := staffingServer()
	ok := "contacts=120&interval=30m&aht=300s&sl=0.8&t=20s"
	with := func(name, value string) string {
		q, _ := url.ParseQuery(ok)
		if value == "" {
			q.Del(name)
		} else {
			q.Set(name, value)
		}
		return q.Encode()
	}
	cases := []struct {
		name   string
		query  string
		fields []string
	}{
		{"zero volume", with("contacts", "0"), []string{"contacts"}},
		{"negative volume", with("contacts", "-5"), []string{"contacts"}},
		{"SL above 1", with("sl", "1.2"), []string{"sl"}},
		{"SL of 1", with("sl", "1"), []string{"sl"}},
		{"SL of 0", with("sl", "0"), []string{"sl"}},
		{"negative SL", with("sl", "-0.8"), []string{"sl"}},
		{"AHT of zero", with("aht", "0"), []string{"aht"}},
		{"negative AHT", with("aht", "-3m"), []string{"aht"}},
		{"zero interval", with("interval", "0s"), []string{"interval"}},
		{"negative threshold", with("t", "-20"), []string{"t"}},
		{"missing volume", with("contacts", ""), []string{"contacts"}},
		{"volume not a number", with("contacts", "lots"), []string{"contacts"}},
		{"NaN volume", with("contacts", "NaN"), []string{"contacts"}},
		{"AHT not a duration", with("aht", "5 minutes"), []string{"aht"}},
		{"occupancy cap above 1", with("maxOccupancy", "1.5"), []string{"maxOccupancy"}},
		{"unknown parameter", ok + "&sla=0.8", []string{"sla"}},
		{"everything wrong at once", "contacts=0&interval=0&aht=-1&sl=2&t=-1", []string{"contacts", "interval", "aht", "sl", "t"}},
		{"traffic beyond the calculator", with("contacts", "1e9"), []string{"contacts"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/staffing?"+tc.query, nil, analyst))
			if resp.Status != http.StatusBadRequest {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			var e apitest.Error
			resp.JSON(t, &e)
			got := e.Fields()
			slices.Sort(got)
			want := slices.Clone(tc.fields)
			slices.Sort(want)
			if !slices.Equal(got, want) || e.Error.Code != "invalid_input" {
				t.Fatalf("fields %v, want %v: %s", got, want, resp.Body)
			}
		})
	}
}

func TestStaffingNeedsAToken(t *testing.T) {
	resp := apitest.Do(t, staffingServer(), apitest.Request(http.MethodGet, "/v1/staffing?contacts=1&interval=30m&aht=1m&sl=0.8&t=20", nil))
	if resp.Status != http.StatusUnauthorized {
		t.Fatalf("%d", resp.Status)
	}
}

// FuzzStaffingQuery: any query answers 200 or 400, never a failure, and a
// 200 is a sensible staffing.
func FuzzStaffingQuery(f *testing.F) {
	f.Add("contacts=120&interval=30m&aht=300&sl=0.8&t=20s")
	f.Add("contacts=1e5&interval=1s&aht=1h&sl=0.999999&t=0")
	f.Add("contacts=-1&interval=&aht=x&sl=NaN&t=1e400")
	f.Add("contacts=2&interval=1e-9&aht=1e-9&sl=0.5&t=1&maxOccupancy=0.01")
	srv := staffingServer()
	f.Fuzz(func(t *testing.T, query string) {
		if _, err := url.Parse("https://api.example.test/v1/staffing?" + query); err != nil {
			t.Skip("API Gateway sends no such URL")
		}
		resp := apitest.Do(t, srv, apitest.Request(http.MethodGet, "/v1/staffing?"+query, nil, analyst))
		switch resp.Status {
		case http.StatusOK:
			var got struct {
				Agents    int     `json:"agents"`
				Occupancy float64 `json:"occupancy"`
			}
			resp.JSON(t, &got)
			if got.Agents < 0 || got.Occupancy < 0 || got.Occupancy > 1 {
				t.Fatalf("%s → %s", query, resp.Body)
			}
		case http.StatusBadRequest:
		default:
			t.Fatalf("%s → %d %s", query, resp.Status, resp.Body)
		}
	})
}
