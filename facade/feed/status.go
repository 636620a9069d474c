package feed

import (
	"context"
	"time"

	"github.com/aitbc/chain/facade/metrics"
	"github.com/aitbc/chain/facade/node"
)

// computeEvery is how many status polls pass between x/compute polls, which
// page through the module's indexes.
const computeEvery = 5

// Status polls the node's liveness, peer count and x/compute totals for the
// metrics: a gauge read at scrape time would make every scrape wait on the node.
func Status(ctx context.Context, n *node.Node, m *metrics.Metrics, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for i := 0; ; i++ {
		if i%computeEvery == 0 {
			pollCompute(ctx, n, m, every)
		}
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

func pollCompute(ctx context.Context, n *node.Node, m *metrics.Metrics, timeout time.Duration) {
	pollCtx, cancel := context.WithTimeout(ctx, 5*timeout)
	defer cancel()
	st, err := n.ComputeStats(pollCtx)
	if err != nil {
		return // a node without x/compute, or down: the gauges keep their last values
	}
	m.ComputeProviders.Set(float64(st.Providers))
	m.ComputeJobEscrow.Set(st.JobEscrow)
	m.ComputeProviderBonds.Set(st.ProviderBonds)
	for state, c := range st.JobsByState {
		m.ComputeJobs.WithLabelValues(state).Set(float64(c))
	}
}
