package app

import (
	"encoding/json"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/spf13/cast"

	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
	reflectionv1 "cosmossdk.io/api/cosmos/reflection/v1"
	"cosmossdk.io/client/v2/autocli"
	"cosmossdk.io/core/appmodule"
	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/grpc/cmtservice"
	nodeservice "github.com/cosmos/cosmos-sdk/client/grpc/node"
	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	runtimeservices "github.com/cosmos/cosmos-sdk/runtime/services"
	"github.com/cosmos/cosmos-sdk/server"
	"github.com/cosmos/cosmos-sdk/server/api"
	"github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/version"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/app/keepers"
	"github.com/aitbc/chain/app/sigcache"
	computetypes "github.com/aitbc/chain/x/compute/types"
	poatypes "github.com/aitbc/chain/x/poa/types"
)

// moduleAccountPermissions lists every module account and what it may do with coins.
var moduleAccountPermissions = map[string][]string{
	authtypes.FeeCollectorName:          nil,
	distrtypes.ModuleName:               nil,
	minttypes.ModuleName:                {authtypes.Minter},
	stakingtypes.BondedPoolName:         {authtypes.Burner, authtypes.Staking},
	stakingtypes.NotBondedPoolName:      {authtypes.Burner, authtypes.Staking},
	stakingtypes.KeyRotationFeePoolName: {authtypes.Burner},
	govtypes.ModuleName:                 {authtypes.Burner},
	// x/poa mints the stake of the validators it adds and burns it when it takes power away.
	poatypes.ModuleName: {authtypes.Minter, authtypes.Burner},
	// x/compute holds job escrow and provider bonds, mints for delivered compute
	// (when enabled) and burns slashed bonds.
	computetypes.ModuleName: {authtypes.Minter, authtypes.Burner},
}

// ModuleAccountPermissions returns a copy of the module account permissions.
func ModuleAccountPermissions() map[string][]string {
	out := make(map[string][]string, len(moduleAccountPermissions))
	for name, perms := range moduleAccountPermissions {
		out[name] = append([]string(nil), perms...)
	}
	return out
}

// BlockedAddresses are the accounts that cannot receive funds through bank
// sends: every module account except gov, which must accept deposits, and
// poa, which receives the staking rewards of the stake it delegates.
func BlockedAddresses() map[string]bool {
	blocked := make(map[string]bool)
	for name := range moduleAccountPermissions {
		if name == govtypes.ModuleName || name == poatypes.ModuleName {
			continue
		}
		blocked[authtypes.NewModuleAddress(name).String()] = true
	}
	return blocked
}

var (
	_ runtime.AppI            = (*App)(nil)
	_ servertypes.Application = (*App)(nil)
)

// App is the AITBC application: BaseApp plus the keepers of every module
// (embedded from app/keepers, so app.BankKeeper and the rest read as before).
type App struct {
	*baseapp.BaseApp
	keepers.AppKeepers

	legacyAmino       *codec.LegacyAmino
	appCodec          codec.Codec
	txConfig          client.TxConfig
	interfaceRegistry codectypes.InterfaceRegistry

	// SigCache remembers verified signatures between CheckTx and FinalizeBlock.
	SigCache *sigcache.Cache

	ModuleManager      *module.Manager
	BasicModuleManager module.BasicManager
	configurator       module.Configurator
}

