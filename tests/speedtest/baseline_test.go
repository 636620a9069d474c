package speedtest

import (
	"encoding/json"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/x/auth"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/bank"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/consensus"
	consensuskeeper "github.com/cosmos/cosmos-sdk/x/consensus/keeper"
	consensustypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	distr "github.com/cosmos/cosmos-sdk/x/distribution"
	distrkeeper "github.com/cosmos/cosmos-sdk/x/distribution/keeper"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/cosmos/cosmos-sdk/x/mint"
	mintkeeper "github.com/cosmos/cosmos-sdk/x/mint/keeper"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	"github.com/cosmos/cosmos-sdk/x/slashing"
	slashingkeeper "github.com/cosmos/cosmos-sdk/x/slashing/keeper"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	"github.com/cosmos/cosmos-sdk/x/staking"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/app"
)

// baselineApp is the stock reference for the execution speedtest: BaseApp
// with the SDK's own core modules (auth, bank, staking, distribution, mint,
// slashing, consensus, genutil), their default parameters and the SDK's
// default ante handler, nothing of AITBC's. Codecs and address prefixes are
// the same as the app's, because bech32 prefixes are process-global.
type baselineApp struct {
	*baseapp.BaseApp
	cdc     codec.Codec
	manager *module.Manager
	basics  module.BasicManager
}

func newBaselineApp(db dbm.DB, opts ...func(*baseapp.BaseApp)) *baselineApp {
	enc := app.MakeEncodingConfig()
	cdc, registry, txConfig := enc.Codec, enc.InterfaceRegistry, enc.TxConfig
	bApp := baseapp.NewBaseApp("baseline", log.NewNopLogger(), db, txConfig.TxDecoder(), opts...)
	bApp.SetInterfaceRegistry(registry)
	bApp.SetTxEncoder(txConfig.TxEncoder())

	keys := storetypes.NewKVStoreKeys(authtypes.StoreKey, banktypes.StoreKey, stakingtypes.StoreKey, minttypes.StoreKey,
		distrtypes.StoreKey, slashingtypes.StoreKey, consensustypes.StoreKey)
	authority := authtypes.NewModuleAddress("gov").String()
	accCodec := addresscodec.NewBech32Codec(app.AccountAddressPrefix)
	perms := map[string][]string{
		authtypes.FeeCollectorName:          nil,
		distrtypes.ModuleName:               nil,
		minttypes.ModuleName:                {authtypes.Minter},
		stakingtypes.BondedPoolName:         {authtypes.Burner, authtypes.Staking},
		stakingtypes.NotBondedPoolName:      {authtypes.Burner, authtypes.Staking},
		stakingtypes.KeyRotationFeePoolName: {authtypes.Burner},
	}
	consensusKeeper := consensuskeeper.NewKeeper(cdc, runtime.NewKVStoreService(keys[consensustypes.StoreKey]), authority, runtime.EventService{})
	bApp.SetParamStore(consensusKeeper.ParamsStore)
	accountKeeper := authkeeper.NewAccountKeeper(cdc, runtime.NewKVStoreService(keys[authtypes.StoreKey]),
		authtypes.ProtoBaseAccount, perms, accCodec, app.AccountAddressPrefix, authority)
	bankKeeper := bankkeeper.NewBaseKeeper(cdc, runtime.NewKVStoreService(keys[banktypes.StoreKey]),
		accountKeeper, map[string]bool{}, authority, log.NewNopLogger())
	stakingKeeper := stakingkeeper.NewKeeper(cdc, runtime.NewKVStoreService(keys[stakingtypes.StoreKey]),
		accountKeeper, bankKeeper, authority, addresscodec.NewBech32Codec(app.ValidatorAddressPrefix),
		addresscodec.NewBech32Codec(app.ConsNodeAddressPrefix))
	mintKeeper := mintkeeper.NewKeeper(cdc, runtime.NewKVStoreService(keys[minttypes.StoreKey]),
		stakingKeeper, accountKeeper, bankKeeper, authtypes.FeeCollectorName, authority)
	distrKeeper := distrkeeper.NewKeeper(cdc, runtime.NewKVStoreService(keys[distrtypes.StoreKey]),
		accountKeeper, bankKeeper, stakingKeeper, authtypes.FeeCollectorName, authority)
	slashingKeeper := slashingkeeper.NewKeeper(cdc, enc.Amino, runtime.NewKVStoreService(keys[slashingtypes.StoreKey]),
		stakingKeeper, authority)
	stakingKeeper.SetHooks(stakingtypes.NewMultiStakingHooks(distrKeeper.Hooks(), slashingKeeper.Hooks()))

	a := &baselineApp{BaseApp: bApp, cdc: cdc}
	a.manager = module.NewManager(
		genutil.NewAppModule(accountKeeper, stakingKeeper, a, txConfig),
		auth.NewAppModule(cdc, accountKeeper, nil),
		bank.NewAppModule(cdc, bankKeeper, accountKeeper),
		mint.NewAppModule(cdc, mintKeeper, accountKeeper, nil),
		slashing.NewAppModule(cdc, slashingKeeper, accountKeeper, bankKeeper, stakingKeeper, registry),
		distr.NewAppModule(cdc, distrKeeper, accountKeeper, bankKeeper, stakingKeeper),
		staking.NewAppModule(cdc, stakingKeeper, accountKeeper, bankKeeper),
		consensus.NewAppModule(cdc, consensusKeeper),
	)
	a.basics = module.NewBasicManagerFromManager(a.manager, nil)
	a.basics.RegisterInterfaces(registry)
	a.manager.SetOrderPreBlockers(authtypes.ModuleName)
	a.manager.SetOrderBeginBlockers(minttypes.ModuleName, distrtypes.ModuleName, slashingtypes.ModuleName, stakingtypes.ModuleName)
	a.manager.SetOrderEndBlockers(stakingtypes.ModuleName, banktypes.ModuleName)
	order := []string{consensustypes.ModuleName, authtypes.ModuleName, banktypes.ModuleName, distrtypes.ModuleName,
		stakingtypes.ModuleName, slashingtypes.ModuleName, minttypes.ModuleName, genutiltypes.ModuleName}
	a.manager.SetOrderInitGenesis(order...)
	a.manager.SetOrderExportGenesis(order...)
	if err := a.manager.RegisterServices(module.NewConfigurator(cdc, bApp.MsgServiceRouter(), bApp.GRPCQueryRouter())); err != nil {
		panic(err)
	}
	bApp.MountKVStores(keys)
	bApp.SetInitChainer(func(ctx sdk.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
		var state map[string]json.RawMessage
		if err := json.Unmarshal(req.AppStateBytes, &state); err != nil {
			return nil, err
		}
		return a.manager.InitGenesis(ctx, cdc, state)
	})
	bApp.SetPreBlocker(func(ctx sdk.Context, _ *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
		return a.manager.PreBlock(ctx)
	})
	bApp.SetBeginBlocker(a.manager.BeginBlock)
	bApp.SetEndBlocker(a.manager.EndBlock)
	anteHandler, err := ante.NewAnteHandler(ante.HandlerOptions{
		AccountKeeper: accountKeeper, BankKeeper: bankKeeper, SignModeHandler: txConfig.SignModeHandler(),
	})
	if err != nil {
		panic(err)
	}
	bApp.SetAnteHandler(anteHandler)
	if err := bApp.LoadLatestVersion(); err != nil {
		panic(fmt.Errorf("baseline: %w", err))
	}
	return a
}

func (a *baselineApp) DefaultGenesis() map[string]json.RawMessage {
	return a.basics.DefaultGenesis(a.cdc)
}
