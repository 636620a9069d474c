package keeper_test

import (
	"errors"
	"testing"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/app/apptesting"
	"github.com/aitbc/chain/x/poa/keeper"
	"github.com/aitbc/chain/x/poa/types"
)

var govAddr = authtypes.NewModuleAddress(govtypes.ModuleName).String()

// setup: three validators of power 100 (total 300) and a 30% per-block cap (90 power).
func setup(t *testing.T, params types.Params) (*apptesting.Chain, types.MsgServer) {
	t.Helper()
	if params.Mode == types.ModeUnspecified {
		params = types.Params{Mode: types.ModePoA, MaxPowerChangeBps: 3000}
	}
	c := apptesting.New(t, apptesting.Options{Poa: params})
	return c, keeper.NewMsgServerImpl(c.App.PoaKeeper)
}

func newConsKey(seed string) cryptotypes.PubKey {
	return ed25519.GenPrivKeyFromSecret([]byte(seed)).PubKey()
}

func newAccount(seed string) sdk.AccAddress {
	return sdk.AccAddress(secp256k1.GenPrivKeyFromSecret([]byte(seed)).PubKey().Address())
}

func addMsg(t *testing.T, authority string, operator sdk.AccAddress, pk cryptotypes.PubKey, power int64) *types.MsgAddValidator {
	t.Helper()
	var pkAny *codectypes.Any
	if pk != nil {
		var err error
		if pkAny, err = codectypes.NewAnyWithValue(pk); err != nil {
			t.Fatal(err)
		}
	}
	return &types.MsgAddValidator{Authority: authority, Operator: operator.String(), Pubkey: pkAny, Power: power, Moniker: "new"}
}

func power(t *testing.T, c *apptesting.Chain, ctx sdk.Context, val sdk.ValAddress) int64 {
	t.Helper()
	v, err := c.App.StakingKeeper.GetValidator(ctx, val)
	if errors.Is(err, stakingtypes.ErrNoValidatorFound) {
		return 0
	} else if err != nil {
		t.Fatal(err)
	}
	return c.App.StakingKeeper.TokensToConsensusPower(ctx, v.Tokens)
}

