package system

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aitbc/chain/networks/monitoring"
)

// The shipped rules' chain-halted timing (networks/monitoring/rules/chain.yml).
const (
	haltedWindow = 10 * time.Second
	haltedFor    = 15 * time.Second
	monScrape    = time.Second
)

// TestMonitoring runs a 4-validator localnet and a real Prometheus with the
// configuration networks/monitoring generates from its localnet.json and the
// shipped rules. Every query of the Grafana dashboard must return data, every
// rule must evaluate without error; stopping 2 of 4 validators fires
// AITBCChainHalted within its window + for + two scrapes, and bringing them
// back resolves it (and fires AITBCProcessRestarted for both).
func TestMonitoring(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("AITBC_REQUIRE_PROMETHEUS") != "" {
			t.Fatal("prometheus not installed: run scripts/ci-deps.sh")
		}
		t.Skip("prometheus not installed (scripts/ci-deps.sh installs it)")
	}
	began := time.Now()
	ln := createLocalnet(t, localnetOptions{Validators: 4})
	ln.startAll()
	ln.waitAllHeight(2, 2*time.Minute)

	rules, err := filepath.Abs("../../networks/monitoring/rules/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := monitoring.PrometheusConfig(ln.net, monitoring.Options{ScrapeInterval: monScrape, RuleFiles: []string{rules}})
	if err != nil {
		t.Fatal(err)
	}
	prom := startPrometheusWith(t, bin, cfg)

	// Facade traffic, so the request-rate and latency panels have series.
	stopTraffic := make(chan struct{})
	trafficDone := make(chan struct{})
	go func() {
		defer close(trafficDone)
		client := http.Client{Timeout: 2 * time.Second}
		for {
			for i := range ln.nodes {
				if resp, err := client.Get(ln.nodes[i].facadeURL() + "/rpc/get_head"); err == nil {
					resp.Body.Close()
				}
			}
			select {
			case <-stopTraffic:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	prom.waitQuery(`count(up{job="aitbcd"} == 1)`, 30*time.Second, func(v float64) bool { return v == 4 })

	// 1. Every dashboard query returns data.
	exprs := dashboardExprs(t)
	pending := map[string]string{}
	for _, e := range exprs {
		pending[e] = "not run"
	}
	deadline := time.Now().Add(40 * time.Second)
	for len(pending) > 0 && time.Now().Before(deadline) {
		for e := range pending {
			n, err := prom.count(e)
			switch {
			case err != nil:
				pending[e] = err.Error()
			case n == 0:
				pending[e] = "no data"
			default:
				delete(pending, e)
			}
		}
		if len(pending) > 0 {
			time.Sleep(time.Second)
		}
	}
	close(stopTraffic)
	<-trafficDone
	for e, why := range pending {
		t.Errorf("dashboard query returns no data (%s): %s", why, e)
	}
	t.Logf("all %d dashboard queries returned data %.1fs after the test began", len(exprs), time.Since(began).Seconds())

	// 2. Every rule is loaded and evaluates without error (a many-to-many
	// match or a bad function shows here, not at load).
	for name, health := range prom.ruleHealth() {
		if health != "ok" {
			t.Errorf("rule %s: health %s", name, health)
		}
	}
	if a := prom.alert("AITBCChainHalted"); a != nil {
		t.Fatalf("AITBCChainHalted is %s on a healthy localnet", a.State)
	}
	if t.Failed() {
		t.FailNow()
	}

	// 3. Stop 2 of 4 validators: no 2/3 of the power, no blocks.
	ln.stopNode(2)
	ln.stopNode(3)
	stopped := time.Now()
	var fired *promAlert
	for fired == nil && time.Since(stopped) < 2*(haltedWindow+haltedFor) {
		if a := prom.alert("AITBCChainHalted"); a != nil && a.State == "firing" {
			fired = a
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if fired == nil {
		t.Fatalf("AITBCChainHalted did not fire within %s of stopping node2 and node3", 2*(haltedWindow+haltedFor))
	}
	firedAfter := time.Since(stopped)
	pendingFor := time.Since(fired.ActiveAt)
	// The chain's last block: the halt begins at its header time.
	top := ln.maxHeight()
	lastBlock := ln.nodes[0].blockMetas(top, top)[0].Time
	sinceLast := time.Since(lastBlock)
	t.Logf("AITBCChainHalted: last block %d at %.1fs after stopping 2 of 4 validators; pending %.1fs and firing %.1fs after the stop, %.1fs after the last block (window %s, for %s, scrapes every %s)",
		top, lastBlock.Sub(stopped).Seconds(), fired.ActiveAt.Sub(stopped).Seconds(), firedAfter.Seconds(), sinceLast.Seconds(), haltedWindow, haltedFor, monScrape)
	// From pending to firing: its for plus at most two scrapes (and our 250ms poll).
	if pendingFor > haltedFor+2*monScrape+500*time.Millisecond {
		t.Errorf("AITBCChainHalted fired %s after turning pending; want within for %s + 2 scrapes", pendingFor, haltedFor)
	}
	// From the last block: the window, the for, two scrapes and an evaluation.
	if limit := haltedWindow + haltedFor + 3*monScrape + time.Second; sinceLast > limit {
		t.Errorf("AITBCChainHalted fired %s after the last block; want within %s", sinceLast, limit)
	}

	// 4. Bring them back: blocks resume and the alert resolves.
	ln.startNode(2)
	ln.startNode(3)
	restored := time.Now()
	ln.waitAllHeight(ln.maxHeight()+1, 2*time.Minute)
	for prom.alert("AITBCChainHalted") != nil {
		if time.Since(restored) > time.Minute {
			t.Fatal("AITBCChainHalted still active a minute after restoring node2 and node3")
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("AITBCChainHalted resolved %.1fs after restarting node2 and node3", time.Since(restored).Seconds())
	for _, node := range []string{"node2", "node3"} {
		for {
			if a := prom.alertFor("AITBCProcessRestarted", node); a != nil && a.State == "firing" {
				break
			}
			if time.Since(restored) > time.Minute {
				t.Fatalf("AITBCProcessRestarted did not fire for %s", node)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	t.Logf("TestMonitoring wall time %.1fs", time.Since(began).Seconds())
}

// dashboardExprs are the queries of every panel of the Grafana dashboard,
// with its variables as Grafana would expand them for "All" nodes.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../networks/monitoring/grafana/aitbc.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("aitbc.json: %v", err)
	}
	expand := strings.NewReplacer("$instance", ".+", "$__rate_interval", "10s", "$__interval", "2s")
	var exprs []string
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %q has an empty query", p.Title)
			}
			exprs = append(exprs, expand.Replace(tg.Expr))
		}
	}
	if len(exprs) == 0 {
		t.Fatal("the dashboard has no queries")
	}
	return exprs
}

// startPrometheusWith runs Prometheus with the given configuration on a free
// loopback port; it is killed in t.Cleanup.
func startPrometheusWith(t *testing.T, bin string, cfg []byte) *prometheusServer {
	t.Helper()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePorts(t).RPC
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			if out, err := os.ReadFile(logFile.Name()); err == nil && len(out) > 0 {
				t.Logf("prometheus.log (tail):\n%s", lastBytes(string(out), 3000))
			}
		}
	})
	return &prometheusServer{t: t, port: port}
}

func lastBytes(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// apiGet decodes /api/v1/<path>'s data field.
func (p *prometheusServer) apiGet(path string, data any) error {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/%s", p.port, path))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var res struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return err
	}
	if res.Status != "success" {
		return fmt.Errorf("%s: %s", path, res.Error)
	}
	return json.Unmarshal(res.Data, data)
}

// count is how many series an instant query returns.
func (p *prometheusServer) count(q string) (int, error) {
	var data struct {
		Result []json.RawMessage `json:"result"`
	}
	if err := p.apiGet("query?query="+url.QueryEscape(q), &data); err != nil {
		return 0, err
	}
	return len(data.Result), nil
}

// ruleHealth is every loaded rule's health ("ok", "err", "unknown").
func (p *prometheusServer) ruleHealth() map[string]string {
	p.t.Helper()
	var data struct {
		Groups []struct {
			Rules []struct {
				Name      string `json:"name"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := p.apiGet("rules", &data); err != nil {
		p.t.Fatal(err)
	}
	out := map[string]string{}
	for _, g := range data.Groups {
		for _, r := range g.Rules {
			out[r.Name] = strings.TrimSpace(r.Health + " " + r.LastError)
		}
	}
	if len(out) < 12 {
		p.t.Fatalf("Prometheus loaded %d rules, want the 12 of networks/monitoring/rules: %v", len(out), out)
	}
	return out
}

type promAlert struct {
	Labels   map[string]string `json:"labels"`
	State    string            `json:"state"`
	ActiveAt time.Time         `json:"activeAt"`
}

func (p *prometheusServer) alerts() []promAlert {
	p.t.Helper()
	var data struct {
		Alerts []promAlert `json:"alerts"`
	}
	if err := p.apiGet("alerts", &data); err != nil {
		p.t.Fatal(err)
	}
	return data.Alerts
}

// alert is the pending or firing alert of that name, nil if none.
func (p *prometheusServer) alert(name string) *promAlert { return p.alertFor(name, "") }

// alertFor is the alert of that name for node ("" any node).
func (p *prometheusServer) alertFor(name, node string) *promAlert {
	for _, a := range p.alerts() {
		if a.Labels["alertname"] == name && (node == "" || a.Labels["node"] == node) {
			return &a
		}
	}
	return nil
}
