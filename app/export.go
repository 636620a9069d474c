package app

import (
	"encoding/json"
	"errors"
	"fmt"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"cosmossdk.io/collections"

	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	"github.com/cosmos/cosmos-sdk/x/staking"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// ExportAppStateAndValidators exports the state of every module (or of
// modulesToExport) and the bonded validator set as a genesis. With
// forZeroHeight the state is first rewritten for a chain that restarts at
// height zero: rewards are paid out, heights reset and, unless allowed,
// validators are jailed.
func (app *App) ExportAppStateAndValidators(forZeroHeight bool, jailAllowedAddrs, modulesToExport []string) (servertypes.ExportedApp, error) {
	ctx := app.NewContextLegacy(true, cmtproto.Header{Height: app.LastBlockHeight()})

	height := app.LastBlockHeight() + 1
	if forZeroHeight {
		height = 0
		if err := app.prepareForZeroHeightGenesis(ctx, jailAllowedAddrs); err != nil {
			return servertypes.ExportedApp{}, fmt.Errorf("preparing zero-height genesis: %w", err)
		}
	}

	genState, err := app.ModuleManager.ExportGenesisForModules(ctx, app.appCodec, modulesToExport)
	if err != nil {
		return servertypes.ExportedApp{}, err
	}
	appState, err := json.MarshalIndent(genState, "", "  ")
	if err != nil {
		return servertypes.ExportedApp{}, err
	}
	validators, err := staking.WriteValidators(ctx, app.StakingKeeper)
	if err != nil {
		return servertypes.ExportedApp{}, err
	}
	return servertypes.ExportedApp{
		AppState:        appState,
		Validators:      validators,
		Height:          height,
		ConsensusParams: app.GetConsensusParams(ctx),
	}, nil
}

// prepareForZeroHeightGenesis settles distribution, resets every recorded
// height to zero and jails validators not in jailAllowedAddrs, so that the
// exported state is valid as the genesis of a new chain.
func (app *App) prepareForZeroHeightGenesis(ctx sdk.Context, jailAllowedAddrs []string) error {
	allowedAddrs := make(map[string]bool, len(jailAllowedAddrs))
	for _, addr := range jailAllowedAddrs {
		if _, err := sdk.ValAddressFromBech32(addr); err != nil {
			return fmt.Errorf("jail-allowed address %q: %w", addr, err)
		}
		allowedAddrs[addr] = true
	}

	validators, err := app.StakingKeeper.GetAllValidators(ctx)
	if err != nil {
		return err
	}
	delegations, err := app.StakingKeeper.GetAllDelegations(ctx)
	if err != nil {
		return err
	}

	// Pay out all commission and delegator rewards.
	for _, val := range validators {
		valAddr, err := app.StakingKeeper.ValidatorAddressCodec().StringToBytes(val.GetOperator())
		if err != nil {
			return err
		}
		if _, err := app.DistrKeeper.WithdrawValidatorCommission(ctx, valAddr); err != nil && !errors.Is(err, distrtypes.ErrNoValidatorCommission) {
			return err
		}
	}
	for _, del := range delegations {
		valAddr, delAddr, err := app.delegationAddresses(del)
		if err != nil {
			return err
		}
		if _, err := app.DistrKeeper.WithdrawDelegationRewards(ctx, delAddr, valAddr); err != nil {
			return err
		}
	}

	app.DistrKeeper.DeleteAllValidatorSlashEvents(ctx)
	app.DistrKeeper.DeleteAllValidatorHistoricalRewards(ctx)

	// Height is zero from here on: re-create distribution records as if every
	// validator and delegation had been made at genesis.
	ctx = ctx.WithBlockHeight(0)
	for _, val := range validators {
		valAddr, err := app.StakingKeeper.ValidatorAddressCodec().StringToBytes(val.GetOperator())
		if err != nil {
			return err
		}
		// Rounding leftovers of outstanding rewards go to the community pool.
		leftover, err := app.DistrKeeper.GetValidatorOutstandingRewardsCoins(ctx, valAddr)
		if err != nil {
			return err
		}
		feePool, err := app.DistrKeeper.FeePool.Get(ctx)
		if err != nil {
			return err
		}
		feePool.CommunityPool = feePool.CommunityPool.Add(leftover...)
		if err := app.DistrKeeper.FeePool.Set(ctx, feePool); err != nil {
			return err
		}
		if err := app.DistrKeeper.Hooks().AfterValidatorCreated(ctx, valAddr); err != nil {
			return err
		}
	}
	for _, del := range delegations {
		valAddr, delAddr, err := app.delegationAddresses(del)
		if err != nil {
			return err
		}
		if err := app.DistrKeeper.Hooks().BeforeDelegationCreated(ctx, delAddr, valAddr); err != nil {
			return err
		}
		if err := app.DistrKeeper.Hooks().AfterDelegationModified(ctx, delAddr, valAddr); err != nil {
			return err
		}
	}

	// Reset creation heights of redelegations and unbonding delegations.
	// Records are collected first and written after: no writes while iterating.
	var reds []stakingtypes.Redelegation
	if err := app.StakingKeeper.IterateRedelegations(ctx, func(_ int64, red stakingtypes.Redelegation) bool {
		reds = append(reds, red)
		return false
	}); err != nil {
		return err
	}
	for _, red := range reds {
		for i := range red.Entries {
			red.Entries[i].CreationHeight = 0
		}
		if err := app.StakingKeeper.SetRedelegation(ctx, red); err != nil {
			return err
		}
	}
	var ubds []stakingtypes.UnbondingDelegation
	if err := app.StakingKeeper.IterateUnbondingDelegations(ctx, func(_ int64, ubd stakingtypes.UnbondingDelegation) bool {
		ubds = append(ubds, ubd)
		return false
	}); err != nil {
		return err
	}
	for _, ubd := range ubds {
		for i := range ubd.Entries {
			ubd.Entries[i].CreationHeight = 0
		}
		if err := app.StakingKeeper.SetUnbondingDelegation(ctx, ubd); err != nil {
			return err
		}
	}

	// Reset unbonding heights and jail validators that are not allowed to stay.
	for _, val := range validators {
		val.UnbondingHeight = 0
		if len(allowedAddrs) > 0 && !allowedAddrs[val.GetOperator()] {
			val.Jailed = true
		}
		if err := app.StakingKeeper.SetValidator(ctx, val); err != nil {
			return err
		}
	}
	if _, err := app.StakingKeeper.ApplyAndReturnValidatorSetUpdates(ctx); err != nil {
		return err
	}

	// Restart every validator's liveness window at height zero.
	var updates []collections.Pair[sdk.ConsAddress, slashingtypes.ValidatorSigningInfo]
	err = app.SlashingKeeper.IterateValidatorSigningInfos(ctx, func(addr sdk.ConsAddress, info slashingtypes.ValidatorSigningInfo) bool {
		info.StartHeight = 0
		updates = append(updates, collections.Join(addr, info))
		return false
	})
	if err != nil {
		return err
	}
	for _, u := range updates {
		if err := app.SlashingKeeper.SetValidatorSigningInfo(ctx, u.K1(), u.K2()); err != nil {
			return err
		}
	}
	return nil
}

func (app *App) delegationAddresses(del stakingtypes.Delegation) (sdk.ValAddress, sdk.AccAddress, error) {
	valAddr, err := sdk.ValAddressFromBech32(del.ValidatorAddress)
	if err != nil {
		return nil, nil, err
	}
	delAddr, err := sdk.AccAddressFromBech32(del.DelegatorAddress)
	if err != nil {
		return nil, nil, err
	}
	return valAddr, delAddr, nil
}
