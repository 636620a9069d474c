package keeper_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aitbc/chain/x/compute/keeper"
	"github.com/aitbc/chain/x/compute/types"
)

func wantCode(t *testing.T, err error, code codes.Code, substr string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(err.Error(), substr) {
		t.Fatalf("got %v (code %s), want code %s containing %q", err, status.Code(err), code, substr)
	}
}

// TestQueryStatusCodes: every way a client can get a query wrong, or ask for
// something that is not there, answers with the gRPC code that says so.
func TestQueryStatusCodes(t *testing.T) {
	e := newEnv(t)
	q := keeper.NewQueryServerImpl(e.k)
	must(t, e.register(e.provider(), workerKey("w"), "llama-3-8b"))
	id, err := e.submit("llama-3-8b", 10, 1_000, 50)
	must(t, err)

	_, err = q.Job(e.ctx, &types.QueryJobRequest{Id: id + 1})
	wantCode(t, err, codes.NotFound, "job not found")
	_, err = q.Job(e.ctx, &types.QueryJobRequest{Id: 0})
	wantCode(t, err, codes.InvalidArgument, "at least 1")
	_, err = q.Job(e.ctx, nil)
	wantCode(t, err, codes.InvalidArgument, "empty request")
	if res, err := q.Job(e.ctx, &types.QueryJobRequest{Id: id}); err != nil || res.Job.Id != id {
		t.Fatalf("existing job: %v, %v", res, err)
	}

	_, err = q.Provider(e.ctx, &types.QueryProviderRequest{Owner: e.other()})
	wantCode(t, err, codes.NotFound, "provider not registered")
	_, err = q.Provider(e.ctx, &types.QueryProviderRequest{Owner: "ait1notanaddress"})
	wantCode(t, err, codes.InvalidArgument, "owner")
	_, err = q.Provider(e.ctx, &types.QueryProviderRequest{})
	wantCode(t, err, codes.InvalidArgument, "owner is required")
	_, err = q.Provider(e.ctx, nil)
	wantCode(t, err, codes.InvalidArgument, "empty request")

	_, err = q.Jobs(e.ctx, &types.QueryJobsRequest{Client: e.client(), State: types.JobOpen})
	wantCode(t, err, codes.InvalidArgument, "at most one")
	_, err = q.Jobs(e.ctx, &types.QueryJobsRequest{Provider: "cosmos1xyz"})
	wantCode(t, err, codes.InvalidArgument, "provider")
	_, err = q.Jobs(e.ctx, &types.QueryJobsRequest{State: 99})
	wantCode(t, err, codes.InvalidArgument, "unknown job state 99")
}

// TestListQueriesCapThePage: every list query refuses a page above
// MaxPageLimit, serves one at the limit, and fills in the default.
func TestListQueriesCapThePage(t *testing.T) {
	e := newEnv(t)
	q := keeper.NewQueryServerImpl(e.k)
	for i := 0; i < 3; i++ {
		_, err := e.submit("llama-3-8b", 1, 1_000, 50)
		must(t, err)
	}
	lists := map[string]func(*query.PageRequest) (int, *query.PageResponse, error){
		"jobs": func(p *query.PageRequest) (int, *query.PageResponse, error) {
			res, err := q.Jobs(e.ctx, &types.QueryJobsRequest{Pagination: p})
			if err != nil {
				return 0, nil, err
			}
			return len(res.Jobs), res.Pagination, nil
		},
		"jobs by client": func(p *query.PageRequest) (int, *query.PageResponse, error) {
			res, err := q.Jobs(e.ctx, &types.QueryJobsRequest{Client: e.client(), Pagination: p})
			if err != nil {
				return 0, nil, err
			}
			return len(res.Jobs), res.Pagination, nil
		},
		"jobs by state": func(p *query.PageRequest) (int, *query.PageResponse, error) {
			res, err := q.Jobs(e.ctx, &types.QueryJobsRequest{State: types.JobOpen, Pagination: p})
			if err != nil {
				return 0, nil, err
			}
			return len(res.Jobs), res.Pagination, nil
		},
		"providers": func(p *query.PageRequest) (int, *query.PageResponse, error) {
			res, err := q.Providers(e.ctx, &types.QueryProvidersRequest{Pagination: p})
			if err != nil {
				return 0, nil, err
			}
			return len(res.Providers), res.Pagination, nil
		},
	}
	for name, list := range lists {
		t.Run(name, func(t *testing.T) {
			_, _, err := list(&query.PageRequest{Limit: 100_000_000})
			wantCode(t, err, codes.InvalidArgument, "pagination.limit 100000000 is above the maximum 1000")
			_, _, err = list(&query.PageRequest{Key: []byte{1}, Offset: 1})
			wantCode(t, err, codes.InvalidArgument, "key or offset")
			if _, _, err := list(&query.PageRequest{Limit: 1000}); err != nil {
				t.Fatalf("limit 1000: %v", err)
			}
			if _, _, err := list(nil); err != nil {
				t.Fatalf("no pagination: %v", err)
			}
		})
	}
	// A page of 2 out of 3 jobs carries a next key, which leads to the third.
	n, page, err := lists["jobs"](&query.PageRequest{Limit: 2})
	must(t, err)
	if n != 2 || len(page.NextKey) == 0 {
		t.Fatalf("first page: %d jobs, next key %x", n, page.NextKey)
	}
	n, page, err = lists["jobs"](&query.PageRequest{Key: page.NextKey, Limit: 2})
	must(t, err)
	if n != 1 || len(page.NextKey) != 0 {
		t.Fatalf("second page: %d jobs, next key %x", n, page.NextKey)
	}
}
