package keeper

import (
	"context"
	"errors"
	"fmt"
	"time"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/x/poa/types"
)

type msgServer struct{ Keeper }

// NewMsgServerImpl returns x/poa's Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }

var _ types.MsgServer = msgServer{}

// UpdateParams changes params; only governance may, and POS is final.
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if msg.Authority != s.authority {
		return nil, types.ErrUnauthorized.Wrapf("params change only through governance (%s), not %s", s.authority, msg.Authority)
	}
	old, err := s.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if err := types.ValidateTransition(old.Mode, msg.Params.Mode); err != nil {
		return nil, err
	}
	if err := s.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventParamsUpdated{
		OldMode: old.Mode, NewMode: msg.Params.Mode, Admin: msg.Params.Admin, MaxPowerChangeBps: msg.Params.MaxPowerChangeBps,
	})
}

// AddValidator creates a validator for operator with a 1uait self-bond and
// queues its power target; x/poa's minted stake brings it there. Its
// commission is 100%: all rewards of the authority's stake go to the operator.
func (s msgServer) AddValidator(ctx context.Context, msg *types.MsgAddValidator) (*types.MsgAddValidatorResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	params, err := s.checkManager(ctx, msg.Authority)
	if err != nil {
		return nil, err
	}
	if !params.Mode.AuthorityManagesValidators() {
		return nil, types.ErrModeDisallows.Wrapf("the authority adds validators only in POA or HYBRID mode, the chain is in %s", params.Mode)
	}
	operator, err := types.ParseAccAddress("operator", msg.Operator)
	if err != nil {
		return nil, err
	}
	pk, err := msg.ConsensusKey()
	if err != nil {
		return nil, err
	}
	valAddr := sdk.ValAddress(operator)
	if existing, err := s.staking.GetValidator(ctx, valAddr); err == nil {
		return nil, types.ErrValidatorExists.Wrapf("operator %s already runs validator %s%s", msg.Operator, valAddr, s.readdNote(ctx, existing))
	} else if !errors.Is(err, stakingtypes.ErrNoValidatorFound) {
		return nil, err
	}
	consAddr := sdk.GetConsAddress(pk)
	if s.slashing.IsTombstoned(ctx, consAddr) {
		return nil, types.ErrTombstonedKey.Wrapf("%s was tombstoned for double signing and can never sign for a validator again; add the validator with a new consensus key", consAddr)
	}
	if _, err := s.staking.GetValidatorByConsAddr(ctx, consAddr); err == nil {
		return nil, types.ErrDuplicatePubKey.Wrapf("%s is already a validator's consensus key", sdk.ConsAddress(pk.Address()))
	} else if !errors.Is(err, stakingtypes.ErrNoValidatorFound) {
		return nil, err
	}

	denom, err := s.staking.BondDenom(ctx)
	if err != nil {
		return nil, err
	}
	selfBond := sdk.NewCoin(denom, sdkmath.OneInt())
	if err := s.bankKeeper.MintCoins(ctx, types.ModuleName, sdk.NewCoins(selfBond)); err != nil {
		return nil, err
	}
	if err := s.bankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, operator, sdk.NewCoins(selfBond)); err != nil {
		return nil, err
	}
	valStr, err := s.staking.ValidatorAddressCodec().BytesToString(valAddr)
	if err != nil {
		return nil, err
	}
	commission := stakingtypes.NewCommissionRates(sdkmath.LegacyOneDec(), sdkmath.LegacyOneDec(), sdkmath.LegacyNewDecWithPrec(1, 1))
	create, err := stakingtypes.NewMsgCreateValidator(valStr, pk, selfBond,
		stakingtypes.NewDescription(msg.Moniker, "", "", "", ""), commission, sdkmath.OneInt())
	if err != nil {
		return nil, types.ErrInvalidPubKey.Wrap(err.Error())
	}
	if _, err := stakingkeeper.NewMsgServerImpl(s.staking).CreateValidator(ctx, create); err != nil {
		return nil, err
	}
	if _, err := s.queueChange(ctx, valAddr, msg.Power); err != nil {
		return nil, err
	}
	return &types.MsgAddValidatorResponse{ValidatorAddress: valStr}, sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventValidatorAdded{
		ValidatorAddress: valStr, Operator: msg.Operator, TargetPower: msg.Power,
	})
}

// readdNote tells the authority, when an operator's validator is still in
// x/staking because it is jailed, how it can add the operator again.
func (s msgServer) readdNote(ctx context.Context, v stakingtypes.Validator) string {
	if !v.Jailed {
		return ""
	}
	if consAddr, err := v.GetConsAddr(); err != nil || !s.slashing.IsTombstoned(ctx, consAddr) {
		return ": it is jailed; its operator unjails it (tx slashing unjail) once the jail period is over"
	}
	return fmt.Sprintf(": it is jailed and its consensus key tombstoned for double signing, so it can never unjail; "+
		"remove it (MsgRemoveValidator), then add the operator again with a new consensus key once x/staking has deleted it "+
		"(when it has no stake left and its unbonding ends, %s), or add a new operator account now",
		v.UnbondingTime.UTC().Format(time.RFC3339))
}

