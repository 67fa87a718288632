package rollup_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
	"golang.org/x/sync/errgroup"

	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/rollup"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

var benchDay = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// dayOfContacts makes n contact items of one day, shaped like a contact
// center's: most between 08:00 and 20:00, 8 queues, 3 channels, 200
// agents, 4 campaigns of 3 offers, a decision on 30 % of contacts (15 % of
// those held out), a survey on a quarter, a known customer on 70 %.
func dayOfContacts(n int) []contacts.Contact {
	r := rand.New(rand.NewPCG(uint64(n), 2026))
	queues := []string{"Sales", "Billing", "Support", "Retention", "Moves", "Business", "Tech", "Spanish"}
	channels := []string{"voice", "voice", "voice", "chat", "task"}
	out := make([]contacts.Contact, n)
	for i := range out {
		sec := 8*3600 + r.IntN(12*3600)
		if r.IntN(5) == 0 {
			sec = r.IntN(86400 - 60) // queued before midnight
		}
		init := benchDay.Add(time.Duration(sec)*time.Second + time.Duration(r.IntN(1000))*time.Millisecond)
		wait := int(r.ExpFloat64() * 25)
		handled := r.IntN(100) >= 6
		f := &contacts.Facts{
			LastUpdate: init.Add(20 * time.Minute), Channel: channels[r.IntN(len(channels))], InitiatedAt: init,
			Queue: queues[r.IntN(len(queues))], QueueID: "q", EnqueuedAt: init.Add(15 * time.Second), QueueWaitSeconds: wait,
		}
		if handled {
			f.AgentUsername = fmt.Sprintf("agent%03d", r.IntN(200))
			f.AnsweredAt = f.EnqueuedAt.Add(time.Duration(wait) * time.Second)
			f.TalkSeconds, f.HoldSeconds, f.AfterContactWorkSeconds = 60+r.IntN(600), r.IntN(60), 10+r.IntN(90)
			f.Handled, f.Status = true, contacts.StatusHandled
			if r.IntN(4) == 0 {
				f.SurveyScore = 1 + r.IntN(5)
			}
		} else {
			f.Abandoned, f.Status = true, contacts.StatusAbandoned
		}
		c := contacts.Contact{
			ContactID: fmt.Sprintf("%08x-%04d", r.Uint32(), i), Day: contacts.Day(init), InitiatedAt: contacts.FormatTime(init),
			AgentUsername: f.AgentUsername, Channel: f.Channel, Queue: f.Queue, Facts: f,
			RepeatWithin7d: r.IntN(10) == 0, ExpiresAt: contacts.ExpiresAt(init),
		}
		if r.IntN(10) < 7 {
			c.ProfileID = fmt.Sprintf("p%06d", r.IntN(n))
		}
		if r.IntN(10) < 3 {
			camp := r.IntN(4)
			d := &contacts.Decision{
				DecisionID: "d" + c.ContactID, At: init.Add(time.Minute), OfferID: fmt.Sprintf("offer%d-%d", camp, r.IntN(3)),
				CampaignID: fmt.Sprintf("campaign%d", camp), Holdout: r.IntN(100) < 15, Value: 20,
			}
			d.Shown = !d.Holdout
			c.Decision = d
			if r.IntN(100) < 12 {
				c.Outcome = &contacts.Outcome{DecisionID: d.DecisionID, Outcome: contacts.OutcomeAccepted, At: init.Add(5 * time.Minute), Value: 19.99}
			}
		}
		out[i] = c
	}
	return out
}

// putContacts writes items 25 per BatchWriteItem, 8 requests at a time.
func putContacts(b *testing.B, env storetest.Env, cs []contacts.Contact) {
	ctx := context.Background()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for start := 0; start < len(cs); start += 25 {
		chunk := cs[start:min(start+25, len(cs))]
		g.Go(func() error {
			reqs := make([]types.WriteRequest, len(chunk))
			for i, c := range chunk {
				item, err := dynamo.MarshalItem(c)
				if err != nil {
					return err
				}
				reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
			}
			pending := map[string][]types.WriteRequest{env.Tables.Contacts: reqs}
			for len(pending) > 0 {
				out, err := env.Clients.DynamoDB.BatchWriteItem(gctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
				if err != nil {
					return err
				}
				pending = out.UnprocessedItems
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRollupDay recomputes one day of contacts (every quarter-hour,
// hour and the day, every dimension) against DynamoDB Local: the read of
// the day through the byDay index, the folding, and the writes. One
// iteration is one full recompute; the first writes every KPI item, later
// ones find them unchanged (rerun-s reports one such rerun, read-s the read
// of the day's contacts alone, load-s the writing of the contacts before).
// Writing 100,000 contacts first takes a while: run with -benchtime=1x.
func BenchmarkRollupDay(b *testing.B) {
	for _, n := range []int{10_000, 30_000, 100_000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			env := storetest.New(b)
			cs := dayOfContacts(n)
			start := time.Now()
			putContacts(b, env, cs)
			load := time.Since(start)
			kpis := store.NewKPIs(env.Clients.Dynamo, env.Tables)
			now := benchDay.Add(10 * 24 * time.Hour)
			job := &rollup.Job{Contacts: kpis, Buckets: kpis, Watermarks: kpis, Clock: func() time.Time { return now }}
			req := rollup.Request{Backfill: true, From: benchDay, To: benchDay.Add(24 * time.Hour)}
			var rep rollup.Report
			b.ResetTimer()
			for b.Loop() {
				var err error
				if rep, err = job.Run(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if rep.Contacts != n {
				b.Fatalf("rolled up %d contacts, want %d", rep.Contacts, n)
			}
			b.ReportMetric(load.Seconds(), "load-s")
			b.ReportMetric(float64(rep.Written+rep.Unchanged), "kpi-items")
			start = time.Now()
			again, err := job.Run(context.Background(), req)
			if err != nil || again.Written != 0 {
				b.Fatalf("rerun wrote %d: %v", again.Written, err)
			}
			b.ReportMetric(time.Since(start).Seconds(), "rerun-s")
			start = time.Now()
			read := 0
			if err := kpis.ContactsInitiated(context.Background(), benchDay, benchDay.Add(24*time.Hour), func(contacts.Contact) { read++ }); err != nil || read != n {
				b.Fatalf("read %d: %v", read, err)
			}
			b.ReportMetric(time.Since(start).Seconds(), "read-s")
		})
	}
}
