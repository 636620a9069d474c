package system

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"

	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

const denom = "uait"

func parseTxResult(t testing.TB, out string) txResult {
	t.Helper()
	var res txResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("decoding tx output %q: %v", out, err)
	}
	return res
}

// waitForTx waits until the transaction is in a block (CometBFT RPC /tx,
// read at each new block) and returns its result there.
func (n *node) waitForTx(hash string, within time.Duration) includedTx {
	n.t.Helper()
	deadline := time.Now().Add(within)
	var lastErr error
	for {
		res, err := n.cometTx(hash)
		if err == nil {
			return includedTx{Height: res.Height, Code: res.TxResult.Code, Log: res.TxResult.Log}
		}
		lastErr = err
		if time.Now().After(deadline) {
			n.t.Fatalf("tx %s not included within %s: %v\n%s", hash, within, lastErr, n.logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
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
	raw := n.abciQuery("/cosmos.bank.v1beta1.Query/Balance", data)
	var balance banktypes.QueryBalanceResponse
	if err := balance.Unmarshal(raw); err != nil {
		n.t.Fatal(err)
	}
	return balance.Balance.Amount
}

// keyAddress returns the address of a key in the node's test keyring.
func (n *node) keyAddress(name string) string {
	n.t.Helper()
	return strings.TrimSpace(n.mustCLI("keys", "show", name, "-a"))
}

func mustInt(t testing.TB, s string) sdkmath.Int {
	t.Helper()
	v, ok := sdkmath.NewIntFromString(s)
	if !ok {
		t.Fatalf("not an integer: %q", s)
	}
	return v
}

// hexBytes decodes a transaction or block hash given in hex.
func hexBytes(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil {
		return nil, fmt.Errorf("hash %q is not hex: %v", s, err)
	}
	return b, nil
}
