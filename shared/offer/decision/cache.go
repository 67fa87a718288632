package decision

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/conduit-cx/conduit/shared/catalog"
	"github.com/conduit-cx/conduit/shared/decide"
)

// CatalogSource reads the active catalog.
type CatalogSource interface {
	LoadActive(ctx context.Context) ([]catalog.Offer, []catalog.Campaign, error)
}

// PropensitySource reads the learned outcome counts of offers.
type PropensitySource interface {
	LoadPropensities(ctx context.Context, offerIDs []string) (map[string]catalog.OfferCounts, error)
}

// LoadSource tells which campaigns the load gate holds on each queue,
// with the reason in words: queue → campaign id → reason.
type LoadSource interface {
	HeldByQueue(ctx context.Context) (map[string]map[string]string, error)
}

// View is one refresh of what every decision reads: the prepared catalog,
// the propensities and the load holds.
type View struct {
	Snapshot   *decide.Snapshot
	Propensity map[string]catalog.OfferCounts
	// held is queue → campaign → reason; the key "" holds on every queue.
	held     map[string]map[string]string
	LoadedAt time.Time
}

// Held is the campaigns held for a contact in queue.
func (v *View) Held(queue string) map[string]string {
	all, here := v.held[""], v.held[queue]
	switch {
	case len(all) == 0:
		return here
	case len(here) == 0:
		return all
	}
	out := make(map[string]string, len(all)+len(here))
	for k, r := range all {
		out[k] = r
	}
	for k, r := range here {
		out[k] = r
	}
	return out
}

// Cache keeps the View of a warm instance and refreshes it in the
// background when it is older than the refresh interval, so a decision
// never waits for the catalog except on a cold start.
type Cache struct {
	catalog    CatalogSource
	propensity PropensitySource
	load       LoadSource
	every      time.Duration
	clock      func() time.Time
	log        *slog.Logger

	view       atomic.Pointer[View]
	refreshing atomic.Bool
	coldMu     sync.Mutex
}

// NewCache returns a cache over its sources; propensity and load may be nil.
func NewCache(c CatalogSource, p PropensitySource, l LoadSource, every time.Duration, clock func() time.Time, log *slog.Logger) *Cache {
	if clock == nil {
		clock = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Cache{catalog: c, propensity: p, load: l, every: every, clock: clock, log: log}
}

// Get returns the current view, loading it on a cold start and starting a
// background refresh when it is stale.
func (c *Cache) Get(ctx context.Context) (*View, error) {
	if v := c.view.Load(); v != nil {
		if c.clock().Sub(v.LoadedAt) >= c.every && c.refreshing.CompareAndSwap(false, true) {
			go func() {
				defer c.refreshing.Store(false)
				rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := c.Refresh(rctx); err != nil {
					c.log.Warn("catalog refresh failed; deciding on the previous one", "error", err.Error(), "age_s", c.clock().Sub(v.LoadedAt).Seconds())
				}
			}()
		}
		return v, nil
	}
	c.coldMu.Lock()
	defer c.coldMu.Unlock()
	if v := c.view.Load(); v != nil {
		return v, nil
	}
	if err := c.Refresh(ctx); err != nil {
		return nil, err
	}
	return c.view.Load(), nil
}

// Refresh loads a new view now.
func (c *Cache) Refresh(ctx context.Context) error {
	offers, campaigns, err := c.catalog.LoadActive(ctx)
	if err != nil {
		return err
	}
	v := &View{Snapshot: decide.NewSnapshot(offers, campaigns), LoadedAt: c.clock()}
	if c.propensity != nil && len(offers) > 0 {
		ids := make([]string, len(offers))
		for i := range offers {
			ids[i] = offers[i].ID
		}
		if v.Propensity, err = c.propensity.LoadPropensities(ctx, ids); err != nil {
			return err
		}
	}
	if c.load != nil {
		if v.held, err = c.load.HeldByQueue(ctx); err != nil {
			return err
		}
	}
	c.view.Store(v)
	return nil
}
