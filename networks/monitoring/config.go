package monitoring

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aitbc/chain/networks/localnet"
)

// JobName is the scrape job of the nodes' metrics endpoints; the rules
// select on it (up{job="aitbcd"}).
const JobName = "aitbcd"

// DefaultScrapeInterval suits the localnet's 1s blocks; the rules' windows
// (10s and up) hold at least three scrapes at this interval.
const DefaultScrapeInterval = 2 * time.Second

// Options shape the generated configuration.
type Options struct {
	// ScrapeInterval is how often every node is scraped; 0 is
	// DefaultScrapeInterval. Rules are evaluated as often.
	ScrapeInterval time.Duration
	// RuleFiles are paths or globs of rule files, as Prometheus reads them
	// (relative ones from the configuration file's directory).
	RuleFiles []string
}

// PrometheusConfig is a Prometheus configuration (YAML) scraping each node
// of n at its metrics endpoint (the facade's /metrics, which also serves
// CometBFT's series and the Go process collectors), labelled with the
// node's name and role.
func PrometheusConfig(n *localnet.Network, o Options) ([]byte, error) {
	if !n.Facade {
		return nil, errors.New("the localnet's nodes have no [facade] section in app.toml, so no metrics endpoint to scrape")
	}
	if o.ScrapeInterval == 0 {
		o.ScrapeInterval = DefaultScrapeInterval
	}
	if o.ScrapeInterval < 100*time.Millisecond {
		return nil, fmt.Errorf("scrape interval %s is below 100ms", o.ScrapeInterval)
	}
	interval := strconv.FormatInt(o.ScrapeInterval.Milliseconds(), 10) + "ms"
	var b strings.Builder
	fmt.Fprintf(&b, "# Generated from %s/%s by networks/monitoring/promconfig; do not edit.\n", n.Dir(), localnet.ManifestFile)
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n", interval, interval, interval)
	if len(o.RuleFiles) > 0 {
		b.WriteString("rule_files:\n")
		for _, f := range o.RuleFiles {
			fmt.Fprintf(&b, "  - %s\n", strconv.Quote(f))
		}
	}
	fmt.Fprintf(&b, "scrape_configs:\n  - job_name: %s\n    static_configs:\n", JobName)
	for _, node := range n.Nodes {
		if node.Ports.Metrics == 0 {
			return nil, fmt.Errorf("%s has no metrics port in %s", node.Name, localnet.ManifestFile)
		}
		fmt.Fprintf(&b, "      - targets: [\"127.0.0.1:%d\"]\n        labels: {node: %s, role: %s}\n",
			node.Ports.Metrics, strconv.Quote(node.Name), strconv.Quote(node.Role))
	}
	return []byte(b.String()), nil
}
