package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
)

// offerMoves are the allowed offer transitions. A retired offer stays
// retired: make a new one instead, so past decisions keep their meaning.
var offerMoves = map[OfferStatus][]OfferStatus{
	OfferDraft:   {OfferActive, OfferRetired},
	OfferActive:  {OfferPaused, OfferRetired},
	OfferPaused:  {OfferActive, OfferRetired},
	OfferRetired: nil,
}

// campaignMoves are the allowed campaign transitions: planned → ready →
// live ⇄ held → ended; a planned or ready campaign can be cancelled
// (→ ended), and a ready one reopened (→ planned) to change its checklist.
var campaignMoves = map[CampaignStatus][]CampaignStatus{
	CampaignPlanned: {CampaignReady, CampaignEnded},
	CampaignReady:   {CampaignLive, CampaignPlanned, CampaignEnded},
	CampaignLive:    {CampaignHeld, CampaignEnded},
	CampaignHeld:    {CampaignLive, CampaignEnded},
	CampaignEnded:   nil,
}

// OfferStatuses lists every offer status.
var OfferStatuses = []OfferStatus{OfferDraft, OfferActive, OfferPaused, OfferRetired}

// CampaignStatuses lists every campaign status.
var CampaignStatuses = []CampaignStatus{CampaignPlanned, CampaignReady, CampaignLive, CampaignHeld, CampaignEnded}

// CanMove reports whether an offer may go from one status to another.
func (s OfferStatus) CanMove(to OfferStatus) bool { return slices.Contains(offerMoves[s], to) }

// CanMove reports whether a campaign may go from one status to another.
func (s CampaignStatus) CanMove(to CampaignStatus) bool { return slices.Contains(campaignMoves[s], to) }

// MaxReasonChars bounds a transition's reason.
const MaxReasonChars = 500

// Transition moves the offer to status to, recording who and when. A
// refused move is an input problem on field "status" that names the moves
// allowed from here.
func (o *Offer) Transition(to OfferStatus, by, reason string, now time.Time) error {
	if !slices.Contains(OfferStatuses, to) {
		return apperr.Invalid("status", "must be one of %s, not %q", joinStatuses(OfferStatuses), to)
	}
	if !o.Status.CanMove(to) {
		return apperr.Invalid("status", "an offer cannot go from %s to %s; from %s it can go to %s",
			o.Status, to, o.Status, orNothing(joinStatuses(offerMoves[o.Status])))
	}
	if len(reason) > MaxReasonChars {
		return apperr.Invalid("reason", "must be at most %d characters", MaxReasonChars)
	}
	o.Transitions = append(o.Transitions, Transition{From: string(o.Status), To: string(to), At: now, By: by, Reason: reason})
	o.Status = to
	return nil
}

// ErrChecklistOpen is a campaign that cannot go ready or live because an
// item of its readiness checklist is still open.
var ErrChecklistOpen = errors.New("the readiness checklist is not complete")

// Transition moves the campaign to status to, recording who, when and
// why. Going ready or live needs a complete checklist.
func (c *Campaign) Transition(to CampaignStatus, by, reason string, now time.Time) error {
	if !slices.Contains(CampaignStatuses, to) {
		return apperr.Invalid("status", "must be one of %s, not %q", joinStatuses(CampaignStatuses), to)
	}
	if !c.Status.CanMove(to) {
		return apperr.Invalid("status", "a campaign cannot go from %s to %s; from %s it can go to %s",
			c.Status, to, c.Status, orNothing(joinStatuses(campaignMoves[c.Status])))
	}
	if len(reason) > MaxReasonChars {
		return apperr.Invalid("reason", "must be at most %d characters", MaxReasonChars)
	}
	if to == CampaignReady || to == CampaignLive {
		if open := c.Checklist.Open(); len(open) > 0 {
			return apperr.Invalid("status", "the campaign cannot go %s while checklist items are open: %s",
				to, strings.Join(open, ", "))
		}
	}
	if to == CampaignLive && !now.Before(c.EndAt) {
		return apperr.Invalid("status", "the campaign ended at %s; it cannot go live", c.EndAt.UTC().Format(time.RFC3339))
	}
	c.Transitions = append(c.Transitions, Transition{From: string(c.Status), To: string(to), At: now, By: by, Reason: reason})
	c.Status = to
	return nil
}

// Open lists the checklist items not done, in checklist order.
func (l Checklist) Open() []string {
	var open []string
	for _, name := range ChecklistItems {
		if it, _ := l.Item(name); !it.Done {
			open = append(open, name)
		}
	}
	return open
}

// Item returns the named checklist item.
func (l *Checklist) Item(name string) (ChecklistItem, bool) {
	p := l.item(name)
	if p == nil {
		return ChecklistItem{}, false
	}
	return *p, true
}

func (l *Checklist) item(name string) *ChecklistItem {
	switch name {
	case ItemAgentBriefingPublished:
		return &l.AgentBriefingPublished
	case ItemScriptsApproved:
		return &l.ScriptsApproved
	case ItemFAQPublished:
		return &l.FAQPublished
	case ItemStaffingConfirmed:
		return &l.StaffingConfirmed
	}
	return nil
}

// SetChecklistItem marks a readiness item done or open. An item cannot
// be reopened while the campaign is ready or live: reopen the campaign
// (→ planned) or hold it first, so nothing runs with an open item.
func (c *Campaign) SetChecklistItem(name string, done bool, by string, now time.Time) error {
	it := c.Checklist.item(name)
	if it == nil {
		return apperr.Invalid("item", "must be one of %s, not %q", strings.Join(ChecklistItems, ", "), name)
	}
	if c.Status == CampaignEnded {
		return apperr.Invalid("item", "the campaign has ended; its checklist is closed")
	}
	if !done && it.Done && (c.Status == CampaignReady || c.Status == CampaignLive) {
		return apperr.Invalid("done", "the campaign is %s; move it to planned or hold it before reopening %s", c.Status, name)
	}
	*it = ChecklistItem{Done: done, By: by, At: now}
	return nil
}

func joinStatuses[S ~string](list []S) string {
	parts := make([]string, len(list))
	for i, s := range list {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}

func orNothing(s string) string {
	if s == "" {
		return "nothing (it is final)"
	}
	return s
}

// ParseOfferStatus reads an offer status from outside input.
func ParseOfferStatus(s string) (OfferStatus, error) {
	st := OfferStatus(s)
	if !slices.Contains(OfferStatuses, st) {
		return "", fmt.Errorf("must be one of %s, not %q", joinStatuses(OfferStatuses), s)
	}
	return st, nil
}

// ParseCampaignStatus reads a campaign status from outside input.
func ParseCampaignStatus(s string) (CampaignStatus, error) {
	st := CampaignStatus(s)
	if !slices.Contains(CampaignStatuses, st) {
		return "", fmt.Errorf("must be one of %s, not %q", joinStatuses(CampaignStatuses), s)
	}
	return st, nil
}
