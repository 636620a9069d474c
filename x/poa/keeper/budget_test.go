package keeper_test

import (
	"errors"
	"strings"
	"testing"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/authz"
	slashingkeeper "github.com/cosmos/cosmos-sdk/x/slashing/keeper"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/app/apptesting"
	"github.com/aitbc/chain/x/poa/keeper"
	"github.com/aitbc/chain/x/poa/types"
)

// The default chain has three validators of 100 power: 300 in total, and a
// 3000 bps budget of 90 power (90 AIT) a block.
const budgetPower = 90

func powerCoin(power int64) sdk.Coin {
	return sdk.NewCoin(app.BondDenom, sdk.DefaultPowerReduction.MulRaw(power))
}

func uaitCoin(amount int64) sdk.Coin { return sdk.NewInt64Coin(app.BondDenom, amount) }

func posChain(t *testing.T, powers ...int64) (*apptesting.Chain, stakingtypes.MsgServer) {
	t.Helper()
	c := apptesting.New(t, apptesting.Options{ValidatorPowers: powers, Poa: types.Params{Mode: types.ModePoS, MaxPowerChangeBps: 3000}})
	return c, stakingkeeper.NewMsgServerImpl(c.App.StakingKeeper)
}

func delegateMsg(from sdk.AccAddress, to sdk.ValAddress, amount sdk.Coin) *stakingtypes.MsgDelegate {
	return stakingtypes.NewMsgDelegate(from.String(), to.String(), amount)
}

func wantBudgetError(t *testing.T, err error, substr string) {
	t.Helper()
	if !errors.Is(err, types.ErrPowerBudgetExceeded) {
		t.Fatalf("got %v, want ErrPowerBudgetExceeded", err)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("error %q does not say %q", err, substr)
	}
}

// inCache runs a message as baseapp does, in a branch of ctx that is
// written only when it succeeds: a refused message leaves no trace.
func inCache(ctx sdk.Context, run func(sdk.Context) error) error {
	cached, write := ctx.CacheContext()
	if err := run(cached); err != nil {
		return err
	}
	write()
	return nil
}

