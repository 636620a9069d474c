package compute_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"

	"github.com/cosmos/cosmos-sdk/client"

	"github.com/aitbc/chain/app/apptesting"
	"github.com/aitbc/chain/x/compute"
)

// TestCosmosRESTStatuses drives x/compute's Cosmos REST routes through the
// real grpc-gateway and gRPC query server: a missing job is 404, bad input
// 400, and job states are accepted by name as well as by number.
func TestCosmosRESTStatuses(t *testing.T) {
	c := apptesting.New(t, apptesting.Options{})
	rest := c.Gateway(func(clientCtx client.Context, mux *gwruntime.ServeMux) {
		compute.AppModule{}.RegisterGRPCGatewayRoutes(clientCtx, mux)
	})
	for _, tc := range []struct {
		path     string
		status   int
		bodyHas  string
		wantJobs bool
	}{
		{"/aitbc/compute/v1/jobs/7", http.StatusNotFound, "job 7", false},
		{"/aitbc/compute/v1/jobs/abc", http.StatusBadRequest, "id", false},
		{"/aitbc/compute/v1/jobs/0", http.StatusBadRequest, "at least 1", false},
		{"/aitbc/compute/v1/providers/" + c.Accounts[0].Addr.String(), http.StatusNotFound, "provider not registered", false},
		{"/aitbc/compute/v1/providers/nobody", http.StatusBadRequest, "owner", false},
		{"/aitbc/compute/v1/jobs?state=JOB_STATE_OPEN", http.StatusOK, "", true},
		{"/aitbc/compute/v1/jobs?state=1", http.StatusOK, "", true},
		{"/aitbc/compute/v1/jobs?state=JOB_STATE_NONSENSE", http.StatusBadRequest, "JOB_STATE_NONSENSE", false},
		{"/aitbc/compute/v1/jobs?state=42", http.StatusBadRequest, "42 is not a valid", false},
		{"/aitbc/compute/v1/jobs?pagination.limit=100000000", http.StatusBadRequest, "above the maximum 1000", false},
		{"/aitbc/compute/v1/jobs?pagination.limit=1000", http.StatusOK, "", true},
		{"/aitbc/compute/v1/providers?pagination.limit=1001", http.StatusBadRequest, "above the maximum 1000", false},
		{"/aitbc/compute/v1/params", http.StatusOK, "min_provider_bond", false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, err := http.Get(rest.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status || !strings.Contains(string(body), tc.bodyHas) {
				t.Fatalf("%d %s, want %d containing %q", res.StatusCode, body, tc.status, tc.bodyHas)
			}
			if tc.wantJobs {
				var page struct {
					Jobs []json.RawMessage `json:"jobs"`
				}
				if err := json.Unmarshal(body, &page); err != nil || page.Jobs == nil {
					t.Fatalf("not a page of jobs: %s (%v)", body, err)
				}
			}
		})
	}
}
