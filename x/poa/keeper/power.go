package keeper

import (
	"context"
	"errors"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/x/poa/types"
)

// ApplyPendingChanges moves validators toward their power targets, oldest
// change first. In one block x/poa changes at most max_power_change_bps of
// the last total power, up and down together, and its raises also fit in
// what this block's bonding left of the power-increase budget (budget.go).
// It runs in EndBlock before x/staking's, so the changes reach CometBFT in
// this block's validator updates, and it then clears the block's charges.
func (k Keeper) ApplyPendingChanges(ctx context.Context) error {
	b, err := k.powerBudget(ctx)
	if err != nil {
		return err
	}
	limits := stepLimits{change: b.budget, raise: b.left()}

	var changes []types.PendingChange
	if err := k.Pending.Walk(ctx, nil, func(_ uint64, c types.PendingChange) (bool, error) {
		changes = append(changes, c)
		return false, nil
	}); err != nil {
		return err
	}

	for _, change := range changes {
		moved, raised, err := k.applyChange(ctx, change, limits)
		if err != nil {
			return err
		}
		limits.change -= moved
		if raised {
			limits.raise -= moved
		}
		if limits.change <= 0 {
			break
		}
	}
	return k.clearPowerIncreases(ctx)
}

// stepLimits is what is left of a block's caps while x/poa applies changes.
type stepLimits struct {
	change int64 // any change, up or down: x/poa's own per-block cap
	raise  int64 // raises only: the power-increase budget bonding left
}

// applyChange moves one validator toward its target, within limits, and
// returns the power it changed and whether that was a raise.
func (k Keeper) applyChange(ctx context.Context, change types.PendingChange, limits stepLimits) (int64, bool, error) {
	valAddr, err := k.staking.ValidatorAddressCodec().StringToBytes(change.ValidatorAddress)
	if err != nil {
		return 0, false, err
	}
	validator, err := k.staking.GetValidator(ctx, valAddr)
	if errors.Is(err, stakingtypes.ErrNoValidatorFound) {
		// The validator is gone (fully unbonded and deleted): nothing left to change.
		return 0, false, k.dropChange(ctx, change)
	} else if err != nil {
		return 0, false, err
	}

	reduction := k.staking.PowerReduction(ctx)
	current := k.staking.TokensToConsensusPower(ctx, validator.Tokens)
	raise := change.TargetPower > current
	if validator.Jailed && raise {
		// x/slashing jailed it (x/evidence maybe tombstoned it) after the
		// change was queued: stake minted into it could not sign. The
		// authority sets the power again once it is unjailed, or re-adds it.
		k.Logger(ctx).Info("dropping a power raise for a jailed validator", "validator", change.ValidatorAddress, "target", change.TargetPower)
		return 0, false, k.dropChange(ctx, change)
	}
	budget := limits.change
	if raise {
		budget = min(budget, limits.raise)
	}
	step := min(abs(change.TargetPower-current), budget)
	// A removal that fits in the budget takes every delegation whole: a
	// remainder below one power (a slashed validator's rounding, an added
	// validator's 1uait self-bond) would keep the validator in x/staking for
	// ever, and with it its operator from being added again.
	removeAll := change.TargetPower == 0 && current <= budget
	if step > 0 || removeAll {
		amount := reduction.MulRaw(step)
		if raise {
			err = k.addStake(ctx, validator, amount)
		} else {
			err = k.removeStake(ctx, validator, amount, removeAll)
		}
		if err != nil {
			return 0, false, err
		}
	}

	var after int64
	if validator, err = k.staking.GetValidator(ctx, valAddr); err == nil {
		after = k.staking.TokensToConsensusPower(ctx, validator.Tokens)
	} else if errors.Is(err, stakingtypes.ErrNoValidatorFound) {
		after = 0
	} else {
		return 0, false, err
	}
	done := after == change.TargetPower
	if done {
		if err := k.dropChange(ctx, change); err != nil {
			return 0, false, err
		}
	}
	if after != current || done {
		if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventPowerChangeApplied{
			ValidatorAddress: change.ValidatorAddress, FromPower: current, ToPower: after, Done: done,
		}); err != nil {
			return 0, false, err
		}
	}
	return abs(after - current), raise, nil
}

