package indexer

import (
	"context"
	"fmt"
)

// A Projection turns events of chosen types into tables of its own. It is how
// a module adds its view of the chain to the index without touching the core
// schema: x/compute, for instance, projects its job, receipt and settlement
// events into compute_jobs, compute_receipts and compute_settlements, which
// the queries "jobs of a client" and "jobs of a provider" then read.
//
// A projection runs inside the SQL transaction that writes its block, after
// the block's core rows, once per matching event in block order (the block's
// own events first, then each transaction's). A block may be written again
// (after a crash, or by a rebuild), so Project must be idempotent: upsert by
// a natural key, or delete the height's rows first in BeginBlock.
type Projection interface {
	// Name is the projection's component in schema_migrations ("compute").
	Name() string
	// Migrations create and evolve the projection's tables, versions 1, 2, …
	Migrations() []Migration
	// EventTypes are the event types Project is called for.
	EventTypes() []string
	// BeginBlock runs before the block's events are projected.
	BeginBlock(ctx context.Context, t *SQLTx, b *Block) error
	// Project handles one event; tx is nil for the block's own events, and
	// failed transactions' events are not projected (they changed no state).
	Project(ctx context.Context, t *SQLTx, b *Block, tx *Tx, ev Event) error
	// Rewind deletes what the projection derived from blocks at height and above.
	Rewind(ctx context.Context, t *SQLTx, height int64) error
}

// project feeds the block's events to the projections that subscribed to their types.
func (s *Store) project(ctx context.Context, t *SQLTx, b *Block) error {
	for _, p := range s.projections {
		types := map[string]bool{}
		for _, et := range p.EventTypes() {
			types[et] = true
		}
		if err := p.BeginBlock(ctx, t, b); err != nil {
			return fmt.Errorf("projection %s: %w", p.Name(), err)
		}
		for _, ev := range b.Events {
			if types[ev.Type] {
				if err := p.Project(ctx, t, b, nil, ev); err != nil {
					return fmt.Errorf("projection %s: %w", p.Name(), err)
				}
			}
		}
		for i := range b.Txs {
			tx := &b.Txs[i]
			if tx.Code != 0 {
				continue
			}
			for _, ev := range tx.Events {
				if types[ev.Type] {
					if err := p.Project(ctx, t, b, tx, ev); err != nil {
						return fmt.Errorf("projection %s: %w", p.Name(), err)
					}
				}
			}
		}
	}
	return nil
}
