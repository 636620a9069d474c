package feed

import (
	"context"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"cosmossdk.io/log/v2"

	"github.com/aitbc/chain/facade/metrics"
	"github.com/aitbc/chain/facade/node"
	"github.com/aitbc/chain/facade/ws"
)

// BlockMessage is a new_blocks message: the header summary and the tx hashes.
type BlockMessage struct {
	node.Head
	TxHashes []string `json:"tx_hashes"`
}

// NewBlockMessage summarises a block for new_blocks.
func NewBlockMessage(b *cmttypes.Block, id cmttypes.BlockID) BlockMessage {
	msg := BlockMessage{Head: node.HeadOf(b, id), TxHashes: make([]string, 0, len(b.Txs))}
	for _, tx := range b.Txs {
		msg.TxHashes = append(msg.TxHashes, node.TxHash(tx))
	}
	return msg
}

// Blocks publishes every committed block to new_blocks exactly once and in
// height order. Upstream NewBlock events are the fast path; a missed event
// (a dropped or redialled connection) shows up as a height gap, which is
// filled from the node before the newer block goes out, and a poll of the
// node's height catches up even if events stop altogether.
type Blocks struct {
	node    *node.Node
	hub     *ws.Hub
	mempool *Mempool
	metrics *metrics.Metrics
	log     log.Logger

	last     int64     // last published height
	lastTime time.Time // its header time
}

// NewBlocks returns the block feed.
func NewBlocks(n *node.Node, hub *ws.Hub, mp *Mempool, m *metrics.Metrics, logger log.Logger) *Blocks {
	return &Blocks{node: n, hub: hub, mempool: mp, metrics: m, log: logger}
}

// Fetch is the wire message of one block, read from the node (for resuming clients).
func (b *Blocks) Fetch(ctx context.Context, height int64) ([]byte, error) {
	res, err := b.node.Comet.Block(ctx, &height)
	if err != nil {
		return nil, err
	}
	return ws.EncodeEvent(ws.TopicNewBlocks, height, NewBlockMessage(res.Block, res.BlockID))
}

// Run publishes blocks until ctx ends.
func (b *Blocks) Run(ctx context.Context) {
	events := make(chan ctypes.ResultEvent, upstreamBuffer)
	go subscribe(ctx, b.node, ws.TopicNewBlocks, []string{cmttypes.EventQueryNewBlock.String()}, events, b.log)
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			if data, ok := ev.Data.(cmttypes.EventDataNewBlock); ok && data.Block != nil {
				b.advance(ctx, data.Block.Height, &data)
			}
		case <-poll.C:
			st, err := b.node.Comet.Status(ctx)
			if err != nil {
				continue
			}
			b.advance(ctx, st.SyncInfo.LatestBlockHeight, nil)
		}
	}
}

// advance publishes every block after the last one up to height `to`.
func (b *Blocks) advance(ctx context.Context, to int64, have *cmttypes.EventDataNewBlock) {
	if to < 1 {
		return // no block yet
	}
	if b.last == 0 {
		// Start with the current block: history is for from_height and get_block.
		b.last = to - 1
	}
	for h := b.last + 1; h <= to; h++ {
		var blk *cmttypes.Block
		var id cmttypes.BlockID
		if have != nil && have.Block.Height == h {
			blk, id = have.Block, have.BlockID
		} else {
			height := h
			res, err := b.node.Comet.Block(ctx, &height)
			if err != nil || res.Block == nil {
				b.log.Debug("filling a block gap failed; retrying on the next poll", "height", h, "err", err)
				return
			}
			blk, id = res.Block, res.BlockID
		}
		b.publish(blk, id)
	}
}

func (b *Blocks) publish(blk *cmttypes.Block, id cmttypes.BlockID) {
	msg := NewBlockMessage(blk, id)
	if err := b.hub.Publish(ws.TopicNewBlocks, blk.Height, msg); err != nil {
		b.log.Error("publishing a block", "height", blk.Height, "err", err)
	}
	now := time.Now()
	b.metrics.SetHeight(blk.Height)
	b.metrics.TransactionsTotal.Add(float64(len(blk.Txs)))
	if blk.LastCommit != nil && blk.Height > 1 {
		// The previous height took LastCommit.Round+1 rounds to commit.
		b.metrics.ConsensusRounds.Add(float64(blk.LastCommit.Round) + 1)
	}
	if !b.lastTime.IsZero() && blk.Height == b.last+1 {
		b.metrics.BlockInterval.Observe(blk.Time.Sub(b.lastTime).Seconds())
	}
	b.mempool.Included(msg.TxHashes, now)
	b.last, b.lastTime = blk.Height, blk.Time
}
