package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/conduit-cx/conduit/shared/campaignjob"
	"github.com/conduit-cx/conduit/shared/catalog"
)

// WhatIfRunner starts and reads a campaign's what-if jobs
// (campaignjob.WhatIf).
type WhatIfRunner interface {
	Start(ctx context.Context, campaignID, by string, contact campaignjob.WhatIfContact) (campaignjob.WhatIfJob, error)
	Job(ctx context.Context, campaignID, jobID string) (campaignjob.WhatIfJob, error)
	Latest(ctx context.Context, campaignID string) (campaignjob.WhatIfJob, error)
}

// whatIfInput is the optional body of POST /v1/campaigns/{id}/whatif: the
// contact every customer is imagined to make (default: a voice call with
// no known intent).
type whatIfInput struct {
	Contact campaignjob.WhatIfContact `json:"contact"`
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
		var in whatIfInput
		if err := optionalJSON(r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		job, err := s.deps.WhatIf.Start(r.Context(), id, actor(r), in.Contact)
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

// optionalJSON reads a body that may be left out: none, or an empty one,
// leaves dst as it is; anything else is read strictly.
func optionalJSON(r *http.Request, dst any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonProblem(err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return decodeJSON(r, dst)
}
