// Package node is the facade's only way to the chain: CometBFT RPC (blocks,
// transactions, mempool, peers, events) and Cosmos gRPC (balances, accounts).
// It never touches keepers or stores, so the same code serves in-process and
// against a remote node. In-process it can be handed CometBFT's local client,
// the same RPC API called directly: no JSON, no HTTP, and events straight from
// the node's event bus (a NewBlock event with its results decoded from JSON
// cost a tenth of the node's CPU under load).
package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
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
	// Local, when set, is the node's in-process CometBFT client, used instead
	// of CometRPC (for queries, broadcasts and events).
	Local rpcclient.Client
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
	Comet   rpcclient.Client
	remote  string // the CometBFT RPC address, for /health and logs
	grpc    *grpc.ClientConn
	bank    banktypes.QueryClient
	auth    authtypes.QueryClient
	compute computetypes.QueryClient
	txCfg   client.TxConfig
	ifaces  codectypes.InterfaceRegistry
	prefix  string

	// The gap between the latest block and its parent, for the automatic
	// /health threshold, remembered per height.
	intervalMu     sync.Mutex
	intervalHeight int64
	interval       time.Duration
}

// Dial prepares clients for the node; it does not wait for the node to be up,
// because a facade may start before (or outlive) the node it fronts.
func Dial(opts Options) (*Node, error) {
	if (opts.CometRPC == "" && opts.Local == nil) || opts.GRPC == "" {
		return nil, errors.New("node: both the CometBFT RPC and the gRPC address are needed")
	}
	comet, err := cometClient(opts)
	if err != nil {
		return nil, err
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
		remote:  opts.CometRPC,
		grpc:    conn,
		bank:    banktypes.NewQueryClient(conn),
		auth:    authtypes.NewQueryClient(conn),
		compute: computetypes.NewQueryClient(conn),
		txCfg:   opts.TxConfig,
		ifaces:  opts.InterfaceRegistry,
		prefix:  opts.AccountPrefix,
	}, nil
}

// cometClient is the in-process client if there is one, else an HTTP client
// of the node's RPC address.
func cometClient(opts Options) (rpcclient.Client, error) {
	if opts.Local != nil {
		return opts.Local, nil
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
	return comet, nil
}

// EventClient is one upstream subscription set.
type EventClient interface {
	Start() error
	Stop() error
	IsRunning() bool
	Subscribe(ctx context.Context, subscriber, query string, outCapacity ...int) (<-chan ctypes.ResultEvent, error)
}

// NewEventClient returns a client for one subscription set. Remotely it is a
// separate websocket connection: CometBFT caps subscriptions per connection
// (5 by default), so each facade topic gets its own. In-process it is the
// node's event bus, which the subscriber must neither start nor stop.
func (n *Node) NewEventClient() (EventClient, error) {
	if remote, ok := n.Comet.(*rpchttp.HTTP); ok {
		return rpchttp.New(remote.Remote(), "/websocket")
	}
	return &localEvents{Client: n.Comet}, nil
}

// localEvents subscribes on the in-process event bus; Stop ends only its own
// subscriptions, never the bus.
type localEvents struct {
	rpcclient.Client
	subscriber string
}

func (l *localEvents) Start() error    { return nil }
func (l *localEvents) IsRunning() bool { return l.Client.IsRunning() }

func (l *localEvents) Subscribe(ctx context.Context, subscriber, query string, outCapacity ...int) (<-chan ctypes.ResultEvent, error) {
	l.subscriber = subscriber
	return l.Client.Subscribe(ctx, subscriber, query, outCapacity...)
}

func (l *localEvents) Stop() error {
	if l.subscriber == "" {
		return nil
	}
	return l.Client.UnsubscribeAll(context.Background(), l.subscriber)
}

// Close releases the gRPC connection.
func (n *Node) Close() error { return n.grpc.Close() }

// Prefix is the bech32 prefix of account addresses.
func (n *Node) Prefix() string { return n.prefix }

// TxConfig decodes and encodes transactions.
func (n *Node) TxConfig() client.TxConfig { return n.txCfg }
