// Package loadjob builds the loadwatch function: every minute, queue load
// states from Amazon Connect and the contact events, and load gates.
package loadjob

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/kpi"
	"github.com/conduit-cx/conduit/shared/load"
	"github.com/conduit-cx/conduit/shared/loadwatch"
	"github.com/conduit-cx/conduit/shared/loadwatch/connectmetrics"
	"github.com/conduit-cx/conduit/shared/metrics"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
	"github.com/conduit-cx/conduit/shared/store/loadstore"
)

// Settings of the load watcher, beyond config.Config. Durations are Go
// durations (90s, 5m).
const (
	// EnvLoadStaleAfter is the age past which a queue's load state is
	// stale and never releases a hold (default 3m).
	EnvLoadStaleAfter = "CONDUIT_LOAD_STALE_AFTER"
	// EnvLoadMinDwell is the least time a queue stays in a load level
	// before it may ease (default 5m).
	EnvLoadMinDwell = "CONDUIT_LOAD_MIN_DWELL"
	// EnvLoadMinHold keeps a campaign the load gate held held at least
	// this long (default 10m).
	EnvLoadMinHold = "CONDUIT_LOAD_MIN_HOLD"
	// EnvServiceWindow is how far back the recent ASA and service level
	// look (default 15m). T of SL(T) is the KPIs' own,
	// config.EnvServiceLevelSeconds, so the load gate and the reports mean
	// the same service level.
	EnvServiceWindow = "CONDUIT_SERVICE_WINDOW"
)

// loadSettings reads the load watcher's settings from the environment.
func loadSettings(cfg config.Config, lookup func(string) (string, bool)) (loadwatch.Settings, error) {
	s := loadwatch.Settings{QueueIDs: connectmetrics.ParseQueues(cfg.ConnectQueueIDs, nil), Thresholds: load.DefaultThresholds()}
	var problems []error
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{EnvLoadStaleAfter, &s.Thresholds.StaleAfter}, {EnvLoadMinDwell, &s.Thresholds.MinDwell},
		{EnvLoadMinHold, &s.MinHold}, {EnvServiceWindow, &s.ServiceWindow},
	} {
		v, ok := lookup(d.name)
		if !ok || strings.TrimSpace(v) == "" {
			continue
		}
		parsed, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || parsed <= 0 {
			problems = append(problems, fmt.Errorf("%s=%q is not a positive duration such as 90s", d.name, v))
			continue
		}
		*d.dst = parsed
	}
	sl, err := config.Int(lookup, config.EnvServiceLevelSeconds, int(kpi.DefaultServiceLevelThreshold/time.Second))
	if err != nil || sl < 1 || sl > 3600 {
		problems = append(problems, fmt.Errorf("%s must be a whole number of seconds from 1 to 3600", config.EnvServiceLevelSeconds))
	}
	s.ServiceThreshold = time.Duration(sl) * time.Second
	if err := s.Thresholds.Validate(); err != nil {
		problems = append(problems, err)
	}
	return s, errors.Join(problems...)
}

// LoadWatch builds the loadwatch function: every minute, queue load
// states from Amazon Connect and the contact events, and load gates. The
// watched queues are ids, or name=id ("Sales=5a1e...") to name a queue
// should ListQueues be denied or failing.
func LoadWatch(_ context.Context, cfg config.Config, clients *awsclients.Clients) (lambda.Handler, error) {
	if cfg.ConnectInstanceID == "" || len(cfg.ConnectQueueIDs) == 0 {
		return nil, fmt.Errorf("loadwatch needs %s and %s (the queues to watch)", config.EnvConnectInstanceID, config.EnvConnectQueueIDs)
	}
	settings, err := loadSettings(cfg, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	tables := store.TablesFor(cfg.Stage)
	job := &loadwatch.Job{
		Metrics:   connectmetrics.New(connectmetrics.NewClient(clients.AWS, cfg.ConnectEndpoint), cfg.ConnectInstanceID, cfg.ConnectQueueIDs, nil),
		Counters:  store.NewContacts(clients.Dynamo, tables),
		Service:   loadstore.NewQueueService(clients.Dynamo, tables),
		Board:     loadstore.NewLoadBoard(clients.Dynamo, tables),
		Campaigns: catalogstore.NewCatalog(clients.Dynamo, tables),
		Settings:  settings,
		Log:       slog.Default(),
		EMF:       metrics.New(os.Stdout, metrics.Namespace),
	}
	return lambda.NewHandler(job.Handle), nil
}
