// Package ante holds the decorator that enforces x/poa's consensus mode on
// transactions that would bond stake.
package ante

import (
	"context"

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
}

// StakingGate rejects messages that bond stake unless the mode allows their
// signer to: nobody in POA, allow-listed operators in HYBRID, anyone in POS.
// It looks inside authz MsgExec, where a grantee acts for a granter.
// Unbonding (MsgUndelegate) is always allowed: leaving never needs permission.
// Genesis transactions (block height 0) pass: they create the initial set.
type StakingGate struct{ keeper ModeKeeper }

// NewStakingGate returns the decorator.
func NewStakingGate(k ModeKeeper) StakingGate { return StakingGate{keeper: k} }

// AnteHandle implements sdk.AnteDecorator.
func (g StakingGate) AnteHandle(ctx sdk.Context, tx sdk.Tx, simulate bool, next sdk.AnteHandler) (sdk.Context, error) {
	if ctx.BlockHeight() == 0 {
		return next(ctx, tx, simulate)
	}
	mode, err := g.keeper.Mode(ctx)
	if err != nil {
		return ctx, err
	}
	if mode != types.ModePoS {
		for _, msg := range tx.GetMsgs() {
			if err := g.check(ctx, mode, msg, 0); err != nil {
				return ctx, err
			}
		}
	}
	return next(ctx, tx, simulate)
}

func (g StakingGate) check(ctx sdk.Context, mode types.Mode, msg sdk.Msg, depth int) error {
	var bonder, what string
	switch m := msg.(type) {
	case *authz.MsgExec:
		if depth >= maxExecDepth {
			return sdkerrors.ErrInvalidRequest.Wrapf("authz MsgExec nested more than %d deep", maxExecDepth)
		}
		inner, err := m.GetMessages()
		if err != nil {
			return err
		}
		for _, im := range inner {
			if err := g.check(ctx, mode, im, depth+1); err != nil {
				return err
			}
		}
		return nil
	case *stakingtypes.MsgCreateValidator:
		valAddr, err := sdk.ValAddressFromBech32(m.ValidatorAddress)
		if err != nil {
			return sdkerrors.ErrInvalidAddress.Wrapf("validator %q: %v", m.ValidatorAddress, err)
		}
		bonder, what = sdk.AccAddress(valAddr).String(), "create a validator"
	case *stakingtypes.MsgDelegate:
		bonder, what = m.DelegatorAddress, "delegate"
	case *stakingtypes.MsgBeginRedelegate:
		bonder, what = m.DelegatorAddress, "redelegate"
	case *stakingtypes.MsgCancelUnbondingDelegation:
		bonder, what = m.DelegatorAddress, "re-bond an unbonding delegation"
	default:
		return nil
	}

	if mode == types.ModePoA {
		return types.ErrModeDisallows.Wrapf("%s may not %s: the chain is in POA mode, where only the x/poa authority manages validators", bonder, what)
	}
	addr, err := sdk.AccAddressFromBech32(bonder)
	if err != nil {
		return sdkerrors.ErrInvalidAddress.Wrapf("%q: %v", bonder, err)
	}
	allowed, err := g.keeper.IsAllowListed(ctx, addr)
	if err != nil {
		return err
	}
	if !allowed {
		return types.ErrNotAllowListed.Wrapf("%s may not %s: the chain is in HYBRID mode and it is not on the x/poa allow-list", bonder, what)
	}
	return nil
}
