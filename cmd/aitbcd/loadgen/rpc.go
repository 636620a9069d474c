package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// rpcClient is CometBFT's RPC client over one keep-alive HTTP connection, so
// that n clients are n connections. Its methods return the few fields the
// load generator reads.
type rpcClient struct {
	url string
	c   *rpchttp.HTTP
}

func newRPCClient(base string) *rpcClient {
	httpClient := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxConnsPerHost:     1,
			MaxIdleConnsPerHost: 1,
			DisableCompression:  true,
		},
	}
	c, err := rpchttp.NewWithClient(base, "/websocket", httpClient)
	if err != nil {
		// Only a malformed address fails here; every call then reports it.
		return &rpcClient{url: base, c: nil}
	}
	return &rpcClient{url: base, c: c}
}

func (c *rpcClient) client() (*rpchttp.HTTP, error) {
	if c.c == nil {
		return nil, fmt.Errorf("invalid CometBFT RPC address %q", c.url)
	}
	return c.c, nil
}

// checkTxResult is broadcast_tx_sync's answer: CheckTx's code and log.
type checkTxResult struct {
	Code      uint32
	Log       string
	Codespace string
	Hash      string
}

func (c *rpcClient) broadcastSync(ctx context.Context, tx []byte) (checkTxResult, error) {
	cl, err := c.client()
	if err != nil {
		return checkTxResult{}, err
	}
	res, err := cl.BroadcastTxSync(ctx, tx)
	if err != nil {
		return checkTxResult{}, fmt.Errorf("broadcast_tx_sync: %w", err)
	}
	return checkTxResult{Code: res.Code, Log: res.Log, Codespace: res.Codespace, Hash: res.Hash.String()}, nil
}

type statusResult struct {
	NodeInfo struct {
		Network string
	}
	SyncInfo struct {
		LatestBlockHeight int64
	}
}

func (c *rpcClient) status(ctx context.Context) (statusResult, error) {
	var out statusResult
	cl, err := c.client()
	if err != nil {
		return out, err
	}
	res, err := cl.Status(ctx)
	if err != nil {
		return out, fmt.Errorf("status: %w", err)
	}
	out.NodeInfo.Network = res.NodeInfo.Network
	out.SyncInfo.LatestBlockHeight = res.SyncInfo.LatestBlockHeight
	return out, nil
}

// blockResult is the part of /block the tracker reads.
type blockResult struct {
	Block struct {
		Header struct {
			Height int64
			Time   time.Time
		}
		Data struct {
			Txs [][]byte
		}
		LastCommit struct {
			Height int64
			Round  int32
		}
	}
}

func (c *rpcClient) block(ctx context.Context, height int64) (blockResult, error) {
	var out blockResult
	cl, err := c.client()
	if err != nil {
		return out, err
	}
	res, err := cl.Block(ctx, &height)
	if err != nil {
		return out, fmt.Errorf("block: %w", err)
	}
	if res.Block == nil {
		return out, fmt.Errorf("block %d: the node returned no block", height)
	}
	out.Block.Header.Height, out.Block.Header.Time = res.Block.Height, res.Block.Time
	for _, tx := range res.Block.Txs {
		out.Block.Data.Txs = append(out.Block.Data.Txs, tx)
	}
	if lc := res.Block.LastCommit; lc != nil {
		out.Block.LastCommit.Height, out.Block.LastCommit.Round = lc.Height, lc.Round
	}
	return out, nil
}

type blockResultsResult struct {
	TxsResults []struct {
		Code uint32
		Log  string
	}
}

func (c *rpcClient) blockResults(ctx context.Context, height int64) (blockResultsResult, error) {
	var out blockResultsResult
	cl, err := c.client()
	if err != nil {
		return out, err
	}
	res, err := cl.BlockResults(ctx, &height)
	if err != nil {
		return out, fmt.Errorf("block_results: %w", err)
	}
	for _, r := range res.TxsResults {
		out.TxsResults = append(out.TxsResults, struct {
			Code uint32
			Log  string
		}{r.Code, r.Log})
	}
	return out, nil
}

// appHeight is the last height the application has executed and committed
// (ABCI Info): once it reaches a block, that block's results exist. A few
// bytes of JSON, where block_results encodes every event of every transaction.
func (c *rpcClient) appHeight(ctx context.Context) (int64, error) {
	cl, err := c.client()
	if err != nil {
		return 0, err
	}
	res, err := cl.ABCIInfo(ctx)
	if err != nil {
		return 0, fmt.Errorf("abci_info: %w", err)
	}
	return res.Response.LastBlockHeight, nil
}

// mempoolSize is the number of transactions in the node's mempool.
func (c *rpcClient) mempoolSize(ctx context.Context) (int64, error) {
	cl, err := c.client()
	if err != nil {
		return 0, err
	}
	res, err := cl.NumUnconfirmedTxs(ctx)
	if err != nil {
		return 0, fmt.Errorf("num_unconfirmed_txs: %w", err)
	}
	return int64(res.Total), nil
}

// abciQuery runs a gRPC query through ABCI and returns the response bytes.
func (c *rpcClient) abciQuery(ctx context.Context, path string, data []byte) ([]byte, error) {
	cl, err := c.client()
	if err != nil {
		return nil, err
	}
	res, err := cl.ABCIQueryWithOptions(ctx, path, data, rpcclient.ABCIQueryOptions{Height: 0, Prove: false})
	if err != nil {
		return nil, fmt.Errorf("abci_query %s: %w", path, err)
	}
	if res.Response.Code != 0 {
		return nil, fmt.Errorf("abci_query %s: code %d: %s", path, res.Response.Code, res.Response.Log)
	}
	return res.Response.Value, nil
}
