package app

import (
	"fmt"

	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/aitbc/chain/app/upgrades"
	v2 "github.com/aitbc/chain/app/upgrades/v2"
)

// Upgrades are the software upgrades this binary can apply, oldest first
// (app/upgrades says how to add one).
var Upgrades = []upgrades.Upgrade{
	v2.Upgrade,
}

// setUpgradeHandlers gives x/upgrade every upgrade's handler. A plan whose
// name has no handler halts the node at its height with "UPGRADE NEEDED".
func (app *App) setUpgradeHandlers() {
	deps := upgrades.Deps{ModuleManager: app.ModuleManager, Configurator: app.configurator, Keepers: &app.AppKeepers}
	for _, u := range Upgrades {
		app.UpgradeKeeper.SetUpgradeHandler(u.Name, u.CreateHandler(deps))
	}
}

// setUpgradeStoreLoader loads the stores with an upgrade's store changes
// when the plan x/upgrade wrote to upgrade-info.json (as the old binary
// halted) names it and the node restarts at its height. Must run before the
// stores are loaded.
func (app *App) setUpgradeStoreLoader() error {
	plan, err := app.UpgradeKeeper.ReadUpgradeInfoFromDisk()
	if err != nil {
		return fmt.Errorf("reading upgrade-info.json: %w", err)
	}
	if plan.Name == "" || app.UpgradeKeeper.IsSkipHeight(plan.Height) {
		return nil
	}
	for _, u := range Upgrades {
		if u.Name == plan.Name {
			storeUpgrades := u.StoreUpgrades
			app.SetStoreLoader(upgradetypes.UpgradeStoreLoader(plan.Height, &storeUpgrades))
			return nil
		}
	}
	return nil
}
