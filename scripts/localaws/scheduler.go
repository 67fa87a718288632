package localaws

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Schedule invokes a function at a fixed period, as an EventBridge
// Scheduler rate schedule does.
type Schedule struct {
	Function string
	Every    time.Duration
}

// Scheduler runs schedules. Like a rate schedule, the first invocation
// comes one period after the start; a run still going when the next is due
// makes that one skipped, not queued.
type Scheduler struct {
	Invoke    InvokeFunc
	Region    string
	Schedules []Schedule
	Log       *slog.Logger
}

// ScheduledEvent is the event a scheduled function receives: the
// "Scheduled Event" from aws.events, naming its schedule in resources.
func ScheduledEvent(function, region string, at time.Time) events.CloudWatchEvent {
	return events.CloudWatchEvent{
		Version:    "0",
		ID:         NewRequestID(),
		DetailType: "Scheduled Event",
		Source:     "aws.events",
		AccountID:  AccountID,
		Time:       at.UTC().Truncate(time.Second),
		Region:     region,
		Resources:  []string{ScheduleARN(function, region)},
		Detail:     json.RawMessage("{}"),
	}
}

// ScheduleARN names a function's local schedule.
func ScheduleARN(function, region string) string {
	return fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/default/conduit-local-%s", region, AccountID, function)
}

// Run fires the schedules until ctx ends, then waits for runs under way.
func (s *Scheduler) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, sc := range s.Schedules {
		wg.Go(func() { s.run(ctx, sc) })
	}
	wg.Wait()
}

func (s *Scheduler) run(ctx context.Context, sc Schedule) {
	tick := time.NewTicker(sc.Every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case at := <-tick.C:
			payload, _ := json.Marshal(ScheduledEvent(sc.Function, s.Region, at))
			_, ferr, err := s.Invoke(context.WithoutCancel(ctx), sc.Function, payload, Invocation{})
			log := s.Log
			if log == nil {
				log = slog.Default()
			}
			switch {
			case err != nil:
				log.Error("scheduled run failed", "function", sc.Function, "error", err.Error())
			case ferr != nil:
				log.Error("scheduled run failed", "function", sc.Function, "errorType", ferr.Type, "errorMessage", ferr.Message)
			}
		}
	}
}
