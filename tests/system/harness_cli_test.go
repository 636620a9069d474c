package system

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// The one CLI wrapper: every `aitbcd` client command a test runs against a
// node goes through n.cli, which adds the node's home and RPC address, the
// test keyring and the chain id; every transaction goes through
// n.broadcast, which adds the one fee and gas limit below and JSON output.
// A flag the caller gives wins over the default.

const (
	// txGas is the gas limit of every transaction the harness sends; it
	// covers the compute market's messages, the largest the tests send.
	txGas = "400000"
	// txFee pays txGas at the default minimum gas price (0.025uait).
	txFee = "10000" + denom
	// txWait bounds how long a broadcast transaction may take to be included.
	txWait = time.Minute
)

// txResult is the part of `aitbcd tx ... --output json` the tests read.
type txResult struct {
	Code   uint32 `json:"code"`
	TxHash string `json:"txhash"`
	RawLog string `json:"raw_log"`
}

// includedTx is a transaction as CometBFT RPC /tx reports it after a block included it.
type includedTx struct {
	Height int64
	Code   uint32
	Log    string
}

// cli runs an aitbcd client command against this node and returns stdout.
func (n *node) cli(args ...string) (string, error) {
	n.t.Helper()
	args = n.withDefaultFlags(args)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, aitbcdBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("aitbcd %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

func (n *node) mustCLI(args ...string) string {
	n.t.Helper()
	out, err := n.cli(args...)
	if err != nil {
		n.t.Fatal(err)
	}
	return out
}

// withDefaultFlags adds --home, and where the command takes them --node,
// --keyring-backend test and --chain-id, unless args already name them.
func (n *node) withDefaultFlags(args []string) []string {
	cmd, sub := args[0], ""
	if len(args) > 1 {
		sub = args[1]
	}
	args = withFlag(args, "--home", n.home)
	if cmd == "tx" || cmd == "q" || cmd == "query" || cmd == "status" {
		args = withFlag(args, "--node", n.rpcAddr())
	}
	if cmd == "tx" || cmd == "keys" || (cmd == "genesis" && (sub == "gentx" || sub == "add-genesis-account")) {
		args = withFlag(args, "--keyring-backend", "test")
	}
	if n.chainID != "" && (cmd == "tx" || (cmd == "genesis" && sub == "gentx")) {
		args = withFlag(args, "--chain-id", n.chainID)
	}
	return args
}

// withFlag appends flag value unless args already set flag.
func withFlag(args []string, flag string, value ...string) []string {
	if slices.ContainsFunc(args, func(a string) bool { return a == flag || strings.HasPrefix(a, flag+"=") }) {
		return args
	}
	return append(append(args, flag), value...)
}

// broadcast sends `aitbcd tx <args>` signed by key from ("" when args name
// the signer, as bank send does) with the harness's fee, gas and JSON
// output, and returns CheckTx's answer.
func (n *node) broadcast(from string, args ...string) (txResult, error) {
	n.t.Helper()
	args = append([]string{"tx"}, args...)
	if from != "" {
		args = withFlag(args, "--from", from)
	}
	args = withFlag(args, "--fees", txFee)
	args = withFlag(args, "--gas", txGas)
	args = withFlag(args, "--output", "json")
	args = withFlag(args, "-y")
	out, err := n.cli(args...)
	if err != nil {
		return txResult{}, err
	}
	return parseTxResult(n.t, out), nil
}

// mustBroadcast is broadcast that fails the test if the CLI itself fails.
func (n *node) mustBroadcast(from string, args ...string) txResult {
	n.t.Helper()
	res, err := n.broadcast(from, args...)
	if err != nil {
		n.t.Fatal(err)
	}
	return res
}

// awaitTxCommitted waits for a broadcast transaction's block and returns its
// result there; it fails the test with the raw log if CheckTx refused it or
// the block's result code is not 0.
func (n *node) awaitTxCommitted(res txResult, within time.Duration) includedTx {
	n.t.Helper()
	if res.Code != 0 {
		n.t.Fatalf("tx %s refused by CheckTx: code %d: %s", res.TxHash, res.Code, res.RawLog)
	}
	included := n.waitForTx(res.TxHash, within)
	if included.Code != 0 {
		n.t.Fatalf("tx %s failed in block %d: code %d: %s", res.TxHash, included.Height, included.Code, included.Log)
	}
	return included
}

// tx broadcasts `aitbcd tx <args>` from a key, waits for its block and fails
// the test unless it succeeded there.
func (n *node) tx(from string, args ...string) includedTx {
	n.t.Helper()
	return n.awaitTxCommitted(n.mustBroadcast(from, args...), txWait)
}

// send broadcasts a bank send signed by from's key and returns CheckTx's result.
func (n *node) send(from, to, amount string, extra ...string) (txResult, error) {
	n.t.Helper()
	return n.broadcast("", append([]string{"bank", "send", from, to, amount}, extra...)...)
}
