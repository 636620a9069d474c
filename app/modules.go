package app

import (
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/x/auth"
	authsims "github.com/cosmos/cosmos-sdk/x/auth/simulation"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/authz"
	authzmodule "github.com/cosmos/cosmos-sdk/x/authz/module"
	"github.com/cosmos/cosmos-sdk/x/bank"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/consensus"
	consensustypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	distr "github.com/cosmos/cosmos-sdk/x/distribution"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	"github.com/cosmos/cosmos-sdk/x/evidence"
	evidencetypes "github.com/cosmos/cosmos-sdk/x/evidence/types"
	"github.com/cosmos/cosmos-sdk/x/feegrant"
	feegrantmodule "github.com/cosmos/cosmos-sdk/x/feegrant/module"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/cosmos/cosmos-sdk/x/gov"
	govclient "github.com/cosmos/cosmos-sdk/x/gov/client"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	"github.com/cosmos/cosmos-sdk/x/mint"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	"github.com/cosmos/cosmos-sdk/x/slashing"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	"github.com/cosmos/cosmos-sdk/x/staking"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	"github.com/cosmos/cosmos-sdk/x/upgrade"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/aitbc/chain/x/compute"
	computetypes "github.com/aitbc/chain/x/compute/types"
	"github.com/aitbc/chain/x/poa"
	poatypes "github.com/aitbc/chain/x/poa/types"
)

// The module list and its orderings. Every order below is consensus-visible:
// reordering changes what a block writes, and so the app hash. Change one only
// in an upgrade.

// appModules are the modules the app runs, over the app's keepers. Their
// order is the manager's default for every order not set below (precommit,
// prepare-check-state), so keep it.
func appModules(app *App) []module.AppModule {
	appCodec, registry := app.appCodec, app.interfaceRegistry
	return []module.AppModule{
		genutil.NewAppModule(app.AccountKeeper, app.StakingKeeper, app, app.txConfig),
		auth.NewAppModule(appCodec, app.AccountKeeper, authsims.RandomGenesisAccounts),
		bank.NewAppModule(appCodec, app.BankKeeper, app.AccountKeeper),
		feegrantmodule.NewAppModule(appCodec, app.AccountKeeper, app.BankKeeper, app.FeeGrantKeeper, registry),
		gov.NewAppModule(appCodec, &app.GovKeeper, app.AccountKeeper, app.BankKeeper),
		mint.NewAppModule(appCodec, app.MintKeeper, app.AccountKeeper, nil),
		slashing.NewAppModule(appCodec, app.SlashingKeeper, app.AccountKeeper, app.BankKeeper, app.StakingKeeper, registry),
		distr.NewAppModule(appCodec, app.DistrKeeper, app.AccountKeeper, app.BankKeeper, app.StakingKeeper),
		staking.NewAppModule(appCodec, app.StakingKeeper, app.AccountKeeper, app.BankKeeper),
		upgrade.NewAppModule(app.UpgradeKeeper, addresscodec.NewBech32Codec(AccountAddressPrefix)),
		evidence.NewAppModule(app.EvidenceKeeper),
		authzmodule.NewAppModule(appCodec, app.AuthzKeeper, app.AccountKeeper, app.BankKeeper, registry),
		consensus.NewAppModule(appCodec, app.ConsensusParamsKeeper),
		poa.NewAppModule(appCodec, app.PoaKeeper),
		compute.NewAppModule(appCodec, app.ComputeKeeper),
	}
}

// newModuleManager builds the module manager over appModules and sets every order.
func newModuleManager(app *App) *module.Manager {
	mm := module.NewManager(appModules(app)...)
	mm.SetOrderPreBlockers(orderPreBlockers()...)
	mm.SetOrderBeginBlockers(orderBeginBlockers()...)
	mm.SetOrderEndBlockers(orderEndBlockers()...)
	mm.SetOrderInitGenesis(orderInitGenesis()...)
	mm.SetOrderExportGenesis(orderExportGenesis()...)
	return mm
}

// newBasicModuleManager derives the basic manager from mm. The basic manager
// supplies default genesis, codec registration and the REST gateway routes.
// gov is given its (empty) legacy proposal handlers.
func newBasicModuleManager(mm *module.Manager) module.BasicManager {
	return module.NewBasicManagerFromManager(mm, map[string]module.AppModuleBasic{
		genutiltypes.ModuleName: genutil.NewAppModuleBasic(genutiltypes.DefaultMessageValidator),
		govtypes.ModuleName:     gov.NewAppModuleBasic([]govclient.ProposalHandler{}),
	})
}

// orderPreBlockers: upgrade runs first so that a planned upgrade halts before any state changes.
func orderPreBlockers() []string {
	return []string{upgradetypes.ModuleName, authtypes.ModuleName}
}

// orderBeginBlockers: mint before distribution so fresh rewards are distributed in the same block;
// slashing after distribution so rewards are paid before a validator is slashed.
func orderBeginBlockers() []string {
	return []string{
		minttypes.ModuleName, distrtypes.ModuleName, slashingtypes.ModuleName,
		evidencetypes.ModuleName, stakingtypes.ModuleName, authz.ModuleName,
	}
}

// orderEndBlockers: poa before staking: the power changes it applies go out in this block's validator updates.
func orderEndBlockers() []string {
	return []string{
		govtypes.ModuleName, poatypes.ModuleName, stakingtypes.ModuleName,
		feegrant.ModuleName, banktypes.ModuleName, computetypes.ModuleName,
	}
}

// orderInitGenesis: genutil must run after staking and bank so gentxs find funded accounts and pools.
func orderInitGenesis() []string {
	return []string{
		consensustypes.ModuleName, authtypes.ModuleName, banktypes.ModuleName, distrtypes.ModuleName,
		stakingtypes.ModuleName, slashingtypes.ModuleName, govtypes.ModuleName, minttypes.ModuleName,
		genutiltypes.ModuleName, evidencetypes.ModuleName, authz.ModuleName, feegrant.ModuleName,
		upgradetypes.ModuleName, poatypes.ModuleName, computetypes.ModuleName,
	}
}

// orderExportGenesis is the init-genesis order, so that an exported genesis imports the way it was made.
func orderExportGenesis() []string { return orderInitGenesis() }
