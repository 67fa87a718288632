package api

import (
	"fmt"
	"net/http"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/rules"
)

// campaignInput is the body of POST and PUT /v1/campaigns.
type campaignInput struct {
	ID string `json:"id,omitempty"`
	catalog.CampaignSpec
	Version *int `json:"version,omitempty"`
}

// checklistInput is the body of PUT /v1/campaigns/{id}/checklist/{item}.
type checklistInput struct {
	Done *bool `json:"done"`
	// Version is optional, as for status moves.
	Version *int `json:"version,omitempty"`
}

func (s *Server) createCampaign() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in campaignInput
		if err := decodeCatalogJSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		var problems apperr.Problems
		in.ID, problems = newItemID(in.ID, in.Version, catalog.KindCampaign)
		in.CampaignSpec.Normalize()
		if err := in.CampaignSpec.Validate(rules.Check); err != nil {
			ps, _ := apperr.AsProblems(err)
			problems = append(problems, ps...)
		}
		if err := problems.Err(); err != nil {
			writeError(w, r, err)
			return
		}
		now, by := s.now(), actor(r)
		c, err := s.deps.CatalogStore.CreateCampaign(r.Context(), catalog.Campaign{
			ID: in.ID, CampaignSpec: in.CampaignSpec, Status: catalog.CampaignPlanned,
			CreatedAt: now, UpdatedAt: now, CreatedBy: by, UpdatedBy: by,
		})
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeCreated(w, campaignItems, "/v1/campaigns/"+c.ID, c)
	})
}

func (s *Server) getCampaign() http.Handler { return readItem(s, campaignItems) }

func (s *Server) listCampaigns() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paging, err := pagingFrom(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		var f catalog.CampaignFilter
		if st := r.URL.Query().Get("status"); st != "" {
			if f.Status, err = catalog.ParseCampaignStatus(st); err != nil {
				writeError(w, r, apperr.Invalid("status", "%v", err))
				return
			}
		}
		items, next, err := s.deps.CatalogStore.ListCampaigns(r.Context(), f, paging.Limit, paging.Cursor)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, Page[catalog.Campaign]{Items: nonNil(items), NextCursor: next})
	})
}

func (s *Server) updateCampaign() http.Handler {
	return editItem(s, campaignItems, itemEdit[campaignInput, catalog.Campaign]{
		decode: decodeCatalogJSON,
		check: func(r *http.Request, id string, in *campaignInput) (int, error) {
			version, err := putVersion(r, in.Version, in.ID, id, catalog.KindCampaign, "a campaign's")
			if err == nil {
				in.CampaignSpec.Normalize()
				err = in.CampaignSpec.Validate(rules.Check)
			}
			return version, err
		},
		change: func(e edit, in *campaignInput, c *catalog.Campaign) error {
			if c.Status == catalog.CampaignEnded {
				return fmt.Errorf("%w: campaign %s has ended and cannot change", apperr.ErrConflict, e.id)
			}
			c.CampaignSpec = in.CampaignSpec
			return nil
		},
	})
}

func (s *Server) deleteCampaign() http.Handler { return deleteItem(s, campaignItems) }

func (s *Server) moveCampaign() http.Handler {
	return editItem(s, campaignItems, itemEdit[statusInput, catalog.Campaign]{
		decode: decodeJSON,
		check:  statusCheck(catalog.KindCampaign, "planned, ready, live, held, ended"),
		change: func(e edit, in *statusInput, c *catalog.Campaign) error {
			return c.Transition(catalog.CampaignStatus(in.Status), e.by, in.Reason, e.now)
		},
		done: func(e edit, c catalog.Campaign) {
			s.deps.Log.InfoContext(e.r.Context(), "campaign moved", "campaign_id", e.id, "status", c.Status, "by", e.by)
		},
	})
}

func (s *Server) setChecklistItem() http.Handler {
	return editItem(s, campaignItems, itemEdit[checklistInput, catalog.Campaign]{
		path: func(r *http.Request) error {
			item := r.PathValue("item")
			if _, known := (&catalog.Checklist{}).Item(item); !known {
				return fmt.Errorf("no checklist item %q (items: agentBriefingPublished, scriptsApproved, faqPublished, staffingConfirmed): %w", item, apperr.ErrNotFound)
			}
			return nil
		},
		decode: decodeJSON,
		check: func(r *http.Request, _ string, in *checklistInput) (int, error) {
			version, err := itemVersion(r, in.Version, catalog.KindCampaign)
			if err == nil && in.Done == nil {
				err = apperr.Invalid("done", "is required: true when the item is done, false to reopen it")
			}
			return version, err
		},
		change: func(e edit, in *checklistInput, c *catalog.Campaign) error {
			return c.SetChecklistItem(e.r.PathValue("item"), *in.Done, e.by, e.now)
		},
	})
}
