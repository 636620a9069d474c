package rest

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	rpclocal "github.com/cometbft/cometbft/rpc/client/local"
	cmttypes "github.com/cometbft/cometbft/types"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"

	"github.com/aitbc/chain/facade/metrics"
	"github.com/aitbc/chain/facade/node"
)

// startComet runs a real CometBFT node with the kvstore app in-process,
// blocks every ~200ms. A validator node produces blocks; a node that is not
// in its genesis validator set, with no peers, stays in block sync: it is
// catching up for as long as it runs.
func startComet(t *testing.T, validator bool) *nm.Node {
	t.Helper()
	root, err := os.MkdirTemp("", "facade-comet-")
	if err != nil {
		t.Fatal(err)
	}
	cfg := cmtcfg.TestConfig().SetRoot(root)
	cmtcfg.EnsureRoot(cfg.RootDir)
	cfg.Consensus.TimeoutCommit = 200 * time.Millisecond
	cfg.Consensus.SkipTimeoutCommit = false
	cfg.P2P.ListenAddress = "tcp://127.0.0.1:0"
	cfg.RPC.ListenAddress = "" // the facade uses the in-process client
	cfg.TxIndex.Indexer = "kv"
	pv := privval.GenFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	pv.Save()
	valKey := pv.Key.PubKey
	if !validator {
		valKey = privval.GenFilePV(filepath.Join(root, "other-key.json"), filepath.Join(root, "other-state.json")).Key.PubKey
	}
	gen := &cmttypes.GenesisDoc{
		ChainID: "ait-test-1", GenesisTime: time.Now(), ConsensusParams: cmttypes.DefaultConsensusParams(),
		Validators: []cmttypes.GenesisValidator{{Address: valKey.Address(), PubKey: valKey, Power: 10, Name: "v"}},
	}
	if err := gen.SaveAs(cfg.GenesisFile()); err != nil {
		t.Fatal(err)
	}
	nodeKey, err := p2p.LoadOrGenNodeKey(cfg.NodeKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	n, err := nm.NewNode(cfg, pv, nodeKey, proxy.NewLocalClientCreator(kvstore.NewInMemoryApplication()),
		nm.DefaultGenesisDocProviderFunc(cfg), cmtcfg.DefaultDBProvider, nm.DefaultMetricsProvider(cfg.Instrumentation),
		cmtlog.NewNopLogger())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = n.Stop()
		n.Wait()
		// The node may still flush a file while stopping; t.TempDir would fail the test for it.
		_ = os.RemoveAll(root)
	})
	return n
}

// cometServer is the REST server in front of a real CometBFT node; gRPC is
// never dialled by the endpoints these tests use.
func cometServer(t *testing.T, cn *nm.Node, opts Options) (*httptest.Server, *node.Node) {
	t.Helper()
	cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
	n, err := node.Dial(node.Options{
		Local: rpclocal.New(cn), GRPC: "127.0.0.1:1", TxConfig: authtx.NewTxConfig(cdc, authtx.DefaultSignModes),
		InterfaceRegistry: codectypes.NewInterfaceRegistry(), AccountPrefix: "ait",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	srv := httptest.NewServer(New(n, nil, opts, log.NewTestLogger(t), metrics.New()))
	t.Cleanup(srv.Close)
	return srv, n
}

// waitHeight waits for the node to commit height h.
func waitHeight(t *testing.T, n *node.Node, h int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := n.Comet.Status(context.Background())
		if err == nil && st.SyncInfo.LatestBlockHeight >= h {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("height %d not reached: %v", h, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kvTx is bytes both the SDK's decoder (a TxRaw whose body has memo k=v and
// whose auth info has a fee of gas limit 1) and the kvstore app (one '=', no
// ':') accept.
func kvTx(t *testing.T, k byte) []byte {
	t.Helper()
	memo := []byte{k, '=', 'v'}
	body := append([]byte{0x12, byte(len(memo))}, memo...)
	authInfo := []byte{0x12, 0x02, 0x10, 0x01}
	raw := append([]byte{0x0a, byte(len(body))}, body...)
	return append(raw, append([]byte{0x12, byte(len(authInfo))}, authInfo...)...)
}
