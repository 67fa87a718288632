package reportgen

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/kpi"
	"github.com/conduit-cx/conduit/shared/rollup"
)

var day = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// memory holds buckets as the rollup computed them.
type memory []rollup.Bucket

func (m memory) Series(_ context.Context, g kpi.Grain, k kpi.Key, from, to time.Time) ([]rollup.Bucket, error) {
	var out []rollup.Bucket
	for _, b := range m {
		if b.Grain == g && b.Key == k && !b.Start.Before(g.Start(from)) && b.Start.Before(to) {
			out = append(out, b)
		}
	}
	return out, nil
}

func (m memory) Dimension(_ context.Context, g kpi.Grain, d kpi.Dimension, from, to time.Time, match func(kpi.Key) bool, _ int) ([]rollup.Bucket, error) {
	var out []rollup.Bucket
	for _, b := range m {
		if b.Grain == g && b.Key.Dimension == d && !b.Start.Before(g.Start(from)) && b.Start.Before(to) && (match == nil || match(b.Key)) {
			out = append(out, b)
		}
	}
	return out, nil
}

// twoDays are 400 contacts a day on day−1 and day: campaign "spring"
// converts 12 % treated against 6 % holdout.
func twoDays() memory {
	var m memory
	for _, d := range []time.Time{day.Add(-24 * time.Hour), day} {
		var facts []kpi.Fact
		for i := range 400 {
			f := kpi.Fact{
				ContactID: fmt.Sprintf("%s-%03d", d.Format("0102"), i), At: d.Add(8*time.Hour + time.Duration(i)*90*time.Second),
				Channel: "voice", Queue: "Sales", Agent: fmt.Sprintf("agent%d", i%7),
				Queued: true, Answered: i%20 != 0, Abandoned: i%20 == 0, QueueWait: time.Duration(5+i%40) * time.Second, QueueWaitKnown: true,
				SurveyScore: 1 + i%5,
			}
			if f.Answered {
				f.Handled, f.DurationsKnown = true, true
				f.Talk, f.AfterContactWork = time.Duration(200+i%200)*time.Second, 30*time.Second
			}
			f.Decided, f.Campaign, f.Offer = true, "spring <&>", "fibre"
			f.Group = kpi.GroupTreated
			if i%2 == 1 {
				f.Group = kpi.GroupHoldout
			}
			f.OfferShown = f.Group == kpi.GroupTreated
			if (f.Group == kpi.GroupTreated && i%50 < 6) || (f.Group == kpi.GroupHoldout && i%100 < 6) {
				f.Outcome, f.Value = kpi.OutcomeAccepted, 20
			}
			facts = append(facts, f)
		}
		for _, b := range (rollup.Options{}).Compute(rollup.Work{Day: d, From: d, To: d.Add(24 * time.Hour)}, facts) {
			for k, a := range b.Aggregates {
				m = append(m, rollup.Bucket{Grain: b.Grain, Start: b.Start, Key: k, Aggregate: a})
			}
		}
	}
	return m
}

func TestReportTableAndPage(t *testing.T) {
	rep, err := Build(context.Background(), twoDays(), Options{Day: day}, day.Add(30*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, rep); err != nil {
		t.Fatal(err)
	}
	out := table.String()
	for _, want := range []string{"Average speed of answer", "Service level", "Abandon rate", "✓ good", "spring <&>", "400"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if len(rep.Charts) != 6 || len(rep.Charts[5].Series) != 1 || len(rep.Charts[5].Series[0].Points) != 2 {
		t.Fatalf("charts: %d, lift %+v", len(rep.Charts), rep.Charts[len(rep.Charts)-1].Series)
	}

	var page bytes.Buffer
	if err := WriteHTML(&page, rep); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	// CONDUIT_REPORT_SAMPLE=path writes the page, to open in a browser.
	if path := os.Getenv("CONDUIT_REPORT_SAMPLE"); path != "" {
		if err := os.WriteFile(path, page.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(html, "<svg "); n != 6 {
		t.Errorf("%d charts in the page, want 6", n)
	}
	// Self-contained: no scripts, no external stylesheets, images or fonts;
	// the only URL is the SVG namespace.
	for _, bad := range []*regexp.Regexp{regexp.MustCompile(`<script`), regexp.MustCompile(`<link`), regexp.MustCompile(`\bsrc=`),
		regexp.MustCompile(`url\(`), regexp.MustCompile(`@import`)} {
		if bad.MatchString(html) {
			t.Errorf("page has %s", bad)
		}
	}
	if urls := regexp.MustCompile(`https?://[^"' ]+`).FindAllString(html, -1); len(urls) != 6 || urls[0] != "http://www.w3.org/2000/svg" {
		t.Errorf("page names URLs %v; want only the SVG namespace", urls)
	}
	// A campaign name is text, never markup.
	if strings.Contains(html, "spring <&>") || !strings.Contains(html, "spring &lt;&amp;&gt;") {
		t.Error("campaign name not escaped")
	}
	if !strings.Contains(html, "significant") {
		t.Error("page lacks the lift verdict")
	}
}

func TestEmptyDayStillRenders(t *testing.T) {
	rep, err := Build(context.Background(), memory{}, Options{Day: day}, day)
	if err != nil {
		t.Fatal(err)
	}
	var table, page bytes.Buffer
	if err := WriteTable(&table, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&page, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "no campaign") || !strings.Contains(page.String(), "No campaign") {
		t.Errorf("empty day:\n%s", table.String())
	}
}
