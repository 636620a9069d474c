package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/x/poa/types"
)

type queryServer struct{ Keeper }

// NewQueryServerImpl returns x/poa's Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k} }

var _ types.QueryServer = queryServer{}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

// Validators lists the bonded validators, then validators that hold x/poa
// stake or have a pending change without being bonded.
func (q queryServer) Validators(ctx context.Context, _ *types.QueryValidatorsRequest) (*types.QueryValidatorsResponse, error) {
	bonded, err := q.staking.GetBondedValidatorsByPower(ctx)
	if err != nil {
		return nil, err
	}
	listed := make(map[string]bool)
	resp := &types.QueryValidatorsResponse{}
	add := func(v stakingtypes.Validator) error {
		if listed[v.OperatorAddress] {
			return nil
		}
		listed[v.OperatorAddress] = true
		row, err := q.describe(ctx, v)
		if err != nil {
			return err
		}
		resp.Validators = append(resp.Validators, row)
		return nil
	}
	for _, v := range bonded {
		if err := add(v); err != nil {
			return nil, err
		}
	}
	managed, err := q.staking.GetDelegatorDelegations(ctx, q.ModuleAddress(), ^uint16(0))
	if err != nil {
		return nil, err
	}
	others := make([]string, 0, len(managed))
	for _, d := range managed {
		others = append(others, d.ValidatorAddress)
	}
	if err := q.Pending.Walk(ctx, nil, func(_ uint64, c types.PendingChange) (bool, error) {
		others = append(others, c.ValidatorAddress)
		return false, nil
	}); err != nil {
		return nil, err
	}
	for _, addr := range others {
		valAddr, err := q.staking.ValidatorAddressCodec().StringToBytes(addr)
		if err != nil {
			return nil, err
		}
		v, err := q.staking.GetValidator(ctx, valAddr)
		if errors.Is(err, stakingtypes.ErrNoValidatorFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		if err := add(v); err != nil {
			return nil, err
		}
	}
	total, err := q.staking.GetLastTotalPower(ctx)
	if err != nil {
		return nil, err
	}
	resp.TotalPower = total.Int64()
	return resp, nil
}

func (q queryServer) describe(ctx context.Context, v stakingtypes.Validator) (types.ValidatorPower, error) {
	valAddr, err := q.staking.ValidatorAddressCodec().StringToBytes(v.OperatorAddress)
	if err != nil {
		return types.ValidatorPower{}, err
	}
	power := q.staking.TokensToConsensusPower(ctx, v.Tokens)
	target := power
	if seq, err := q.PendingByVal.Get(ctx, valAddr); err == nil {
		change, err := q.Pending.Get(ctx, seq)
		if err != nil {
			return types.ValidatorPower{}, err
		}
		target = change.TargetPower
	} else if !errors.Is(err, collections.ErrNotFound) {
		return types.ValidatorPower{}, err
	}
	_, err = q.staking.GetDelegation(ctx, q.ModuleAddress(), valAddr)
	managed := err == nil
	if err != nil && !errors.Is(err, stakingtypes.ErrNoDelegation) {
		return types.ValidatorPower{}, err
	}
	return types.ValidatorPower{
		ValidatorAddress: v.OperatorAddress,
		Moniker:          v.Description.Moniker,
		Power:            power,
		TargetPower:      target,
		Managed:          managed,
		Bonded:           v.IsBonded(),
		Jailed:           v.Jailed,
	}, nil
}

func (q queryServer) AllowList(ctx context.Context, req *types.QueryAllowListRequest) (*types.QueryAllowListResponse, error) {
	if req == nil {
		req = &types.QueryAllowListRequest{}
	}
	operators, page, err := query.CollectionPaginate(ctx, q.Keeper.AllowList, req.Pagination,
		func(addr sdk.AccAddress, _ collections.NoValue) (string, error) { return addr.String(), nil })
	if err != nil {
		return nil, err
	}
	return &types.QueryAllowListResponse{Operators: operators, Pagination: page}, nil
}

func (q queryServer) PendingChanges(ctx context.Context, _ *types.QueryPendingChangesRequest) (*types.QueryPendingChangesResponse, error) {
	resp := &types.QueryPendingChangesResponse{}
	err := q.Pending.Walk(ctx, nil, func(_ uint64, c types.PendingChange) (bool, error) {
		resp.PendingChanges = append(resp.PendingChanges, c)
		return false, nil
	})
	return resp, err
}
