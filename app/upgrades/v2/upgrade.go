// Package v2 is the chain's first software upgrade. It moves x/compute to
// consensus version 2: the job indexes become collections.IndexedMap
// indexes (stored as before, so no index entry is rewritten) and the module
// starts keeping counters of jobs by state and of providers, which its
// Counts query and the facade's metrics read instead of paging every job.
package v2

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/aitbc/chain/app/upgrades"
	computetypes "github.com/aitbc/chain/x/compute/types"
)

// Name is the plan name of the governance proposal that schedules it.
const Name = "v2"

// Upgrade adds and deletes no store: x/compute's counters live in its own store.
var Upgrade = upgrades.Upgrade{
	Name:          Name,
	CreateHandler: createHandler,
}

func createHandler(d upgrades.Deps) upgradetypes.UpgradeHandler {
	return func(ctx context.Context, _ upgradetypes.Plan, fromVM module.VersionMap) (module.VersionMap, error) {
		if from := fromVM[computetypes.ModuleName]; from != 1 {
			return nil, fmt.Errorf("upgrade %s expects x/compute at consensus version 1, the chain has %d", Name, from)
		}
		toVM, err := upgrades.RunMigrations(ctx, d, Name, fromVM)
		if err != nil {
			return nil, err
		}
		// The upgrade's own step: the chain goes on only if the market's books
		// balance under the new code, counters included. A failed check halts
		// every node at the upgrade height with the reason, before anything of
		// that block is committed; operators then ship a fixed binary or skip
		// the plan (docs/operations.md, "Upgrading").
		if err := d.Keepers.ComputeKeeper.CheckInvariants(ctx); err != nil {
			return nil, fmt.Errorf("upgrade %s: x/compute after migration: %w", Name, err)
		}
		counts, err := d.Keepers.ComputeKeeper.StoredCounts(ctx)
		if err != nil {
			return nil, err
		}
		sdk.UnwrapSDKContext(ctx).Logger().Info("upgrade applied", "name", Name,
			"compute_version", toVM[computetypes.ModuleName], "providers", counts.Providers, "jobs_by_state", counts.JobsByState)
		return toVM, nil
	}
}
