// Package loadstore stores what the load watcher keeps and reads: the
// wallboard of queue load states and holds (state table), and recent
// service per queue (contacts table).
package loadstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/guregu/dynamo/v2"

	"github.com/conduit-cx/conduit/shared/loadwatch"
	"github.com/conduit-cx/conduit/shared/store"
)

// The load watcher's wallboard is one item of the state table,
// "load#wallboard": every watched queue's state (level, reason, last
// metrics, their time) and the campaigns the load gate holds, as one JSON
// document. One item keeps the offer function's cache refresh at one
// GetItem, and a run's queues and holds always agree. A few hundred
// queues fit well within the item limit.
const wallboardKey = "load#wallboard"

type wallboardItem struct {
	PK string `dynamo:"pk"`
	// RunAtMs orders runs (epoch milliseconds: numbers compare as times).
	RunAtMs int64  `dynamo:"runAtMs"`
	Doc     string `dynamo:"doc"`
}

// LoadBoard stores the load watcher's wallboard.
type LoadBoard struct {
	table dynamo.Table
}

var _ loadwatch.WallboardStore = (*LoadBoard)(nil)

// NewLoadBoard returns the wallboard store of a stage.
func NewLoadBoard(db *dynamo.DB, tables store.Tables) *LoadBoard {
	return &LoadBoard{table: db.Table(tables.State)}
}

// Wallboard reads the last wallboard, strongly consistent; the zero
// wallboard when the load watcher never ran.
func (s *LoadBoard) Wallboard(ctx context.Context) (loadwatch.Wallboard, error) {
	var it wallboardItem
	err := s.table.Get(store.StateTable.PartitionKey.Name, wallboardKey).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return loadwatch.Wallboard{Queues: []loadwatch.Queue{}, Holds: []loadwatch.Hold{}}, nil
	}
	if err != nil {
		return loadwatch.Wallboard{}, fmt.Errorf("read the wallboard: %w", err)
	}
	var w loadwatch.Wallboard
	if err := json.Unmarshal([]byte(it.Doc), &w); err != nil {
		return loadwatch.Wallboard{}, fmt.Errorf("decode the wallboard: %w", err)
	}
	if w.Queues == nil {
		w.Queues = []loadwatch.Queue{}
	}
	if w.Holds == nil {
		w.Holds = []loadwatch.Hold{}
	}
	return w, nil
}

// SaveWallboard stores a run's wallboard, unless a later run's is already
// there (runs overlap only when one is slow; the later one wins).
func (s *LoadBoard) SaveWallboard(ctx context.Context, w loadwatch.Wallboard) error {
	doc, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("encode the wallboard: %w", err)
	}
	at := w.RunAt.UnixMilli()
	err = s.table.Put(wallboardItem{PK: wallboardKey, RunAtMs: at, Doc: string(doc)}).
		If("attribute_not_exists($) OR $ <= ?", "runAtMs", "runAtMs", at).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("save the wallboard: %w", err)
	}
	return nil
}

// HeldByQueue is the offer function's LoadSource: queue name → campaign id
// → reason, "" for every queue (see loadwatch.Wallboard.HeldByQueue).
// Eventually consistent: the cache refreshes often anyway.
func (s *LoadBoard) HeldByQueue(ctx context.Context) (map[string]map[string]string, error) {
	var it wallboardItem
	err := s.table.Get(store.StateTable.PartitionKey.Name, wallboardKey).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return map[string]map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the load holds: %w", err)
	}
	var w loadwatch.Wallboard
	if err := json.Unmarshal([]byte(it.Doc), &w); err != nil {
		return nil, fmt.Errorf("decode the load holds: %w", err)
	}
	return w.HeldByQueue(), nil
}
