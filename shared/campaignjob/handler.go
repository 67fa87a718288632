package campaignjob

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/conduit-cx/conduit/shared/apperr"
	"github.com/conduit-cx/conduit/shared/loadwatch"
)

// Handler is the campaigns function. It takes two payloads: the schedule's
// event (run the lifecycle) and {"whatif": {"jobId", "chunk"}} (run a
// what-if's next chunk, sent by the API or by the previous chunk).
type Handler struct {
	Lifecycle *Lifecycle
	WhatIf    *WhatIf
	Clock     func() time.Time
}

// Answer is what the function returns (shown by scripts/invoke).
type Answer struct {
	Lifecycle *LifecycleResult `json:"lifecycle,omitempty"`
	WhatIf    *WhatIfRun       `json:"whatif,omitempty"`
}

// Handle dispatches one invocation.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (Answer, error) {
	var probe struct {
		WhatIf json.RawMessage `json:"whatif"`
	}
	if json.Unmarshal(payload, &probe) == nil && len(probe.WhatIf) > 0 {
		run, err := parseRun(probe.WhatIf)
		if err != nil {
			return Answer{}, err
		}
		return Answer{WhatIf: &run}, h.WhatIf.Continue(ctx, run)
	}
	if _, err := loadwatch.ParseScheduledEvent(payload); err != nil {
		return Answer{}, fmt.Errorf("the campaigns function takes its schedule's event or a what-if run: %w", err)
	}
	clock := h.Clock
	if clock == nil {
		clock = time.Now
	}
	res, err := h.Lifecycle.Run(ctx, clock().UTC())
	return Answer{Lifecycle: &res}, err
}

func parseRun(raw json.RawMessage) (WhatIfRun, error) {
	var run WhatIfRun
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&run); err != nil {
		return run, apperr.Invalid("whatif", "must be {\"jobId\": \"...\", \"chunk\": n}: %v", err)
	}
	var p apperr.Problems
	if run.JobID == "" || len(run.JobID) > 64 {
		p.Add("whatif.jobId", "is required (at most 64 characters)")
	}
	if run.Chunk < 0 {
		p.Add("whatif.chunk", "must not be negative")
	}
	return run, p.Err()
}
