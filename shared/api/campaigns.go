package api

import (
	"fmt"
	"net/http"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/catalog"
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
		if in.Version != nil {
			problems.Add("version", "is set by the server on create; leave it out")
		}
		if in.ID == "" {
			in.ID = catalog.NewID(catalog.KindCampaign)
		} else if !catalog.ValidID(in.ID) {
			problems.Add("id", "must be 2-64 lower-case letters, digits, - or _, starting with a letter or digit")
		}
		in.CampaignSpec.Normalize()
		if err := in.CampaignSpec.Validate(); err != nil {
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
		w.Header().Set("Location", "/v1/campaigns/"+c.ID)
		withETag(w, c.Version)
		writeJSON(w, http.StatusCreated, c)
	})
}

func (s *Server) getCampaign() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := catalogID(r, catalog.KindCampaign)
		if err == nil {
			var c catalog.Campaign
			if c, err = s.deps.CatalogStore.GetCampaign(r.Context(), id); err == nil {
				if c.Deleted && !includeDeleted(r) {
					err = fmt.Errorf("campaign %s was deleted (add ?includeDeleted=true to see it): %w", id, apperr.ErrNotFound)
				} else {
					withETag(w, c.Version)
					writeJSON(w, http.StatusOK, c)
					return
				}
			}
		}
		writeError(w, r, err)
	})
}

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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := catalogID(r, catalog.KindCampaign)
		if err != nil {
			writeError(w, r, err)
			return
		}
		var in campaignInput
		if err := decodeCatalogJSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		version, err := requiredVersion(r, in.Version, catalog.KindCampaign)
		if err == nil && in.ID != "" && in.ID != id {
			err = apperr.Invalid("id", "is %q but the path names %q; a campaign's id cannot change", in.ID, id)
		}
		if err == nil {
			in.CampaignSpec.Normalize()
			err = in.CampaignSpec.Validate()
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		now, by := s.now(), actor(r)
		c, err := s.deps.CatalogStore.UpdateCampaign(r.Context(), id, version, func(c *catalog.Campaign) error {
			if c.Status == catalog.CampaignEnded {
				return fmt.Errorf("%w: campaign %s has ended and cannot change", apperr.ErrConflict, id)
			}
			c.CampaignSpec = in.CampaignSpec
			c.UpdatedAt, c.UpdatedBy = now, by
			return nil
		})
		if err != nil {
			writeError(w, r, err)
			return
		}
		withETag(w, c.Version)
		writeJSON(w, http.StatusOK, c)
	})
}

func (s *Server) deleteCampaign() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := catalogID(r, catalog.KindCampaign)
		var version int
		if err == nil {
			version, err = deleteVersion(r, catalog.KindCampaign)
		}
		if err == nil {
			err = s.deps.CatalogStore.DeleteCampaign(r.Context(), id, version, actor(r), s.now())
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *Server) moveCampaign() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := catalogID(r, catalog.KindCampaign)
		if err != nil {
			writeError(w, r, err)
			return
		}
		var in statusInput
		if err := decodeJSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		version, err := itemVersion(r, in.Version, catalog.KindCampaign)
		if err == nil && in.Status == "" {
			err = apperr.Invalid("status", "is required: one of planned, ready, live, held, ended")
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		now, by := s.now(), actor(r)
		c, err := s.deps.CatalogStore.UpdateCampaign(r.Context(), id, version, func(c *catalog.Campaign) error {
			if err := c.Transition(catalog.CampaignStatus(in.Status), by, in.Reason, now); err != nil {
				return err
			}
			c.UpdatedAt, c.UpdatedBy = now, by
			return nil
		})
		if err != nil {
			writeError(w, r, err)
			return
		}
		s.deps.Log.InfoContext(r.Context(), "campaign moved", "campaign_id", id, "status", c.Status, "by", by)
		withETag(w, c.Version)
		writeJSON(w, http.StatusOK, c)
	})
}

func (s *Server) setChecklistItem() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := catalogID(r, catalog.KindCampaign)
		if err != nil {
			writeError(w, r, err)
			return
		}
		item := r.PathValue("item")
		if _, known := (&catalog.Checklist{}).Item(item); !known {
			writeError(w, r, fmt.Errorf("no checklist item %q (items: agentBriefingPublished, scriptsApproved, faqPublished, staffingConfirmed): %w", item, apperr.ErrNotFound))
			return
		}
		var in checklistInput
		if err := decodeJSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		version, err := itemVersion(r, in.Version, catalog.KindCampaign)
		if err == nil && in.Done == nil {
			err = apperr.Invalid("done", "is required: true when the item is done, false to reopen it")
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		now, by := s.now(), actor(r)
		c, err := s.deps.CatalogStore.UpdateCampaign(r.Context(), id, version, func(c *catalog.Campaign) error {
			if err := c.SetChecklistItem(item, *in.Done, by, now); err != nil {
				return err
			}
			c.UpdatedAt, c.UpdatedBy = now, by
			return nil
		})
		if err != nil {
			writeError(w, r, err)
			return
		}
		withETag(w, c.Version)
		writeJSON(w, http.StatusOK, c)
	})
}
