package catalogstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

var catalogT0 = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

func newCatalog(t testing.TB) *catalogstore.Catalog {
	env := storetest.New(t)
	return catalogstore.NewCatalog(env.Clients.Dynamo, env.Tables)
}

func testCampaign(id string) catalog.Campaign {
	return catalog.Campaign{
		ID: id,
		CampaignSpec: catalog.CampaignSpec{
			Name: "Fibre upgrade", Goal: "fibre for high bills", Owner: "maria",
			LaunchAt: catalogT0, EndAt: catalogT0.AddDate(0, 2, 0), HoldoutShare: 0.1,
			LoadGate: catalog.LoadGate{MaxASASeconds: 60, Queues: []string{"all"}},
		},
		Status: catalog.CampaignPlanned, CreatedAt: catalogT0, UpdatedAt: catalogT0, CreatedBy: "maria", UpdatedBy: "maria",
	}
}

func testOffer(id, campaignID string, channels ...string) catalog.Offer {
	return catalog.Offer{
		ID: id,
		OfferSpec: catalog.OfferSpec{
			Name: "Offer " + id, CampaignID: campaignID, Channels: channels, ValidFrom: catalogT0,
			Value: catalog.Money{Amount: "10.00", Currency: "EUR"}, BusinessLever: 1, PriorityWeight: 1,
			Eligibility: `profile.tenure_months > 3`,
			Content:     catalog.Content{Pitch: "A better plan", FAQ: []catalog.FAQ{{Question: "q", Answer: "a"}}},
		},
		Status: catalog.OfferDraft, CreatedAt: catalogT0, UpdatedAt: catalogT0, CreatedBy: "maria", UpdatedBy: "maria",
	}
}

func TestCatalogOfferRoundTripAndLocking(t *testing.T) {
	t.Parallel()
	s := newCatalog(t)
	ctx := context.Background()
	created, err := s.CreateOffer(ctx, testOffer("fibre-1g", "fibre", "voice", "chat"))
	if err != nil || created.Version != 1 {
		t.Fatalf("create = %+v, %v", created, err)
	}
	if _, err := s.CreateOffer(ctx, testOffer("fibre-1g", "fibre", "voice")); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("second create err = %v, want conflict", err)
	}
	got, err := s.GetOffer(ctx, "fibre-1g")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Offer fibre-1g" || !slices.Equal(got.Channels, []string{"voice", "chat"}) || got.Content.FAQ[0].Answer != "a" ||
		!got.ValidFrom.Equal(catalogT0) || got.Value.Amount != "10.00" || got.Eligibility == "" {
		t.Fatalf("read back %+v", got)
	}
	updated, err := s.UpdateOffer(ctx, "fibre-1g", 1, func(o *catalog.Offer) error {
		o.Name = "Fibre 1 Gbit"
		return nil
	})
	if err != nil || updated.Version != 2 || updated.Name != "Fibre 1 Gbit" {
		t.Fatalf("update = %+v, %v", updated, err)
	}
	// A second editor still at version 1 loses, and nothing changes.
	_, err = s.UpdateOffer(ctx, "fibre-1g", 1, func(o *catalog.Offer) error { o.Name = "stale"; return nil })
	if !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("stale update err = %v, want conflict", err)
	}
	if got, _ := s.GetOffer(ctx, "fibre-1g"); got.Name != "Fibre 1 Gbit" || got.Version != 2 {
		t.Fatalf("after stale update: %+v", got)
	}
	// A refused change stores nothing.
	refusal := errors.New("refused by the change")
	if _, err := s.UpdateOffer(ctx, "fibre-1g", 2, func(o *catalog.Offer) error { return refusal }); !errors.Is(err, refusal) {
		t.Fatalf("refused change err = %v", err)
	}
	if got, _ := s.GetOffer(ctx, "fibre-1g"); got.Version != 2 {
		t.Fatalf("refused change stored: %+v", got)
	}
	// Marking it referenced does not move the version, and survives an edit.
	if err := s.MarkReferenced(ctx, catalog.KindOffer, "fibre-1g"); err != nil {
		t.Fatal(err)
	}
	updated, err = s.UpdateOffer(ctx, "fibre-1g", 2, func(o *catalog.Offer) error { o.Referenced = false; return nil })
	if err != nil || !updated.Referenced || updated.Version != 3 {
		t.Fatalf("update after reference = %+v, %v", updated, err)
	}
	if _, err := s.GetOffer(ctx, "nope"); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("missing offer err = %v", err)
	}
	if err := s.MarkReferenced(ctx, catalog.KindOffer, "nope"); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("mark missing err = %v", err)
	}
}

