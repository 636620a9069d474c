package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aitbc/chain/x/compute/types"
)

// InitGenesis loads providers and jobs and rebuilds every index, queue and total from them.
func (k Keeper) InitGenesis(ctx context.Context, gs types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, p := range gs.Providers {
		owner, err := sdk.AccAddressFromBech32(p.Owner)
		if err != nil {
			return err
		}
		if err := k.Providers.Set(ctx, owner, p); err != nil {
			return err
		}
		if p.Status == types.ProviderUnbonding {
			if err := k.BondReleases.Set(ctx, collections.Join(p.UnbondingHeight, owner)); err != nil {
				return err
			}
		}
	}
	for _, j := range gs.Jobs {
		if err := k.Jobs.Set(ctx, j.Id, j); err != nil {
			return err
		}
		var err error
		switch j.State {
		case types.JobOpen, types.JobAssigned:
			err = k.Deadlines.Set(ctx, collections.Join(j.DeadlineHeight, j.Id))
		case types.JobDelivered:
			err = k.Settlements.Set(ctx, collections.Join(j.SettleHeight, j.Id))
		}
		if err != nil {
			return err
		}
	}
	escrow, bonds := gs.Totals()
	if err := k.TotalEscrow.Set(ctx, escrow); err != nil {
		return err
	}
	if err := k.TotalBonds.Set(ctx, bonds); err != nil {
		return err
	}
	return k.NextJobID.Set(ctx, gs.NextJobId)
}

// ExportGenesis writes params, providers and jobs; the rest is rebuilt on import.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if err := k.Providers.Walk(ctx, nil, func(_ sdk.AccAddress, p types.Provider) (bool, error) {
		gs.Providers = append(gs.Providers, p)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Jobs.Walk(ctx, nil, func(_ uint64, j types.Job) (bool, error) {
		gs.Jobs = append(gs.Jobs, j)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if gs.NextJobId, err = k.NextJobID.Peek(ctx); err != nil {
		return nil, err
	}
	return gs, nil
}
