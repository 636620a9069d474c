package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/x/poa/types"
)

// The power-increase budget: in one block the validator set's power may grow
// by at most max_power_change_bps of the last block's total power, whoever
// adds it. Bonding (x/staking's delegations, self-bonds, redelegations,
// cancelled unbondings, create-validator) and unjailing charge it as their
// transactions run, and a message that would overdraw it fails; x/poa's own
// raises take what is left in EndBlock. Decreases are not charged: slashing,
// jailing and tombstoning cannot wait, and leaving never needs permission.

// powerBudget is one block's power-increase budget.
type powerBudget struct {
	total  sdkmath.Int // the last block's total power
	bps    uint32      // max_power_change_bps
	budget int64       // floor(total × bps / 10000)
	used   int64       // charged by this block's bonding so far
}

func (b powerBudget) left() int64 { return max(b.budget-b.used, 0) }

// explain says where the budget comes from, for error messages.
func (b powerBudget) explain() string {
	return fmt.Sprintf("%d power (max_power_change_bps %d of the last total power %s)", b.budget, b.bps, b.total)
}

// PowerBudget returns this block's power-increase budget and how much of it
// bonding has used so far.
func (k Keeper) PowerBudget(ctx context.Context) (budget, used int64, err error) {
	b, err := k.powerBudget(ctx)
	return b.budget, b.used, err
}

// powerBudget reads the block's budget. With no set yet (genesis, where
// x/staking's genesis runs before x/poa's params exist) it is all zero.
func (k Keeper) powerBudget(ctx context.Context) (powerBudget, error) {
	total, err := k.staking.GetLastTotalPower(ctx)
	if err != nil || !total.IsPositive() {
		return powerBudget{total: total}, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return powerBudget{}, err
	}
	b := powerBudget{total: total, bps: params.MaxPowerChangeBps,
		budget: total.MulRaw(int64(params.MaxPowerChangeBps)).QuoRaw(10_000).Int64()}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	err = k.PowerIncreases.Walk(ctx, collections.NewPrefixedPairRange[int64, sdk.ValAddress](height),
		func(_ collections.Pair[int64, sdk.ValAddress], increase int64) (bool, error) {
			b.used += increase
			return false, nil
		})
	return b, err
}

// chargeIncrease records how much validator val's power now exceeds its
// power in the last block's set, and fails with ErrPowerBudgetExceeded if
// the block's recorded increases then exceed the budget. It is called after
// the stake moved, inside the message, so a refusal reverts the message and
// a failed message charges nothing. A validator's entry is replaced, not
// added to: two delegations to one validator charge the increase they make
// together once. A chain with no set yet (genesis, gentxs) is not charged:
// the first set is formed, not changed.
func (k Keeper) chargeIncrease(ctx context.Context, val sdk.ValAddress, what string) error {
	b, err := k.powerBudget(ctx)
	if err != nil || !b.total.IsPositive() {
		return err
	}
	validator, err := k.staking.GetValidator(ctx, val)
	if err != nil {
		return err
	}
	increase, err := k.increaseOf(ctx, validator, val)
	if err != nil {
		return err
	}
	key := collections.Join(sdk.UnwrapSDKContext(ctx).BlockHeight(), val)
	before, err := k.PowerIncreases.Get(ctx, key)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	if after := b.used - before + increase; after > b.budget {
		return types.ErrPowerBudgetExceeded.Wrapf("%s adds %d power to %s; this block's increases would total %d, over its budget of %s; "+
			"%s is left in this block: bond at most that now and the rest in later blocks",
			what, increase-before, validator.OperatorAddress, after, b.explain(), k.powerInTokens(ctx, b.left()))
	}
	if increase == before {
		return nil
	}
	return k.PowerIncreases.Set(ctx, key, increase)
}

// increaseOf is how much more power validator would have in CometBFT's set
// than it had in the last block's: its stake's power (none while jailed:
// jailed stake does not sign) less its last power, never below 0.
func (k Keeper) increaseOf(ctx context.Context, validator stakingtypes.Validator, val sdk.ValAddress) (int64, error) {
	if validator.Jailed {
		return 0, nil
	}
	last, err := k.staking.GetLastValidatorPower(ctx, val)
	if err != nil {
		return 0, err
	}
	return max(k.staking.TokensToConsensusPower(ctx, validator.Tokens)-last, 0), nil
}

