// Package metrics defines the seed's Prometheus series and the facade's own,
// and serves them together with CometBFT's metrics and the Go process
// collectors (all in the default registry) from one endpoint.
package metrics

import (
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the facade's series. The zero value is not usable; call New.
type Metrics struct {
	registry *prometheus.Registry
	height   atomic.Int64

	TransactionsTotal prometheus.Counter
	ConsensusRounds   prometheus.Gauge
	NetworkPeers      prometheus.Gauge
	BlockInterval     prometheus.Histogram
	MempoolSize       prometheus.Gauge
	MempoolBytes      prometheus.Gauge
	TxLatency         prometheus.Histogram
	NodeUp            prometheus.Gauge

	ComputeProviders     prometheus.Gauge
	ComputeJobs          *prometheus.GaugeVec
	ComputeJobEscrow     prometheus.Gauge
	ComputeProviderBonds prometheus.Gauge

	Requests        *prometheus.CounterVec
	RequestDuration *prometheus.HistogramVec
	WSClients       prometheus.Gauge
	WSMessages      *prometheus.CounterVec
	WSSlowClients   prometheus.Counter
	// HTTPRefused counts REST requests refused before any endpoint ran, by
	// reason (RefusedRateLimit, RefusedHeaders); WSRefused WebSocket upgrades
	// refused by reason (RefusedMaxClients, RefusedMaxClientsPerIP, RefusedUpgradeRate).
	HTTPRefused    *prometheus.CounterVec
	WSRefused      *prometheus.CounterVec
	WSPingTimeouts prometheus.Counter
}

// Refusal reasons, the reason label of facade_http_refused_total and facade_ws_refused_total.
const (
	RefusedRateLimit       = "rate_limit"         // 429: rate-limit / rate-burst
	RefusedHeaders         = "headers_too_large"  // 431
	RefusedMaxClients      = "max_clients"        // 503: ws-max-clients
	RefusedMaxClientsPerIP = "max_clients_per_ip" // 429: ws-max-clients-per-ip
	RefusedUpgradeRate     = "upgrade_rate"       // 429: ws-upgrade-rate / ws-upgrade-burst
)

// New registers the series in a registry of their own, so that several
// facades (tests, benchmarks) can live in one process.
func New() *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.registry.MustRegister(c) }

	// The chain's height is the number of blocks it has produced.
	f(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "blockchain_blocks_total",
		Help: "Blocks produced by the chain: the latest committed height the facade has seen.",
	}, func() float64 { return float64(m.height.Load()) }))
	m.TransactionsTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "blockchain_transactions_total",
		Help: "Transactions included in the blocks this facade has seen since it started.",
	})
	// A gauge: the seed's name has no _total suffix, which Prometheus reserves for counters.
	m.ConsensusRounds = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "blockchain_consensus_rounds",
		Help: "Consensus rounds completed for the blocks seen since the facade started (1 per block plus extra rounds).",
	})
	m.NetworkPeers = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "blockchain_network_peers",
		Help: "Peers the node is connected to.",
	})
	m.BlockInterval = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "blockchain_block_interval_seconds",
		Help:    "Time between consecutive block headers.",
		Buckets: []float64{0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60},
	})
	m.MempoolSize = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "blockchain_mempool_size",
		Help: "Transactions waiting in the node's mempool.",
	})
	m.MempoolBytes = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "blockchain_mempool_size_bytes",
		Help: "Bytes of the transactions waiting in the node's mempool.",
	})
	m.TxLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "blockchain_tx_latency_seconds",
		Help:    "Time from a transaction's admission to the mempool (as the facade saw it) to its block's commit.",
		Buckets: []float64{0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60},
	})
	m.NodeUp = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "facade_node_up",
		Help: "1 when the node behind the facade answered its last status poll.",
	})
	m.ComputeProviders = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "blockchain_compute_providers",
		Help: "GPU providers registered in x/compute.",
	})
	m.ComputeJobs = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "blockchain_compute_jobs",
		Help: "x/compute jobs by state (open, assigned, delivered, disputed, settled, refunded, expired, cancelled).",
	}, []string{"state"})
	m.ComputeJobEscrow = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "blockchain_compute_job_escrow_uait",
		Help: "uait x/compute holds in escrow for unfinished jobs.",
	})
	m.ComputeProviderBonds = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "blockchain_compute_provider_bonds_uait",
		Help: "uait x/compute holds as provider bonds.",
	})
	m.Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "facade_http_requests_total",
		Help: "REST requests by endpoint and status code.",
	}, []string{"endpoint", "code"})
	m.RequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "facade_http_request_duration_seconds",
		Help:    "REST request latency by endpoint.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"endpoint"})
	m.WSClients = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "facade_ws_clients",
		Help: "Connected WebSocket clients.",
	})
	m.WSMessages = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "facade_ws_messages_total",
		Help: "Messages queued to WebSocket clients by topic.",
	}, []string{"topic"})
	m.WSSlowClients = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "facade_ws_slow_consumer_disconnects_total",
		Help: "WebSocket clients disconnected because their queue was full.",
	})
	m.HTTPRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "facade_http_refused_total",
		Help: "REST requests refused before reaching an endpoint, by reason (rate_limit: 429, headers_too_large: 431).",
	}, []string{"reason"})
	m.WSRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "facade_ws_refused_total",
		Help: "WebSocket upgrades refused, by reason (max_clients: 503, max_clients_per_ip and upgrade_rate: 429).",
	}, []string{"reason"})
	m.WSPingTimeouts = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "facade_ws_ping_timeout_disconnects_total",
		Help: "WebSocket clients disconnected because they sent nothing, not even a pong, for two ping intervals.",
	})
	// Every reason is a series from the start, so rate() and alerts see 0, not nothing.
	for _, r := range []string{RefusedRateLimit, RefusedHeaders} {
		m.HTTPRefused.WithLabelValues(r)
	}
	for _, r := range []string{RefusedMaxClients, RefusedMaxClientsPerIP, RefusedUpgradeRate} {
		m.WSRefused.WithLabelValues(r)
	}
	for _, c := range []prometheus.Collector{
		m.TransactionsTotal, m.ConsensusRounds, m.NetworkPeers, m.BlockInterval, m.MempoolSize,
		m.MempoolBytes, m.TxLatency, m.NodeUp, m.ComputeProviders, m.ComputeJobs, m.ComputeJobEscrow,
		m.ComputeProviderBonds, m.Requests, m.RequestDuration, m.WSClients,
		m.WSMessages, m.WSSlowClients, m.HTTPRefused, m.WSRefused, m.WSPingTimeouts,
	} {
		f(c)
	}
	return m
}

// SetHeight records the latest height; it never goes down.
func (m *Metrics) SetHeight(h int64) {
	for {
		cur := m.height.Load()
		if h <= cur || m.height.CompareAndSwap(cur, h) {
			return
		}
	}
}

// Handler serves the facade's series, CometBFT's (registered in the default
// registry when instrumentation is on) and the Go/process collectors.
func (m *Metrics) Handler() http.Handler {
	gatherers := prometheus.Gatherers{m.registry, prometheus.DefaultGatherer}
	return promhttp.HandlerFor(gatherers, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 8,
	})
}
