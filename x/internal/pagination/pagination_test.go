package pagination_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aitbc/chain/x/internal/pagination"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name      string
		req       *query.PageRequest
		wantLimit uint64
		wantErr   string
	}{
		{"nil gets the default", nil, pagination.DefaultLimit, ""},
		{"zero gets the default", &query.PageRequest{}, pagination.DefaultLimit, ""},
		{"the maximum is served", &query.PageRequest{Limit: pagination.MaxLimit}, pagination.MaxLimit, ""},
		{"above the maximum is refused", &query.PageRequest{Limit: 100_000_000}, 0, "pagination.limit 100000000 is above the maximum 1000"},
		{"key and offset together are refused", &query.PageRequest{Key: []byte{1}, Offset: 2}, 0, "set key or offset, not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pagination.Check(tc.req)
			if tc.wantErr != "" {
				if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v (code %s), want InvalidArgument containing %q", err, status.Code(err), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Limit != tc.wantLimit || got.CountTotal {
				t.Fatalf("got limit %d count_total %v, want limit %d without count_total", got.Limit, got.CountTotal, tc.wantLimit)
			}
		})
	}
	// The caller's request is not modified.
	req := &query.PageRequest{}
	if _, err := pagination.Check(req); err != nil || req.Limit != 0 {
		t.Fatalf("Check modified its argument: %+v, %v", req, err)
	}
}
