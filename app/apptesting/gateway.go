package apptesting

import (
	"net"
	"net/http/httptest"

	gogogateway "github.com/cosmos/gogogateway"
	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
)

// GRPCClient serves the app's gRPC query services for the chain's committed
// state on 127.0.0.1, as `aitbcd start` does, and returns a client context
// connected to them. Server and connection close when the test ends.
func (c *Chain) GRPCClient() client.Context {
	c.T.Helper()
	registry := c.App.InterfaceRegistry()
	grpcCodec := codec.NewProtoCodec(registry).GRPCCodec()

	srv := grpc.NewServer(grpc.ForceServerCodec(grpcCodec))
	c.App.RegisterGRPCServer(srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.T.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	c.T.Cleanup(srv.Stop)

	conn, err := grpc.NewClient(lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(grpcCodec)))
	if err != nil {
		c.T.Fatal(err)
	}
	c.T.Cleanup(func() { _ = conn.Close() })
	return client.Context{}.WithGRPCClient(conn).WithInterfaceRegistry(registry).WithCodec(c.App.AppCodec()).
		WithChainID(ChainID).WithTxConfig(c.App.TxConfig())
}

// Gateway serves Cosmos REST for the chain's committed state the way
// `aitbcd start` does: grpc-gateway routes registered by register, over
// GRPCClient, all on 127.0.0.1. It returns the REST server, which closes
// when the test ends.
func (c *Chain) Gateway(register func(client.Context, *gwruntime.ServeMux)) *httptest.Server {
	c.T.Helper()
	clientCtx := c.GRPCClient()
	// The same marshaler and error handler as the SDK's API server (server/api).
	mux := gwruntime.NewServeMux(
		gwruntime.WithMarshalerOption(gwruntime.MIMEWildcard, &gogogateway.JSONPb{EmitDefaults: true, OrigName: true, AnyResolver: clientCtx.InterfaceRegistry}),
		gwruntime.WithProtoErrorHandler(gwruntime.DefaultHTTPProtoErrorHandler),
	)
	register(clientCtx, mux)
	rest := httptest.NewServer(mux)
	c.T.Cleanup(rest.Close)
	return rest
}
