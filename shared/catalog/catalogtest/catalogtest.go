// Package catalogtest holds an in-memory campaign store for the tests of
// the jobs that move campaigns (the load watcher, the campaign lifecycle);
// the store's own behaviour is tested against DynamoDB Local in
// shared/store.
package catalogtest

import (
	"context"
	"sync"

	"github.com/conduit-cx/conduit/shared/catalog"
)

// Campaigns keeps campaigns in memory, safe for concurrent use.
type Campaigns struct {
	mu sync.Mutex
	c  map[string]catalog.Campaign
}

// NewCampaigns returns a store holding cs.
func NewCampaigns(cs ...catalog.Campaign) *Campaigns {
	m := &Campaigns{c: map[string]catalog.Campaign{}}
	for _, c := range cs {
		m.c[c.ID] = c
	}
	return m
}

// Put stores c as it is.
func (m *Campaigns) Put(c catalog.Campaign) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.c[c.ID] = c
}

// Get returns the campaign with id, or the zero campaign.
func (m *Campaigns) Get(id string) catalog.Campaign {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.c[id]
}

// ListCampaigns lists the campaigns in the filter's status (every one when
// it names none), in one page.
func (m *Campaigns) ListCampaigns(_ context.Context, f catalog.CampaignFilter, _ int, _ string) ([]catalog.Campaign, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []catalog.Campaign
	for _, c := range m.c {
		if f.Status == "" || c.Status == f.Status {
			out = append(out, c)
		}
	}
	return out, "", nil
}

// UpdateCampaign applies change to the stored campaign and bumps its
// version; the version asked for is not checked.
func (m *Campaigns) UpdateCampaign(_ context.Context, id string, _ int, change func(*catalog.Campaign) error) (catalog.Campaign, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.c[id]
	c.Transitions = append([]catalog.Transition(nil), c.Transitions...)
	if err := change(&c); err != nil {
		return catalog.Campaign{}, err
	}
	c.Version++
	m.c[id] = c
	return c, nil
}