func lastTotal(t *testing.T, c *apptesting.Chain, ctx sdk.Context) int64 {
	t.Helper()
	total, err := c.App.StakingKeeper.GetLastTotalPower(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return total.Int64()
}

// Delegations in one block share the budget whoever sends them; an
// unbonding gives nothing back; the next block starts a fresh budget.
func TestBondingSharesOneBudgetPerBlock(t *testing.T) {
	c, staking := posChain(t)
	ctx := c.Context()
	a, b := c.Accounts[0].Addr, c.Accounts[1].Addr
	v0, v1 := c.Validators[0].ValAddr, c.Validators[1].ValAddr

	if _, err := staking.Delegate(ctx, delegateMsg(a, v0, powerCoin(60))); err != nil {
		t.Fatal(err)
	}
	err := inCache(ctx, func(ctx sdk.Context) error {
		_, err := staking.Delegate(ctx, delegateMsg(b, v1, powerCoin(31)))
		return err
	})
	wantBudgetError(t, err, "30 power (30000000uait) is left")
	// Two delegations to one validator are charged the increase they make together.
	if _, err := staking.Delegate(ctx, delegateMsg(b, v0, powerCoin(20))); err != nil {
		t.Fatal(err)
	}
	if _, err := staking.Undelegate(ctx, stakingtypes.NewMsgUndelegate(a.String(), v0.String(), powerCoin(50))); err != nil {
		t.Fatal(err)
	}
	err = inCache(ctx, func(ctx sdk.Context) error {
		_, err := staking.Delegate(ctx, delegateMsg(b, v1, powerCoin(11)))
		return err
	})
	wantBudgetError(t, err, "10 power")
	if _, err := staking.Delegate(ctx, delegateMsg(b, v1, powerCoin(10))); err != nil {
		t.Fatal(err)
	}
	if budget, used, err := c.App.PoaKeeper.PowerBudget(ctx); err != nil || budget != budgetPower || used != budgetPower {
		t.Fatalf("budget %d used %d (%v), want %d of %d", budget, used, err, budgetPower, budgetPower)
	}

	ctx, updates := c.EndBlock(ctx)
	if n := len(updates); n != 2 {
		t.Fatalf("%d validator updates, want 2", n)
	}
	if got := lastTotal(t, c, ctx); got != 300+30+10 {
		t.Fatalf("total power %d, want 340 (60+20-50 on one validator, 10 on another)", got)
	}
	// Block 2: 30% of 340 = 102, none of it used yet.
	if budget, used, err := c.App.PoaKeeper.PowerBudget(ctx); err != nil || budget != 102 || used != 0 {
		t.Fatalf("next block: budget %d used %d (%v), want 102 unused", budget, used, err)
	}
	if _, err := staking.Delegate(ctx, delegateMsg(a, v1, powerCoin(102))); err != nil {
		t.Fatalf("a fresh block's whole budget: %v", err)
	}
}

// The exact increase counts, not the amount: stake below one power on a
// validator makes a delegation add one power more than its amount says.
// Every path that bonds is charged: create-validator, redelegation,
// cancelled unbonding, and delegations nested in authz MsgExec, which
// never pass the ante handler's check when executed by authz's keeper.
func TestEveryBondingPathIsCharged(t *testing.T) {
	c, staking := posChain(t)
	ctx := c.Context()
	a := c.Accounts[0].Addr
	v0, v1, v2 := c.Validators[0].ValAddr, c.Validators[1].ValAddr, c.Validators[2].ValAddr

	// 0.6 power adds no power: 100.6 is still 100.
	if _, err := staking.Delegate(ctx, delegateMsg(a, v0, uaitCoin(600_000))); err != nil {
		t.Fatal(err)
	}
	if _, used, _ := c.App.PoaKeeper.PowerBudget(ctx); used != 0 {
		t.Fatalf("0.6 power charged %d", used)
	}
	if _, err := staking.Delegate(ctx, delegateMsg(a, v1, powerCoin(61))); err != nil {
		t.Fatal(err)
	}
	// 29 power are left; 29.5 AIT on top of 100.6 makes 130: 30 power.
	err := inCache(ctx, func(ctx sdk.Context) error {
		_, err := staking.Delegate(ctx, delegateMsg(a, v0, uaitCoin(29_500_000)))
		return err
	})
	wantBudgetError(t, err, "adds 30 power")

	exec := authz.NewMsgExec(a, []sdk.Msg{delegateMsg(a, v2, powerCoin(30))})
	nested := authz.NewMsgExec(a, []sdk.Msg{&exec})
	err = inCache(ctx, func(ctx sdk.Context) error { _, err := c.App.AuthzKeeper.Exec(ctx, &nested); return err })
	wantBudgetError(t, err, "29 power")

	redelegate := stakingtypes.NewMsgBeginRedelegate(a.String(), v1.String(), v2.String(), powerCoin(30))
	err = inCache(ctx, func(ctx sdk.Context) error { _, err := staking.BeginRedelegate(ctx, redelegate); return err })
	wantBudgetError(t, err, "adds 30 power")

	ctx, _ = c.EndBlock(ctx)
	// Cancel an unbonding of 60 in a block (budget 30% of 301 = 90) where
	// 50 were bonded elsewhere.
	if _, err := staking.Undelegate(ctx, stakingtypes.NewMsgUndelegate(a.String(), v1.String(), powerCoin(60))); err != nil {
		t.Fatal(err)
	}
	ctx, _ = c.EndBlock(ctx)
	entry := unbondingEntry(t, c, ctx, a, v1)
	if _, err := staking.Delegate(ctx, delegateMsg(a, v2, powerCoin(50))); err != nil {
		t.Fatal(err)
	}
	budget, used, _ := c.App.PoaKeeper.PowerBudget(ctx)
	cancel := stakingtypes.NewMsgCancelUnbondingDelegation(a.String(), v1.String(), entry.CreationHeight, powerCoin(60))
	err = inCache(ctx, func(ctx sdk.Context) error { _, err := staking.CancelUnbondingDelegation(ctx, cancel); return err })
	wantBudgetError(t, err, "adds 60 power")
	if budget-used >= 60 {
		t.Fatalf("budget %d used %d: the test needs less than 60 left", budget, used)
	}

	// A new validator's self-bond is an increase of all its power.
	op := c.Accounts[2]
	create, err := stakingtypes.NewMsgCreateValidator(sdk.ValAddress(op.Addr).String(), newConsKey("candidate"), powerCoin(budget-used+1),
		stakingtypes.NewDescription("candidate", "", "", "", ""), stakingtypes.NewCommissionRates(sdkmath.LegacyZeroDec(), sdkmath.LegacyOneDec(), sdkmath.LegacyZeroDec()), sdkmath.OneInt())
	if err != nil {
		t.Fatal(err)
	}
	err = inCache(ctx, func(ctx sdk.Context) error { _, err := staking.CreateValidator(ctx, create); return err })
	wantBudgetError(t, err, "adds")
	create.Value = powerCoin(budget - used)
	if _, err := staking.CreateValidator(ctx, create); err != nil {
		t.Fatalf("a self-bond that fits: %v", err)
	}
}

func unbondingEntry(t *testing.T, c *apptesting.Chain, ctx sdk.Context, del sdk.AccAddress, val sdk.ValAddress) stakingtypes.UnbondingDelegationEntry {
	t.Helper()
	ubd, err := c.App.StakingKeeper.GetUnbondingDelegation(ctx, del, val)
	if err != nil || len(ubd.Entries) == 0 {
		t.Fatalf("unbonding delegation: %v", err)
	}
	return ubd.Entries[0]
}

// x/poa's raises take what bonding left of the budget; its removals are
// bounded by its own cap only, so bonding can never keep the authority from
// lowering or removing a validator.
func TestPoaRaisesShareTheBudgetAndDecreasesDoNot(t *testing.T) {
	c := apptesting.New(t, apptesting.Options{Poa: types.Params{Mode: types.ModeHybrid, MaxPowerChangeBps: 3000}})
	srv := keeper.NewMsgServerImpl(c.App.PoaKeeper)
	staking := stakingkeeper.NewMsgServerImpl(c.App.StakingKeeper)
	ctx := c.Context()
	op := c.Validators[0].Operator
	if err := c.App.PoaKeeper.AllowList.Set(ctx, op); err != nil {
		t.Fatal(err)
	}
	if _, err := staking.Delegate(ctx, delegateMsg(op, c.Validators[0].ValAddr, powerCoin(60))); err != nil {
		t.Fatal(err)
	}
	newOp := newAccount("raised")
	if _, err := srv.AddValidator(ctx, addMsg(t, govAddr, newOp, newConsKey("raised"), 100)); err != nil {
		t.Fatal(err)
	}
	ctx, _ = c.EndBlock(ctx)
	if got := power(t, c, ctx, sdk.ValAddress(newOp)); got != 30 {
		t.Fatalf("x/poa raised the new validator to %d, want the 30 bonding left", got)
	}
	if _, used, _ := c.App.PoaKeeper.PowerBudget(ctx); used != 0 {
		t.Fatalf("the next block starts with %d used", used)
	}

	// Bonding takes the whole budget (30% of 390 = 117); x/poa still
	// removes up to its own cap.
	if _, err := staking.Delegate(ctx, delegateMsg(op, c.Validators[0].ValAddr, powerCoin(117))); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.RemoveValidator(ctx, &types.MsgRemoveValidator{Authority: govAddr, ValidatorAddress: c.Validators[2].ValAddr.String()}); err != nil {
		t.Fatal(err)
	}
	ctx, _ = c.EndBlock(ctx)
	if got := power(t, c, ctx, c.Validators[2].ValAddr); got != 0 {
		t.Fatalf("removed validator has %d power, want 0: bonding must not hold up a removal", got)
	}
	if got := power(t, c, ctx, sdk.ValAddress(newOp)); got != 30 {
		t.Fatalf("the new validator went to %d with no budget left, want 30", got)
	}
}

// Unjailing gives a validator its power back in one block: it is charged.
func TestUnjailIsCharged(t *testing.T) {
	c, staking := posChain(t, 100, 100, 100, 200, 50)
	ctx := c.Context()
	big, small := c.Validators[3], c.Validators[4]
	for _, v := range []apptesting.Validator{big, small} {
		if err := c.App.StakingKeeper.Jail(ctx, sdk.ConsAddress(v.ConsKey.PubKey().Address())); err != nil {
			t.Fatal(err)
		}
	}
	ctx, _ = c.EndBlock(ctx)
	if got := lastTotal(t, c, ctx); got != 300 {
		t.Fatalf("total after jailing %d, want 300", got)
	}
	slashing := slashingkeeper.NewMsgServerImpl(c.App.SlashingKeeper)
	err := inCache(ctx, func(ctx sdk.Context) error {
		_, err := slashing.Unjail(ctx, &slashingtypes.MsgUnjail{ValidatorAddr: big.ValAddr.String()})
		return err
	})
	wantBudgetError(t, err, "unjailing "+big.ValAddr.String()+" adds 200 power")
	if _, err := slashing.Unjail(ctx, &slashingtypes.MsgUnjail{ValidatorAddr: small.ValAddr.String()}); err != nil {
		t.Fatalf("unjailing 50 power of a 90 budget: %v", err)
	}
	err = inCache(ctx, func(ctx sdk.Context) error {
		_, err := staking.Delegate(ctx, delegateMsg(c.Accounts[0].Addr, c.Validators[0].ValAddr, powerCoin(41)))
		return err
	})
	wantBudgetError(t, err, "40 power")
}

// Bonding that cannot fit is refused by the ante handler in CheckTx, before
// any fee; bonding whose floor fits but whose exact increase does not fails
// in the block with the exact error, and its fee is paid. Both through real
// signed transactions in real blocks.
func TestBudgetInBlocks(t *testing.T) {
	c, _ := posChain(t)
	a, b := c.Accounts[0], c.Accounts[1]
	v0, v1 := c.Validators[0].ValAddr, c.Validators[1].ValAddr

	res := c.NextBlock(
		c.SignTx(a, 0, 1_000_000, delegateMsg(a.Addr, v0, uaitCoin(600_000))),
		c.SignTx(a, 1, 1_000_000, delegateMsg(a.Addr, v1, powerCoin(61))),
		// Left: 29; the ante handler sees 29 AIT, the block adds 30 power.
		c.SignTx(b, 0, 1_000_000, delegateMsg(b.Addr, v0, uaitCoin(29_500_000))),
		// The ante handler sees 61 power used and refuses 30 more before the fee.
		c.SignTx(b, 1, 1_000_000, delegateMsg(b.Addr, v1, powerCoin(30))),
		// Several messages in one transaction count together.
		c.SignTx(b, 1, 1_000_000, delegateMsg(b.Addr, v0, powerCoin(15)), delegateMsg(b.Addr, v1, powerCoin(15))),
		c.SignTx(b, 1, 1_000_000, delegateMsg(b.Addr, v1, powerCoin(29))),
	)
	codes := make([]uint32, len(res.TxResults))
	for i, r := range res.TxResults {
		codes[i] = r.Code
	}
	budgetCode := types.ErrPowerBudgetExceeded.ABCICode()
	want := []uint32{0, 0, budgetCode, budgetCode, budgetCode, 0}
	for i := range want {
		if codes[i] != want[i] {
			t.Fatalf("tx results %v, want %v; tx %d: %s", codes, want, i, res.TxResults[i].Log)
		}
	}
	if !strings.Contains(res.TxResults[2].Log, "adds 30 power") || res.TxResults[2].GasUsed == 0 {
		t.Fatalf("tx 2 (failed in the message): %s", res.TxResults[2].Log)
	}
	if !strings.Contains(res.TxResults[3].Log, "split it over several blocks") {
		t.Fatalf("tx 3 (refused by the ante handler): %s", res.TxResults[3].Log)
	}
	if !strings.Contains(res.TxResults[4].Log, "2 bonding messages") {
		t.Fatalf("tx 4: %s", res.TxResults[4].Log)
	}
	ctx := c.Context()
	if got := lastTotal(t, c, ctx); got != 300+61+29 {
		t.Fatalf("total power %d after the block, want 390", got)
	}

	// In CheckTx: 2× the total power in one delegation.
	check := c.CheckTx(c.SignTx(a, 2, 1_000_000, delegateMsg(a.Addr, v0, powerCoin(2*390))))
	if check.Code != budgetCode || !strings.Contains(check.Log, "at least 780 power") || !strings.Contains(check.Log, "117 power (117000000uait) is left") {
		t.Fatalf("CheckTx: code %d %s", check.Code, check.Log)
	}
}
