package keeper_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/cosmos/cosmos-sdk/baseapp"
	sdk "github.com/cosmos/cosmos-sdk/types"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/app/apptesting"
	"github.com/aitbc/chain/x/poa/keeper"
	"github.com/aitbc/chain/x/poa/types"
)

// doubleSign hands x/evidence CometBFT's DuplicateVoteEvidence against v
// (power 100, infraction in the previous block), as BeginBlock does.
func doubleSign(t *testing.T, c *apptesting.Chain, ctx sdk.Context, v apptesting.Validator) sdk.ConsAddress {
	t.Helper()
	consAddr := sdk.ConsAddress(v.ConsKey.PubKey().Address())
	// Genesis validators of the in-memory chain have no signing info yet;
	// a real chain's get theirs when they are first bonded.
	if !c.App.SlashingKeeper.HasValidatorSigningInfo(ctx, consAddr) {
		info := slashingtypes.NewValidatorSigningInfo(consAddr, 0, 0, time.Unix(0, 0).UTC(), false, 0)
		if err := c.App.SlashingKeeper.SetValidatorSigningInfo(ctx, consAddr, info); err != nil {
			t.Fatal(err)
		}
	}
	misbehavior := []abci.Misbehavior{{
		Type: abci.MisbehaviorType_DUPLICATE_VOTE, Validator: abci.Validator{Address: consAddr, Power: 100},
		Height: ctx.BlockHeight() - 1, Time: ctx.BlockTime().Add(-time.Second), TotalVotingPower: 300,
	}}
	if err := c.App.EvidenceKeeper.BeginBlocker(ctx.WithCometInfo(baseapp.NewBlockInfo(misbehavior, nil, nil, abci.CommitInfo{}))); err != nil {
		t.Fatal(err)
	}
	if !c.App.SlashingKeeper.IsTombstoned(ctx, consAddr) {
		t.Fatal("x/evidence did not tombstone the validator")
	}
	return consAddr
}

// untilNoPending runs blocks until x/poa has no pending change (at most 10).
func untilNoPending(t *testing.T, c *apptesting.Chain, ctx sdk.Context) sdk.Context {
	t.Helper()
	for i := 0; i < 10; i++ {
		ctx, _ = c.EndBlock(ctx)
		if n := pendingCount(t, c, ctx); n == 0 {
			return ctx
		}
	}
	t.Fatal("changes still pending after 10 blocks")
	return ctx
}

