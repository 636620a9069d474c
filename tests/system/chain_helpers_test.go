package system

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"

	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

const (
	denom = "uait"
	// fee covers the default 200k gas at the default minimum gas price (0.025uait).
	fee = "5000uait"
)

// txResult is the part of `aitbcd tx ... --output json` the tests read.
type txResult struct {
	Code   uint32 `json:"code"`
	TxHash string `json:"txhash"`
	RawLog string `json:"raw_log"`
}

func parseTxResult(t testing.TB, out string) txResult {
	t.Helper()
	var res txResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("decoding tx output %q: %v", out, err)
	}
	return res
}

// send broadcasts a bank send signed by from's key and returns CheckTx's result.
func (n *node) send(from, to, amount string, extra ...string) (txResult, error) {
	args := append([]string{"tx", "bank", "send", from, to, amount, "--fees", fee, "-y", "--output", "json",
		"--keyring-backend", "test"}, extra...)
	out, err := n.cli(args...)
	if err != nil {
		return txResult{}, err
	}
	return parseTxResult(n.t, out), nil
}

// includedTx is a transaction as CometBFT RPC /tx reports it after a block included it.
type includedTx struct {
	Height int64
	Code   uint32
	Log    string
}

// waitForTx polls CometBFT RPC /tx until the transaction is in a block.
func (n *node) waitForTx(hash string, within time.Duration) includedTx {
	n.t.Helper()
	deadline := time.Now().Add(within)
	var lastErr error
	for time.Now().Before(deadline) {
		var res struct {
			Height   string `json:"height"`
			TxResult struct {
				Code uint32 `json:"code"`
				Log  string `json:"log"`
			} `json:"tx_result"`
		}
		lastErr = n.rpc("tx?hash=0x"+hash, &res)
		if lastErr == nil {
			var h int64
			fmt.Sscan(res.Height, &h)
			return includedTx{Height: h, Code: res.TxResult.Code, Log: res.TxResult.Log}
		}
		time.Sleep(200 * time.Millisecond)
	}
	n.t.Fatalf("tx %s not included within %s: %v\n%s", hash, within, lastErr, n.logTail())
	return includedTx{}
}

// balanceCLI reads a uait balance with `aitbcd query bank balance`.
func (n *node) balanceCLI(addr string) sdkmath.Int {
	n.t.Helper()
	out := n.mustCLI("query", "bank", "balance", addr, denom, "--output", "json")
	var res struct {
		Balance struct {
			Amount string `json:"amount"`
		} `json:"balance"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		n.t.Fatalf("decoding balance %q: %v", out, err)
	}
	amount, ok := sdkmath.NewIntFromString(res.Balance.Amount)
	if !ok {
		n.t.Fatalf("balance of %s is not a number: %q", addr, out)
	}
	return amount
}

// balanceRPC reads a uait balance through CometBFT RPC abci_query, the way an
// explorer without gRPC access would.
func (n *node) balanceRPC(addr string) sdkmath.Int {
	n.t.Helper()
	req := banktypes.QueryBalanceRequest{Address: addr, Denom: denom}
	data, err := req.Marshal()
	if err != nil {
		n.t.Fatal(err)
	}
	var res struct {
		Response struct {
			Code  uint32 `json:"code"`
			Log   string `json:"log"`
			Value string `json:"value"`
		} `json:"response"`
	}
	path := fmt.Sprintf(`abci_query?path="/cosmos.bank.v1beta1.Query/Balance"&data=0x%s`, hex.EncodeToString(data))
	if err := n.rpc(path, &res); err != nil {
		n.t.Fatal(err)
	}
	if res.Response.Code != 0 {
		n.t.Fatalf("abci_query balance of %s: code %d: %s", addr, res.Response.Code, res.Response.Log)
	}
	raw, err := base64.StdEncoding.DecodeString(res.Response.Value)
	if err != nil {
		n.t.Fatal(err)
	}
	var balance banktypes.QueryBalanceResponse
	if err := balance.Unmarshal(raw); err != nil {
		n.t.Fatal(err)
	}
	return balance.Balance.Amount
}

// keyAddress returns the address of a key in the node's test keyring.
func (n *node) keyAddress(name string) string {
	n.t.Helper()
	return strings.TrimSpace(n.mustCLI("keys", "show", name, "-a", "--keyring-backend", "test"))
}

func mustInt(t testing.TB, s string) sdkmath.Int {
	t.Helper()
	v, ok := sdkmath.NewIntFromString(s)
	if !ok {
		t.Fatalf("not an integer: %q", s)
	}
	return v
}
