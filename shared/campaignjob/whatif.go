package campaignjob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/decide"
	"github.com/conduit-cx/conduit/shared/load"
	"github.com/conduit-cx/conduit/shared/profiles"
	"github.com/conduit-cx/conduit/shared/rules"
)

// A what-if asks, before a launch: if every customer of the profile base
// called once, with the campaign live and the rest of the catalog as it is
// now, who would the campaign's audience rule select, and what would the
// real decision engine do for each of them? It counts the customers who
// would get the campaign's offers and, for the others, the reason each is
// held back, so matched = offered + the sum of held back, and forecasts
// the extra contacts the campaign brings per day.
//
// The whole base is a paged Scan of the profiles table, run as a job in
// chunks: the API starts it and runs the first chunk inline (a small base
// is done at once), and each chunk that does not finish hands the rest to
// the campaigns function by an asynchronous Lambda invocation carrying the
// job id and the next chunk number. Every chunk's counts and cursor are
// stored in one conditional write on the chunk number, so a duplicate or
// retried invocation never counts a profile twice.

// WhatIfStatus is where a what-if job is.
type WhatIfStatus string

// What-if statuses.
const (
	WhatIfQueued  WhatIfStatus = "queued"
	WhatIfRunning WhatIfStatus = "running"
	WhatIfDone    WhatIfStatus = "done"
	WhatIfFailed  WhatIfStatus = "failed"
)

// ReasonOutranked holds back a customer for whom the campaign's offer was
// eligible but another campaign's offer won arbitration.
const ReasonOutranked decide.Reason = "outranked"

// WhatIfJob is one what-if run, its progress and its results.
type WhatIfJob struct {
	ID          string       `json:"id"`
	CampaignID  string       `json:"campaignId"`
	Status      WhatIfStatus `json:"status"`
	RequestedBy string       `json:"requestedBy"`
	RequestedAt time.Time    `json:"requestedAt"`
	UpdatedAt   time.Time    `json:"updatedAt"`
	FinishedAt  time.Time    `json:"finishedAt,omitzero"`
	// DecidedAt is the moment the engine decides for: the campaign's
	// launch time, or the request time when it has launched already.
	DecidedAt time.Time `json:"decidedAt"`
	// Contact is the contact every customer is imagined to make.
	Contact  WhatIfContact `json:"contact"`
	Progress Progress      `json:"progress"`
	Result   WhatIfResult  `json:"result"`
	Error    string        `json:"error,omitempty"`

	// Chunk counts the job's finished chunks; Cursor is where the next one
	// goes on; CapUsed is each globally capped offer's use, real plus
	// what the what-if's own winners took. Kept by the store, not shown.
	Chunk   int              `json:"-"`
	Cursor  string           `json:"-"`
	CapUsed map[string]int64 `json:"-"`
}

// WhatIfContact is the contact a what-if imagines for every customer: a
// channel (default voice) and, optionally, the reason they call, so that
// offers made on an intent ("high_bill") can be tried.
type WhatIfContact struct {
	Channel string `json:"channel"`
	Intent  string `json:"intent,omitempty"`
}

// MaxIntentChars bounds a what-if's intent.
const MaxIntentChars = 64

// Normalize fills the default channel and lower-cases both fields.
func (c *WhatIfContact) Normalize() {
	c.Channel = strings.ToLower(strings.TrimSpace(c.Channel))
	c.Intent = strings.ToLower(strings.TrimSpace(c.Intent))
	if c.Channel == "" {
		c.Channel = profiles.ChannelVoice
	}
}

// Validate names every field that is wrong.
func (c WhatIfContact) Validate() error {
	var p apperr.Problems
	if !slices.Contains(profiles.Channels, c.Channel) {
		p.Add("contact.channel", "must be one of %s, not %q", strings.Join(profiles.Channels, ", "), c.Channel)
	}
	if len(c.Intent) > MaxIntentChars {
		p.Add("contact.intent", "must be at most %d characters", MaxIntentChars)
	}
	for _, r := range c.Intent {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			p.Add("contact.intent", "must be letters, digits, _ or -, such as high_bill")
			break
		}
	}
	return p.Err()
}

// Progress is how far a job has read the profiles table.
type Progress struct {
	ProfilesEvaluated int64 `json:"profilesEvaluated"`
	// ItemsScanned counts every item read (identity copies included);
	// EstimatedItems is the table's approximate size (DynamoDB updates it
	// about every six hours).
	ItemsScanned   int64   `json:"itemsScanned"`
	EstimatedItems int64   `json:"estimatedItems"`
	Percent        float64 `json:"percent"`
	Chunks         int     `json:"chunks"`
}

