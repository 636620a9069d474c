package keepers

import (
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	authzkeeper "github.com/cosmos/cosmos-sdk/x/authz/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	consensustypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	evidencetypes "github.com/cosmos/cosmos-sdk/x/evidence/types"
	"github.com/cosmos/cosmos-sdk/x/feegrant"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	computetypes "github.com/aitbc/chain/x/compute/types"
	poatypes "github.com/aitbc/chain/x/poa/types"
)

// generateKeys makes the store keys. The names are the IAVL stores of the
// multistore, so they are part of the app hash: a store is added or removed
// only by an upgrade's StoreUpgrades, never by editing this list alone.
func (k *AppKeepers) generateKeys() {
	k.keys = storetypes.NewKVStoreKeys(
		authtypes.StoreKey, banktypes.StoreKey, stakingtypes.StoreKey, minttypes.StoreKey,
		distrtypes.StoreKey, slashingtypes.StoreKey, govtypes.StoreKey, consensustypes.StoreKey,
		upgradetypes.StoreKey, feegrant.StoreKey, evidencetypes.StoreKey, authzkeeper.StoreKey,
		poatypes.StoreKey, computetypes.StoreKey,
	)
	// Transient object store where x/bank collects fees during the block (see virtualFeeBank in package app).
	k.objectKeys = storetypes.NewObjectStoreKeys(banktypes.ObjectStoreKey)
}

// KVStoreKeys returns the persistent store keys, by store name. The map is
// the keepers' own: callers mount and stream it, never edit it.
func (k *AppKeepers) KVStoreKeys() map[string]*storetypes.KVStoreKey { return k.keys }

// ObjectStoreKeys returns the transient object store keys, by store name.
func (k *AppKeepers) ObjectStoreKeys() map[string]*storetypes.ObjectStoreKey { return k.objectKeys }

// GetKey returns the store key of a module, for tests.
func (k *AppKeepers) GetKey(storeKey string) *storetypes.KVStoreKey { return k.keys[storeKey] }
