package poa_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"

	"github.com/cosmos/cosmos-sdk/client"

	"github.com/aitbc/chain/app/apptesting"
	"github.com/aitbc/chain/x/poa"
)

// TestCosmosRESTPages drives x/poa's list routes through the real
// grpc-gateway and gRPC query server: pages above the cap are a 400 naming
// it, and the validators list is paged.
func TestCosmosRESTPages(t *testing.T) {
	c := apptesting.New(t, apptesting.Options{})
	rest := c.Gateway(func(clientCtx client.Context, mux *gwruntime.ServeMux) {
		poa.AppModule{}.RegisterGRPCGatewayRoutes(clientCtx, mux)
	})
	for _, tc := range []struct {
		path    string
		status  int
		bodyHas string
	}{
		{"/aitbc/poa/v1/validators?pagination.limit=100000000", http.StatusBadRequest, "above the maximum 1000"},
		{"/aitbc/poa/v1/pending_changes?pagination.limit=1001", http.StatusBadRequest, "above the maximum 1000"},
		{"/aitbc/poa/v1/allow_list?pagination.limit=5000", http.StatusBadRequest, "above the maximum 1000"},
		{"/aitbc/poa/v1/validators?pagination.limit=2&pagination.count_total=true", http.StatusOK, `"total":"3"`},
		{"/aitbc/poa/v1/validators?pagination.key=AAAAAAAAAAI%3D", http.StatusOK, `"next_key":null`},
		{"/aitbc/poa/v1/pending_changes", http.StatusOK, `"pending_changes":[]`},
		{"/aitbc/poa/v1/params", http.StatusOK, `"mode":"MODE_POA"`},
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
		})
	}
}