// WhatIfResult are the job's counts.
type WhatIfResult struct {
	// Profiles is the number of customers evaluated.
	Profiles int64 `json:"profiles"`
	// Matched is how many the campaign's audience rule selects.
	Matched int64 `json:"matched"`
	// AudienceErrors are customers the audience rule could not be
	// evaluated for; they are not counted as matched.
	AudienceErrors int64 `json:"audienceErrors"`
	// Offered is how many would be made one of the campaign's offers.
	Offered        int64            `json:"offered"`
	OfferedByOffer map[string]int64 `json:"offeredByOffer"`
	// HeldBack counts the matched customers who would not, by the engine's
	// reason code (opted_out, negative_sentiment, recent_negative_contact,
	// frequency_cap, customer_cap, global_cap_exhausted, holdout,
	// outranked, offer_rule, ...); HeldBackByStep groups them by step
	// (consent, empathy, policy, cap, holdout, arbitration, eligibility).
	HeldBack       map[string]int64 `json:"heldBack"`
	HeldBackByStep map[string]int64 `json:"heldBackByStep"`
	// ResponseRate is the campaign's expected response rate; the extra
	// contacts are Offered × ResponseRate, spread over the response days.
	ResponseRate          float64       `json:"responseRate"`
	ExpectedExtraContacts float64       `json:"expectedExtraContacts"`
	ExtraContactsPerDay   []DayContacts `json:"extraContactsPerDay"`
}

// DayContacts is the extra contacts of one day after launch.
type DayContacts struct {
	Day      string  `json:"day"`
	Contacts float64 `json:"contacts"`
}

// WhatIfCatalog reads the catalog (catalogstore.Catalog).
type WhatIfCatalog interface {
	GetCampaign(ctx context.Context, id string) (catalog.Campaign, error)
	ListOffers(ctx context.Context, f catalog.OfferFilter, limit int, cursor string) ([]catalog.Offer, string, error)
	LoadActive(ctx context.Context) ([]catalog.Offer, []catalog.Campaign, error)
}

// ProfileScanner pages through the canonical profile items
// (store.Profiles).
type ProfileScanner interface {
	ScanProfiles(ctx context.Context, cursor string, limit int) (page []profiles.Profile, next string, scanned int, err error)
	ApproxItems(ctx context.Context) (int64, error)
}

// Propensities reads learned outcome counts (store.Decisions).
type Propensities interface {
	LoadPropensities(ctx context.Context, offerIDs []string) (map[string]catalog.OfferCounts, error)
}

// CapCounter reads an offer's global cap use (store.Decisions).
type CapCounter interface {
	CapUsed(ctx context.Context, offerID string) (int64, error)
}

// JobStore keeps what-if jobs (whatifstore.WhatIfJobs).
type JobStore interface {
	CreateWhatIf(ctx context.Context, job WhatIfJob) error
	WhatIf(ctx context.Context, id string) (WhatIfJob, error)
	// SaveWhatIf stores the job if its stored chunk is still prevChunk;
	// apperr.ErrConflict otherwise.
	SaveWhatIf(ctx context.Context, job WhatIfJob, prevChunk int) error
	// LatestWhatIf is the campaign's latest finished what-if;
	// apperr.ErrNotFound when it has none.
	LatestWhatIf(ctx context.Context, campaignID string) (WhatIfJob, error)
}

// Starter hands a job's next chunk to a background invocation.
type Starter interface {
	StartWhatIf(ctx context.Context, run WhatIfRun) error
}

// WhatIfRun is the payload of a background chunk: {"whatif": {...}}.
type WhatIfRun struct {
	JobID string `json:"jobId"`
	Chunk int    `json:"chunk"`
}

// WhatIf runs what-if jobs.
type WhatIf struct {
	Catalog    WhatIfCatalog
	Profiles   ProfileScanner
	Propensity Propensities // optional
	Caps       CapCounter   // optional
	Jobs       JobStore
	// Starter runs later chunks in the background; nil runs the whole job
	// inline (tests, and callers that can wait).
	Starter Starter
	Policy  decide.Policy
	Clock   func() time.Time
	Log     *slog.Logger
	// PageSize is the Scan page (items read per call; default 500).
	PageSize int
	// InlineBudget bounds the first chunk the API runs (default 3 s); a
	// base scanned within it is done at once.
	InlineBudget time.Duration
	// ChunkPages bounds the pages of one background chunk (0: as many as
	// fit in the invocation's time).
	ChunkPages int
}