// addStake mints amount and delegates it from x/poa's module account.
func (k Keeper) addStake(ctx context.Context, validator stakingtypes.Validator, amount sdkmath.Int) error {
	denom, err := k.staking.BondDenom(ctx)
	if err != nil {
		return err
	}
	if err := k.bankKeeper.MintCoins(ctx, types.ModuleName, sdk.NewCoins(sdk.NewCoin(denom, amount))); err != nil {
		return err
	}
	_, err = k.staking.Delegate(ctx, k.ModuleAddress(), amount, stakingtypes.Unbonded, validator, true)
	return err
}

// removeStake takes amount of tokens off a validator: first x/poa's own
// delegation, which is unbonded at once and burned; then, for validators
// bonded by their operators (genesis gentxs, HYBRID), the other delegations
// in store order, which unbond normally and return to their owners after the
// unbonding period. With all, every delegation is taken whole, whatever amount says.
func (k Keeper) removeStake(ctx context.Context, validator stakingtypes.Validator, amount sdkmath.Int, all bool) error {
	valAddr, err := k.staking.ValidatorAddressCodec().StringToBytes(validator.GetOperator())
	if err != nil {
		return err
	}
	delegations, err := k.staking.GetValidatorDelegations(ctx, valAddr)
	if err != nil {
		return err
	}
	poaAddr := k.ModuleAddress()
	poaStr := poaAddr.String()
	// x/poa's own stake goes first.
	ordered := make([]stakingtypes.Delegation, 0, len(delegations))
	for _, d := range delegations {
		if d.DelegatorAddress == poaStr {
			ordered = append([]stakingtypes.Delegation{d}, ordered...)
		} else {
			ordered = append(ordered, d)
		}
	}

	remaining := amount
	for _, d := range ordered {
		if !remaining.IsPositive() && !all {
			break
		}
		if validator, err = k.staking.GetValidator(ctx, valAddr); err != nil {
			return err
		}
		held := validator.TokensFromShares(d.Shares).TruncateInt()
		take := sdkmath.MinInt(held, remaining)
		if all {
			take = held
		}
		if !take.IsPositive() && !all {
			continue
		}
		shares := d.Shares
		if take.LT(held) {
			if shares, err = validator.SharesFromTokens(take); err != nil {
				return err
			}
		}
		delAddr, err := sdk.AccAddressFromBech32(d.DelegatorAddress)
		if err != nil {
			return err
		}
		if delAddr.Equals(poaAddr) {
			err = k.burnDelegation(ctx, validator, delAddr, valAddr, shares)
		} else {
			_, _, err = k.staking.Undelegate(ctx, delAddr, valAddr, shares)
			if errors.Is(err, stakingtypes.ErrMaxUnbondingDelegationEntries) {
				// This delegator has too many unbondings in flight; the rest
				// is taken from others, or in a later block.
				k.Logger(ctx).Info("delegator at unbonding entry limit; retrying later", "delegator", d.DelegatorAddress)
				continue
			}
		}
		if err != nil {
			return err
		}
		remaining = remaining.Sub(take)
	}
	return nil
}

// burnDelegation unbonds x/poa's shares at once and burns the tokens from the
// staking pool that holds them.
func (k Keeper) burnDelegation(ctx context.Context, validator stakingtypes.Validator, delAddr sdk.AccAddress, valAddr sdk.ValAddress, shares sdkmath.LegacyDec) error {
	pool := stakingtypes.NotBondedPoolName
	if validator.IsBonded() {
		pool = stakingtypes.BondedPoolName
	}
	amount, err := k.staking.Unbond(ctx, delAddr, valAddr, shares)
	if err != nil || !amount.IsPositive() {
		return err
	}
	denom, err := k.staking.BondDenom(ctx)
	if err != nil {
		return err
	}
	return k.bankKeeper.BurnCoins(ctx, pool, sdk.NewCoins(sdk.NewCoin(denom, amount)))
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
