// Command promconfig writes the Prometheus configuration that scrapes every
// node of a localnet, read from its localnet.json (see package monitoring).
//
//	go run ./networks/monitoring/promconfig --localnet ~/.aitbcd-localnet --out prometheus.yml
//
// METRICS_PORT moves the metrics ports as it does for `aitbcd localnet
// start` (node i on METRICS_PORT+100*i); set it alike for both.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aitbc/chain/networks/localnet"
	"github.com/aitbc/chain/networks/monitoring"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "promconfig:", err)
		os.Exit(1)
	}
}

func run() error {
	home, _ := os.UserHomeDir()
	dir := flag.String("localnet", filepath.Join(home, ".aitbcd-localnet"), "the localnet's directory (holds localnet.json)")
	out := flag.String("out", "", "file to write; empty writes to stdout")
	rules := flag.String("rules", "", "comma-separated rule files or globs for rule_files (made absolute)")
	interval := flag.Duration("scrape-interval", monitoring.DefaultScrapeInterval, "scrape and rule evaluation interval")
	flag.Parse()

	n, err := localnet.Load(*dir)
	if err != nil {
		return fmt.Errorf("reading the localnet in %s: %w", *dir, err)
	}
	if raw := strings.TrimSpace(os.Getenv(localnet.EnvMetricsPort)); raw != "" {
		port, err := strconv.Atoi(raw)
		if err != nil || port <= 0 || port > 65535 {
			return fmt.Errorf("invalid %s=%q: want a port number", localnet.EnvMetricsPort, raw)
		}
		if err := n.ApplySeedPorts(localnet.Seed{MetricsPort: port}); err != nil {
			return err
		}
	}
	opts := monitoring.Options{ScrapeInterval: *interval}
	for _, r := range strings.Split(*rules, ",") {
		if r = strings.TrimSpace(r); r != "" {
			abs, err := filepath.Abs(r)
			if err != nil {
				return err
			}
			opts.RuleFiles = append(opts.RuleFiles, abs)
		}
	}
	cfg, err := monitoring.PrometheusConfig(n, opts)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = os.Stdout.Write(cfg)
		return err
	}
	return os.WriteFile(*out, cfg, 0o644)
}