// Defaults of WhatIf.
const (
	DefaultPageSize     = 500
	DefaultInlineBudget = 3 * time.Second
	// chunkMargin is the time left in an invocation when a chunk stops,
	// to save and hand over.
	chunkMargin = 15 * time.Second
)

func (w *WhatIf) now() time.Time {
	if w.Clock != nil {
		return w.Clock().UTC()
	}
	return time.Now().UTC()
}

func (w *WhatIf) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}

// Start creates a job for a campaign and runs its first chunk inline; a
// base read within the budget is done when Start returns. Otherwise the
// rest runs in the background and the job is returned running.
func (w *WhatIf) Start(ctx context.Context, campaignID, by string, contact WhatIfContact) (WhatIfJob, error) {
	contact.Normalize()
	if err := contact.Validate(); err != nil {
		return WhatIfJob{}, err
	}
	c, err := w.Catalog.GetCampaign(ctx, campaignID)
	if err != nil {
		return WhatIfJob{}, err
	}
	now := w.now()
	switch {
	case c.Deleted:
		return WhatIfJob{}, fmt.Errorf("campaign %s was deleted: %w", campaignID, apperr.ErrNotFound)
	case c.Status == catalog.CampaignEnded || !now.Before(c.EndAt):
		return WhatIfJob{}, fmt.Errorf("%w: campaign %s has ended; a what-if is for campaigns still to run", apperr.ErrConflict, campaignID)
	}
	job := WhatIfJob{
		ID: newJobID(), CampaignID: campaignID, Status: WhatIfQueued, RequestedBy: by,
		RequestedAt: now, UpdatedAt: now, DecidedAt: maxTime(now, c.LaunchAt), Contact: contact,
	}
	if err := w.Jobs.CreateWhatIf(ctx, job); err != nil {
		return WhatIfJob{}, err
	}
	budget := w.InlineBudget
	if budget <= 0 {
		budget = DefaultInlineBudget
	}
	limit := chunkLimit{until: time.Now().Add(budget)}
	if w.Starter == nil {
		limit = chunkLimit{}
	}
	job, err = w.runChunk(ctx, job, limit)
	if err != nil || job.Status == WhatIfDone {
		return job, err
	}
	if err := w.Starter.StartWhatIf(ctx, WhatIfRun{JobID: job.ID, Chunk: job.Chunk}); err != nil {
		return w.fail(ctx, job, fmt.Errorf("could not start the background run: %w", err))
	}
	return job, nil
}

// Job reads a campaign's job.
func (w *WhatIf) Job(ctx context.Context, campaignID, jobID string) (WhatIfJob, error) {
	job, err := w.Jobs.WhatIf(ctx, jobID)
	if err != nil {
		return WhatIfJob{}, err
	}
	if job.CampaignID != campaignID {
		return WhatIfJob{}, fmt.Errorf("no what-if %s for campaign %s: %w", jobID, campaignID, apperr.ErrNotFound)
	}
	return job, nil
}

// Latest is the campaign's latest finished what-if.
func (w *WhatIf) Latest(ctx context.Context, campaignID string) (WhatIfJob, error) {
	return w.Jobs.LatestWhatIf(ctx, campaignID)
}

// HandoverGrace is how long a job may sit between chunks before a
// retried run hands its next chunk over again.
const HandoverGrace = 30 * time.Second

