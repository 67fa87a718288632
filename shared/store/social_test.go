package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/contacts"
	"github.com/conduit-cx/conduit/shared/identity"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/storetest"
	"github.com/conduit-cx/conduit/shared/voice"
)

var socialT0 = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

func newSocial(t testing.TB) (*store.Social, storetest.Env) {
	env := storetest.New(t)
	return store.NewSocial(env.Clients.Dynamo, env.Tables), env
}

func buildPost(t testing.TB, id, text string, followers int64, postedAt time.Time) voice.Post {
	t.Helper()
	h := identity.NewHasher([]byte("social-store-test-key-32-bytes!!"))
	p, err := voice.PostInput{Network: "x", PostID: id, Author: "@author_" + id, Text: text, PostedAt: postedAt, Followers: followers}.
		Build(h, voice.DefaultRules(), socialT0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSocialPostStoredOnce(t *testing.T) {
	t.Parallel()
	s, _ := newSocial(t)
	ctx := context.Background()
	p := buildPost(t, "100", "internet is down again", 10, socialT0)
	stored, created, err := s.CreatePost(ctx, p)
	if err != nil || !created || stored.Key() != "x#100" {
		t.Fatalf("first: %+v %v %v", stored, created, err)
	}
	// The same post again, even changed, answers the stored one.
	again := p
	again.Text, again.Triage.Route = "edited", voice.RouteMarketing
	stored, created, err = s.CreatePost(ctx, again)
	if err != nil || created || stored.Text != "internet is down again" || stored.Triage.Route != voice.RouteService ||
		!slices.Equal(stored.Triage.Reasons, p.Triage.Reasons) || stored.AuthorKey != p.AuthorKey {
		t.Fatalf("duplicate: %+v %v %v", stored, created, err)
	}
	got, err := s.GetPost(ctx, "x", "100")
	if err != nil || got.Text != p.Text || !got.PostedAt.Equal(p.PostedAt) || got.Triage.Topic != "outage" {
		t.Fatalf("read back %+v %v", got, err)
	}
	if _, err := s.GetPost(ctx, "x", "404"); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("unknown post: %v", err)
	}
}

func TestSocialWorkQueues(t *testing.T) {
	t.Parallel()
	s, _ := newSocial(t)
	ctx := context.Background()
	// Service posts of three urgencies, two of them at the same urgency a
	// minute apart, and a marketing post.
	posts := []voice.Post{
		buildPost(t, "1", "how do i reset my router", 0, socialT0),                     // low
		buildPost(t, "2", "internet is down", 0, socialT0.Add(2*time.Minute)),          // high
		buildPost(t, "3", "internet is down", 0, socialT0.Add(time.Minute)),            // high, older
		buildPost(t, "4", "someone hacked my account", 0, socialT0.Add(3*time.Minute)), // critical
		buildPost(t, "5", "love the new phone", 0, socialT0),                           // marketing
	}
	for _, p := range posts {
		if _, _, err := s.CreatePost(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	list := func(route voice.Route, status string, limit int) []string {
		var ids []string
		cursor := ""
		for page := 0; ; page++ {
			got, next, err := s.ListPosts(ctx, route, status, limit, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range got {
				ids = append(ids, p.PostID)
			}
			if next == "" {
				return ids
			}
			if page > 10 {
				t.Fatal("paging does not end")
			}
			cursor = next
		}
	}
	if got := list(voice.RouteService, "", 2); !slices.Equal(got, []string{"4", "3", "2", "1"}) {
		t.Fatalf("service queue %v: want most urgent first, then oldest first", got)
	}
	if got := list(voice.RouteMarketing, voice.StatusOpen, 25); !slices.Equal(got, []string{"5"}) {
		t.Fatalf("marketing open %v", got)
	}

	// Handling needs the version; it moves the post to the handled queue.
	if _, err := s.HandlePost(ctx, "x", "3", 2, nil); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("stale version: %v", err)
	}
	if err := s.MarkPublished(ctx, "x#3", socialT0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	h, err := s.HandlePost(ctx, "x", "3", 1, func(p *voice.Post) error {
		return p.Handle(voice.StatusHandled, "replied with the status page", "sam", socialT0.Add(2*time.Hour))
	})
	if err != nil || h.Version != 2 || h.HandledBy != "sam" {
		t.Fatalf("handled %+v %v", h, err)
	}
	got, _ := s.GetPost(ctx, "x", "3")
	if got.Status != voice.StatusHandled || got.Version != 2 || got.Note != "replied with the status page" ||
		!got.HandledAt.Equal(socialT0.Add(2*time.Hour)) || !got.PublishedAt.Equal(socialT0.Add(time.Hour)) {
		t.Fatalf("stored after handling %+v", got)
	}
	if _, err := s.HandlePost(ctx, "x", "3", 2, func(p *voice.Post) error {
		return p.Handle(voice.StatusHandled, "", "kim", socialT0)
	}); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("handling twice: %v", err)
	}
	if open, handled := list(voice.RouteService, voice.StatusOpen, 25), list(voice.RouteService, voice.StatusHandled, 25); !slices.Equal(open, []string{"4", "2", "1"}) || !slices.Equal(handled, []string{"3"}) {
		t.Fatalf("open %v handled %v", open, handled)
	}

	// A cursor of another queue, or made up, is refused by name.
	_, next, _ := s.ListPosts(ctx, voice.RouteService, "", 1, "")
	for _, bad := range []string{next[:len(next)-2], "bm90IGEgY3Vyc29y"} {
		if _, _, err := s.ListPosts(ctx, voice.RouteMarketing, "", 1, bad); !isProblem(err, "cursor") {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
	if _, _, err := s.ListPosts(ctx, voice.RouteMarketing, "", 1, next); !isProblem(err, "cursor") {
		t.Errorf("another queue's cursor: %v", err)
	}
}

func isProblem(err error, field string) bool {
	ps, ok := apperr.AsProblems(err)
	return ok && len(ps) == 1 && ps[0].Field == field
}

func TestSocialErasure(t *testing.T) {
	t.Parallel()
	s, _ := newSocial(t)
	ctx := context.Background()
	for i := range 3 {
		p := buildPost(t, fmt.Sprint(i), "billing is wrong", 0, socialT0)
		if i < 2 {
			p.ProfileID = "p-erased"
		}
		if _, _, err := s.CreatePost(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if err := s.EraseProfile(ctx, "p-erased"); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []bool{false, false, true} {
		_, err := s.GetPost(ctx, "x", fmt.Sprint(i))
		if (err == nil) != want {
			t.Errorf("post %d after erasure: %v", i, err)
		}
	}
}

func TestSurveyRecordedOnce(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	s := store.NewSurveys(env.Clients.Dynamo, env.Tables)
	contactsStore := store.NewContacts(env.Clients.Dynamo, env.Tables)
	low := contacts.Survey{Score: 2, Comment: "waited too long", At: socialT0, Source: "sms"}

	// A survey tool naming a contact Conduit never saw is refused.
	if _, _, err := s.RecordSurvey(ctx, "c-unknown", low, store.SurveyOptions{MustExist: true}); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("unknown contact: %v", err)
	}
	if _, err := contactsStore.Get(ctx, "c-unknown"); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("the refused survey left an item: %v", err)
	}
	// A contact flow's own contact is recorded even before its contact
	// record, and linked to the customer.
	c, first, err := s.RecordSurvey(ctx, "c1", low, store.SurveyOptions{ProfileID: "p1"})
	if err != nil || !first || c.Survey == nil || c.Survey.Score != 2 || c.ProfileID != "p1" || c.ExpiresAt == 0 {
		t.Fatalf("first survey %+v %v %v", c, first, err)
	}
	// The same answer again changes nothing; another is refused.
	again := low
	again.At = socialT0.Add(time.Minute)
	c, first, err = s.RecordSurvey(ctx, "c1", again, store.SurveyOptions{ProfileID: "p2", MustExist: true})
	if err != nil || first || !c.Survey.At.Equal(socialT0) || c.ProfileID != "p1" {
		t.Fatalf("retry %+v %v %v", c, first, err)
	}
	other := low
	other.Score = 5
	if _, _, err := s.RecordSurvey(ctx, "c1", other, store.SurveyOptions{}); !errors.Is(err, store.ErrSurveyExists) || !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("second answer: %v", err)
	}
	got, err := contactsStore.Get(ctx, "c1")
	if err != nil || got.Survey.Score != 2 || got.Survey.Comment != "waited too long" || got.Survey.Source != "sms" {
		t.Fatalf("stored %+v %v", got.Survey, err)
	}
	// The survey sits beside what others wrote: facts from the contact
	// record keep it, and it keeps them.
	if _, err := contactsStore.ApplyFacts(ctx, "c1", contacts.Facts{LastUpdate: socialT0, InitiatedAt: socialT0.Add(-time.Hour), Handled: true, Status: contacts.StatusHandled}); err != nil {
		t.Fatal(err)
	}
	got, _ = contactsStore.Get(ctx, "c1")
	if got.Survey == nil || got.Facts == nil {
		t.Fatalf("survey and facts do not sit together: %+v", got)
	}
}
