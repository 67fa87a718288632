package loadstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/connect"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/load"
	"github.com/conduit-cx/conduit/shared/loadwatch"
	"github.com/conduit-cx/conduit/shared/store/loadstore"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

// TestLoadStores covers the load watcher's stores on DynamoDB Local: the
// recent service of queues from contact items, and the wallboard.
func TestLoadStores(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	t.Run("recent service", func(t *testing.T) { recentService(t, env) })
	t.Run("wallboard", func(t *testing.T) { wallboard(t, env) })
}

func recentService(t *testing.T, env storetest.Env) {
	ctx := context.Background()
	// Just after midnight, so the window's lookback reaches the day before.
	now := time.Date(2026, 3, 3, 0, 5, 0, 0, time.UTC)
	table := env.Clients.Dynamo.Table(env.Tables.Contacts)
	put := func(id string, initiated time.Time, c contacts.Contact) {
		c.ContactID, c.Day, c.InitiatedAt = id, contacts.Day(initiated), contacts.FormatTime(initiated)
		if err := table.Put(c).Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	events := func(queue string, states map[string]time.Time) *contacts.Events {
		return &contacts.Events{QueueID: queue, States: states}
	}
	at := func(d time.Duration) time.Time { return now.Add(d) }
	// Answered in Sales after 10 s, 30 s and 94 s; abandoned after 5 s
	// (within T) and 45 s (after T).
	put("a1", at(-5*time.Minute), contacts.Contact{Events: events("sales", map[string]time.Time{
		connect.EventQueued: at(-4 * time.Minute), connect.EventConnectedToAgent: at(-4*time.Minute + 10*time.Second)})})
	put("a2", at(-20*time.Minute), contacts.Contact{Events: events("sales", map[string]time.Time{
		connect.EventQueued: at(-10 * time.Minute), connect.EventConnectedToAgent: at(-10*time.Minute + 30*time.Second)})})
	// Began yesterday, answered inside the window.
	put("a3", at(-12*time.Minute), contacts.Contact{Events: events("sales", map[string]time.Time{
		connect.EventQueued: at(-3 * time.Minute), connect.EventConnectedToAgent: at(-3*time.Minute + 94*time.Second)})})
	put("b1", at(-2*time.Minute), contacts.Contact{Events: events("sales", map[string]time.Time{
		connect.EventQueued: at(-2 * time.Minute), connect.EventDisconnected: at(-2*time.Minute + 5*time.Second)})})
	put("b2", at(-3*time.Minute), contacts.Contact{Events: events("sales", map[string]time.Time{
		connect.EventQueued: at(-3 * time.Minute), connect.EventDisconnected: at(-3*time.Minute + 45*time.Second)})})
	// From a contact record only (no events): answered in Billing after 40 s.
	put("f1", at(-8*time.Minute), contacts.Contact{Facts: &contacts.Facts{QueueID: "billing",
		EnqueuedAt: at(-7 * time.Minute), AnsweredAt: at(-7*time.Minute + 40*time.Second), LastUpdate: at(-time.Minute)}})
	// Not counted: still waiting, answered before the window, never queued, answered after now.
	put("w1", at(-time.Minute), contacts.Contact{Events: events("sales", map[string]time.Time{connect.EventQueued: at(-time.Minute)})})
	put("o1", at(-50*time.Minute), contacts.Contact{Events: events("sales", map[string]time.Time{
		connect.EventQueued: at(-40 * time.Minute), connect.EventConnectedToAgent: at(-39 * time.Minute)})})
	put("n1", at(-4*time.Minute), contacts.Contact{Events: events("sales", map[string]time.Time{
		connect.EventInitiated: at(-4 * time.Minute), connect.EventDisconnected: at(-3 * time.Minute)})})

	got, err := loadstore.NewQueueService(env.Clients.Dynamo, env.Tables).RecentService(ctx, now.Add(-15*time.Minute), now, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	sales := got["sales"]
	want := loadwatch.ServiceStats{Answered: 3, AnsweredWithin: 1, Abandoned: 2, AbandonedAfter: 1, WaitSeconds: 134}
	if sales != want || len(got) != 2 {
		t.Fatalf("sales %+v, want %+v (all %+v)", sales, want, got)
	}
	if asa := sales.ASA(); fmt.Sprintf("%.2f", asa.Value) != "44.67" {
		t.Fatalf("ASA %v", asa)
	}
	if sl := sales.ServiceLevel(); sl.Value != 0.25 {
		t.Fatalf("service level %v: 1 within 20 s of 3 answered + 1 abandoned after 20 s", sl)
	}
	if b := got["billing"]; b.Answered != 1 || b.WaitSeconds != 40 {
		t.Fatalf("billing %+v", b)
	}
}

func wallboard(t *testing.T, env storetest.Env) {
	ctx := context.Background()
	s := loadstore.NewLoadBoard(env.Clients.Dynamo, env.Tables)
	empty, err := s.Wallboard(ctx)
	if err != nil || len(empty.Queues) != 0 || !empty.RunAt.IsZero() {
		t.Fatalf("before any run: %+v %v", empty, err)
	}
	if held, err := s.HeldByQueue(ctx); err != nil || len(held) != 0 {
		t.Fatalf("holds before any run: %v %v", held, err)
	}
	t1 := time.Date(2026, 3, 2, 9, 1, 0, 0, time.UTC)
	w := loadwatch.Wallboard{RunAt: t1, StaleAfterSeconds: 180,
		Queues: []loadwatch.Queue{{ID: "q1", Name: "Sales", State: load.State{Queue: "Sales", Level: load.Overloaded, UpdatedAt: t1,
			Metrics: load.Metrics{Queue: "Sales", At: t1, ContactsWaiting: load.Known(18)}}}},
		Holds: []loadwatch.Hold{{CampaignID: "spring", Reason: "held: queue Sales overloaded", Since: t1, Queues: []string{"Sales"}}}}
	if err := s.SaveWallboard(ctx, w); err != nil {
		t.Fatal(err)
	}
	older := loadwatch.Wallboard{RunAt: t1.Add(-time.Minute), Queues: []loadwatch.Queue{}, Holds: []loadwatch.Hold{}}
	if err := s.SaveWallboard(ctx, older); err != nil {
		t.Fatal(err)
	}
	back, err := s.Wallboard(ctx)
	if err != nil || !back.RunAt.Equal(t1) || len(back.Queues) != 1 || back.Queues[0].State.Metrics.ContactsWaiting.Value != 18 ||
		back.Queues[0].State.Metrics.ASA.OK {
		t.Fatalf("a late, older run replaced the wallboard, or it did not round-trip: %+v %v", back, err)
	}
	held, err := s.HeldByQueue(ctx)
	if err != nil || held[""]["spring"] != "held: queue Sales overloaded" || held["Sales"]["spring"] == "" || len(held) != 2 {
		t.Fatalf("holds %v %v", held, err)
	}
}
