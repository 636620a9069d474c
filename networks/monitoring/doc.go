// Package monitoring is the localnet's monitoring stack: it writes the
// Prometheus configuration that scrapes every node of a localnet (from its
// localnet.json) and loads the alert rules beside it (rules/*.yml, unit
// tested by promtool with tests/*.yml). grafana/aitbc.json is the dashboard.
// `make monitor` runs Debian's Prometheus with it; docs/operations.md
// "Monitoring" says what each alert means.
package monitoring
