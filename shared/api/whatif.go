package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/campaignjob"
	"github.com/conduit-cx/conduit/shared/catalog"
)

// WhatIfRunner starts and reads a campaign's what-if jobs
// (campaignjob.WhatIf).
type WhatIfRunner interface {
	Start(ctx context.Context, campaignID, by string) (campaignjob.WhatIfJob, error)
	Job(ctx context.Context, campaignID, jobID string) (campaignjob.WhatIfJob, error)
	Latest(ctx context.Context, campaignID string) (campaignjob.WhatIfJob, error)
}

// startWhatIf runs the real decision engine over the whole profile base
// for the campaign, as if it were live. A small base is done within the
// request (200, with the results); a larger one goes on in the background
// (202, with Location: GET it for progress and results).
func (s *Server) startWhatIf() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := catalogID(r, catalog.KindCampaign)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if err := emptyBody(r); err != nil {
			writeError(w, r, err)
			return
		}
		job, err := s.deps.WhatIf.Start(r.Context(), id, actor(r))
		if err != nil {
			writeError(w, r, err)
			return
		}
		job.Result.Normalize()
		w.Header().Set("Location", "/v1/campaigns/"+id+"/whatif/"+job.ID)
		status := http.StatusOK
		if job.Status != campaignjob.WhatIfDone {
			status = http.StatusAccepted
		}
		writeJSON(w, status, job)
	})
}

// getWhatIf answers a job's progress, and its results once done.
func (s *Server) getWhatIf() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := catalogID(r, catalog.KindCampaign)
		if err != nil {
			writeError(w, r, err)
			return
		}
		jobID := r.PathValue("jobId")
		if !strings.HasPrefix(jobID, "wi-") || len(jobID) > 64 {
			writeError(w, r, &httpError{http.StatusNotFound, "not_found", "no what-if " + jobID + " for campaign " + id})
			return
		}
		job, err := s.deps.WhatIf.Job(r.Context(), id, jobID)
		if err != nil {
			writeError(w, r, err)
			return
		}
		job.Result.Normalize()
		writeJSON(w, http.StatusOK, job)
	})
}

// emptyBody accepts no body, an empty one, or {}: the what-if takes no
// options, and anything else is refused rather than ignored.
func emptyBody(r *http.Request) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonProblem(err)
	}
	body := strings.TrimSpace(string(b))
	if body == "" || body == "{}" {
		return nil
	}
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return err
	}
	return apperr.Invalid("body", "must be empty or {}: a what-if takes no options")
}
