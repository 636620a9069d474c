package indexer

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the indexer's Prometheus series: how far the SQL index is
// behind the node (the "SQL indexer lag" alert in networks/monitoring).
type Metrics struct {
	// Height is the last height written to SQL (the cursor).
	Height prometheus.Gauge
	// NodeHeight is the node's highest indexable height at the indexer's
	// last look; NodeHeight - Height is the lag as the indexer sees it.
	NodeHeight prometheus.Gauge
}

// NewMetrics registers the indexer's series in reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Height: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "indexer_height",
			Help: "Last block height written to the SQL index.",
		}),
		NodeHeight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "indexer_node_height",
			Help: "The node's highest committed height at the indexer's last look; minus indexer_height, the index lag in blocks.",
		}),
	}
	reg.MustRegister(m.Height, m.NodeHeight)
	return m
}

// defaultMetrics are registered once in Prometheus's default registry,
// which the facade's metrics endpoint serves (with CometBFT's series), so
// the node's indexer is measured without any wiring.
var defaultMetrics = sync.OnceValue(func() *Metrics { return NewMetrics(prometheus.DefaultRegisterer) })
