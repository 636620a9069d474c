package keeper

import (
	"context"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aitbc/chain/x/compute/types"
)

type queryServer struct{ Keeper }

// NewQueryServerImpl returns x/compute's Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k} }

var _ types.QueryServer = queryServer{}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.Keeper.Params.Get(ctx)
	return &types.QueryParamsResponse{Params: p}, err
}

func (q queryServer) Job(ctx context.Context, req *types.QueryJobRequest) (*types.QueryJobResponse, error) {
	if req == nil {
		return nil, sdkerrors.ErrInvalidRequest.Wrap("empty request")
	}
	job, err := q.GetJob(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return &types.QueryJobResponse{Job: job}, nil
}

// Jobs pages through one index: by client, by provider, by state, or all jobs by id.
func (q queryServer) Jobs(ctx context.Context, req *types.QueryJobsRequest) (*types.QueryJobsResponse, error) {
	if req == nil {
		req = &types.QueryJobsRequest{}
	}
	filters := 0
	for _, set := range []bool{req.Client != "", req.Provider != "", req.State != types.JobStateUnspecified} {
		if set {
			filters++
		}
	}
	if filters > 1 {
		return nil, sdkerrors.ErrInvalidRequest.Wrap("filter by at most one of client, provider and state")
	}
	load := func(id uint64) (types.Job, error) { return q.Keeper.Jobs.Get(ctx, id) }
	var (
		jobs []types.Job
		page *query.PageResponse
		err  error
	)
	switch {
	case req.Client != "" || req.Provider != "":
		addrStr, index := req.Client, q.JobsByClient
		if req.Provider != "" {
			addrStr, index = req.Provider, q.JobsByProvider
		}
		addr, aerr := sdk.AccAddressFromBech32(addrStr)
		if aerr != nil {
			return nil, sdkerrors.ErrInvalidAddress.Wrapf("%q: %v", addrStr, aerr)
		}
		jobs, page, err = query.CollectionPaginate(ctx, index, req.Pagination,
			func(key collections.Pair[sdk.AccAddress, uint64], _ collections.NoValue) (types.Job, error) {
				return load(key.K2())
			},
			query.WithCollectionPaginationPairPrefix[sdk.AccAddress, uint64](addr))
	case req.State != types.JobStateUnspecified:
		jobs, page, err = query.CollectionPaginate(ctx, q.JobsByState, req.Pagination,
			func(key collections.Pair[int32, uint64], _ collections.NoValue) (types.Job, error) {
				return load(key.K2())
			},
			query.WithCollectionPaginationPairPrefix[int32, uint64](int32(req.State)))
	default:
		jobs, page, err = query.CollectionPaginate(ctx, q.Keeper.Jobs, req.Pagination,
			func(_ uint64, job types.Job) (types.Job, error) { return job, nil })
	}
	if err != nil {
		return nil, err
	}
	return &types.QueryJobsResponse{Jobs: jobs, Pagination: page}, nil
}

func (q queryServer) Provider(ctx context.Context, req *types.QueryProviderRequest) (*types.QueryProviderResponse, error) {
	if req == nil {
		return nil, sdkerrors.ErrInvalidRequest.Wrap("empty request")
	}
	owner, err := sdk.AccAddressFromBech32(req.Owner)
	if err != nil {
		return nil, sdkerrors.ErrInvalidAddress.Wrapf("%q: %v", req.Owner, err)
	}
	p, err := q.GetProvider(ctx, owner)
	if err != nil {
		return nil, err
	}
	return &types.QueryProviderResponse{Provider: p}, nil
}

func (q queryServer) Providers(ctx context.Context, req *types.QueryProvidersRequest) (*types.QueryProvidersResponse, error) {
	if req == nil {
		req = &types.QueryProvidersRequest{}
	}
	providers, page, err := query.CollectionPaginate(ctx, q.Keeper.Providers, req.Pagination,
		func(_ sdk.AccAddress, p types.Provider) (types.Provider, error) { return p, nil })
	if err != nil {
		return nil, err
	}
	return &types.QueryProvidersResponse{Providers: providers, Pagination: page}, nil
}

func (q queryServer) EscrowTotals(ctx context.Context, _ *types.QueryEscrowTotalsRequest) (*types.QueryEscrowTotalsResponse, error) {
	escrow, err := q.TotalEscrow.Get(ctx)
	if errNotFound(err) {
		escrow = sdkmath.ZeroInt()
	} else if err != nil {
		return nil, err
	}
	bonds, err := q.TotalBonds.Get(ctx)
	if errNotFound(err) {
		bonds = sdkmath.ZeroInt()
	} else if err != nil {
		return nil, err
	}
	return &types.QueryEscrowTotalsResponse{JobEscrow: escrow, ProviderBonds: bonds}, nil
}