// Continue runs the chunk a background invocation names. A chunk already
// run is a duplicate delivery and does nothing, except when the job has
// not moved for HandoverGrace: then the hand-over of the next chunk may be
// what failed, and it is made again (should both arrive, one loses the
// conditional write).
func (w *WhatIf) Continue(ctx context.Context, run WhatIfRun) error {
	job, err := w.Jobs.WhatIf(ctx, run.JobID)
	if err != nil {
		return err
	}
	switch {
	case job.Status == WhatIfDone || job.Status == WhatIfFailed:
		return nil
	case job.Chunk > run.Chunk:
		// A retry of a run whose hand-over failed finds the job stalled
		// since; a plain duplicate finds it fresh and does nothing.
		if job.Chunk == run.Chunk+1 && w.Starter != nil && w.now().Sub(job.UpdatedAt) > HandoverGrace {
			return w.Starter.StartWhatIf(ctx, WhatIfRun{JobID: job.ID, Chunk: job.Chunk})
		}
		return nil
	case job.Chunk < run.Chunk:
		return fmt.Errorf("what-if %s is at chunk %d, not %d", job.ID, job.Chunk, run.Chunk)
	}
	limit := chunkLimit{pages: w.ChunkPages}
	if dl, ok := ctx.Deadline(); ok {
		limit.until = dl.Add(-min(chunkMargin, time.Until(dl)/2))
	}
	job, err = w.runChunk(ctx, job, limit)
	if errors.Is(err, apperr.ErrConflict) {
		w.log().InfoContext(ctx, "what-if chunk already run by another invocation", "job", job.ID, "chunk", run.Chunk)
		return nil
	}
	if err != nil || job.Status == WhatIfDone {
		return err
	}
	if w.Starter == nil {
		return w.Continue(ctx, WhatIfRun{JobID: job.ID, Chunk: job.Chunk})
	}
	return w.Starter.StartWhatIf(ctx, WhatIfRun{JobID: job.ID, Chunk: job.Chunk})
}

// chunkLimit bounds one chunk: a time, a number of pages, or neither.
type chunkLimit struct {
	until time.Time
	pages int
}

func (l chunkLimit) reached(pages int) bool {
	return (!l.until.IsZero() && time.Now().After(l.until)) || (l.pages > 0 && pages >= l.pages)
}

// runChunk evaluates pages from the job's cursor until the base is done or
// the limit is reached (at least one page), then stores the job.
func (w *WhatIf) runChunk(ctx context.Context, job WhatIfJob, limit chunkLimit) (WhatIfJob, error) {
	prev := job.Chunk
	ev, err := w.prepare(ctx, &job)
	if err != nil {
		return w.fail(ctx, job, err)
	}
	if job.Progress.EstimatedItems == 0 {
		if n, err := w.Profiles.ApproxItems(ctx); err == nil {
			job.Progress.EstimatedItems = n
		}
	}
	size := w.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	job.Status = WhatIfRunning
	for pages := 0; ; {
		page, next, scanned, err := w.Profiles.ScanProfiles(ctx, job.Cursor, size)
		if err != nil {
			return w.fail(ctx, job, fmt.Errorf("scan profiles: %w", err))
		}
		for i := range page {
			ev.evaluate(&page[i], &job.Result)
		}
		job.Progress.ProfilesEvaluated += int64(len(page))
		job.Progress.ItemsScanned += int64(scanned)
		job.Cursor = next
		pages++
		if next == "" {
			break
		}
		if limit.reached(pages) {
			break
		}
	}
	job.CapUsed = ev.capUsed
	job.Chunk = prev + 1
	job.Progress.Chunks = job.Chunk
	job.UpdatedAt = w.now()
	if job.Cursor == "" {
		job.Status, job.FinishedAt, job.Progress.Percent = WhatIfDone, job.UpdatedAt, 100
		job.Result.forecast(ev.campaign, job.DecidedAt)
	} else if est := job.Progress.EstimatedItems; est > 0 {
		job.Progress.Percent = min(99, 100*float64(job.Progress.ItemsScanned)/float64(est))
	}
	if err := w.Jobs.SaveWhatIf(ctx, job, prev); err != nil {
		return job, err
	}
	w.log().InfoContext(ctx, "what-if chunk", "job", job.ID, "campaign", job.CampaignID, "chunk", job.Chunk,
		"profiles", job.Progress.ProfilesEvaluated, "status", string(job.Status))
	return job, nil
}

// fail records a job's failure and returns the error.
func (w *WhatIf) fail(ctx context.Context, job WhatIfJob, cause error) (WhatIfJob, error) {
	prev := job.Chunk
	job.Status, job.Error, job.UpdatedAt = WhatIfFailed, cause.Error(), w.now()
	job.FinishedAt = job.UpdatedAt
	if err := w.Jobs.SaveWhatIf(ctx, job, prev); err != nil && !errors.Is(err, apperr.ErrConflict) {
		w.log().ErrorContext(ctx, "what-if failure not recorded", "job", job.ID, "error", err.Error())
	}
	w.log().ErrorContext(ctx, "what-if failed", "job", job.ID, "campaign", job.CampaignID, "error", cause.Error())
	return job, cause
}

