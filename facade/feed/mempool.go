package feed

import (
	"context"
	"sync"
	"time"

	"cosmossdk.io/log/v2"

	"github.com/aitbc/chain/facade/metrics"
	"github.com/aitbc/chain/facade/node"
	"github.com/aitbc/chain/facade/ws"
)

// PendingTx is a new_transactions message: a transaction admitted to the
// node's mempool and not yet in a block.
type PendingTx struct {
	Hash       string    `json:"hash"`
	Messages   []string  `json:"messages"`
	Signers    []string  `json:"signers"`
	Fee        node.Fee  `json:"fee"`
	Memo       string    `json:"memo"`
	Size       int       `json:"size"`
	AdmittedAt time.Time `json:"admitted_at"`
	// Source is "send_tx" for transactions this facade submitted (published
	// the moment CheckTx accepts them) and "mempool" for the rest (seen by
	// polling the node's mempool).
	Source string `json:"source"`
}

// seenFor is how long a hash is remembered, so a tx is announced once.
const seenFor = 10 * time.Minute

// Mempool announces mempool admissions. CometBFT has no mempool event
// stream, so the node's unconfirmed transactions are polled; transactions
// submitted through this facade are announced at once.
type Mempool struct {
	node     *node.Node
	hub      *ws.Hub
	metrics  *metrics.Metrics
	log      log.Logger
	interval time.Duration

	mu   sync.Mutex
	seen map[string]*seenTx
}

type seenTx struct {
	at       time.Time
	included bool
}

// NewMempool returns the mempool feed polling every interval.
func NewMempool(n *node.Node, hub *ws.Hub, m *metrics.Metrics, logger log.Logger, interval time.Duration) *Mempool {
	return &Mempool{node: n, hub: hub, metrics: m, log: logger, interval: interval, seen: map[string]*seenTx{}}
}

// Admitted announces a transaction the node's CheckTx just accepted.
func (mp *Mempool) Admitted(raw []byte, source string) {
	hash := node.TxHash(raw)
	now := time.Now()
	mp.mu.Lock()
	if _, ok := mp.seen[hash]; ok {
		mp.mu.Unlock()
		return
	}
	mp.seen[hash] = &seenTx{at: now}
	mp.mu.Unlock()

	tx := mp.node.DecodeTx(raw)
	msg := PendingTx{Hash: hash, Messages: tx.Messages, Signers: tx.Signers, Fee: tx.Fee, Memo: tx.Memo,
		Size: len(raw), AdmittedAt: now.UTC(), Source: source}
	if err := mp.hub.Publish(ws.TopicNewTransactions, 0, msg); err != nil {
		mp.log.Error("publishing a pending tx", "hash", hash, "err", err)
	}
}

// Included records that a block carried these transactions: their latency
// from admission to commit goes to the metrics.
func (mp *Mempool) Included(hashes []string, at time.Time) {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	for _, h := range hashes {
		s, ok := mp.seen[h]
		if !ok {
			// Never seen pending (in and out between two polls): do not announce it late.
			mp.seen[h] = &seenTx{at: at, included: true}
			continue
		}
		if !s.included {
			s.included = true
			if d := at.Sub(s.at); d >= 0 {
				mp.metrics.TxLatency.Observe(d.Seconds())
			}
		}
	}
}

// cometMaxPerPage is the largest page CometBFT's unconfirmed_txs serves
// (rpc/core's maxPerPage); asking for more is silently cut to it.
const cometMaxPerPage = 100

// Run polls the mempool until ctx ends.
func (mp *Mempool) Run(ctx context.Context) {
	tick := time.NewTicker(mp.interval)
	defer tick.Stop()
	prune := time.NewTicker(time.Minute)
	defer prune.Stop()
	limit := cometMaxPerPage
	for {
		select {
		case <-ctx.Done():
			return
		case <-prune.C:
			mp.prune(time.Now().Add(-seenFor))
		case <-tick.C:
			res, err := mp.node.Comet.UnconfirmedTxs(ctx, &limit)
			if err != nil {
				continue
			}
			mp.metrics.MempoolSize.Set(float64(res.Total))
			mp.metrics.MempoolBytes.Set(float64(res.TotalBytes))
			for _, tx := range res.Txs {
				mp.Admitted(tx, "mempool")
			}
		}
	}
}

func (mp *Mempool) prune(before time.Time) {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	for h, s := range mp.seen {
		if s.at.Before(before) {
			delete(mp.seen, h)
		}
	}
}