func pendingCount(t *testing.T, c *apptesting.Chain, ctx sdk.Context) int {
	t.Helper()
	n := 0
	if err := c.App.PoaKeeper.Pending.Walk(ctx, nil, func(uint64, types.PendingChange) (bool, error) { n++; return false, nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// pastUnbonding runs a block one unbonding period later, where x/staking
// completes what was unbonding and deletes validators left with no stake.
func pastUnbonding(t *testing.T, c *apptesting.Chain, ctx sdk.Context) sdk.Context {
	t.Helper()
	period, err := c.App.StakingKeeper.UnbondingTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ctx, _ = c.EndBlock(ctx.WithBlockTime(ctx.BlockTime().Add(period + time.Second)))
	return ctx
}

// A genesis validator double signs: x/evidence slashes 5%, jails and
// tombstones it. x/poa lists it jailed with no power, refuses to give it
// stake, and explains why its operator cannot be added yet. The authority
// removes it; once x/staking has deleted it, the same operator is added
// again with a new key, while the tombstoned key is refused for anyone.
func TestTombstonedValidatorIsRemovedAndReAddedWithNewKey(t *testing.T) {
	c, srv := setup(t, types.Params{})
	q := keeper.NewQueryServerImpl(c.App.PoaKeeper)
	ctx := c.Context()
	bad := c.Validators[2]
	doubleSign(t, c, ctx, bad)
	ctx, updates := c.EndBlock(ctx)
	if len(updates) != 1 || updates[0].Power != 0 {
		t.Fatalf("validator updates after the jail %v, want the jailed validator at 0", updates)
	}
	v, err := c.App.StakingKeeper.GetValidator(ctx, bad.ValAddr)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Jailed || v.Status != stakingtypes.Unbonding || c.App.StakingKeeper.TokensToConsensusPower(ctx, v.Tokens) != 95 {
		t.Fatalf("after the double sign: jailed %v, %s, %s tokens; want jailed, unbonding, 95 power left", v.Jailed, v.Status, v.Tokens)
	}

	// x/poa's view: listed, jailed, not bonded, no power; total is the other two.
	list, err := q.Validators(ctx, &types.QueryValidatorsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var row *types.ValidatorPower
	for i := range list.Validators {
		if list.Validators[i].ValidatorAddress == bad.ValAddr.String() {
			row = &list.Validators[i]
		}
	}
	if row == nil || !row.Jailed || row.Bonded || row.Power != 0 || row.TargetPower != 0 || list.TotalPower != 200 {
		t.Fatalf("x/poa lists the tombstoned validator as %+v, total power %d; want jailed, unbonded, power 0, total 200", row, list.TotalPower)
	}

	// No stake for it, and its operator cannot be added while x/staking holds it.
	if _, err := srv.SetValidatorPower(ctx, &types.MsgSetValidatorPower{Authority: govAddr, ValidatorAddress: bad.ValAddr.String(), Power: 100}); !errors.Is(err, types.ErrValidatorJailed) {
		t.Fatalf("raising a jailed validator: %v, want ErrValidatorJailed", err)
	}
	_, err = srv.AddValidator(ctx, addMsg(t, govAddr, bad.Operator, newConsKey("fresh"), 100))
	if !errors.Is(err, types.ErrValidatorExists) || !strings.Contains(err.Error(), "tombstoned") || !strings.Contains(err.Error(), "MsgRemoveValidator") {
		t.Fatalf("re-adding before the removal: %v, want ErrValidatorExists saying it is tombstoned and to remove it", err)
	}

	// Removed: every delegation goes, none left behind by the slash's rounding.
	if _, err := srv.RemoveValidator(ctx, &types.MsgRemoveValidator{Authority: govAddr, ValidatorAddress: bad.ValAddr.String()}); err != nil {
		t.Fatal(err)
	}
	ctx = untilNoPending(t, c, ctx)
	if dels, err := c.App.StakingKeeper.GetValidatorDelegations(ctx, bad.ValAddr); err != nil || len(dels) != 0 {
		t.Fatalf("after the removal the validator still has delegations %v (%v)", dels, err)
	}
	ctx = pastUnbonding(t, c, ctx)
	if _, err := c.App.StakingKeeper.GetValidator(ctx, bad.ValAddr); !errors.Is(err, stakingtypes.ErrNoValidatorFound) {
		t.Fatalf("x/staking still holds the removed validator one unbonding period later: %v", err)
	}

	// The tombstoned key is refused under any operator.
	if _, err := srv.AddValidator(ctx, addMsg(t, govAddr, newAccount("other"), bad.ConsKey.PubKey(), 100)); !errors.Is(err, types.ErrTombstonedKey) {
		t.Fatalf("adding the tombstoned key: %v, want ErrTombstonedKey", err)
	}
	// The same operator with a new key comes back to full power.
	if _, err := srv.AddValidator(ctx, addMsg(t, govAddr, bad.Operator, newConsKey("fresh"), 100)); err != nil {
		t.Fatalf("re-adding the operator with a new key: %v", err)
	}
	ctx = untilNoPending(t, c, ctx)
	v, err = c.App.StakingKeeper.GetValidator(ctx, bad.ValAddr)
	if err != nil {
		t.Fatal(err)
	}
	consAddr, _ := v.GetConsAddr()
	if v.Jailed || !v.IsBonded() || power(t, c, ctx, bad.ValAddr) != 100 || !sdk.ConsAddress(consAddr).Equals(sdk.ConsAddress(newConsKey("fresh").Address())) {
		t.Fatalf("re-added validator: jailed %v bonded %v power %d key %s", v.Jailed, v.IsBonded(), power(t, c, ctx, bad.ValAddr), consAddr)
	}
}

// Removing a validator the authority added takes its operator's 1uait
// self-bond too, so x/staking deletes it after the unbonding period and the
// operator can be added again; before, the self-bond kept it for ever.
func TestRemovedValidatorLeavesStaking(t *testing.T) {
	c, srv := setup(t, types.Params{})
	ctx := c.Context()
	op := newAccount("temporary")
	if _, err := srv.AddValidator(ctx, addMsg(t, govAddr, op, newConsKey("temporary"), 50)); err != nil {
		t.Fatal(err)
	}
	ctx = untilNoPending(t, c, ctx)
	if _, err := srv.RemoveValidator(ctx, &types.MsgRemoveValidator{Authority: govAddr, ValidatorAddress: sdk.ValAddress(op).String()}); err != nil {
		t.Fatal(err)
	}
	ctx = untilNoPending(t, c, ctx)
	if dels, _ := c.App.StakingKeeper.GetValidatorDelegations(ctx, sdk.ValAddress(op)); len(dels) != 0 {
		t.Fatalf("removed validator keeps delegations %v", dels)
	}
	// Unbonding (and jailed: its self-bond is gone), it is still listed,
	// with no power and no target.
	listed, err := keeper.NewQueryServerImpl(c.App.PoaKeeper).Validators(ctx, &types.QueryValidatorsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var row *types.ValidatorPower
	for i := range listed.Validators {
		if listed.Validators[i].ValidatorAddress == sdk.ValAddress(op).String() {
			row = &listed.Validators[i]
		}
	}
	if row == nil || row.Power != 0 || row.TargetPower != 0 || row.Bonded || row.Managed {
		t.Fatalf("q poa validators while the removed validator unbonds: %+v", row)
	}
	ctx = pastUnbonding(t, c, ctx)
	if _, err := c.App.StakingKeeper.GetValidator(ctx, sdk.ValAddress(op)); !errors.Is(err, stakingtypes.ErrNoValidatorFound) {
		t.Fatalf("x/staking still holds the removed validator: %v", err)
	}
	if _, err := srv.AddValidator(ctx, addMsg(t, govAddr, op, newConsKey("temporary-2"), 50)); err != nil {
		t.Fatalf("adding the operator again: %v", err)
	}
}

// A raise queued before the validator was jailed is dropped instead of
// minting stake into a validator that cannot sign.
func TestPendingRaiseForJailedValidatorIsDropped(t *testing.T) {
	c, srv := setup(t, types.Params{})
	ctx := c.Context()
	op := newAccount("ramping")
	if _, err := srv.AddValidator(ctx, addMsg(t, govAddr, op, newConsKey("ramping"), 100)); err != nil {
		t.Fatal(err)
	}
	ctx, _ = c.EndBlock(ctx) // 90 of 100: the cap
	if got := power(t, c, ctx, sdk.ValAddress(op)); got != 90 {
		t.Fatalf("power %d after one block, want 90", got)
	}
	if err := c.App.SlashingKeeper.Jail(ctx, sdk.ConsAddress(newConsKey("ramping").Address())); err != nil {
		t.Fatal(err)
	}
	supply := c.App.BankKeeper.GetSupply(ctx, "uait").Amount
	ctx, _ = c.EndBlock(ctx)
	if n := pendingCount(t, c, ctx); n != 0 {
		t.Fatalf("%d changes still pending for the jailed validator", n)
	}
	if got := power(t, c, ctx, sdk.ValAddress(op)); got != 90 {
		t.Fatalf("jailed validator's stake is %d power, want the 90 it had", got)
	}
	if after := c.App.BankKeeper.GetSupply(ctx, "uait").Amount; !after.Equal(supply) {
		t.Fatalf("supply went from %s to %s: stake was minted for a jailed validator", supply, after)
	}
	// Jailed, not tombstoned: its operator is told to unjail, not to re-add.
	if _, err := srv.AddValidator(ctx, addMsg(t, govAddr, op, newConsKey("ramping-2"), 100)); !errors.Is(err, types.ErrValidatorExists) || !strings.Contains(err.Error(), "tx slashing unjail") {
		t.Fatalf("adding a jailed validator's operator: %v, want ErrValidatorExists pointing to unjail", err)
	}
	// Lowering it is still the authority's to do.
	if _, err := srv.SetValidatorPower(ctx, &types.MsgSetValidatorPower{Authority: govAddr, ValidatorAddress: sdk.ValAddress(op).String(), Power: 10}); err != nil {
		t.Fatalf("lowering a jailed validator: %v", err)
	}
}
