// Package whatifstore stores what-if jobs in the stage's state table.
package whatifstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/campaignjob"
	"github.com/conduit-cx/conduit/shared/store"
)

// What-if jobs are state-table items "whatif#<job id>": the job as the API
// shows it (a JSON document), and beside it what only the job reads: the
// chunk number every write is conditional on, the scan cursor and the
// global caps the what-if has used. "whatif#latest#<campaign id>" names a
// campaign's latest finished job, for its forecast. Jobs expire after
// WhatIfRetention.
const (
	whatIfPrefix       = "whatif#"
	whatIfLatestPrefix = "whatif#latest#"
)

// WhatIfRetention is how long a what-if job is kept after its last save
// (counted on the wall clock, whatever moment the job decided for).
const WhatIfRetention = 90 * 24 * time.Hour

type whatIfItem struct {
	PK         string           `dynamo:"pk"`
	CampaignID string           `dynamo:"campaignId"`
	Chunk      int              `dynamo:"chunk"`
	Cursor     string           `dynamo:"cursor,omitempty"`
	CapUsed    map[string]int64 `dynamo:"capUsed,omitempty"`
	Doc        string           `dynamo:"doc"`
	ExpiresAt  int64            `dynamo:"expiresAt"`
	// SaveID names the write that stored the item: the SDK may send a
	// write again after a timeout, and the retry of a write that did land
	// must not fail its own condition.
	SaveID string `dynamo:"saveId"`
}

type whatIfLatestItem struct {
	PK           string `dynamo:"pk"`
	JobID        string `dynamo:"jobId"`
	FinishedAtMs int64  `dynamo:"finishedAtMs"`
	ExpiresAt    int64  `dynamo:"expiresAt"`
}

// WhatIfJobs stores what-if jobs.
type WhatIfJobs struct {
	table dynamo.Table
}

var _ campaignjob.JobStore = (*WhatIfJobs)(nil)

// NewWhatIfJobs returns the what-if job store of a stage.
func NewWhatIfJobs(db *dynamo.DB, tables store.Tables) *WhatIfJobs {
	return &WhatIfJobs{table: db.Table(tables.State)}
}

func whatIfItemOf(job campaignjob.WhatIfJob) (whatIfItem, error) {
	job.Result.Normalize()
	doc, err := json.Marshal(job)
	if err != nil {
		return whatIfItem{}, fmt.Errorf("encode what-if %s: %w", job.ID, err)
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	return whatIfItem{
		PK: whatIfPrefix + job.ID, CampaignID: job.CampaignID, Chunk: job.Chunk, Cursor: job.Cursor,
		CapUsed: job.CapUsed, Doc: string(doc), ExpiresAt: time.Now().Add(WhatIfRetention).Unix(),
		SaveID: hex.EncodeToString(id[:]),
	}, nil
}

// CreateWhatIf stores a new job; ErrConflict when the id is taken.
func (s *WhatIfJobs) CreateWhatIf(ctx context.Context, job campaignjob.WhatIfJob) error {
	it, err := whatIfItemOf(job)
	if err != nil {
		return err
	}
	err = s.table.Put(it).If("attribute_not_exists($) OR $ = ?", "pk", "saveId", it.SaveID).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return fmt.Errorf("%w: what-if %s exists", apperr.ErrConflict, job.ID)
	}
	if err != nil {
		return fmt.Errorf("create what-if %s: %w", job.ID, err)
	}
	return nil
}

// WhatIf reads a job, strongly consistent.
func (s *WhatIfJobs) WhatIf(ctx context.Context, id string) (campaignjob.WhatIfJob, error) {
	var it whatIfItem
	err := s.table.Get("pk", whatIfPrefix+id).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return campaignjob.WhatIfJob{}, fmt.Errorf("no what-if %s: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return campaignjob.WhatIfJob{}, fmt.Errorf("read what-if %s: %w", id, err)
	}
	var job campaignjob.WhatIfJob
	if err := json.Unmarshal([]byte(it.Doc), &job); err != nil {
		return campaignjob.WhatIfJob{}, fmt.Errorf("decode what-if %s: %w", id, err)
	}
	job.Chunk, job.Cursor, job.CapUsed = it.Chunk, it.Cursor, it.CapUsed
	job.Result.Normalize()
	return job, nil
}

// SaveWhatIf stores the job if it is still at chunk prevChunk
// (apperr.ErrConflict when another invocation got there first). A
// finished job becomes its campaign's latest.
func (s *WhatIfJobs) SaveWhatIf(ctx context.Context, job campaignjob.WhatIfJob, prevChunk int) error {
	it, err := whatIfItemOf(job)
	if err != nil {
		return err
	}
	err = s.table.Put(it).If("$ = ? OR $ = ?", "chunk", prevChunk, "saveId", it.SaveID).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return fmt.Errorf("%w: what-if %s moved past chunk %d", apperr.ErrConflict, job.ID, prevChunk)
	}
	if err != nil {
		return fmt.Errorf("save what-if %s: %w", job.ID, err)
	}
	if job.Status != campaignjob.WhatIfDone {
		return nil
	}
	at := job.FinishedAt.UnixMilli()
	err = s.table.Put(whatIfLatestItem{PK: whatIfLatestPrefix + job.CampaignID, JobID: job.ID, FinishedAtMs: at,
		ExpiresAt: time.Now().Add(WhatIfRetention).Unix()}).
		If("attribute_not_exists($) OR $ <= ?", "pk", "finishedAtMs", at).Run(ctx)
	if err != nil && !dynamo.IsCondCheckFailed(err) {
		return fmt.Errorf("mark what-if %s the latest of campaign %s: %w", job.ID, job.CampaignID, err)
	}
	return nil
}

// LatestWhatIf is the campaign's latest finished job; ErrNotFound when it
// has none.
func (s *WhatIfJobs) LatestWhatIf(ctx context.Context, campaignID string) (campaignjob.WhatIfJob, error) {
	var it whatIfLatestItem
	err := s.table.Get("pk", whatIfLatestPrefix+campaignID).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return campaignjob.WhatIfJob{}, fmt.Errorf("campaign %s has no finished what-if: %w", campaignID, apperr.ErrNotFound)
	}
	if err != nil {
		return campaignjob.WhatIfJob{}, fmt.Errorf("read the latest what-if of campaign %s: %w", campaignID, err)
	}
	return s.WhatIf(ctx, it.JobID)
}
