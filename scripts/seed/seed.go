// Package seed fills a fresh local stack with demo data once: customer
// profiles, then offers and campaigns. Each step
// runs once per stack, recorded by a marker item in the state table, so a
// restarted runner never duplicates data and a step added later still runs
// on an existing stack.
package seed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/store"
	"github.com/conduit-cx/conduit/shared/store/catalogstore"
)

// Env is what the steps seed into.
type Env struct {
	Config  config.Config
	Clients *awsclients.Clients
	Tables  store.Tables
	// Now is the demo's today: tenure and life events are relative to it.
	Now time.Time
	// Say receives a line per step for a person; nil is silent.
	Say func(format string, args ...any)
}

// step is one part of the demo data. Bump version to seed it anew on
// stacks that had an older version (after a --reset, or alongside it).
type step struct {
	name    string
	version int
	run     func(ctx context.Context, env Env) (summary string, err error)
}

// steps run in order; add one line per kind of demo data.
var steps = []step{
	{"profiles", 1, seedProfiles},
	{"catalog", 1, func(ctx context.Context, env Env) (string, error) {
		return "catalog: 3 campaigns, 10 offers", SeedCatalog(ctx, catalogstore.NewCatalog(env.Clients.Dynamo, env.Tables), env.Now)
	}},
}

// marker is the state-table item that records a step as done.
type marker struct {
	PK       string    `dynamo:"pk"`
	SeededAt time.Time `dynamo:"seededAt"`
	Summary  string    `dynamo:"summary"`
}

func markerKey(s step) string { return fmt.Sprintf("seed#%s@%d", s.name, s.version) }

// Run runs every step not yet recorded as done.
func Run(ctx context.Context, env Env) error {
	if env.Now.IsZero() {
		env.Now = time.Now().UTC()
	}
	if env.Say == nil {
		env.Say = func(string, ...any) {}
	}
	state := env.Clients.Dynamo.Table(env.Tables.State)
	for _, s := range steps {
		var m marker
		err := state.Get("pk", markerKey(s)).Consistent(true).One(ctx, &m)
		switch {
		case err == nil:
			continue
		case !errors.Is(err, dynamo.ErrNotFound):
			return fmt.Errorf("seed %s: read marker: %w", s.name, err)
		}
		summary, err := s.run(ctx, env)
		if err != nil {
			return fmt.Errorf("seed %s: %w", s.name, err)
		}
		if err := state.Put(marker{PK: markerKey(s), SeededAt: time.Now().UTC(), Summary: summary}).Run(ctx); err != nil {
			return fmt.Errorf("seed %s: write marker: %w", s.name, err)
		}
		env.Say("seeded %s", summary)
	}
	return nil
}
