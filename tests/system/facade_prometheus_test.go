package system

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// prometheusServer is a real Prometheus (Debian package `prometheus`,
// installed by scripts/ci-deps.sh) scraping one metrics endpoint.
type prometheusServer struct {
	t    *testing.T
	port int
}

// startPrometheus scrapes target every second. Without the binary it
// returns nil and the scrape check is skipped, unless AITBC_REQUIRE_PROMETHEUS
// is set (.ci/run sets it), so CI cannot pass without really scraping.
func startPrometheus(t *testing.T, target string) *prometheusServer {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("AITBC_REQUIRE_PROMETHEUS") != "" {
			t.Fatal("prometheus not installed: run scripts/ci-deps.sh")
		}
		t.Log("prometheus not installed (scripts/ci-deps.sh installs it); skipping the scrape check")
		return nil
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: aitbcd
    static_configs:
      - targets: ['%s']
`, target)
	return startPrometheusWith(t, bin, []byte(cfg))
}

// query runs an instant query and returns the first sample's value.
func (p *prometheusServer) query(q string) (float64, error) {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/query?query=%s", p.port, url.QueryEscape(q)))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var res struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return 0, err
	}
	if res.Status != "success" {
		return 0, fmt.Errorf("query %s: %s", q, res.Error)
	}
	if len(res.Data.Result) == 0 {
		return 0, fmt.Errorf("query %s: no samples yet", q)
	}
	s, _ := res.Data.Result[0].Value[1].(string)
	return strconv.ParseFloat(s, 64)
}

// waitQuery polls a query until ok accepts its value.
func (p *prometheusServer) waitQuery(q string, within time.Duration, ok func(float64) bool) float64 {
	p.t.Helper()
	deadline := time.Now().Add(within)
	var last float64
	var lastErr error
	for time.Now().Before(deadline) {
		v, err := p.query(q)
		if err == nil && ok(v) {
			return v
		}
		last, lastErr = v, err
		time.Sleep(500 * time.Millisecond)
	}
	p.t.Fatalf("Prometheus query %s: last value %v, %v", q, last, lastErr)
	return 0
}
