// Package upgrades is the registry of the chain's named software upgrades.
// Each upgrade is a package (app/upgrades/<name>) holding its name, the
// stores it adds or deletes, and its handler. app.go registers every one
// with x/upgrade and, when a plan on disk names one, loads the stores with
// its store upgrades at the plan's height.
//
// A new upgrade: add a package with an Upgrade value, append it to
// app.Upgrades, bump the consensus version of any module whose state it
// migrates and register the migration in that module's RegisterServices.
// The name must be the one the governance proposal's plan carries.
package upgrades

import (
	"context"
	"fmt"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/aitbc/chain/app/keepers"
)

// Upgrade is one named software upgrade.
type Upgrade struct {
	// Name is the plan name a MsgSoftwareUpgrade proposal carries.
	Name string
	// StoreUpgrades are the module stores the upgrade adds, renames or deletes.
	StoreUpgrades storetypes.StoreUpgrades
	// CreateHandler builds the handler x/upgrade runs at the plan's height.
	CreateHandler func(Deps) upgradetypes.UpgradeHandler
}

// Deps is what a handler may use: the module manager and configurator to
// run migrations with, and the keepers for the upgrade's own steps.
type Deps struct {
	ModuleManager *module.Manager
	Configurator  module.Configurator
	Keepers       *keepers.AppKeepers
}

// RunMigrations runs every module's registered migrations from fromVM to
// the versions the new binary has, and names the upgrade when one fails.
func RunMigrations(ctx context.Context, d Deps, name string, fromVM module.VersionMap) (module.VersionMap, error) {
	toVM, err := d.ModuleManager.RunMigrations(ctx, d.Configurator, fromVM)
	if err != nil {
		return nil, fmt.Errorf("upgrade %s: migrations: %w", name, err)
	}
	return toVM, nil
}
