package system

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// The seed's variables apply alike under start, devnet, localnet and
// facade. Each test sets all of them and checks what a user would: the
// facade answers on RPC_HOST and the given ports (and nowhere else), the log
// is at LOG_LEVEL, blocks follow BLOCK_TIME and the index is in DATABASE_URL.
// RPC_HOST is 127.0.0.2: a loopback address that is not the default host,
// so "the default answers" and "the variable answers" differ.

const seedHost = "127.0.0.2"

// seedVars are one run's values of the seed's variables.
type seedVars struct {
	rest, ws, metrics int
	db                string // the SQLite file DATABASE_URL names
	blockTime         time.Duration
}

// freeSeedPorts picks REST, WebSocket and metrics ports that are free on
// both loopback addresses now, for nodes nodes (node i: port + 100*i, the
// localnet's rule).
func freeSeedPorts(t *testing.T, dir string, nodes int) seedVars {
	t.Helper()
	v := seedVars{db: filepath.Join(dir, "seed-index.db"), blockTime: 400 * time.Millisecond}
	for attempt := 0; attempt < 200; attempt++ {
		p := freePorts(t)
		cand := []int{p.REST, p.WS, p.Metrics}
		if slices.ContainsFunc(cand, func(c int) bool { return c+100*nodes > 65535 }) {
			continue
		}
		ok := true
		var ls []net.Listener
		for i := 0; i < nodes && ok; i++ {
			for _, c := range cand {
				for _, host := range []string{"127.0.0.1", seedHost} {
					l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", host, c+100*i))
					if err != nil {
						ok = false
						break
					}
					ls = append(ls, l)
				}
			}
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			v.rest, v.ws, v.metrics = p.REST, p.WS, p.Metrics
			return v
		}
	}
	t.Fatal("no free seed ports")
	return v
}

func (v seedVars) env() []string {
	return []string{
		"RPC_HOST=" + seedHost,
		fmt.Sprintf("RPC_PORT=%d", v.rest), fmt.Sprintf("WS_PORT=%d", v.ws), fmt.Sprintf("METRICS_PORT=%d", v.metrics),
		"DATABASE_URL=sqlite://" + v.db,
		"LOG_LEVEL=debug",
		"BLOCK_TIME=" + v.blockTime.String(),
		// JSON logs, so the test can read them.
		"AITBCD_LOG_FORMAT=json",
	}
}

// nodeOnlyArgs put CometBFT and Cosmos on free loopback ports and leave the
// facade's addresses to the seed's variables.
func nodeOnlyArgs(p ports) []string {
	return []string{
		"--rpc.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", p.RPC),
		"--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", p.P2P),
		"--grpc.address", fmt.Sprintf("127.0.0.1:%d", p.GRPC),
		"--api.address", fmt.Sprintf("tcp://127.0.0.1:%d", p.API),
		"--rpc.pprof_laddr", "",
	}
}

// waitAnswers waits until an HTTP GET of url gets any answer.
func waitAnswers(t *testing.T, url string, within time.Duration, logPath string) int {
	t.Helper()
	client := http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(within)
	var lastErr error
	for time.Now().Before(deadline) {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			return resp.StatusCode
		}
		lastErr = err
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("GET %s: no answer within %s: %v\n%s", url, within, lastErr, tail(logPath))
	return 0
}

func tail(path string) string {
	raw, _ := os.ReadFile(path)
	if len(raw) > 4000 {
		raw = raw[len(raw)-4000:]
	}
	return string(raw)
}

// logLines decodes the JSON lines of a node's log (other lines are skipped).
func logLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// checkFacade checks that the facade of one process answers on the given
// host and ports, listens nowhere else, and logs at debug level.
func checkFacade(t *testing.T, logPath string, rest, ws, metrics int) {
	t.Helper()
	waitAnswers(t, fmt.Sprintf("http://%s:%d/health", seedHost, rest), 90*time.Second, logPath)
	// A plain GET on the WebSocket port is answered (400: no upgrade).
	waitAnswers(t, fmt.Sprintf("http://%s:%d/", seedHost, ws), 10*time.Second, logPath)
	if code := waitAnswers(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics), 10*time.Second, logPath); code != http.StatusOK {
		t.Errorf("metrics on METRICS_PORT answered %d", code)
	}
	// RPC_HOST moved REST and WebSocket off 127.0.0.1.
	for _, port := range []int{rest, ws} {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
			c.Close()
			t.Errorf("something answers on 127.0.0.1:%d although RPC_HOST=%s", port, seedHost)
		}
	}
	// Nothing on the defaults: the facade logs every address it listens on.
	var listening []string
	debug := false
	for _, line := range logLines(t, logPath) {
		if line["message"] == "facade listening" {
			listening = append(listening, fmt.Sprint(line["address"]))
		}
		debug = debug || line["level"] == "debug"
	}
	sort.Strings(listening)
	want := []string{fmt.Sprintf("%s:%d", seedHost, rest), fmt.Sprintf("%s:%d", seedHost, ws), fmt.Sprintf("127.0.0.1:%d", metrics)}
	sort.Strings(want)
	if !slices.Equal(listening, want) {
		t.Errorf("facade listening on %v, want %v (RPC_HOST, RPC_PORT, WS_PORT, METRICS_PORT)", listening, want)
	}
	for _, port := range []int{9080, 9081} {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("%s:%d", seedHost, port), time.Second); err == nil {
			c.Close()
			t.Errorf("the default port %d answers on %s", port, seedHost)
		}
	}
	if !debug {
		t.Errorf("LOG_LEVEL=debug, but the log has no debug line")
	}
}