// powerInTokens writes power as "N power (M uait)" for error messages.
func (k Keeper) powerInTokens(ctx context.Context, power int64) string {
	denom, err := k.staking.BondDenom(ctx)
	if err != nil {
		denom = "tokens"
	}
	return fmt.Sprintf("%d power (%s%s)", power, k.staking.PowerReduction(ctx).MulRaw(power), denom)
}

// CheckBondingFits refuses, before a transaction runs, bonding tokens that
// cannot fit in what is left of this block's budget even at best (bonding
// n × 10^6 uait adds at least n power). The ante handler calls it so that an
// impossible delegation fails in CheckTx and costs no fee; chargeIncrease
// still checks the exact increase when the message runs.
func (k Keeper) CheckBondingFits(ctx context.Context, tokens sdkmath.Int, what string) error {
	b, err := k.powerBudget(ctx)
	if err != nil || !b.total.IsPositive() {
		return err
	}
	least := tokens.Quo(k.staking.PowerReduction(ctx))
	if least.LTE(sdkmath.NewInt(b.left())) {
		return nil
	}
	return types.ErrPowerBudgetExceeded.Wrapf("%s would add at least %s power, but the validator set may grow by at most %s in one block "+
		"and %s is left in this block: split it over several blocks", what, least, b.explain(), k.powerInTokens(ctx, b.left()))
}

// clearPowerIncreases forgets the block's charges once x/poa has used what
// was left; entries of earlier heights (none, unless a module bonded after
// x/poa's EndBlock) go too.
func (k Keeper) clearPowerIncreases(ctx context.Context) error {
	return k.PowerIncreases.Clear(ctx, nil)
}

// Hooks are x/poa's x/staking hooks: they charge every delegation but
// x/poa's own to the block's power-increase budget.
type Hooks struct{ k Keeper }

var _ stakingtypes.StakingHooks = Hooks{}

// Hooks returns the x/staking hooks that enforce the power-increase budget.
func (k Keeper) Hooks() Hooks { return Hooks{k} }

// AfterDelegationModified runs once the delegated tokens are on the
// validator, for every path that bonds: MsgDelegate, MsgCreateValidator's
// self-bond, MsgBeginRedelegate's destination, MsgCancelUnbondingDelegation,
// and the same messages nested in authz MsgExec or sent by governance.
// x/poa's own delegations are counted by ApplyPendingChanges instead.
func (h Hooks) AfterDelegationModified(ctx context.Context, delAddr sdk.AccAddress, valAddr sdk.ValAddress) error {
	if delAddr.Equals(h.k.ModuleAddress()) {
		return nil
	}
	return h.k.chargeIncrease(ctx, valAddr, "bonding by "+delAddr.String())
}

func (Hooks) AfterValidatorCreated(context.Context, sdk.ValAddress) error   { return nil }
func (Hooks) BeforeValidatorModified(context.Context, sdk.ValAddress) error { return nil }
func (Hooks) AfterValidatorRemoved(context.Context, sdk.ConsAddress, sdk.ValAddress) error {
	return nil
}

func (Hooks) AfterValidatorConsKeyUpdated(context.Context, sdk.ConsAddress, sdk.ConsAddress, sdk.ValAddress) error {
	return nil
}

func (Hooks) AfterValidatorBonded(context.Context, sdk.ConsAddress, sdk.ValAddress) error {
	return nil
}

func (Hooks) AfterValidatorBeginUnbonding(context.Context, sdk.ConsAddress, sdk.ValAddress) error {
	return nil
}

func (Hooks) BeforeDelegationCreated(context.Context, sdk.AccAddress, sdk.ValAddress) error {
	return nil
}

func (Hooks) BeforeDelegationSharesModified(context.Context, sdk.AccAddress, sdk.ValAddress) error {
	return nil
}

func (Hooks) BeforeDelegationRemoved(context.Context, sdk.AccAddress, sdk.ValAddress) error {
	return nil
}

func (Hooks) BeforeValidatorSlashed(context.Context, sdk.ValAddress, sdkmath.LegacyDec) error {
	return nil
}
func (Hooks) AfterUnbondingInitiated(context.Context, uint64) error { return nil }
