package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aitbc/chain/x/compute/types"
	"github.com/aitbc/chain/x/internal/pagination"
)

// The query server answers with gRPC status codes, as x/bank's does: bad
// input is InvalidArgument, a missing job or provider NotFound, anything else
// (a store failure, a broken index) Internal. Registered module errors carry
// no gRPC code, so a client would see Unknown and Cosmos REST answer 500.
type queryServer struct{ Keeper }

// badRequest is an InvalidArgument answer.
func badRequest(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

// queryErr maps an error from the keeper to a gRPC status.
func queryErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, types.ErrJobNotFound), errors.Is(err, types.ErrProviderNotFound):
		return status.Error(codes.NotFound, err.Error())
	}
	if _, ok := status.FromError(err); ok && status.Code(err) != codes.Unknown {
		return err
	}
	return status.Error(codes.Internal, err.Error())
}

// accAddr decodes an address from a request, naming the field when it is bad.
func accAddr(field, s string) (sdk.AccAddress, error) {
	if s == "" {
		return nil, badRequest("%s is required", field)
	}
	addr, err := types.ParseAddress(field, s)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	return addr, nil
}

// NewQueryServerImpl returns x/compute's Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k} }

var _ types.QueryServer = queryServer{}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Job(ctx context.Context, req *types.QueryJobRequest) (*types.QueryJobResponse, error) {
	if req == nil {
		return nil, badRequest("empty request")
	}
	if req.Id == 0 {
		return nil, badRequest("job id must be at least 1")
	}
	job, err := q.GetJob(ctx, req.Id)
	if err != nil {
		return nil, queryErr(err)
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
		return nil, badRequest("filter by at most one of client, provider and state")
	}
	if _, known := types.JobState_name[int32(req.State)]; !known {
		return nil, badRequest("unknown job state %d", req.State)
	}
	pageReq, err := pagination.Check(req.Pagination)
	if err != nil {
		return nil, err
	}
	load := func(id uint64) (types.Job, error) { return q.Keeper.Jobs.Get(ctx, id) }
	var (
		jobs []types.Job
		page *query.PageResponse
	)
	switch {
	case req.Client != "" || req.Provider != "":
		field, addrStr, index := "client", req.Client, q.Keeper.Jobs.Indexes.Client.Keys
		if req.Provider != "" {
			field, addrStr, index = "provider", req.Provider, q.Keeper.Jobs.Indexes.Provider.Keys
		}
		addr, aerr := accAddr(field, addrStr)
		if aerr != nil {
			return nil, aerr
		}
		jobs, page, err = query.CollectionPaginate(ctx, index, pageReq,
			func(key collections.Pair[sdk.AccAddress, uint64], _ collections.NoValue) (types.Job, error) {
				return load(key.K2())
			},
			query.WithCollectionPaginationPairPrefix[sdk.AccAddress, uint64](addr))
	case req.State != types.JobStateUnspecified:
		jobs, page, err = query.CollectionPaginate(ctx, q.Keeper.Jobs.Indexes.State.Keys, pageReq,
			func(key collections.Pair[int32, uint64], _ collections.NoValue) (types.Job, error) {
				return load(key.K2())
			},
			query.WithCollectionPaginationPairPrefix[int32, uint64](int32(req.State)))
	default:
		jobs, page, err = query.CollectionPaginate(ctx, q.Keeper.Jobs, pageReq,
			func(_ uint64, job types.Job) (types.Job, error) { return job, nil })
	}
	if err != nil {
		// A job missing behind an index entry is a broken index, not the
		// client's mistake.
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryJobsResponse{Jobs: jobs, Pagination: page}, nil
}

func (q queryServer) Provider(ctx context.Context, req *types.QueryProviderRequest) (*types.QueryProviderResponse, error) {
	if req == nil {
		return nil, badRequest("empty request")
	}
	owner, err := accAddr("owner", req.Owner)
	if err != nil {
		return nil, err
	}
	p, err := q.GetProvider(ctx, owner)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryProviderResponse{Provider: p}, nil
}

func (q queryServer) Providers(ctx context.Context, req *types.QueryProvidersRequest) (*types.QueryProvidersResponse, error) {
	if req == nil {
		req = &types.QueryProvidersRequest{}
	}
	pageReq, err := pagination.Check(req.Pagination)
	if err != nil {
		return nil, err
	}
	providers, page, err := query.CollectionPaginate(ctx, q.Keeper.Providers, pageReq,
		func(_ sdk.AccAddress, p types.Provider) (types.Provider, error) { return p, nil })
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryProvidersResponse{Providers: providers, Pagination: page}, nil
}

func (q queryServer) EscrowTotals(ctx context.Context, _ *types.QueryEscrowTotalsRequest) (*types.QueryEscrowTotalsResponse, error) {
	escrow, err := q.TotalEscrow.Get(ctx)
	if errNotFound(err) {
		escrow = sdkmath.ZeroInt()
	} else if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	bonds, err := q.TotalBonds.Get(ctx)
	if errNotFound(err) {
		bonds = sdkmath.ZeroInt()
	} else if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryEscrowTotalsResponse{JobEscrow: escrow, ProviderBonds: bonds}, nil
}

func (q queryServer) Counts(ctx context.Context, req *types.QueryCountsRequest) (*types.QueryCountsResponse, error) {
	if req == nil {
		return nil, badRequest("empty request")
	}
	c, err := q.Keeper.StoredCounts(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryCountsResponse{JobsByState: c.JobsByState, Providers: c.Providers}, nil
}
