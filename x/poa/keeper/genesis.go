package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aitbc/chain/x/poa/types"
)

// InitGenesis loads a validated genesis state.
func (k Keeper) InitGenesis(ctx context.Context, gs types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, op := range gs.AllowList {
		addr, err := sdk.AccAddressFromBech32(op)
		if err != nil {
			return err
		}
		if err := k.AllowList.Set(ctx, addr); err != nil {
			return err
		}
	}
	for _, c := range gs.PendingChanges {
		val, err := sdk.ValAddressFromBech32(c.ValidatorAddress)
		if err != nil {
			return err
		}
		if err := k.Pending.Set(ctx, c.Sequence, c); err != nil {
			return err
		}
		if err := k.PendingByVal.Set(ctx, val, c.Sequence); err != nil {
			return err
		}
	}
	// The sequence's stored value is the next one Next returns.
	return k.NextSequence.Set(ctx, gs.NextSequence)
}

// ExportGenesis writes the state out in InitGenesis's format.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if err := k.AllowList.Walk(ctx, nil, func(addr sdk.AccAddress) (bool, error) {
		gs.AllowList = append(gs.AllowList, addr.String())
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Pending.Walk(ctx, nil, func(_ uint64, c types.PendingChange) (bool, error) {
		gs.PendingChanges = append(gs.PendingChanges, c)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if gs.NextSequence, err = k.NextSequence.Peek(ctx); err != nil {
		return nil, err
	}
	return gs, nil
}