func TestAddValidatorRampsUpWithinCap(t *testing.T) {
	c, srv := setup(t, types.Params{})
	ctx := c.Context()
	operator := newAccount("new-operator")
	res, err := srv.AddValidator(ctx, addMsg(t, govAddr, operator, newConsKey("new-cons"), 100))
	if err != nil {
		t.Fatal(err)
	}
	val := sdk.ValAddress(operator)
	if res.ValidatorAddress != val.String() {
		t.Fatalf("added %s, want %s", res.ValidatorAddress, val)
	}

	// Block 1: the cap is 30% of 300 = 90 power.
	ctx, updates := c.EndBlock(ctx)
	if got := power(t, c, ctx, val); got != 90 {
		t.Fatalf("after one block power %d, want 90 (capped)", got)
	}
	if len(updates) != 1 || updates[0].Power != 90 {
		t.Fatalf("validator updates %v, want the new validator at 90", updates)
	}
	// Block 2: the rest.
	ctx, _ = c.EndBlock(ctx)
	if got := power(t, c, ctx, val); got != 100 {
		t.Fatalf("after two blocks power %d, want 100", got)
	}
	pending, err := c.App.PoaKeeper.Pending.Iterate(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pending.Close()
	if pending.Valid() {
		t.Fatal("the change is still pending after reaching its target")
	}
	total, _ := c.App.StakingKeeper.GetLastTotalPower(ctx)
	if total.Int64() != 400 {
		t.Fatalf("total power %s, want 400", total)
	}
	// The stake is x/poa's, minted and delegated from its module account.
	if _, err := c.App.StakingKeeper.GetDelegation(ctx, c.App.PoaKeeper.ModuleAddress(), val); err != nil {
		t.Fatalf("x/poa holds no delegation to the new validator: %v", err)
	}
}

func TestAddValidatorFailures(t *testing.T) {
	c, srv := setup(t, types.Params{Mode: types.ModePoA, MaxPowerChangeBps: 3000, Admin: newAccount("admin").String()})
	genesisVal := c.Validators[0]
	cases := []struct {
		name string
		msg  *types.MsgAddValidator
		want error
	}{
		{"stranger signs", addMsg(t, newAccount("mallory").String(), newAccount("op1"), newConsKey("c1"), 10), types.ErrUnauthorized},
		{"power zero", addMsg(t, govAddr, newAccount("op2"), newConsKey("c2"), 0), types.ErrInvalidPower},
		{"power negative", addMsg(t, govAddr, newAccount("op3"), newConsKey("c3"), -5), types.ErrInvalidPower},
		{"power overflow", addMsg(t, govAddr, newAccount("op4"), newConsKey("c4"), types.MaxValidatorPower+1), types.ErrInvalidPower},
		{"pubkey of a validator", addMsg(t, govAddr, newAccount("op5"), genesisVal.ConsKey.PubKey(), 10), types.ErrDuplicatePubKey},
		{"operator already a validator", addMsg(t, govAddr, genesisVal.Operator, newConsKey("c6"), 10), types.ErrValidatorExists},
		{"no pubkey", addMsg(t, govAddr, newAccount("op7"), nil, 10), types.ErrInvalidPubKey},
		{"bad operator", &types.MsgAddValidator{Authority: govAddr, Operator: "ait1bad", Power: 1}, sdkerrors.ErrInvalidAddress},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := srv.AddValidator(c.Context(), tc.msg)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}

	t.Run("admin may add", func(t *testing.T) {
		if _, err := srv.AddValidator(c.Context(), addMsg(t, newAccount("admin").String(), newAccount("op8"), newConsKey("c8"), 10)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("duplicate pubkey within one block", func(t *testing.T) {
		ctx := c.Context()
		if _, err := srv.AddValidator(ctx, addMsg(t, govAddr, newAccount("op9"), newConsKey("c9"), 10)); err != nil {
			t.Fatal(err)
		}
		_, err := srv.AddValidator(ctx, addMsg(t, govAddr, newAccount("op10"), newConsKey("c9"), 10))
		if !errors.Is(err, types.ErrDuplicatePubKey) {
			t.Fatalf("got %v, want ErrDuplicatePubKey", err)
		}
	})
}

func TestAuthorityActionsRejectedInPoS(t *testing.T) {
	c, srv := setup(t, types.Params{Mode: types.ModePoS, MaxPowerChangeBps: 3000})
	ctx := c.Context()
	val := c.Validators[0].ValAddr.String()
	if _, err := srv.AddValidator(ctx, addMsg(t, govAddr, newAccount("op"), newConsKey("c"), 10)); !errors.Is(err, types.ErrModeDisallows) {
		t.Errorf("add in POS: %v, want ErrModeDisallows", err)
	}
	if _, err := srv.SetValidatorPower(ctx, &types.MsgSetValidatorPower{Authority: govAddr, ValidatorAddress: val, Power: 5}); !errors.Is(err, types.ErrModeDisallows) {
		t.Errorf("set-power in POS: %v, want ErrModeDisallows", err)
	}
	if _, err := srv.RemoveValidator(ctx, &types.MsgRemoveValidator{Authority: govAddr, ValidatorAddress: val}); !errors.Is(err, types.ErrModeDisallows) {
		t.Errorf("remove in POS: %v, want ErrModeDisallows", err)
	}
}

func TestSetPowerFailures(t *testing.T) {
	c, srv := setup(t, types.Params{})
	unknown := sdk.ValAddress(newAccount("nobody")).String()
	val := c.Validators[0].ValAddr.String()
	cases := []struct {
		name string
		msg  *types.MsgSetValidatorPower
		want error
	}{
		{"unknown validator", &types.MsgSetValidatorPower{Authority: govAddr, ValidatorAddress: unknown, Power: 5}, types.ErrUnknownValidator},
		{"stranger signs", &types.MsgSetValidatorPower{Authority: newAccount("mallory").String(), ValidatorAddress: val, Power: 5}, types.ErrUnauthorized},
		{"power zero", &types.MsgSetValidatorPower{Authority: govAddr, ValidatorAddress: val, Power: 0}, types.ErrInvalidPower},
		{"power overflow", &types.MsgSetValidatorPower{Authority: govAddr, ValidatorAddress: val, Power: types.MaxValidatorPower + 1}, types.ErrInvalidPower},
		{"bad address", &types.MsgSetValidatorPower{Authority: govAddr, ValidatorAddress: "aitvaloper1bad", Power: 5}, sdkerrors.ErrInvalidAddress},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := srv.SetValidatorPower(c.Context(), tc.msg); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := srv.RemoveValidator(c.Context(), &types.MsgRemoveValidator{Authority: govAddr, ValidatorAddress: unknown}); !errors.Is(err, types.ErrUnknownValidator) {
		t.Fatalf("remove unknown: %v, want ErrUnknownValidator", err)
	}
}

// A genesis validator bonded its operator's own tokens: removing it unbonds
// them back to the operator (nothing burned) over two capped blocks.
func TestRemoveSelfBondedValidator(t *testing.T) {
	c, srv := setup(t, types.Params{})
	ctx := c.Context()
	target := c.Validators[2]
	if _, err := srv.RemoveValidator(ctx, &types.MsgRemoveValidator{Authority: govAddr, ValidatorAddress: target.ValAddr.String()}); err != nil {
		t.Fatal(err)
	}
	supplyBefore := c.App.BankKeeper.GetSupply(ctx, "uait")
	ctx, _ = c.EndBlock(ctx)
	if got := power(t, c, ctx, target.ValAddr); got != 10 {
		t.Fatalf("after one block power %d, want 10", got)
	}
	ctx, updates := c.EndBlock(ctx)
	if got := power(t, c, ctx, target.ValAddr); got != 0 {
		t.Fatalf("after two blocks power %d, want 0", got)
	}
	removed := false
	for _, u := range updates {
		removed = removed || u.Power == 0
	}
	if !removed {
		t.Fatalf("no zero-power update sent to CometBFT: %v", updates)
	}
	ubd, err := c.App.StakingKeeper.GetUnbondingDelegation(ctx, target.Operator, target.ValAddr)
	if err != nil {
		t.Fatalf("operator's stake is not unbonding back to it: %v", err)
	}
	var unbonding int64
	for _, e := range ubd.Entries {
		unbonding += e.Balance.Int64()
	}
	if unbonding != 100_000_000 {
		t.Fatalf("unbonding %d uait to the operator, want all 100000000", unbonding)
	}
	if supply := c.App.BankKeeper.GetSupply(ctx, "uait"); !supply.Amount.GTE(supplyBefore.Amount) {
		t.Fatalf("supply fell from %s to %s: an operator's own stake was burned", supplyBefore, supply)
	}
}

// Lowering an x/poa-managed validator burns the minted stake.
func TestSetPowerDownBurnsMintedStake(t *testing.T) {
	c, srv := setup(t, types.Params{})
	ctx := c.Context()
	op := newAccount("managed")
	if _, err := srv.AddValidator(ctx, addMsg(t, govAddr, op, newConsKey("managed"), 50)); err != nil {
		t.Fatal(err)
	}
	ctx, _ = c.EndBlock(ctx)
	supplyAt50 := c.App.BankKeeper.GetSupply(ctx, "uait").Amount
	if _, err := srv.SetValidatorPower(ctx, &types.MsgSetValidatorPower{Authority: govAddr, ValidatorAddress: sdk.ValAddress(op).String(), Power: 20}); err != nil {
		t.Fatal(err)
	}
	ctx, _ = c.EndBlock(ctx)
	if got := power(t, c, ctx, sdk.ValAddress(op)); got != 20 {
		t.Fatalf("power %d, want 20", got)
	}
	burned := supplyAt50.Sub(c.App.BankKeeper.GetSupply(ctx, "uait").Amount)
	// Minting (x/mint) also runs per block in real chains, but not in EndBlock: the drop is exactly 30 power.
	if burned.Int64() != 30_000_000 {
		t.Fatalf("supply dropped by %s uait, want 30000000 burned", burned)
	}
}

func TestChangesShareTheCapInOrder(t *testing.T) {
	c, srv := setup(t, types.Params{})
	ctx := c.Context()
	first, second := newAccount("first"), newAccount("second")
	if _, err := srv.AddValidator(ctx, addMsg(t, govAddr, first, newConsKey("first"), 60)); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddValidator(ctx, addMsg(t, govAddr, second, newConsKey("second"), 60)); err != nil {
		t.Fatal(err)
	}
	ctx, _ = c.EndBlock(ctx) // budget 90: first gets 60, second 30
	if p1, p2 := power(t, c, ctx, sdk.ValAddress(first)), power(t, c, ctx, sdk.ValAddress(second)); p1 != 60 || p2 != 30 {
		t.Fatalf("after one block powers %d and %d, want 60 and 30", p1, p2)
	}
	ctx, _ = c.EndBlock(ctx)
	if p2 := power(t, c, ctx, sdk.ValAddress(second)); p2 != 60 {
		t.Fatalf("after two blocks second has %d, want 60", p2)
	}
}

func TestUpdateParams(t *testing.T) {
	c, srv := setup(t, types.Params{Mode: types.ModePoA, MaxPowerChangeBps: 3000, Admin: newAccount("admin").String()})
	ctx := c.Context()
	update := func(signer string, p types.Params) error {
		_, err := srv.UpdateParams(ctx, &types.MsgUpdateParams{Authority: signer, Params: p})
		return err
	}
	if err := update(newAccount("admin").String(), types.Params{Mode: types.ModePoS, MaxPowerChangeBps: 100}); !errors.Is(err, types.ErrUnauthorized) {
		t.Errorf("admin changing params: %v, want ErrUnauthorized", err)
	}
	for _, bps := range []uint32{0, 3334} {
		if err := update(govAddr, types.Params{Mode: types.ModePoA, MaxPowerChangeBps: bps}); !errors.Is(err, types.ErrInvalidParams) {
			t.Errorf("bps %d: %v, want ErrInvalidParams", bps, err)
		}
	}
	if err := update(govAddr, types.Params{Mode: types.ModeUnspecified, MaxPowerChangeBps: 100}); !errors.Is(err, types.ErrInvalidParams) {
		t.Errorf("unspecified mode: %v, want ErrInvalidParams", err)
	}
	for _, m := range []types.Mode{types.ModeHybrid, types.ModePoA, types.ModeHybrid, types.ModePoS} {
		if err := update(govAddr, types.Params{Mode: m, MaxPowerChangeBps: 3000}); err != nil {
			t.Fatalf("switch to %s: %v", m, err)
		}
	}
	for _, m := range []types.Mode{types.ModePoA, types.ModeHybrid} {
		if err := update(govAddr, types.Params{Mode: m, MaxPowerChangeBps: 3000}); !errors.Is(err, types.ErrInvalidModeTransition) {
			t.Errorf("POS to %s: %v, want ErrInvalidModeTransition", m, err)
		}
	}
}

func TestAllowList(t *testing.T) {
	c, srv := setup(t, types.Params{})
	ctx := c.Context()
	op := newAccount("hopeful").String()
	if _, err := srv.AllowOperator(ctx, &types.MsgAllowOperator{Authority: newAccount("mallory").String(), Operator: op}); !errors.Is(err, types.ErrUnauthorized) {
		t.Fatalf("stranger: %v", err)
	}
	if _, err := srv.AllowOperator(ctx, &types.MsgAllowOperator{Authority: govAddr, Operator: op}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AllowOperator(ctx, &types.MsgAllowOperator{Authority: govAddr, Operator: op}); !errors.Is(err, types.ErrAlreadyAllowListed) {
		t.Fatalf("twice: %v", err)
	}
	if _, err := srv.AllowOperator(ctx, &types.MsgAllowOperator{Authority: govAddr, Operator: "nope"}); !errors.Is(err, sdkerrors.ErrInvalidAddress) {
		t.Fatalf("bad address: %v", err)
	}
	if _, err := srv.DisallowOperator(ctx, &types.MsgDisallowOperator{Authority: govAddr, Operator: op}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.DisallowOperator(ctx, &types.MsgDisallowOperator{Authority: govAddr, Operator: op}); !errors.Is(err, types.ErrNotAllowListed) {
		t.Fatalf("not listed: %v", err)
	}
}

func TestGenesisRoundTrip(t *testing.T) {
	c, srv := setup(t, types.Params{})
	ctx := c.Context()
	if _, err := srv.AllowOperator(ctx, &types.MsgAllowOperator{Authority: govAddr, Operator: newAccount("a").String()}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddValidator(ctx, addMsg(t, govAddr, newAccount("b"), newConsKey("b"), 500)); err != nil {
		t.Fatal(err)
	}
	exported, err := c.App.PoaKeeper.ExportGenesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := exported.Validate(); err != nil {
		t.Fatalf("exported genesis invalid: %v", err)
	}
	if len(exported.AllowList) != 1 || len(exported.PendingChanges) != 1 || exported.NextSequence != 2 {
		t.Fatalf("exported %+v", exported)
	}
	other := apptesting.New(t, apptesting.Options{})
	octx := other.Context()
	if err := other.App.PoaKeeper.InitGenesis(octx, *exported); err != nil {
		t.Fatal(err)
	}
	again, err := other.App.PoaKeeper.ExportGenesis(octx)
	if err != nil {
		t.Fatal(err)
	}
	if again.String() != exported.String() {
		t.Fatalf("round trip changed genesis:\n%v\n%v", exported, again)
	}
}