func TestCatalogConcurrentEditsOneWins(t *testing.T) {
	t.Parallel()
	s := newCatalog(t)
	ctx := context.Background()
	if _, err := s.CreateCampaign(ctx, testCampaign("family")); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			_, err := s.UpdateCampaign(ctx, "family", 1, func(c *catalog.Campaign) error {
				c.Goal = fmt.Sprintf("editor %d", i)
				return nil
			})
			errs <- err
		}()
	}
	wins, conflicts := 0, 0
	for range 4 {
		switch err := <-errs; {
		case err == nil:
			wins++
		case errors.Is(err, apperr.ErrConflict):
			conflicts++
		default:
			t.Fatal(err)
		}
	}
	if wins != 1 || conflicts != 3 {
		t.Fatalf("wins %d, conflicts %d; want 1 and 3", wins, conflicts)
	}
	if got, _ := s.GetCampaign(ctx, "family"); got.Version != 2 {
		t.Fatalf("version = %d", got.Version)
	}
}

func TestCatalogListPagination(t *testing.T) {
	t.Parallel()
	s := newCatalog(t)
	ctx := context.Background()
	for i := range 7 {
		ch := "voice"
		if i%2 == 1 {
			ch = "chat"
		}
		o := testOffer(fmt.Sprintf("offer-%02d", i), "fibre", ch)
		if i == 6 {
			o.CampaignID = "move"
		}
		if _, err := s.CreateOffer(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	cursor, pages := "", 0
	for {
		page, next, err := s.ListOffers(ctx, catalog.OfferFilter{}, 3, cursor)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range page {
			ids = append(ids, o.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if pages != 3 || len(ids) != 7 || !slices.IsSorted(ids) || ids[0] != "offer-00" {
		t.Fatalf("pages %d ids %v", pages, ids)
	}
	filtered := func(f catalog.OfferFilter, limit int) []string {
		t.Helper()
		var out []string
		cursor := ""
		for {
			page, next, err := s.ListOffers(ctx, f, limit, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page {
				out = append(out, o.ID)
			}
			if next == "" {
				return out
			}
			cursor = next
		}
	}
	if got := filtered(catalog.OfferFilter{Channel: "chat"}, 2); !slices.Equal(got, []string{"offer-01", "offer-03", "offer-05"}) {
		t.Fatalf("chat offers %v", got)
	}
	if got := filtered(catalog.OfferFilter{CampaignID: "move"}, 10); !slices.Equal(got, []string{"offer-06"}) {
		t.Fatalf("move offers %v", got)
	}
	if got := filtered(catalog.OfferFilter{Status: catalog.OfferActive}, 10); len(got) != 0 {
		t.Fatalf("active offers %v", got)
	}
	if _, _, err := s.ListOffers(ctx, catalog.OfferFilter{}, 3, "not-a-cursor"); err == nil {
		t.Fatal("a forged cursor was accepted")
	} else if ps, ok := apperr.AsProblems(err); !ok || ps[0].Field != "cursor" {
		t.Fatalf("forged cursor err = %v", err)
	}
}

func TestCatalogDeleteSoftOnlyWhenReferenced(t *testing.T) {
	t.Parallel()
	s := newCatalog(t)
	ctx := context.Background()
	if _, err := s.CreateCampaign(ctx, testCampaign("fibre")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"never-used", "used"} {
		if _, err := s.CreateOffer(ctx, testOffer(id, "fibre", "voice")); err != nil {
			t.Fatal(err)
		}
	}
	// Never referenced: gone for good.
	if err := s.DeleteOffer(ctx, "never-used", 1, "maria", catalogT0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetOffer(ctx, "never-used"); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("deleted unreferenced offer: %v", err)
	}
	// Active offers must be paused or retired first.
	if _, err := s.UpdateOffer(ctx, "used", 1, func(o *catalog.Offer) error {
		return o.Transition(catalog.OfferActive, "maria", "", catalogT0)
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkReferenced(ctx, catalog.KindOffer, "used"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOffer(ctx, "used", 2, "maria", catalogT0); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("delete active offer err = %v, want conflict", err)
	}
	if _, err := s.UpdateOffer(ctx, "used", 2, func(o *catalog.Offer) error {
		return o.Transition(catalog.OfferPaused, "maria", "", catalogT0)
	}); err != nil {
		t.Fatal(err)
	}
	// Campaign with a live offer cannot go.
	if err := s.DeleteCampaign(ctx, "fibre", 1, "maria", catalogT0); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("delete campaign with offers err = %v", err)
	}
	if err := s.DeleteOffer(ctx, "used", 2, "maria", catalogT0); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("stale delete err = %v, want conflict", err)
	}
	if err := s.DeleteOffer(ctx, "used", 3, "maria", catalogT0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	kept, err := s.GetOffer(ctx, "used")
	if err != nil || !kept.Deleted || kept.Status != catalog.OfferRetired || !kept.DeletedAt.Equal(catalogT0.Add(time.Hour)) {
		t.Fatalf("referenced offer after delete = %+v, %v", kept, err)
	}
	if page, _, _ := s.ListOffers(ctx, catalog.OfferFilter{}, 10, ""); len(page) != 0 {
		t.Fatalf("deleted offer listed: %v", page)
	}
	if _, err := s.UpdateOffer(ctx, "used", kept.Version, func(*catalog.Offer) error { return nil }); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("update of deleted offer err = %v", err)
	}
	if _, err := s.CreateOffer(ctx, testOffer("used", "fibre", "voice")); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("reuse of a deleted id err = %v", err)
	}
	// Now the campaign has no offer left and can be deleted.
	if err := s.DeleteCampaign(ctx, "fibre", 1, "maria", catalogT0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCampaign(ctx, "fibre"); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("deleted campaign: %v", err)
	}
}

func TestCatalogLoadActive(t *testing.T) {
	t.Parallel()
	s := newCatalog(t)
	ctx := context.Background()
	for _, id := range []string{"fibre", "move", "unused"} {
		if _, err := s.CreateCampaign(ctx, testCampaign(id)); err != nil {
			t.Fatal(err)
		}
	}
	activate := func(id, campaign string) {
		if _, err := s.CreateOffer(ctx, testOffer(id, campaign, "voice")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateOffer(ctx, id, 1, func(o *catalog.Offer) error {
			return o.Transition(catalog.OfferActive, "maria", "", catalogT0)
		}); err != nil {
			t.Fatal(err)
		}
	}
	activate("fibre-a", "fibre")
	activate("fibre-b", "fibre")
	activate("move-a", "move")
	if _, err := s.CreateOffer(ctx, testOffer("draft", "unused", "voice")); err != nil {
		t.Fatal(err)
	}
	offers, campaigns, err := s.LoadActive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var oids, cids []string
	for _, o := range offers {
		oids = append(oids, o.ID)
	}
	for _, c := range campaigns {
		cids = append(cids, c.ID)
	}
	if !slices.Equal(oids, []string{"fibre-a", "fibre-b", "move-a"}) || !slices.Equal(cids, []string{"fibre", "move"}) {
		t.Fatalf("offers %v campaigns %v", oids, cids)
	}
}
