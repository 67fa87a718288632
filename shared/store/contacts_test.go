package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

var contactT0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func newContacts(t testing.TB) (*store.Contacts, storetest.Env) {
	env := storetest.New(t)
	return store.NewContacts(env.Clients.Dynamo, env.Tables), env
}

func factsAt(update time.Time, talk int) contacts.Facts {
	return contacts.Facts{
		LastUpdate: update, InitiatedAt: contactT0, Channel: "voice", Queue: "Billing", QueueID: "q1",
		AgentUsername: "agent.jane", TalkSeconds: talk, Handled: true, Status: contacts.StatusHandled,
	}
}

func TestApplyFactsNewestRecordWins(t *testing.T) {
	t.Parallel()
	s, _ := newContacts(t)
	ctx := context.Background()
	if _, err := s.Get(ctx, "c1"); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("unknown contact: %v", err)
	}
	w, err := s.ApplyFacts(ctx, "c1", factsAt(contactT0.Add(time.Hour), 100))
	if err != nil || !w.Applied || !w.First {
		t.Fatalf("first: %+v %v", w, err)
	}
	c := w.Contact
	if c.Facts.TalkSeconds != 100 || c.InitiatedAt != "2026-03-02T09:30:00.000Z" || c.Day != "2026-03-02" ||
		c.AgentUsername != "agent.jane" || c.Queue != "Billing" || c.Channel != "voice" || c.ExpiresAt != contacts.ExpiresAt(contactT0) {
		t.Errorf("item %+v", c)
	}
	// Newer wins; the same version is written again unchanged; older changes nothing.
	if w, _ := s.ApplyFacts(ctx, "c1", factsAt(contactT0.Add(2*time.Hour), 200)); !w.Applied || w.First || w.Contact.Facts.TalkSeconds != 200 {
		t.Errorf("a newer record: %+v", w)
	}
	if w, _ := s.ApplyFacts(ctx, "c1", factsAt(contactT0.Add(2*time.Hour), 200)); !w.Applied {
		t.Error("the same record again was refused")
	}
	w, err = s.ApplyFacts(ctx, "c1", factsAt(contactT0.Add(90*time.Minute), 150))
	if err != nil || w.Applied || w.Contact.Facts.TalkSeconds != 200 {
		t.Errorf("older record: %+v %v", w, err)
	}
	got, err := s.Get(ctx, "c1")
	if err != nil || got.Facts.TalkSeconds != 200 || !got.Facts.LastUpdate.Equal(contactT0.Add(2*time.Hour)) {
		t.Errorf("stored %+v %v", got.Facts, err)
	}
}

