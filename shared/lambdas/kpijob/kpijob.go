// Package kpijob builds the rollup function: KPI buckets recomputed from the
// contacts in them, on a schedule or over a backfill range.
package kpijob

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/kpi"
	"github.com/conduit-cx/conduit/shared/metrics"
	"github.com/conduit-cx/conduit/shared/rollup"
	"github.com/conduit-cx/conduit/shared/store"
)

// Settings of the rollup, beyond config.Config.
const (
	// EnvRollupLateWindow is how long after a contact began its facts may
	// still change, a Go duration (default rollup.DefaultLateWindow, 3h).
	EnvRollupLateWindow = "CONDUIT_ROLLUP_LATE_WINDOW"
	// EnvRollupLookBack is how far back the first run starts (default 48h).
	EnvRollupLookBack = "CONDUIT_ROLLUP_LOOKBACK"
	// EnvRollupMaxDays bounds the days one scheduled run recomputes
	// (default rollup.DefaultMaxDaysPerRun).
	EnvRollupMaxDays = "CONDUIT_ROLLUP_MAX_DAYS"
)

// Rollup builds the rollup function: KPI buckets recomputed from contacts
// on a schedule, or over a backfill range named in the payload.
func Rollup(_ context.Context, cfg config.Config, clients *awsclients.Clients) (lambda.Handler, error) {
	opts, err := rollupOptions(os.LookupEnv)
	if err != nil {
		return nil, err
	}
	kpis := store.NewKPIs(clients.Dynamo, store.TablesFor(cfg.Stage))
	j := &rollup.Job{
		Contacts: kpis, Buckets: kpis, Watermarks: kpis,
		Options: opts,
		Metrics: metrics.New(os.Stdout, metrics.Namespace),
	}
	return lambda.NewHandler(j.Handle), nil
}

// rollupOptions reads the rollup's settings; every bad one is reported.
func rollupOptions(lookup func(string) (string, bool)) (rollup.Options, error) {
	var o rollup.Options
	var problems []string
	duration := func(name string, dst *time.Duration, lo, hi time.Duration) {
		v, ok := lookup(name)
		if !ok || strings.TrimSpace(v) == "" {
			return
		}
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < lo || d > hi {
			problems = append(problems, fmt.Sprintf("%s=%q must be a duration from %s to %s, such as 3h", name, v, lo, hi))
			return
		}
		*dst = d
	}
	duration(EnvRollupLateWindow, &o.LateWindow, 15*time.Minute, 48*time.Hour)
	duration(EnvRollupLookBack, &o.LookBack, time.Hour, 31*24*time.Hour)
	days, err := config.Int(lookup, EnvRollupMaxDays, rollup.DefaultMaxDaysPerRun)
	if err != nil || days < 1 || days > 31 {
		problems = append(problems, fmt.Sprintf("%s must be a whole number of days from 1 to 31", EnvRollupMaxDays))
	}
	o.MaxDaysPerRun = days
	sl, err := config.Int(lookup, config.EnvServiceLevelSeconds, int(kpi.DefaultServiceLevelThreshold/time.Second))
	if err != nil || sl < 1 || sl > 3600 {
		problems = append(problems, fmt.Sprintf("%s must be a whole number of seconds from 1 to 3600", config.EnvServiceLevelSeconds))
	}
	o.Rules.ServiceLevelThreshold = time.Duration(sl) * time.Second
	if len(problems) > 0 {
		return o, fmt.Errorf("rollup settings: %s", strings.Join(problems, "; "))
	}
	return o, nil
}
