package netguard

import "github.com/prometheus/client_golang/prometheus"

// The guard's series live in the default registry, which the facade's
// metrics endpoint serves next to CometBFT's. They are package-wide, like
// CometBFT's own: every listener in the process is one label value.
var (
	openConns = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "aitbc_connections_open",
		Help: "Connections open on a public listener (admitted by the connection guard, not yet closed).",
	}, []string{"listener"})
	acceptedTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aitbc_connections_accepted_total",
		Help: "Connections admitted by the connection guard.",
	}, []string{"listener"})
	refusedTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aitbc_connections_refused_total",
		Help: "Connections refused by the connection guard, by reason (total_cap, per_ip_cap).",
	}, []string{"listener", "reason"})
	idleClosedTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aitbc_connections_idle_closed_total",
		Help: "Proxied connections closed after carrying no bytes for the idle timeout.",
	}, []string{"listener"})
	upstreamErrorsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aitbc_connections_upstream_errors_total",
		Help: "Proxied connections closed because the service behind the guard could not be reached.",
	}, []string{"listener"})
	fileLimit = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "aitbc_process_file_limit",
		Help: "The process's soft RLIMIT_NOFILE after the guard raised it: the budget the caps are drawn from.",
	})
)

func init() {
	prometheus.MustRegister(openConns, acceptedTotal, refusedTotal, idleClosedTotal, upstreamErrorsTotal, fileLimit)
}
