// Package node is the facade's only way to the chain: CometBFT RPC (blocks,
// transactions, mempool, peers, events) and Cosmos gRPC (balances, accounts).
// It never touches keepers or stores, so the same code serves in-process and
// against a remote node.
package node

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	computetypes "github.com/aitbc/chain/x/compute/types"
)

// Options say where the node is and how to read its transactions.
type Options struct {
	// CometRPC is the CometBFT RPC address, e.g. tcp://127.0.0.1:26657.
	CometRPC string
	// GRPC is the Cosmos gRPC address, e.g. 127.0.0.1:9091.
	GRPC string
	// TxConfig decodes transactions; InterfaceRegistry unpacks accounts.
	TxConfig          client.TxConfig
	InterfaceRegistry codectypes.InterfaceRegistry
	// AccountPrefix is the bech32 prefix of account addresses ("ait").
	AccountPrefix string
}

// Node is a connection to one node. Its methods are safe for concurrent use.
type Node struct {
	Comet   *rpchttp.HTTP
	grpc    *grpc.ClientConn
	bank    banktypes.QueryClient
	auth    authtypes.QueryClient
	compute computetypes.QueryClient
	txCfg   client.TxConfig
	ifaces  codectypes.InterfaceRegistry
	prefix  string
}

// Dial prepares clients for the node; it does not wait for the node to be up,
// because a facade may start before (or outlive) the node it fronts.
func Dial(opts Options) (*Node, error) {
	if opts.CometRPC == "" || opts.GRPC == "" {
		return nil, errors.New("node: both the CometBFT RPC and the gRPC address are needed")
	}
	httpClient, err := jsonrpcclient.DefaultHTTPClient(opts.CometRPC)
	if err != nil {
		return nil, fmt.Errorf("CometBFT RPC address %q: %w", opts.CometRPC, err)
	}
	// Keep connections to the node alive under load instead of Go's default of
	// two idle connections per host, which makes every burst redial.
	if tr, ok := httpClient.Transport.(*http.Transport); ok {
		tr.MaxIdleConns = 256
		tr.MaxIdleConnsPerHost = 256
		tr.IdleConnTimeout = 90 * time.Second
	}
	comet, err := rpchttp.NewWithClient(opts.CometRPC, "/websocket", httpClient)
	if err != nil {
		return nil, fmt.Errorf("CometBFT RPC address %q: %w", opts.CometRPC, err)
	}
	conn, err := grpc.NewClient(opts.GRPC,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(codec.NewProtoCodec(opts.InterfaceRegistry).GRPCCodec())),
	)
	if err != nil {
		return nil, fmt.Errorf("gRPC address %q: %w", opts.GRPC, err)
	}
	return &Node{
		Comet:   comet,
		grpc:    conn,
		bank:    banktypes.NewQueryClient(conn),
		auth:    authtypes.NewQueryClient(conn),
		compute: computetypes.NewQueryClient(conn),
		txCfg:   opts.TxConfig,
		ifaces:  opts.InterfaceRegistry,
		prefix:  opts.AccountPrefix,
	}, nil
}

// NewEventClient returns a separate CometBFT client for one websocket
// subscription set: CometBFT caps subscriptions per connection (5 by
// default), so each facade topic gets its own upstream connection.
func (n *Node) NewEventClient() (*rpchttp.HTTP, error) {
	return rpchttp.New(n.Comet.Remote(), "/websocket")
}

// Close releases the gRPC connection.
func (n *Node) Close() error { return n.grpc.Close() }

// Prefix is the bech32 prefix of account addresses.
func (n *Node) Prefix() string { return n.prefix }

// TxConfig decodes and encodes transactions.
func (n *Node) TxConfig() client.TxConfig { return n.txCfg }
