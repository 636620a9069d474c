package app

import (
	"maps"
	"slices"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/baseapp/blockexec"
	"github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DefaultBlockExecutor is the executor a node uses unless app.toml's
// `block-executor` (or --block-executor) says otherwise. Block-STM executes
// a block's transactions optimistically in parallel and re-runs the ones
// whose reads another transaction wrote; the result is the same as
// sequential execution, in the same order. BENCHMARKS.md has the figures
// that chose it.
const DefaultBlockExecutor = config.BlockExecutorBlockSTM

// installBlockExecutor installs the transaction runner app.toml asks for
// (`block-executor`, `block-stm-workers`, `block-stm-pre-estimate`).
// Block-STM must see every store a transaction can touch, the object store
// where fees collect included.
func installBlockExecutor(bApp *baseapp.BaseApp, appOpts servertypes.AppOptions,
	keys map[string]*storetypes.KVStoreKey, objectKeys map[string]*storetypes.ObjectStoreKey, txDecoder sdk.TxDecoder,
) {
	stores := make([]storetypes.StoreKey, 0, len(keys)+len(objectKeys))
	for _, name := range slices.Sorted(maps.Keys(keys)) {
		stores = append(stores, keys[name])
	}
	for _, name := range slices.Sorted(maps.Keys(objectKeys)) {
		stores = append(stores, objectKeys[name])
	}
	blockexec.Apply(bApp, appOpts, stores, txDecoder,
		func(storetypes.MultiStore) string { return BondDenom },
		blockexec.WithDefaultExecutor(DefaultBlockExecutor))
}
