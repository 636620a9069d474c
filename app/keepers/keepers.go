// Package keepers holds the keepers of every module of the AITBC app and the
// store keys they own, and builds them in dependency order. It is its own
// package, as in gaia, so that an upgrade handler (app/upgrades/<name>) can
// take *AppKeepers without importing package app: app imports the upgrades,
// and the upgrades import only this package.
//
// Nothing here is consensus-visible by itself, but the store keys (keys.go)
// and the keepers' parameters (prefixes, bond denom, module account
// permissions) are: they decide what goes into the app hash.
package keepers

import (
	"errors"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	authzkeeper "github.com/cosmos/cosmos-sdk/x/authz/keeper"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	consensuskeeper "github.com/cosmos/cosmos-sdk/x/consensus/keeper"
	consensustypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	distrkeeper "github.com/cosmos/cosmos-sdk/x/distribution/keeper"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	evidencekeeper "github.com/cosmos/cosmos-sdk/x/evidence/keeper"
	evidencetypes "github.com/cosmos/cosmos-sdk/x/evidence/types"
	"github.com/cosmos/cosmos-sdk/x/feegrant"
	feegrantkeeper "github.com/cosmos/cosmos-sdk/x/feegrant/keeper"
	govkeeper "github.com/cosmos/cosmos-sdk/x/gov/keeper"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	mintkeeper "github.com/cosmos/cosmos-sdk/x/mint/keeper"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	slashingkeeper "github.com/cosmos/cosmos-sdk/x/slashing/keeper"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	upgradekeeper "github.com/cosmos/cosmos-sdk/x/upgrade/keeper"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	computekeeper "github.com/aitbc/chain/x/compute/keeper"
	computetypes "github.com/aitbc/chain/x/compute/types"
	poakeeper "github.com/aitbc/chain/x/poa/keeper"
	poatypes "github.com/aitbc/chain/x/poa/types"
)

// AppKeepers are the keepers of every module, and the store keys they write to.
type AppKeepers struct {
	// keys are the IAVL stores, one per module; objectKeys the transient object stores.
	keys       map[string]*storetypes.KVStoreKey
	objectKeys map[string]*storetypes.ObjectStoreKey

	AccountKeeper         authkeeper.AccountKeeper
	BankKeeper            bankkeeper.BaseKeeper
	StakingKeeper         *stakingkeeper.Keeper
	SlashingKeeper        slashingkeeper.Keeper
	MintKeeper            mintkeeper.Keeper
	DistrKeeper           distrkeeper.Keeper
	GovKeeper             govkeeper.Keeper
	UpgradeKeeper         *upgradekeeper.Keeper
	EvidenceKeeper        evidencekeeper.Keeper
	FeeGrantKeeper        feegrantkeeper.Keeper
	AuthzKeeper           authzkeeper.Keeper
	ConsensusParamsKeeper consensuskeeper.Keeper
	PoaKeeper             poakeeper.Keeper
	ComputeKeeper         computekeeper.Keeper
}

// Options are the chain constants and node settings the keepers are built
// with. Package app owns the constants; they come in here so that this
// package does not import app.
type Options struct {
	// Bech32 prefixes of account, validator operator and consensus addresses.
	AccountAddressPrefix   string
	ValidatorAddressPrefix string
	ConsNodeAddressPrefix  string
	// BondDenom is the denomination x/compute escrows and pays in.
	BondDenom string
	// ModuleAccountPermissions lists every module account and what it may do with coins.
	ModuleAccountPermissions map[string][]string
	// BlockedAddresses cannot receive funds through bank sends.
	BlockedAddresses map[string]bool
	// SkipUpgradeHeights are the heights whose planned upgrade the operator skips (--unsafe-skip-upgrades).
	SkipUpgradeHeights map[int64]bool
	// HomePath is the node's home, where x/upgrade writes upgrade-info.json.
	HomePath string
}

func (o Options) validate() error {
	switch {
	case o.AccountAddressPrefix == "", o.ValidatorAddressPrefix == "", o.ConsNodeAddressPrefix == "":
		return errors.New("keepers: the three bech32 prefixes are required")
	case o.BondDenom == "":
		return errors.New("keepers: BondDenom is required")
	case len(o.ModuleAccountPermissions) == 0:
		return errors.New("keepers: ModuleAccountPermissions is required")
	case o.BlockedAddresses == nil:
		return errors.New("keepers: BlockedAddresses is required")
	}
	return nil
}