// checkBlockTime checks that the node's blocks follow BLOCK_TIME (the
// configured default is 1s): the median gap of 6 blocks is below 0.8s.
func checkBlockTime(t *testing.T, n *node, blockTime time.Duration) {
	t.Helper()
	h := n.waitForHeight(3, 60*time.Second)
	n.waitForHeight(h+6, 30*time.Second)
	metas := n.blockMetas(h, h+6)
	var gaps []time.Duration
	for i := 1; i < len(metas); i++ {
		gaps = append(gaps, metas[i].Time.Sub(metas[i-1].Time))
	}
	slices.Sort(gaps)
	if median := gaps[len(gaps)/2]; median < blockTime || median > 2*blockTime {
		t.Errorf("BLOCK_TIME=%s, but the median block gap is %s (gaps %v)", blockTime, median, gaps)
	}
}

// checkIndexDB waits until the SQL index is written to DATABASE_URL's file
// and checks the default one in dataDir was not made.
func checkIndexDB(t *testing.T, db, dataDir string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if st, err := os.Stat(db); err == nil && st.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("DATABASE_URL=sqlite://%s, but the file was not written", db)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if dataDir == "" {
		return
	}
	if _, err := os.Stat(filepath.Join(dataDir, "index.db")); err == nil {
		t.Errorf("DATABASE_URL is set, but the default index %s was made too", filepath.Join(dataDir, "index.db"))
	}
}

func TestSeedEnvStart(t *testing.T) {
	n := newNode(t, filepath.Join(t.TempDir(), "node"))
	n.mustCLI("devnet", "--no-start")
	v := freeSeedPorts(t, t.TempDir(), 1)
	n.start(v.env(), append([]string{"start", "--home", n.home}, nodeOnlyArgs(n.ports)...)...)
	logPath := filepath.Join(n.home, "node.log")
	checkFacade(t, logPath, v.rest, v.ws, v.metrics)
	checkBlockTime(t, n, v.blockTime)
	checkIndexDB(t, v.db, filepath.Join(n.home, "data"))
}

func TestSeedEnvDevnet(t *testing.T) {
	n := newNode(t, filepath.Join(t.TempDir(), "devnet"))
	n.mustCLI("devnet", "--no-start") // node.log goes into the home: make it first
	v := freeSeedPorts(t, t.TempDir(), 1)
	n.start(v.env(), append([]string{"devnet", "--home", n.home, "--"}, nodeOnlyArgs(n.ports)...)...)
	logPath := filepath.Join(n.home, "node.log")
	checkFacade(t, logPath, v.rest, v.ws, v.metrics)
	checkBlockTime(t, n, v.blockTime)
	checkIndexDB(t, v.db, filepath.Join(n.home, "data"))
}

// TestSeedEnvLocalnet: node0 takes the given ports, node1 the ports + 100;
// RPC_HOST, LOG_LEVEL and BLOCK_TIME apply to both; DATABASE_URL to node0,
// the localnet's one indexer.
func TestSeedEnvLocalnet(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "localnet")
	base := freeBasePort(t, 2*localnetStride)
	v := freeSeedPorts(t, t.TempDir(), 2)
	t.Cleanup(func() { killLocalnetProcesses(t, dir) })
	out := runBin(t, v.env(), "localnet", "start", "--home", dir, "--validators", "2",
		"--base-port", itoa(int64(base)), "--wait", "2m")
	if !strings.Contains(out, "DATABASE_URL applies to node0") {
		t.Errorf("localnet start does not say where DATABASE_URL goes:\n%s", out)
	}
	for i := 0; i < 2; i++ {
		rest := fmt.Sprintf("http://127.0.0.1:%d", v.rest+100*i)
		if !strings.Contains(out, rest) {
			t.Errorf("node%d's facade REST %s is not printed:\n%s", i, rest, out)
		}
	}
	ln := loadLocalnet(t, dir, nil)
	for i, n := range ln.nodes {
		t.Run(fmt.Sprintf("node%d", i), func(t *testing.T) {
			checkFacade(t, filepath.Join(n.home, "node.log"), v.rest+100*i, v.ws+100*i, v.metrics+100*i)
		})
	}
	checkBlockTime(t, ln.nodes[0], v.blockTime)
	checkIndexDB(t, v.db, filepath.Join(ln.nodes[0].home, "data"))
	// Ports that would collide between nodes are refused before any node starts.
	runBin(t, nil, "localnet", "stop", "--home", dir)
	bad := []string{fmt.Sprintf("RPC_PORT=%d", v.rest), fmt.Sprintf("METRICS_PORT=%d", v.rest+100)}
	if _, err := runBinErr(bad, "localnet", "start", "--home", dir, "--wait", "0"); err == nil ||
		!strings.Contains(err.Error(), "would serve both") {
		t.Fatalf("colliding seed ports: want a refusal, got %v", err)
	}
}

// TestSeedEnvFacade: `aitbcd facade` alone (its node need not answer for
// the listeners to open).
func TestSeedEnvFacade(t *testing.T) {
	home := filepath.Join(t.TempDir(), "facade")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	n := newNode(t, home)
	v := freeSeedPorts(t, t.TempDir(), 1)
	n.start(v.env(), "facade", "--home", home,
		"--node", fmt.Sprintf("tcp://127.0.0.1:%d", n.ports.RPC), "--grpc", fmt.Sprintf("127.0.0.1:%d", n.ports.GRPC))
	checkFacade(t, filepath.Join(home, "node.log"), v.rest, v.ws, v.metrics)
	checkIndexDB(t, v.db, "")
}
