// Package ante holds the decorator that enforces x/poa's consensus mode and
// power-increase budget on transactions that would bond stake.
package ante

import (
	"context"
	"fmt"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/x/authz"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/x/poa/types"
)

// maxExecDepth bounds how deep authz MsgExec nesting is followed; deeper
// nesting is rejected rather than left unchecked.
const maxExecDepth = 8

// ModeKeeper is what the gate reads from x/poa.
type ModeKeeper interface {
	Mode(ctx context.Context) (types.Mode, error)
	IsAllowListed(ctx context.Context, addr sdk.AccAddress) (bool, error)
	BondDenom(ctx context.Context) (string, error)
	CheckBondingFits(ctx context.Context, tokens sdkmath.Int, what string) error
}

// StakingGate rejects messages that bond stake unless the mode allows their
// signer to: nobody in POA, allow-listed accounts in HYBRID, anyone in POS.
// In every mode it also rejects a transaction whose bonding cannot fit in
// what is left of the block's power-increase budget, so that it costs no fee
// (x/poa's staking hooks check the exact increase as the messages run).
// It looks inside authz MsgExec, where a grantee acts for a granter.
// Unbonding (MsgUndelegate) is always allowed: leaving never needs permission.
// Genesis transactions (block height 0) pass: they create the initial set.
type StakingGate struct{ keeper ModeKeeper }

// NewStakingGate returns the decorator.
func NewStakingGate(k ModeKeeper) StakingGate { return StakingGate{keeper: k} }

// bonding is one message that adds stake to a validator.
type bonding struct {
	bonder    string // the account whose tokens bond
	what      string // "delegate", "create a validator", …
	validator string // aitvaloper address
	amount    sdk.Coin
}

// AnteHandle implements sdk.AnteDecorator.
func (g StakingGate) AnteHandle(ctx sdk.Context, tx sdk.Tx, simulate bool, next sdk.AnteHandler) (sdk.Context, error) {
	if ctx.BlockHeight() == 0 {
		return next(ctx, tx, simulate)
	}
	var bonds []bonding
	for _, msg := range tx.GetMsgs() {
		var err error
		if bonds, err = collect(bonds, msg, 0); err != nil {
			return ctx, err
		}
	}
	if len(bonds) == 0 {
		return next(ctx, tx, simulate)
	}
	mode, err := g.keeper.Mode(ctx)
	if err != nil {
		return ctx, err
	}
	for _, b := range bonds {
		if err := g.checkMode(ctx, mode, b); err != nil {
			return ctx, err
		}
	}
	if err := g.checkBudget(ctx, bonds); err != nil {
		return ctx, err
	}
	return next(ctx, tx, simulate)
}

// collect appends the bonding messages in msg, following MsgExec.
func collect(bonds []bonding, msg sdk.Msg, depth int) ([]bonding, error) {
	switch m := msg.(type) {
	case *authz.MsgExec:
		if depth >= maxExecDepth {
			return nil, sdkerrors.ErrInvalidRequest.Wrapf("authz MsgExec nested more than %d deep", maxExecDepth)
		}
		inner, err := m.GetMessages()
		if err != nil {
			return nil, err
		}
		for _, im := range inner {
			if bonds, err = collect(bonds, im, depth+1); err != nil {
				return nil, err
			}
		}
		return bonds, nil
	case *stakingtypes.MsgCreateValidator:
		valAddr, err := sdk.ValAddressFromBech32(m.ValidatorAddress)
		if err != nil {
			return nil, sdkerrors.ErrInvalidAddress.Wrapf("validator %q: %v", m.ValidatorAddress, err)
		}
		return append(bonds, bonding{sdk.AccAddress(valAddr).String(), "create a validator", m.ValidatorAddress, m.Value}), nil
	case *stakingtypes.MsgDelegate:
		return append(bonds, bonding{m.DelegatorAddress, "delegate", m.ValidatorAddress, m.Amount}), nil
	case *stakingtypes.MsgBeginRedelegate:
		return append(bonds, bonding{m.DelegatorAddress, "redelegate", m.ValidatorDstAddress, m.Amount}), nil
	case *stakingtypes.MsgCancelUnbondingDelegation:
		return append(bonds, bonding{m.DelegatorAddress, "re-bond an unbonding delegation", m.ValidatorAddress, m.Amount}), nil
	}
	return bonds, nil
}

func (g StakingGate) checkMode(ctx sdk.Context, mode types.Mode, b bonding) error {
	switch mode {
	case types.ModePoS:
		return nil
	case types.ModePoA:
		return types.ErrModeDisallows.Wrapf("%s may not %s: the chain is in POA mode, where only the x/poa authority manages validators", b.bonder, b.what)
	}
	addr, err := sdk.AccAddressFromBech32(b.bonder)
	if err != nil {
		return sdkerrors.ErrInvalidAddress.Wrapf("%q: %v", b.bonder, err)
	}
	allowed, err := g.keeper.IsAllowListed(ctx, addr)
	if err != nil || allowed {
		return err
	}
	// An operator bonds to its own validator; anyone else is a delegator,
	// and is told so: the allow-list holds accounts, not only operators.
	who := "delegator"
	if valAddr, err := sdk.ValAddressFromBech32(b.validator); err == nil && sdk.AccAddress(valAddr).Equals(addr) {
		who = "operator"
	}
	return types.ErrNotAllowListed.Wrapf("%s %s may not %s: the chain is in HYBRID mode, where only accounts on the x/poa allow-list bond stake, "+
		"and this %s is not on it (the x/poa authority adds accounts with MsgAllowOperator)", who, b.bonder, b.what, who)
}

// checkBudget refuses the transaction when its bonding together cannot fit
// in what is left of the block's power-increase budget.
func (g StakingGate) checkBudget(ctx sdk.Context, bonds []bonding) error {
	denom, err := g.keeper.BondDenom(ctx)
	if err != nil {
		return err
	}
	total := sdkmath.ZeroInt()
	for _, b := range bonds {
		if b.amount.Denom == denom && b.amount.Amount.IsPositive() {
			total = total.Add(b.amount.Amount)
		}
	}
	if !total.IsPositive() {
		return nil
	}
	what := fmt.Sprintf("%s's %s to %s", bonds[0].bonder, bonds[0].what, bonds[0].validator)
	if len(bonds) > 1 {
		what = fmt.Sprintf("this transaction's %d bonding messages", len(bonds))
	}
	return g.keeper.CheckBondingFits(ctx, total, what)
}
