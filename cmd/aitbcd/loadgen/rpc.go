package loadgen

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// rpcClient is a JSON-RPC 2.0 client of CometBFT RPC over one keep-alive
// HTTP connection, so that n clients are n connections.
type rpcClient struct {
	url  string
	http *http.Client
	id   atomic.Int64
}

func newRPCClient(base string) *rpcClient {
	return &rpcClient{url: base, http: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxConnsPerHost:     1,
			MaxIdleConnsPerHost: 1,
			DisableCompression:  true,
		},
	}}
}

// rpcError is an error object CometBFT returned.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data"`
}

func (e *rpcError) Error() string {
	return fmt.Sprintf("rpc error %d: %s: %s", e.Code, e.Message, e.Data)
}

func (c *rpcClient) call(ctx context.Context, method string, params, result any) error {
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": c.id.Add(1), "method": method, "params": params})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  *rpcError       `json:"error"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("%s: decoding response %.200q: %w", method, raw, err)
	}
	if env.Error != nil {
		return fmt.Errorf("%s: %w", method, env.Error)
	}
	if result == nil {
		return nil
	}
	return json.Unmarshal(env.Result, result)
}

// checkTxResult is broadcast_tx_sync's answer: CheckTx's code and log.
type checkTxResult struct {
	Code      uint32 `json:"code"`
	Log       string `json:"log"`
	Codespace string `json:"codespace"`
	Hash      string `json:"hash"`
}

func (c *rpcClient) broadcastSync(ctx context.Context, tx []byte) (checkTxResult, error) {
	var res checkTxResult
	err := c.call(ctx, "broadcast_tx_sync", map[string]string{"tx": base64.StdEncoding.EncodeToString(tx)}, &res)
	return res, err
}

// int64s are how CometBFT's JSON spells 64-bit integers: as strings.
type int64s int64

func (v *int64s) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	n, err := strconv.ParseInt(s, 10, 64)
	*v = int64s(n)
	return err
}

type statusResult struct {
	NodeInfo struct {
		Network string `json:"network"`
	} `json:"node_info"`
	SyncInfo struct {
		LatestBlockHeight int64s `json:"latest_block_height"`
	} `json:"sync_info"`
}

func (c *rpcClient) status(ctx context.Context) (statusResult, error) {
	var res statusResult
	err := c.call(ctx, "status", map[string]any{}, &res)
	return res, err
}

// blockResult is the part of /block the tracker reads.
type blockResult struct {
	Block struct {
		Header struct {
			Height int64s    `json:"height"`
			Time   time.Time `json:"time"`
		} `json:"header"`
		Data struct {
			Txs [][]byte `json:"txs"` // base64 in JSON
		} `json:"data"`
		LastCommit struct {
			Height int64s `json:"height"`
			Round  int32  `json:"round"`
		} `json:"last_commit"`
	} `json:"block"`
}

func (c *rpcClient) block(ctx context.Context, height int64) (blockResult, error) {
	var res blockResult
	err := c.call(ctx, "block", map[string]string{"height": strconv.FormatInt(height, 10)}, &res)
	return res, err
}

type blockResultsResult struct {
	TxsResults []struct {
		Code uint32 `json:"code"`
		Log  string `json:"log"`
	} `json:"txs_results"`
}

func (c *rpcClient) blockResults(ctx context.Context, height int64) (blockResultsResult, error) {
	var res blockResultsResult
	err := c.call(ctx, "block_results", map[string]string{"height": strconv.FormatInt(height, 10)}, &res)
	return res, err
}

// appHeight is the last height the application has executed and committed
// (ABCI Info): once it reaches a block, that block's results exist. A few
// bytes of JSON, where block_results encodes every event of every transaction.
func (c *rpcClient) appHeight(ctx context.Context) (int64, error) {
	var res struct {
		Response struct {
			LastBlockHeight int64s `json:"last_block_height"`
		} `json:"response"`
	}
	err := c.call(ctx, "abci_info", map[string]any{}, &res)
	return int64(res.Response.LastBlockHeight), err
}

// mempoolSize is the number of transactions in the node's mempool.
func (c *rpcClient) mempoolSize(ctx context.Context) (int64, error) {
	var res struct {
		Total int64s `json:"total"`
	}
	err := c.call(ctx, "num_unconfirmed_txs", map[string]any{}, &res)
	return int64(res.Total), err
}

// abciQuery runs a gRPC query through ABCI and returns the response bytes.
func (c *rpcClient) abciQuery(ctx context.Context, path string, data []byte) ([]byte, error) {
	var res struct {
		Response struct {
			Code  uint32 `json:"code"`
			Log   string `json:"log"`
			Value []byte `json:"value"`
		} `json:"response"`
	}
	params := map[string]any{"path": path, "data": hex.EncodeToString(data), "height": "0", "prove": false}
	if err := c.call(ctx, "abci_query", params, &res); err != nil {
		return nil, err
	}
	if res.Response.Code != 0 {
		return nil, fmt.Errorf("abci_query %s: code %d: %s", path, res.Response.Code, res.Response.Log)
	}
	return res.Response.Value, nil
}