// SetValidatorPower queues a new power target for an existing validator.
// x/poa adds no stake to a jailed validator: it cannot sign, and a
// tombstoned one never will.
func (s msgServer) SetValidatorPower(ctx context.Context, msg *types.MsgSetValidatorPower) (*types.MsgSetValidatorPowerResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	valAddr, err := s.managedTarget(ctx, msg.Authority, msg.ValidatorAddress)
	if err != nil {
		return nil, err
	}
	v, err := s.staking.GetValidator(ctx, valAddr)
	if err != nil {
		return nil, err
	}
	if v.Jailed && msg.Power > s.staking.TokensToConsensusPower(ctx, v.Tokens) {
		return nil, types.ErrValidatorJailed.Wrapf("%s is jailed: x/poa adds no stake to it (lowering or removing it is allowed; "+
			"a validator jailed for downtime unjails first, a tombstoned one is removed and added again with a new key)", msg.ValidatorAddress)
	}
	if _, err := s.queueChange(ctx, valAddr, msg.Power); err != nil {
		return nil, err
	}
	return &types.MsgSetValidatorPowerResponse{}, nil
}

// RemoveValidator queues a target of zero: the validator leaves the set once
// its stake is unbonded, within the per-block cap.
func (s msgServer) RemoveValidator(ctx context.Context, msg *types.MsgRemoveValidator) (*types.MsgRemoveValidatorResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	valAddr, err := s.managedTarget(ctx, msg.Authority, msg.ValidatorAddress)
	if err != nil {
		return nil, err
	}
	if _, err := s.queueChange(ctx, valAddr, 0); err != nil {
		return nil, err
	}
	return &types.MsgRemoveValidatorResponse{}, nil
}

// managedTarget checks the signer and mode, and that the validator exists.
func (s msgServer) managedTarget(ctx context.Context, signer, validator string) (sdk.ValAddress, error) {
	params, err := s.checkManager(ctx, signer)
	if err != nil {
		return nil, err
	}
	if !params.Mode.AuthorityManagesValidators() {
		return nil, types.ErrModeDisallows.Wrapf("the authority manages validators only in POA or HYBRID mode, the chain is in %s", params.Mode)
	}
	valAddr, err := s.staking.ValidatorAddressCodec().StringToBytes(validator)
	if err != nil {
		return nil, sdkerrors.ErrInvalidAddress.Wrapf("validator %q: %v", validator, err)
	}
	if _, err := s.staking.GetValidator(ctx, valAddr); errors.Is(err, stakingtypes.ErrNoValidatorFound) {
		return nil, types.ErrUnknownValidator.Wrap(validator)
	} else if err != nil {
		return nil, err
	}
	return valAddr, nil
}

// AllowOperator adds an account to the HYBRID allow-list.
func (s msgServer) AllowOperator(ctx context.Context, msg *types.MsgAllowOperator) (*types.MsgAllowOperatorResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if _, err := s.checkManager(ctx, msg.Authority); err != nil {
		return nil, err
	}
	op, err := types.ParseAccAddress("operator", msg.Operator)
	if err != nil {
		return nil, err
	}
	if has, err := s.AllowList.Has(ctx, op); err != nil {
		return nil, err
	} else if has {
		return nil, types.ErrAlreadyAllowListed.Wrap(msg.Operator)
	}
	if err := s.AllowList.Set(ctx, op); err != nil {
		return nil, err
	}
	return &types.MsgAllowOperatorResponse{}, sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventOperatorAllowed{Operator: msg.Operator})
}

// DisallowOperator removes an account from the allow-list. Stake it already
// bonded stays; it can no longer bond more.
func (s msgServer) DisallowOperator(ctx context.Context, msg *types.MsgDisallowOperator) (*types.MsgDisallowOperatorResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if _, err := s.checkManager(ctx, msg.Authority); err != nil {
		return nil, err
	}
	op, err := types.ParseAccAddress("operator", msg.Operator)
	if err != nil {
		return nil, err
	}
	if has, err := s.AllowList.Has(ctx, op); err != nil {
		return nil, err
	} else if !has {
		return nil, types.ErrNotAllowListed.Wrap(msg.Operator)
	}
	if err := s.AllowList.Remove(ctx, op); err != nil {
		return nil, err
	}
	return &types.MsgDisallowOperatorResponse{}, sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventOperatorDisallowed{Operator: msg.Operator})
}