// New builds the application over db. appOpts carries app.toml and flags
// (home, minimum gas prices, skipped upgrade heights, snapshot settings).
func New(logger log.Logger, db dbm.DB, loadLatest bool, appOpts servertypes.AppOptions, baseAppOptions ...func(*baseapp.BaseApp)) *App {
	enc := MakeEncodingConfig()
	appCodec, legacyAmino, registry, txConfig := enc.Codec, enc.Amino, enc.InterfaceRegistry, enc.TxConfig

	bApp := baseapp.NewBaseApp(AppName, logger, db, txConfig.TxDecoder(), baseAppOptions...)
	bApp.SetVersion(version.Version)
	bApp.SetInterfaceRegistry(registry)
	bApp.SetTxEncoder(txConfig.TxEncoder())

	skipUpgradeHeights := map[int64]bool{}
	for _, h := range cast.ToIntSlice(appOpts.Get(server.FlagUnsafeSkipUpgrades)) {
		skipUpgradeHeights[int64(h)] = true
	}
	appKeepers, err := keepers.NewAppKeepers(appCodec, legacyAmino, bApp, logger, keepers.Options{
		AccountAddressPrefix:     AccountAddressPrefix,
		ValidatorAddressPrefix:   ValidatorAddressPrefix,
		ConsNodeAddressPrefix:    ConsNodeAddressPrefix,
		BondDenom:                BondDenom,
		ModuleAccountPermissions: moduleAccountPermissions,
		BlockedAddresses:         BlockedAddresses(),
		SkipUpgradeHeights:       skipUpgradeHeights,
		HomePath:                 cast.ToString(appOpts.Get(flags.FlagHome)),
	})
	if err != nil {
		panic(err)
	}
	keys, objectKeys := appKeepers.KVStoreKeys(), appKeepers.ObjectStoreKeys()
	if err := bApp.RegisterStreamingServices(appOpts, keys); err != nil {
		panic(err)
	}

	app := &App{
		BaseApp:           bApp,
		AppKeepers:        appKeepers,
		legacyAmino:       legacyAmino,
		appCodec:          appCodec,
		txConfig:          txConfig,
		interfaceRegistry: registry,
	}

	// The module list and every order are in modules.go.
	app.ModuleManager = newModuleManager(app)
	app.BasicModuleManager = newBasicModuleManager(app.ModuleManager)
	app.BasicModuleManager.RegisterLegacyAminoCodec(legacyAmino)
	app.BasicModuleManager.RegisterInterfaces(registry)

	app.configurator = module.NewConfigurator(appCodec, app.MsgServiceRouter(), app.GRPCQueryRouter())
	if err := app.ModuleManager.RegisterServices(app.configurator); err != nil {
		panic(err)
	}

	autocliv1.RegisterQueryServer(app.GRPCQueryRouter(), runtimeservices.NewAutoCLIQueryService(app.ModuleManager.Modules))
	reflectionSvc, err := runtimeservices.NewReflectionService()
	if err != nil {
		panic(err)
	}
	reflectionv1.RegisterReflectionServiceServer(app.GRPCQueryRouter(), reflectionSvc)

	app.MountKVStores(keys)
	app.MountObjectStores(objectKeys)
	app.SigCache = sigcache.New(sigcache.DefaultSize)
	installBlockExecutor(bApp, appOpts, keys, objectKeys, txConfig.TxDecoder())

	app.SetInitChainer(app.InitChainer)
	app.SetPreBlocker(app.PreBlocker)
	app.SetBeginBlocker(app.BeginBlocker)
	app.SetEndBlocker(app.EndBlocker)

	anteHandler, err := NewAnteHandler(app.AnteOptions())
	if err != nil {
		panic(fmt.Errorf("building ante handler: %w", err))
	}
	app.SetAnteHandler(anteHandler)

	app.setUpgradeHandlers()
	if err := app.setUpgradeStoreLoader(); err != nil {
		panic(err)
	}

	if loadLatest {
		if err := app.LoadLatestVersion(); err != nil {
			panic(fmt.Errorf("loading latest version: %w", err))
		}
	}
	return app
}

// AnteOptions are the keepers and handlers the app's ante chain is built from.
func (app *App) AnteOptions() AnteOptions {
	return AnteOptions{
		AccountKeeper:   app.AccountKeeper,
		BankKeeper:      virtualFeeBank{app.BankKeeper},
		FeegrantKeeper:  app.FeeGrantKeeper,
		SignModeHandler: app.txConfig.SignModeHandler(),
		PoaKeeper:       app.PoaKeeper,
		SigCache:        app.SigCache,
		LastBlockHeight: app.LastBlockHeight,
	}
}

// PreBlocker runs before any transaction of the block.
func (app *App) PreBlocker(ctx sdk.Context, _ *abci.RequestFinalizeBlock) (*sdk.ResponsePreBlock, error) {
	return app.ModuleManager.PreBlock(ctx)
}

// BeginBlocker runs the modules' begin-block logic.
func (app *App) BeginBlocker(ctx sdk.Context) (sdk.BeginBlock, error) {
	return app.ModuleManager.BeginBlock(ctx)
}

// EndBlocker runs the modules' end-block logic, including validator set updates.
func (app *App) EndBlocker(ctx sdk.Context) (sdk.EndBlock, error) {
	return app.ModuleManager.EndBlock(ctx)
}