// NewAppKeepers makes the store keys and builds every keeper over them, in
// dependency order. It installs the consensus params keeper as bApp's param
// store; authz and gov route messages through bApp's message router, and
// x/upgrade sets bApp's protocol version.
func NewAppKeepers(appCodec codec.Codec, legacyAmino *codec.LegacyAmino, bApp *baseapp.BaseApp, logger log.Logger, opts Options) (AppKeepers, error) {
	if err := opts.validate(); err != nil {
		return AppKeepers{}, err
	}
	var k AppKeepers
	k.generateKeys()
	keys := k.keys

	// Every module's parameters are changed by governance proposals.
	authority := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	accCodec := addresscodec.NewBech32Codec(opts.AccountAddressPrefix)
	valCodec := addresscodec.NewBech32Codec(opts.ValidatorAddressPrefix)
	consCodec := addresscodec.NewBech32Codec(opts.ConsNodeAddressPrefix)

	k.ConsensusParamsKeeper = consensuskeeper.NewKeeper(appCodec, runtime.NewKVStoreService(keys[consensustypes.StoreKey]), authority, runtime.EventService{})
	bApp.SetParamStore(k.ConsensusParamsKeeper.ParamsStore)

	k.AccountKeeper = authkeeper.NewAccountKeeper(appCodec, runtime.NewKVStoreService(keys[authtypes.StoreKey]),
		authtypes.ProtoBaseAccount, opts.ModuleAccountPermissions, accCodec, opts.AccountAddressPrefix, authority)
	k.BankKeeper = bankkeeper.NewBaseKeeper(appCodec, runtime.NewKVStoreService(keys[banktypes.StoreKey]),
		k.AccountKeeper, opts.BlockedAddresses, authority, logger).WithObjStoreKey(k.objectKeys[banktypes.ObjectStoreKey])
	k.StakingKeeper = stakingkeeper.NewKeeper(appCodec, runtime.NewKVStoreService(keys[stakingtypes.StoreKey]),
		k.AccountKeeper, k.BankKeeper, authority, valCodec, consCodec)
	k.MintKeeper = mintkeeper.NewKeeper(appCodec, runtime.NewKVStoreService(keys[minttypes.StoreKey]),
		k.StakingKeeper, k.AccountKeeper, k.BankKeeper, authtypes.FeeCollectorName, authority)
	k.DistrKeeper = distrkeeper.NewKeeper(appCodec, runtime.NewKVStoreService(keys[distrtypes.StoreKey]),
		k.AccountKeeper, k.BankKeeper, k.StakingKeeper, authtypes.FeeCollectorName, authority)
	// x/slashing unjails through x/poa, which charges the power a validator
	// gets back to the block's power-increase budget.
	slashingStaking := poakeeper.NewSlashingStaking(k.StakingKeeper)
	k.SlashingKeeper = slashingkeeper.NewKeeper(appCodec, legacyAmino, runtime.NewKVStoreService(keys[slashingtypes.StoreKey]),
		slashingStaking, authority)
	k.FeeGrantKeeper = feegrantkeeper.NewKeeper(appCodec, runtime.NewKVStoreService(keys[feegrant.StoreKey]), k.AccountKeeper)

	k.AuthzKeeper = authzkeeper.NewKeeper(runtime.NewKVStoreService(keys[authzkeeper.StoreKey]), appCodec,
		bApp.MsgServiceRouter(), k.AccountKeeper).SetBankKeeper(k.BankKeeper)

	k.UpgradeKeeper = upgradekeeper.NewKeeper(opts.SkipUpgradeHeights, runtime.NewKVStoreService(keys[upgradetypes.StoreKey]),
		appCodec, opts.HomePath, bApp, authority)

	govKeeper := govkeeper.NewKeeper(appCodec, runtime.NewKVStoreService(keys[govtypes.StoreKey]),
		k.AccountKeeper, k.BankKeeper, k.DistrKeeper, bApp.MsgServiceRouter(), govtypes.DefaultConfig(), authority,
		govkeeper.NewDefaultCalculateVoteResultsAndVotingPower(k.StakingKeeper))
	k.GovKeeper = *govKeeper.SetHooks(govtypes.NewMultiGovHooks())

	k.PoaKeeper = poakeeper.NewKeeper(appCodec, runtime.NewKVStoreService(keys[poatypes.StoreKey]), authority,
		k.AccountKeeper, k.BankKeeper, k.StakingKeeper, k.SlashingKeeper)
	slashingStaking.SetPoaKeeper(k.PoaKeeper)

	// Hooks are set once distribution, slashing and x/poa exist; the keeper
	// is a pointer so modules see them. x/poa's hook charges every bonding
	// to the block's power-increase budget and may refuse it.
	k.StakingKeeper.SetHooks(stakingtypes.NewMultiStakingHooks(k.DistrKeeper.Hooks(), k.SlashingKeeper.Hooks(), k.PoaKeeper.Hooks()))

	k.ComputeKeeper = computekeeper.NewKeeper(appCodec, runtime.NewKVStoreService(keys[computetypes.StoreKey]), authority,
		opts.BondDenom, authtypes.FeeCollectorName, k.AccountKeeper, k.BankKeeper)

	k.EvidenceKeeper = *evidencekeeper.NewKeeper(appCodec, runtime.NewKVStoreService(keys[evidencetypes.StoreKey]),
		k.StakingKeeper, k.SlashingKeeper, accCodec, runtime.ProvideCometInfoService())

	return k, nil
}
