package system

import (
	"context"
	"fmt"
	"strings"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
)

// The harness reads CometBFT through its own RPC client (rpc/client/http):
// typed results, and the NewBlock event stream over its WebSocket, instead of
// JSON-RPC envelopes decoded by hand.

// rpcTimeout bounds one CometBFT RPC call.
const rpcTimeout = 5 * time.Second

// comet is the node's CometBFT RPC client (made on first use; it survives
// node restarts, since each call opens its own HTTP request).
func (n *node) comet() *rpchttp.HTTP {
	n.cometOnce.Do(func() {
		c, err := rpchttp.NewWithTimeout(n.rpcAddr(), "/websocket", uint(rpcTimeout/time.Second))
		if err != nil {
			panic(fmt.Sprintf("CometBFT RPC client for %s: %v", n.rpcAddr(), err)) // only a malformed address fails
		}
		n.cometClient = c
	})
	return n.cometClient
}

func rpcCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), rpcTimeout)
}

// status is CometBFT's /status.
func (n *node) status() (*ctypes.ResultStatus, error) {
	ctx, cancel := rpcCtx()
	defer cancel()
	return n.comet().Status(ctx)
}

// height is the node's latest committed height, from CometBFT RPC /status.
func (n *node) height() (int64, error) {
	st, err := n.status()
	if err != nil {
		return 0, err
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// block is CometBFT's /block at height h; it fails the test on error.
func (n *node) block(h int64) *ctypes.ResultBlock {
	n.t.Helper()
	ctx, cancel := rpcCtx()
	defer cancel()
	res, err := n.comet().Block(ctx, &h)
	if err != nil {
		n.t.Fatalf("CometBFT RPC block %d: %v", h, err)
	}
	return res
}

// cometTx is CometBFT's /tx for a hex hash, or its error (not found yet, say).
func (n *node) cometTx(hash string) (*ctypes.ResultTx, error) {
	raw, err := hexBytes(hash)
	if err != nil {
		return nil, err
	}
	ctx, cancel := rpcCtx()
	defer cancel()
	return n.comet().Tx(ctx, raw, false)
}

// blockchain is CometBFT's /blockchain for lo..hi (at most 20 blocks, newest first).
func (n *node) blockchain(lo, hi int64) []*cmttypes.BlockMeta {
	n.t.Helper()
	ctx, cancel := rpcCtx()
	defer cancel()
	res, err := n.comet().BlockchainInfo(ctx, lo, hi)
	if err != nil {
		n.t.Fatalf("CometBFT RPC blockchain %d-%d: %v", lo, hi, err)
	}
	return res.BlockMetas
}

// waitForHeight waits until the node has committed height h and returns the
// height it saw then. It follows CometBFT's NewBlock events over the RPC
// WebSocket once the node answers, and still reads /status every couple of
// seconds in case the event stream drops (a restart, a slow reader). A node
// that exits fails the test.
func (n *node) waitForHeight(h int64, within time.Duration) int64 {
	n.t.Helper()
	deadline := time.Now().Add(within)
	var last int64
	var lastErr error
	var blocks <-chan ctypes.ResultEvent
	var stopSub func()
	defer func() {
		if stopSub != nil {
			stopSub()
		}
	}()
	poll := time.NewTicker(2 * time.Second)
	defer poll.Stop()
	for {
		if blocks == nil {
			// Subscribe before reading the height, so no block falls between.
			blocks, stopSub = n.subscribeNewBlocks()
		}
		if got, err := n.height(); err == nil && got >= h {
			return got
		} else {
			last, lastErr = got, err
		}
		if lastErr != nil {
			// Not answering yet (starting up): poll fast until it does.
			poll.Reset(200 * time.Millisecond)
		} else {
			poll.Reset(2 * time.Second)
		}
		select {
		case err := <-n.done:
			n.done <- err
			n.t.Fatalf("node exited while waiting for height %d: %v\n%s", h, err, n.logTail())
		case ev := <-blocks:
			if nb, ok := ev.Data.(cmttypes.EventDataNewBlock); ok && nb.Block != nil && nb.Block.Height >= h {
				// The event goes out after the block is stored and committed, so /status has it: confirm there.
				continue
			}
		case <-poll.C:
		case <-time.After(time.Until(deadline)):
			n.t.Fatalf("height %d not reached within %s (last %d, %v)\n%s", h, within, last, lastErr, n.logTail())
		}
	}
}

// subscribeNewBlocks subscribes to CometBFT's NewBlock events; while the node
// does not answer it returns a nil channel (which never delivers) and a no-op.
func (n *node) subscribeNewBlocks() (<-chan ctypes.ResultEvent, func()) {
	c, err := rpchttp.New(n.rpcAddr(), "/websocket")
	if err != nil {
		return nil, func() {}
	}
	if err := c.Start(); err != nil {
		return nil, func() {}
	}
	ctx, cancel := rpcCtx()
	defer cancel()
	ch, err := c.Subscribe(ctx, "harness", cmttypes.EventQueryNewBlock.String(), 16)
	if err != nil {
		_ = c.Stop()
		return nil, func() {}
	}
	return ch, func() { _ = c.Stop() }
}

// validators is CometBFT's validator set at the latest height: hex
// consensus address (upper case) → voting power.
func (n *node) validators() map[string]int64 {
	n.t.Helper()
	ctx, cancel := rpcCtx()
	defer cancel()
	perPage := 100
	res, err := n.comet().Validators(ctx, nil, nil, &perPage)
	if err != nil {
		n.t.Fatalf("CometBFT RPC validators: %v", err)
	}
	set := map[string]int64{}
	for _, v := range res.Validators {
		set[strings.ToUpper(v.Address.String())] = v.VotingPower
	}
	return set
}

// peers is the node's peer count (CometBFT RPC /net_info).
func (n *node) peers() (int, error) {
	ctx, cancel := rpcCtx()
	defer cancel()
	res, err := n.comet().NetInfo(ctx)
	if err != nil {
		return 0, err
	}
	return res.NPeers, nil
}

// commitSigners are the hex consensus addresses whose precommits are in the
// commit of block h (CometBFT RPC /commit).
func (n *node) commitSigners(h int64) []string {
	n.t.Helper()
	ctx, cancel := rpcCtx()
	defer cancel()
	res, err := n.comet().Commit(ctx, &h)
	if err != nil {
		n.t.Fatalf("CometBFT RPC commit %d: %v", h, err)
	}
	var addrs []string
	for _, sig := range res.SignedHeader.Commit.Signatures {
		if len(sig.ValidatorAddress) > 0 {
			addrs = append(addrs, sig.ValidatorAddress.String())
		}
	}
	return addrs
}

// abciQuery runs a CometBFT abci_query; a non-zero code fails the test.
func (n *node) abciQuery(path string, data []byte) []byte {
	n.t.Helper()
	ctx, cancel := rpcCtx()
	defer cancel()
	res, err := n.comet().ABCIQuery(ctx, path, data)
	if err != nil {
		n.t.Fatalf("abci_query %s: %v", path, err)
	}
	if res.Response.Code != 0 {
		n.t.Fatalf("abci_query %s: code %d: %s", path, res.Response.Code, res.Response.Log)
	}
	return res.Response.Value
}