// evaluator decides for one customer after another over one prepared
// catalog.
type evaluator struct {
	campaign   catalog.Campaign
	snap       *decide.Snapshot
	policy     decide.Policy
	at         time.Time
	contact    WhatIfContact
	audience   *rules.Rule
	audErr     error
	propensity map[string]catalog.OfferCounts
	exhausted  map[string]bool
	capUsed    map[string]int64
}

// prepare builds the catalog the job decides over: the current catalog,
// with this campaign live at the job's moment and its draft and active
// offers active. Other campaigns and offers are as they are now.
func (w *WhatIf) prepare(ctx context.Context, job *WhatIfJob) (*evaluator, error) {
	c, err := w.Catalog.GetCampaign(ctx, job.CampaignID)
	if err != nil {
		return nil, fmt.Errorf("read campaign %s: %w", job.CampaignID, err)
	}
	if c.Deleted {
		return nil, fmt.Errorf("campaign %s was deleted", c.ID)
	}
	var own []catalog.Offer
	for cursor := ""; ; {
		page, next, err := w.Catalog.ListOffers(ctx, catalog.OfferFilter{CampaignID: c.ID}, 100, cursor)
		if err != nil {
			return nil, fmt.Errorf("list the campaign's offers: %w", err)
		}
		for _, o := range page {
			if o.Status == catalog.OfferDraft || o.Status == catalog.OfferActive {
				o.Status = catalog.OfferActive
				own = append(own, o)
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(own) == 0 {
		return nil, apperr.Invalid("campaign", "campaign %s has no draft or active offers to try", c.ID)
	}
	offers, campaigns, err := w.Catalog.LoadActive(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the catalog: %w", err)
	}
	offers = slices.DeleteFunc(offers, func(o catalog.Offer) bool { return o.CampaignID == c.ID })
	campaigns = slices.DeleteFunc(campaigns, func(x catalog.Campaign) bool { return x.ID == c.ID })
	c.Status = catalog.CampaignLive
	if c.LaunchAt.After(job.DecidedAt) {
		c.LaunchAt = job.DecidedAt
	}
	offers = append(offers, own...)
	campaigns = append(campaigns, c)

	contact := job.Contact
	contact.Normalize()
	ev := &evaluator{campaign: c, snap: decide.NewSnapshot(offers, campaigns), policy: w.Policy, at: job.DecidedAt,
		contact: contact, exhausted: map[string]bool{}, capUsed: maps.Clone(job.CapUsed)}
	if ev.capUsed == nil {
		ev.capUsed = map[string]int64{}
	}
	ev.audience, ev.audErr = rules.Compiled(c.Audience)
	ids := make([]string, 0, len(offers))
	for _, o := range offers {
		ids = append(ids, o.ID)
		if o.Caps.Global <= 0 {
			continue
		}
		if _, seen := ev.capUsed[o.ID]; !seen && w.Caps != nil {
			used, err := w.Caps.CapUsed(ctx, o.ID)
			if err != nil {
				return nil, fmt.Errorf("read the cap use of offer %s: %w", o.ID, err)
			}
			ev.capUsed[o.ID] = used
		}
		if ev.capUsed[o.ID] >= o.Caps.Global {
			ev.exhausted[o.ID] = true
		}
	}
	if w.Propensity != nil {
		if ev.propensity, err = w.Propensity.LoadPropensities(ctx, ids); err != nil {
			return nil, fmt.Errorf("load propensities: %w", err)
		}
	}
	return ev, nil
}

// matches reports whether the campaign's audience rule selects the
// customer, evaluated as the engine does for the job's contact at the
// job's moment.
func (ev *evaluator) matches(p *profiles.Profile) (bool, error) {
	if ev.audErr != nil {
		return false, ev.audErr
	}
	if ev.audience.Always() {
		return true, nil
	}
	facts := rules.ContactFacts{Channel: ev.contact.Channel, Intent: ev.contact.Intent, At: ev.at}
	act := rules.NewActivation(rules.VarsFrom(*p, facts, ev.at))
	return act.Eval(ev.audience, rules.Campaign{ID: ev.campaign.ID, Name: ev.campaign.Name})
}

// evaluate counts one customer.
func (ev *evaluator) evaluate(p *profiles.Profile, r *WhatIfResult) {
	r.Profiles++
	ok, err := ev.matches(p)
	if err != nil {
		r.AudienceErrors++
		return
	}
	if !ok {
		return
	}
	r.Matched++
	in := decide.Input{
		Now: ev.at, Profile: p, Propensity: ev.propensity, Exhausted: ev.exhausted,
		Contact: decide.Contact{ContactID: "whatif", Channel: ev.contact.Channel, Intent: ev.contact.Intent},
	}
	d := decide.Decide(in, ev.snap, ev.policy)
	// Reserve global caps as the offer function does: a winner whose cap
	// is used up gives way to the next ranked offer.
	for {
		win, ok := d.Winner()
		if !ok || win.Holdout || win.Offer == nil || win.Offer.Caps.Global <= 0 {
			break
		}
		if ev.capUsed[win.OfferID] < win.Offer.Caps.Global {
			ev.capUsed[win.OfferID]++
			break
		}
		ev.exhausted[win.OfferID] = true
		if !d.CapReached() {
			break
		}
	}
	reason, step, offerID := outcome(&d, ev.campaign.ID)
	if reason == "" {
		r.Offered++
		addCount(&r.OfferedByOffer, offerID)
		return
	}
	addCount(&r.HeldBack, string(reason))
	addCount(&r.HeldBackByStep, string(step))
}

// stepOrder ranks how far along the decision path a verdict came.
// The customer's own history (policy: declined, capped for them) speaks
// before an offer-wide global cap.
var stepOrder = map[decide.Step]int{
	decide.StepInput: 0, decide.StepConsent: 1, decide.StepEmpathy: 2, decide.StepLoad: 3, decide.StepChannel: 4,
	decide.StepEligibility: 5, decide.StepCap: 6, decide.StepPolicy: 7, decide.StepHoldout: 8, decide.StepArbitration: 9,
}

// outcome says what the decision means for the campaign: made (reason ""
// and the offer), or the reason and step that held the customer back. Of
// several offers of the campaign, the one that came furthest speaks.
func outcome(d *decide.Decision, campaignID string) (decide.Reason, decide.Step, string) {
	if win, ok := d.Winner(); ok && win.CampaignID == campaignID {
		if win.Holdout {
			return decide.ReasonHoldout, decide.StepHoldout, win.OfferID
		}
		return "", "", win.OfferID
	}
	best, bestStep, bestRank := decide.Reason(""), decide.Step(""), -1
	for r := range d.Offers() {
		if r.CampaignID != campaignID {
			continue
		}
		reason, step := r.Why.Reason, r.Why.Step
		if reason == "" { // ranked, not dropped: another offer won
			reason, step = ReasonOutranked, decide.StepArbitration
		}
		if rank := stepOrder[step]; rank > bestRank {
			best, bestStep, bestRank = reason, step, rank
		}
	}
	if best == "" {
		// The campaign had no offer in the snapshot (cannot happen: prepare
		// refuses it); say so rather than count nothing.
		return decide.ReasonNoOffers, decide.StepEligibility, ""
	}
	return best, bestStep, ""
}

// forecast fills the expected extra contacts: Offered × the campaign's
// response rate, spread over the response days from the launch day.
func (r *WhatIfResult) forecast(c catalog.Campaign, launch time.Time) {
	r.ResponseRate = c.ExpectedResponseRate
	r.ExpectedExtraContacts = float64(r.Offered) * c.ExpectedResponseRate
	r.ExtraContactsPerDay = []DayContacts{}
	day := launch.UTC().Truncate(24 * time.Hour)
	for i, share := range load.DailyShares(load.DefaultResponseDays, load.DefaultDecay) {
		r.ExtraContactsPerDay = append(r.ExtraContactsPerDay, DayContacts{
			Day: day.AddDate(0, 0, i).Format("2006-01-02"), Contacts: r.ExpectedExtraContacts * share,
		})
	}
}

// Normalize gives the maps of a result their empty value, so JSON shows
// {} rather than null.
func (r *WhatIfResult) Normalize() {
	for _, m := range []*map[string]int64{&r.OfferedByOffer, &r.HeldBack, &r.HeldBackByStep} {
		if *m == nil {
			*m = map[string]int64{}
		}
	}
	if r.ExtraContactsPerDay == nil {
		r.ExtraContactsPerDay = []DayContacts{}
	}
}

// HeldBackTotal is the sum of HeldBack.
func (r WhatIfResult) HeldBackTotal() int64 {
	var n int64
	for _, v := range r.HeldBack {
		n += v
	}
	return n
}

func addCount(m *map[string]int64, key string) {
	if *m == nil {
		*m = map[string]int64{}
	}
	(*m)[key]++
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b.UTC()
	}
	return a.UTC()
}

func newJobID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "wi-" + hex.EncodeToString(b[:])
}
