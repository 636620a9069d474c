// Package pagination bounds the page requests of x/compute's and x/poa's list
// queries, which anyone can send through gRPC and Cosmos REST: a page holds at
// most MaxLimit items, DefaultLimit when the client names no limit.
package pagination

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"
)

const (
	// MaxLimit is the largest page a list query serves; a larger
	// pagination.limit is refused with InvalidArgument, not clamped, so a
	// client never mistakes a short page for the end of the list.
	MaxLimit = 1000
	// DefaultLimit is the page size when pagination.limit is 0 or absent.
	DefaultLimit = 100
)

// Check returns a copy of req with the limit filled in, or an InvalidArgument
// error naming the bad field. Unlike the SDK's own default, an absent limit
// does not turn on count_total: counting walks the whole collection, so a
// client asks for it explicitly.
func Check(req *query.PageRequest) (*query.PageRequest, error) {
	if req == nil {
		return &query.PageRequest{Limit: DefaultLimit}, nil
	}
	if req.Limit > MaxLimit {
		return nil, status.Errorf(codes.InvalidArgument, "pagination.limit %d is above the maximum %d", req.Limit, MaxLimit)
	}
	if len(req.Key) > 0 && req.Offset > 0 {
		return nil, status.Error(codes.InvalidArgument, "pagination: set key or offset, not both")
	}
	out := *req
	if out.Limit == 0 {
		out.Limit = DefaultLimit
	}
	return &out, nil
}
