package monitoring

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aitbc/chain/networks/localnet"
)

func testNetwork(t *testing.T, facade bool) *localnet.Network {
	n := &localnet.Network{ChainID: localnet.ChainID, Facade: facade, Nodes: []localnet.Node{
		{Name: "node0", Role: localnet.RoleValidator, Ports: localnet.PortsFor(26700, 0)},
		{Name: "node1", Role: localnet.RoleFullNode, Ports: localnet.PortsFor(26700, 1)},
	}}
	n.SetDir(t.TempDir())
	return n
}

// The configuration scrapes each node's metrics port with its name and
// role, loads the rules, and is valid for promtool (when installed).
func TestPrometheusConfig(t *testing.T) {
	rules, err := filepath.Abs("rules/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := PrometheusConfig(testNetwork(t, true), Options{ScrapeInterval: 500 * time.Millisecond, RuleFiles: []string{rules}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`targets: ["127.0.0.1:26706"]`, `labels: {node: "node0", role: "validator"}`,
		`targets: ["127.0.0.1:26716"]`, `labels: {node: "node1", role: "full"}`,
		"scrape_interval: 500ms", "job_name: aitbcd", rules,
	} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (scripts/ci-deps.sh installs it)")
	}
	file := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(file, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "config", file).CombinedOutput(); err != nil {
		t.Fatalf("promtool check config: %v\n%s\n%s", err, out, cfg)
	}
}

// A localnet without the facade has no metrics endpoint: a clear error.
func TestPrometheusConfigWithoutFacade(t *testing.T) {
	if _, err := PrometheusConfig(testNetwork(t, false), Options{}); err == nil || !strings.Contains(err.Error(), "[facade]") {
		t.Fatalf("got %v, want an error naming the missing [facade] section", err)
	}
}
