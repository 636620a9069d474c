package keeper

import (
	"context"
	"errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
)

// SlashingStaking is the x/staking keeper x/slashing is built with. It is
// x/staking's own but for Unjail, which charges the power a validator gets
// back to the block's power-increase budget: a jailed validator holding half
// the stake that unjails would otherwise grow the set by that much at once.
// x/slashing has checked everything else (jail time over, not tombstoned,
// enough self-bond) before it calls Unjail.
type SlashingStaking struct {
	*stakingkeeper.Keeper
	poa *Keeper
}

// NewSlashingStaking wraps x/staking's keeper for x/slashing. x/slashing is
// built before x/poa (x/poa reads tombstones from it), so x/poa's keeper is
// given afterwards with SetPoaKeeper, before the app serves any block.
func NewSlashingStaking(sk *stakingkeeper.Keeper) *SlashingStaking {
	return &SlashingStaking{Keeper: sk}
}

// SetPoaKeeper gives the keeper whose budget Unjail charges.
func (s *SlashingStaking) SetPoaKeeper(k Keeper) { s.poa = &k }

// Unjail unjails the validator with x/staking, then charges its power.
// A refusal fails MsgUnjail, which reverts the unjailing.
func (s *SlashingStaking) Unjail(ctx context.Context, consAddr sdk.ConsAddress) error {
	if s.poa == nil {
		return errors.New("x/poa keeper not set on x/slashing's staking keeper")
	}
	validator, err := s.Keeper.GetValidatorByConsAddr(ctx, consAddr)
	if err != nil {
		return err
	}
	if err := s.Keeper.Unjail(ctx, consAddr); err != nil {
		return err
	}
	valAddr, err := s.Keeper.ValidatorAddressCodec().StringToBytes(validator.GetOperator())
	if err != nil {
		return err
	}
	return s.poa.chargeIncrease(ctx, valAddr, "unjailing "+validator.GetOperator())
}
