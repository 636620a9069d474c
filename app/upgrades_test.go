package app_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	sdkmath "cosmossdk.io/math"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/aitbc/chain/app/apptesting"
	v2 "github.com/aitbc/chain/app/upgrades/v2"
	computekeeper "github.com/aitbc/chain/x/compute/keeper"
	computetypes "github.com/aitbc/chain/x/compute/types"
)

// TestUpgradeV2MigratesCompute: on a chain whose x/compute is at consensus
// version 1 (no job counters in its store), x/upgrade applying plan v2 runs
// the handler the app registered: x/compute is at version 2, the counters
// hold the stored jobs, the module's invariants hold, and the result is
// committed. (A binary with v2's handler refuses to run while the plan is
// pending, "BINARY UPDATED BEFORE TRIGGER", so the halt and the swap at the
// plan height are the system test's: TestOldReleaseUpgradesToV2ByGovernance.)
func TestUpgradeV2MigratesCompute(t *testing.T) {
	c := apptesting.New(t, apptesting.Options{})
	ctx := c.Context()
	srv := computekeeper.NewMsgServerImpl(c.App.ComputeKeeper)
	for i, input := range []string{"a", "b", "c"} {
		h := sha256.Sum256([]byte(input))
		if _, err := srv.SubmitJob(ctx, &computetypes.MsgSubmitJob{
			Client: c.Accounts[i%2].Addr.String(), JobType: "inference", Model: "llama-3-8b", InputHash: hex.EncodeToString(h[:]),
			MaxUnits: 10, MaxPricePerUnit: sdkmath.NewInt(100), DeadlineBlocks: 100,
		}); err != nil {
			t.Fatal(err)
		}
	}
	// What a version-1 chain has: x/compute at 1 and no counter keys.
	vm, err := c.App.UpgradeKeeper.GetModuleVersionMap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vm[computetypes.ModuleName] = 1
	if err := c.App.UpgradeKeeper.SetModuleVersionMap(ctx, vm); err != nil {
		t.Fatal(err)
	}
	store := ctx.KVStore(c.App.GetKey(computetypes.StoreKey))
	deletePrefix(t, store, computetypes.JobCountsPrefix)
	deletePrefix(t, store, computetypes.ProviderCountKey)
	c.NextBlock() // commits the writes above

	counts := func() uint64 {
		t.Helper()
		got, err := c.App.ComputeKeeper.StoredCounts(c.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range got.JobsByState {
			if sc.State == computetypes.JobOpen {
				return sc.Count
			}
		}
		return 0
	}
	if n := counts(); n != 0 {
		t.Fatalf("open-job counter %d on the version-1 store", n)
	}
	if err := c.App.ComputeKeeper.CheckInvariants(c.Context()); err == nil {
		t.Fatal("invariants hold on the version-1 store: they do not check the counters")
	}

	ctx = c.Context()
	planHeight := ctx.BlockHeight()
	if err := c.App.UpgradeKeeper.ApplyUpgrade(ctx, upgradetypes.Plan{Name: v2.Name, Height: planHeight}); err != nil {
		t.Fatalf("applying v2: %v", err)
	}
	c.NextBlock() // commits the upgrade
	ctx = c.Context()
	done, err := c.App.UpgradeKeeper.GetDoneHeight(ctx, v2.Name)
	if err != nil || done != planHeight {
		t.Fatalf("v2 done at height %d (%v), planned for %d", done, err, planHeight)
	}
	vm, err = c.App.UpgradeKeeper.GetModuleVersionMap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if vm[computetypes.ModuleName] != 2 {
		t.Fatalf("x/compute at consensus version %d after v2, want 2", vm[computetypes.ModuleName])
	}
	if n := counts(); n != 3 {
		t.Fatalf("open-job counter %d after v2, want 3", n)
	}
	if err := c.App.ComputeKeeper.CheckInvariants(ctx); err != nil {
		t.Fatalf("after v2: %v", err)
	}
}

func deletePrefix(t *testing.T, store storetypes.KVStore, prefix []byte) {
	t.Helper()
	it := storetypes.KVStorePrefixIterator(store, prefix)
	var keys [][]byte
	for ; it.Valid(); it.Next() {
		keys = append(keys, it.Key())
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		store.Delete(k)
	}
}
