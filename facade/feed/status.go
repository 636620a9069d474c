package feed

import (
	"context"
	"time"

	"github.com/aitbc/chain/facade/metrics"
	"github.com/aitbc/chain/facade/node"
)

// Status polls the node's liveness and peer count for the metrics: a gauge
// read at scrape time would make every scrape wait on the node.
func Status(ctx context.Context, n *node.Node, m *metrics.Metrics, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		pollCtx, cancel := context.WithTimeout(ctx, every)
		if st, err := n.Comet.Status(pollCtx); err != nil {
			m.NodeUp.Set(0)
		} else {
			m.NodeUp.Set(1)
			m.SetHeight(st.SyncInfo.LatestBlockHeight)
		}
		if ni, err := n.Comet.NetInfo(pollCtx); err == nil {
			m.NetworkPeers.Set(float64(ni.NPeers))
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