func TestWritersKeepToTheirOwnAttributes(t *testing.T) {
	t.Parallel()
	s, env := newContacts(t)
	ctx := context.Background()
	decisions := store.NewDecisions(env.Clients.Dynamo, env.Tables)
	if err := decisions.RecordDecision(ctx, store.DecisionRecord{ContactID: "c1", Channel: "voice",
		Decision: contacts.Decision{DecisionID: "d1", At: contactT0, ProfileID: "p1", OfferID: "o1", Shown: true}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutLens(ctx, "c1", contacts.Lens{Version: 1, Sentiment: "neutral"}, contactT0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyFacts(ctx, "c1", factsAt(contactT0.Add(time.Hour), 100)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProfile(ctx, "c1", "p2"); err != nil {
		t.Fatal(err)
	}
	c, err := s.Get(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Decision == nil || c.Decision.OfferID != "o1" || c.Lens == nil || c.Lens.Sentiment != "neutral" || c.Facts == nil || c.ProfileID != "p1" {
		t.Errorf("a writer overwrote another: %+v", c)
	}
}

func TestPutLensRefusesAStaleVersion(t *testing.T) {
	t.Parallel()
	s, _ := newContacts(t)
	ctx := context.Background()
	if err := s.PutLens(ctx, "c1", contacts.Lens{Version: 1}, contactT0); err != nil {
		t.Fatal(err)
	}
	if err := s.PutLens(ctx, "c1", contacts.Lens{Version: 1}, contactT0); !errors.Is(err, apperr.ErrConflict) {
		t.Errorf("second first write: %v", err)
	}
	if err := s.PutLens(ctx, "c1", contacts.Lens{Version: 2, Sentiment: "negative"}, contactT0); err != nil {
		t.Errorf("next version: %v", err)
	}
	if err := s.PutLens(ctx, "c1", contacts.Lens{Version: 2}, contactT0); !errors.Is(err, apperr.ErrConflict) {
		t.Errorf("stale version: %v", err)
	}
}

func TestMarkRepeatOnlyOnAHandledContact(t *testing.T) {
	t.Parallel()
	s, _ := newContacts(t)
	ctx := context.Background()
	abandoned := factsAt(contactT0, 0)
	abandoned.Handled, abandoned.Status = false, contacts.StatusAbandoned
	s.ApplyFacts(ctx, "handled", factsAt(contactT0, 100))
	s.ApplyFacts(ctx, "abandoned", abandoned)
	s.ApplyFacts(ctx, "later", factsAt(contactT0.Add(time.Hour), 100))
	for _, c := range []struct {
		earlier string
		want    bool
	}{{"handled", true}, {"handled", true}, {"abandoned", false}, {"unknown", false}} {
		got, err := s.MarkRepeat(ctx, c.earlier, "later")
		if err != nil || got != c.want {
			t.Errorf("%s: %v %v", c.earlier, got, err)
		}
	}
	h, _ := s.Get(ctx, "handled")
	a, _ := s.Get(ctx, "abandoned")
	l, _ := s.Get(ctx, "later")
	if !h.RepeatWithin7d || a.RepeatWithin7d || !l.RepeatContact || l.RepeatWithin7d {
		t.Errorf("flags: handled %v abandoned %v later %v/%v", h.RepeatWithin7d, a.RepeatWithin7d, l.RepeatContact, l.RepeatWithin7d)
	}
	marks, err := s.RepeatMarks(ctx, []string{"handled", "abandoned", "later", "unknown", "handled"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]contacts.RepeatMarks{
		"handled": {Handled: true, RepeatWithin7d: true}, "abandoned": {}, "later": {Handled: true, RepeatContact: true},
	}
	if len(marks) != len(want) || marks["handled"] != want["handled"] || marks["abandoned"] != want["abandoned"] || marks["later"] != want["later"] {
		t.Errorf("marks %+v", marks)
	}
}

func TestTimelineAndQueueWaitingListChangeTogether(t *testing.T) {
	t.Parallel()
	s, _ := newContacts(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	join := &contacts.QueueEntry{QueueID: "q1", ContactID: "c1", Since: now.Add(-90 * time.Second)}
	ev := contacts.Events{Order: 10, Last: "QUEUED", Waiting: join}
	if err := s.ApplyEvents(ctx, contacts.TimelineChange{ContactID: "c1", Events: ev, Queues: contacts.QueueChange{Join: join}, InitiatedAt: now}); err != nil {
		t.Fatal(err)
	}
	join2 := &contacts.QueueEntry{QueueID: "q1", ContactID: "c2", Since: now.Add(-30 * time.Second)}
	if err := s.ApplyEvents(ctx, contacts.TimelineChange{ContactID: "c2", Events: contacts.Events{Order: 5, Waiting: join2}, Queues: contacts.QueueChange{Join: join2}}); err != nil {
		t.Fatal(err)
	}
	waiting, oldest, err := s.QueueCounters(ctx, "q1")
	if err != nil || waiting != 2 || oldest < 90*time.Second || oldest > 95*time.Second {
		t.Errorf("counters %d %s %v", waiting, oldest, err)
	}
	// A stale timeline (another event won) changes neither the contact nor the queue.
	err = s.ApplyEvents(ctx, contacts.TimelineChange{ContactID: "c1", Events: contacts.Events{Order: 11}, HadEvents: true, PrevOrder: 9,
		Queues: contacts.QueueChange{Leave: join}})
	if !errors.Is(err, apperr.ErrConflict) {
		t.Errorf("stale: %v", err)
	}
	if n, _, _ := s.QueueCounters(ctx, "q1"); n != 2 {
		t.Errorf("a refused change moved the queue: %d waiting", n)
	}
	// Moved from q1 to q2 in one transaction.
	move := &contacts.QueueEntry{QueueID: "q2", ContactID: "c1", Since: now}
	if err := s.ApplyEvents(ctx, contacts.TimelineChange{ContactID: "c1", Events: contacts.Events{Order: 12, Waiting: move}, HadEvents: true, PrevOrder: 10,
		Queues: contacts.QueueChange{Leave: join, Join: move}}); err != nil {
		t.Fatal(err)
	}
	list1, _ := s.QueueWaiting(ctx, "q1")
	list2, _ := s.QueueWaiting(ctx, "q2")
	if len(list1) != 1 || list1[0].ContactID != "c2" || len(list2) != 1 || list2[0].ContactID != "c1" {
		t.Errorf("after move: q1 %+v q2 %+v", list1, list2)
	}
	if n, oldest, _ := s.QueueCounters(ctx, "empty"); n != 0 || oldest != 0 {
		t.Errorf("a queue never used: %d %s", n, oldest)
	}
}

func TestQueueWaitingListUnderConcurrentContacts(t *testing.T) {
	t.Parallel()
	s, _ := newContacts(t)
	ctx := context.Background()
	now := time.Now().UTC()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("c%02d", i)
			e := &contacts.QueueEntry{QueueID: "busy", ContactID: id, Since: now.Add(-time.Duration(i) * time.Second)}
			if err := s.ApplyEvents(ctx, contacts.TimelineChange{ContactID: id, Events: contacts.Events{Order: 1, Waiting: e}, Queues: contacts.QueueChange{Join: e}}); err != nil {
				errs <- err
				return
			}
			if i%2 == 0 {
				errs <- s.ApplyEvents(ctx, contacts.TimelineChange{ContactID: id, Events: contacts.Events{Order: 2}, HadEvents: true, PrevOrder: 1,
					Queues: contacts.QueueChange{Leave: e}})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	list, err := s.QueueWaiting(ctx, "busy")
	if err != nil || len(list) != 20 || list[0].ContactID != "c39" {
		t.Errorf("waiting %d (first %+v) %v", len(list), list[:min(1, len(list))], err)
	}
}

func TestEraseProfileDeletesItsContacts(t *testing.T) {
	t.Parallel()
	s, _ := newContacts(t)
	ctx := context.Background()
	for i := range 30 {
		id := fmt.Sprintf("c%02d", i)
		s.ApplyFacts(ctx, id, factsAt(contactT0.Add(time.Duration(i)*time.Minute), i))
		profile := "p1"
		if i%3 == 0 {
			profile = "p2"
		}
		if err := s.SetProfile(ctx, id, profile); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.EraseProfile(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	var left []string
	for i := range 30 {
		id := fmt.Sprintf("c%02d", i)
		if _, err := s.Get(ctx, id); err == nil {
			left = append(left, id)
		}
	}
	if len(left) != 10 || !slices.Contains(left, "c03") {
		t.Errorf("left %v", left)
	}
}
