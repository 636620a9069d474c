package keeper

import (
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Migrator runs x/compute's store migrations (the module registers them).
type Migrator struct{ k Keeper }

// NewMigrator returns a Migrator over k.
func NewMigrator(k Keeper) Migrator { return Migrator{k: k} }

// Migrate1to2 starts the job-state and provider counters of consensus
// version 2 from a count of the stored jobs and providers. The index
// entries need no rewrite: version 2's IndexedMap indexes store
// Pair(field, id) under the same prefixes as version 1's KeySets did.
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	counts, err := m.k.countedCounts(ctx)
	if err != nil {
		return err
	}
	return m.k.writeCounts(ctx, counts)
}