// InitChainer loads the genesis state into every module.
func (app *App) InitChainer(ctx sdk.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	var genesisState map[string]json.RawMessage
	if err := json.Unmarshal(req.AppStateBytes, &genesisState); err != nil {
		return nil, fmt.Errorf("decoding app genesis state: %w", err)
	}
	if err := app.UpgradeKeeper.SetModuleVersionMap(ctx, app.ModuleManager.GetVersionMap()); err != nil {
		return nil, err
	}
	return app.ModuleManager.InitGenesis(ctx, app.appCodec, genesisState)
}

// LoadHeight loads the state at a given height (used by export).
func (app *App) LoadHeight(height int64) error { return app.LoadVersion(height) }

// LegacyAmino returns the amino codec, needed by amino-JSON signing.
func (app *App) LegacyAmino() *codec.LegacyAmino { return app.legacyAmino }

// AppCodec returns the app's protobuf codec.
func (app *App) AppCodec() codec.Codec { return app.appCodec }

// InterfaceRegistry returns the app's interface registry.
func (app *App) InterfaceRegistry() codectypes.InterfaceRegistry { return app.interfaceRegistry }

// TxConfig returns the app's transaction config.
func (app *App) TxConfig() client.TxConfig { return app.txConfig }

// Configurator returns the module configurator used for services and migrations.
func (app *App) Configurator() module.Configurator { return app.configurator }

// DefaultGenesis returns the genesis state of every module with AITBC's defaults applied.
func (app *App) DefaultGenesis() map[string]json.RawMessage {
	return NewDefaultGenesisState(app.appCodec, app.BasicModuleManager)
}

// AutoCliOpts gives AutoCLI the modules whose tx and query commands it generates.
func (app *App) AutoCliOpts() autocli.AppOptions {
	modules := make(map[string]appmodule.AppModule)
	for name, mod := range app.ModuleManager.Modules {
		if m, ok := mod.(appmodule.AppModule); ok {
			modules[name] = m
		}
	}
	return autocli.AppOptions{
		Modules:               modules,
		ModuleOptions:         runtimeservices.ExtractAutoCLIOptions(app.ModuleManager.Modules),
		AddressCodec:          addresscodec.NewBech32Codec(AccountAddressPrefix),
		ValidatorAddressCodec: addresscodec.NewBech32Codec(ValidatorAddressPrefix),
		ConsensusAddressCodec: addresscodec.NewBech32Codec(ConsNodeAddressPrefix),
	}
}

// RegisterAPIRoutes registers the gRPC-gateway (Cosmos REST) routes on the API server.
func (app *App) RegisterAPIRoutes(apiSvr *api.Server, apiConfig config.APIConfig) {
	clientCtx := apiSvr.ClientCtx
	authtx.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	cmtservice.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	nodeservice.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	app.BasicModuleManager.RegisterGRPCGatewayRoutes(clientCtx, apiSvr.GRPCGatewayRouter)
	if err := server.RegisterSwaggerAPI(apiSvr.ClientCtx, apiSvr.Router, apiConfig.Swagger); err != nil {
		panic(err)
	}
}

// RegisterTxService exposes the tx simulation and broadcast gRPC service.
func (app *App) RegisterTxService(clientCtx client.Context) {
	authtx.RegisterTxService(app.GRPCQueryRouter(), clientCtx, app.Simulate, app.interfaceRegistry)
}

// RegisterTendermintService exposes CometBFT queries over gRPC.
func (app *App) RegisterTendermintService(clientCtx client.Context) {
	cmtApp := server.NewCometABCIWrapper(app)
	cmtservice.RegisterTendermintService(clientCtx, app.GRPCQueryRouter(), app.interfaceRegistry, cmtApp.Query)
}

// RegisterNodeService exposes node status and configuration over gRPC.
func (app *App) RegisterNodeService(clientCtx client.Context, cfg config.Config) {
	nodeservice.RegisterNodeService(clientCtx, app.GRPCQueryRouter(), cfg, func() int64 {
		return app.CommitMultiStore().EarliestVersion()
	})
}

// SimulationManager is not used: AITBC tests determinism with replayed blocks instead.
func (app *App) SimulationManager() *module.SimulationManager { return nil }
