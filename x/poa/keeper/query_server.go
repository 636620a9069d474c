package keeper

import (
	"context"
	"encoding/binary"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/x/internal/pagination"
	"github.com/aitbc/chain/x/poa/types"
)

// The query server answers with gRPC status codes, as x/bank's does: bad
// input (a page above pagination.MaxLimit, a malformed key) is
// InvalidArgument and a store failure Internal, never the Unknown that a
// registered module error becomes.
type queryServer struct{ Keeper }

func internal(err error) error { return status.Error(codes.Internal, err.Error()) }

// NewQueryServerImpl returns x/poa's Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k} }

var _ types.QueryServer = queryServer{}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, internal(err)
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

// Validators lists the bonded validators by power, then validators that
// hold x/poa stake or have a pending change without being bonded, then
// every other validator x/staking holds (jailed, unbonding, unbonded), a
// page at a time. The list comes from x/staking and x/poa together, not from one
// collection, so a page's next_key is the position of the next validator in
// it (8 bytes, big-endian), which a client passes back as it is.
func (q queryServer) Validators(ctx context.Context, req *types.QueryValidatorsRequest) (*types.QueryValidatorsResponse, error) {
	pageReq, err := pagination.Check(req.GetPagination())
	if err != nil {
		return nil, err
	}
	start := pageReq.Offset
	if len(pageReq.Key) > 0 {
		if len(pageReq.Key) != 8 {
			return nil, status.Errorf(codes.InvalidArgument, "pagination.key has %d bytes: pass back the next_key of the previous page", len(pageReq.Key))
		}
		start = binary.BigEndian.Uint64(pageReq.Key)
	}
	vals, err := q.listValidators(ctx)
	if err != nil {
		return nil, internal(err)
	}
	if pageReq.Reverse {
		for i, j := 0, len(vals)-1; i < j; i, j = i+1, j-1 {
			vals[i], vals[j] = vals[j], vals[i]
		}
	}
	total := uint64(len(vals))
	start = min(start, total)
	end := start + min(pageReq.Limit, total-start)
	resp := &types.QueryValidatorsResponse{Pagination: &query.PageResponse{}}
	for _, v := range vals[start:end] {
		row, err := q.describe(ctx, v)
		if err != nil {
			return nil, internal(err)
		}
		resp.Validators = append(resp.Validators, row)
	}
	if end < total {
		resp.Pagination.NextKey = binary.BigEndian.AppendUint64(nil, end)
	}
	if pageReq.CountTotal {
		resp.Pagination.Total = total
	}
	power, err := q.staking.GetLastTotalPower(ctx)
	if err != nil {
		return nil, internal(err)
	}
	resp.TotalPower = power.Int64()
	return resp, nil
}

// listValidators is every validator the Validators query lists, in its
// order, each once.
func (q queryServer) listValidators(ctx context.Context) ([]stakingtypes.Validator, error) {
	bonded, err := q.staking.GetBondedValidatorsByPower(ctx)
	if err != nil {
		return nil, err
	}
	listed := make(map[string]bool)
	var out []stakingtypes.Validator
	add := func(v stakingtypes.Validator) {
		if !listed[v.OperatorAddress] {
			listed[v.OperatorAddress] = true
			out = append(out, v)
		}
	}
	for _, v := range bonded {
		add(v)
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
		add(v)
	}
	// Every other validator x/staking still holds, in operator order:
	// jailed ones, removed ones still unbonding, candidates outside the set.
	// They sign nothing, but the authority has to see them to remove or
	// re-add them, and an operator to see where its validator stands.
	all, err := q.staking.GetAllValidators(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range all {
		add(v)
	}
	return out, nil
}

func (q queryServer) describe(ctx context.Context, v stakingtypes.Validator) (types.ValidatorPower, error) {
	valAddr, err := q.staking.ValidatorAddressCodec().StringToBytes(v.OperatorAddress)
	if err != nil {
		return types.ValidatorPower{}, err
	}
	// The power CometBFT gives it: 0 unless bonded (a jailed validator's
	// stake counts for nothing, as in total_power).
	power := v.ConsensusPower(q.staking.PowerReduction(ctx))
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
	pageReq, err := pagination.Check(req.GetPagination())
	if err != nil {
		return nil, err
	}
	operators, page, err := query.CollectionPaginate(ctx, q.Keeper.AllowList, pageReq,
		func(addr sdk.AccAddress, _ collections.NoValue) (string, error) { return addr.String(), nil })
	if err != nil {
		return nil, internal(err)
	}
	return &types.QueryAllowListResponse{Operators: operators, Pagination: page}, nil
}

// PendingChanges pages through the queued changes in sequence order.
func (q queryServer) PendingChanges(ctx context.Context, req *types.QueryPendingChangesRequest) (*types.QueryPendingChangesResponse, error) {
	pageReq, err := pagination.Check(req.GetPagination())
	if err != nil {
		return nil, err
	}
	changes, page, err := query.CollectionPaginate(ctx, q.Pending, pageReq,
		func(_ uint64, c types.PendingChange) (types.PendingChange, error) { return c, nil })
	if err != nil {
		return nil, internal(err)
	}
	return &types.QueryPendingChangesResponse{PendingChanges: changes, Pagination: page}, nil
}
