package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cometbft/cometbft/p2p"

	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/networks/localnet"
)

func TestLocalnetPortScheme(t *testing.T) {
	want0 := LocalnetPorts{P2P: 26700, RPC: 26701, GRPC: 26702, API: 26703, FacadeREST: 26704, FacadeWS: 26705, Metrics: 26706}
	if got := LocalnetPortsFor(DefaultLocalnetBasePort, 0); got != want0 {
		t.Fatalf("node0 ports %+v, want %+v", got, want0)
	}
	want3 := LocalnetPorts{P2P: 30030, RPC: 30031, GRPC: 30032, API: 30033, FacadeREST: 30034, FacadeWS: 30035, Metrics: 30036}
	if got := LocalnetPortsFor(30000, 3); got != want3 {
		t.Fatalf("node3 ports %+v, want %+v", got, want3)
	}
	// No two services of the largest localnet share a port, and none is a
	// default of the devnet or of a lone node.
	seen := map[int]string{}
	reserved := map[int]bool{26656: true, 26657: true, 1317: true, 9091: true, 9080: true, 9081: true, 9090: true}
	for i := 0; i < MaxLocalnetNodes; i++ {
		p := LocalnetPortsFor(DefaultLocalnetBasePort, i)
		for _, port := range []int{p.P2P, p.RPC, p.GRPC, p.API, p.FacadeREST, p.FacadeWS, p.Metrics} {
			if port < DefaultLocalnetBasePort+LocalnetPortStride*i || port >= DefaultLocalnetBasePort+LocalnetPortStride*(i+1) {
				t.Fatalf("node%d's port %d lies outside its block", i, port)
			}
			if prev, dup := seen[port]; dup {
				t.Fatalf("port %d used by node%d and %s", port, i, prev)
			}
			if reserved[port] {
				t.Fatalf("node%d uses the default port %d", i, port)
			}
			seen[port] = "node" + strconv.Itoa(i)
		}
	}
}

func TestResolveConsensusMode(t *testing.T) {
	cases := []struct {
		name     string
		env      string
		flag     string
		flagSet  bool
		want     ConsensusMode
		explicit bool
		errNames string
	}{
		{name: "default", want: ConsensusModePoA},
		{name: "env", env: "hybrid", want: ConsensusModeHybrid, explicit: true},
		{name: "env any case and spaces", env: " PoS ", want: ConsensusModePoS, explicit: true},
		{name: "flag beats env", env: "pos", flag: "hybrid", flagSet: true, want: ConsensusModeHybrid, explicit: true},
		{name: "flag at its default still explicit", flag: "poa", flagSet: true, want: ConsensusModePoA, explicit: true},
		{name: "bad env", env: "proof-of-magic", errNames: "CONSENSUS_MODE"},
		{name: "bad flag", env: "pos", flag: "POA2", flagSet: true, errNames: "--consensus-mode"},
		{name: "empty flag", flag: "", flagSet: true, errNames: "--consensus-mode"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == EnvConsensusMode {
					return c.env
				}
				return ""
			}
			got, explicit, err := resolveConsensusMode(getenv, c.flag, c.flagSet)
			if c.errNames != "" {
				if err == nil || !strings.Contains(err.Error(), c.errNames) || !strings.Contains(err.Error(), "poa, hybrid or pos") {
					t.Fatalf("want an error naming %s and the accepted values, got %v", c.errNames, err)
				}
				return
			}
			if err != nil || got != c.want || explicit != c.explicit {
				t.Fatalf("got %q explicit=%v err=%v, want %q explicit=%v", got, explicit, err, c.want, c.explicit)
			}
		})
	}
}

// TestPrepareLocalnet builds a 2-validator, 1-full-node localnet with the real
// commands and checks what the nodes will run with.
func TestPrepareLocalnet(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "localnet")
	opts := LocalnetOptions{Validators: 2, FullNodes: 1, BasePort: 20000, ConsensusMode: ConsensusModeHybrid, VotingPeriod: 20 * time.Second}
	l, created, err := PrepareLocalnet(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !created || l.ChainID != LocalnetChainID || l.ConsensusMode != ConsensusModeHybrid || len(l.Nodes) != 3 {
		t.Fatalf("created=%v localnet %+v", created, l)
	}

	genesis0, err := os.ReadFile(filepath.Join(dir, "node0", "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range l.Nodes {
		home := filepath.Join(dir, n.Name)
		if g, _ := os.ReadFile(filepath.Join(home, "config", "genesis.json")); !bytes.Equal(g, genesis0) {
			t.Errorf("%s has a different genesis", n.Name)
		}
		key, err := p2p.LoadNodeKey(filepath.Join(home, "config", "node_key.json"))
		if err != nil || string(key.ID()) != n.NodeID {
			t.Errorf("%s: node id %q in localnet.json, node key %v (%v)", n.Name, n.NodeID, key, err)
		}
		if n.Ports != LocalnetPortsFor(20000, i) {
			t.Errorf("%s ports %+v", n.Name, n.Ports)
		}
		if !strings.HasPrefix(n.Operator, "ait1") {
			t.Errorf("%s operator %q", n.Name, n.Operator)
		}
		for _, key := range []string{localnet.OperatorKey, "faucet", "alice", "bob", "carol"} {
			if _, err := os.Stat(filepath.Join(home, "keyring-test", key+".info")); err != nil {
				t.Errorf("%s's keyring lacks %s: %v", n.Name, key, err)
			}
		}

		config := readFile(t, filepath.Join(home, "config", "config.toml"))
		for _, want := range []string{
			"laddr = \"tcp://127.0.0.1:" + strconv.Itoa(n.Ports.RPC) + "\"",
			"laddr = \"tcp://127.0.0.1:" + strconv.Itoa(n.Ports.P2P) + "\"",
			"persistent_peers = \"" + l.Peers(i) + "\"",
			"allow_duplicate_ip = true\n",
			"addr_book_strict = false\n",
			"pprof_laddr = \"\"\n",
			"# Address to listen for incoming connections", // CometBFT's comments are kept
		} {
			if !strings.Contains(config, want) {
				t.Errorf("%s config.toml lacks %q", n.Name, want)
			}
		}
		appToml := readFile(t, filepath.Join(home, "config", "app.toml"))
		// Only node0 writes the SQL index.
		indexerSection := appToml[strings.Index(appToml, "[indexer]"):]
		if want := "enable = " + strconv.FormatBool(i == 0) + "\n"; !strings.Contains(indexerSection, want) {
			t.Errorf("%s [indexer] lacks %q", n.Name, want)
		}
		for _, want := range []string{
			"address = \"tcp://127.0.0.1:" + strconv.Itoa(n.Ports.API) + "\"",
			"address = \"127.0.0.1:" + strconv.Itoa(n.Ports.GRPC) + "\"",
			"iavl-cache-size = " + strconv.Itoa(DefaultIAVLCacheSize) + "\n", // init's default, not the SDK's
			"block-executor = \"" + app.DefaultBlockExecutor + "\"\n",        // likewise
		} {
			if !strings.Contains(appToml, want) {
				t.Errorf("%s app.toml lacks %q", n.Name, want)
			}
		}
		client := readFile(t, filepath.Join(home, "config", "client.toml"))
		for _, want := range []string{
			"chain-id = \"" + LocalnetChainID + "\"",
			"keyring-backend = \"test\"",
			"node = \"tcp://127.0.0.1:" + strconv.Itoa(n.Ports.RPC) + "\"",
		} {
			if !strings.Contains(client, want) {
				t.Errorf("%s client.toml lacks %q", n.Name, want)
			}
		}
	}

	// One gentx per validator; every operator (the full node's too) funded.
	genesis, err := genutiltypes.AppGenesisFromFile(filepath.Join(dir, "node0", "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if genesis.ChainID != LocalnetChainID {
		t.Fatalf("genesis chain id %q", genesis.ChainID)
	}
	var state struct {
		Bank struct {
			Balances []struct {
				Address string `json:"address"`
			} `json:"balances"`
		} `json:"bank"`
		Genutil struct {
			GenTxs []json.RawMessage `json:"gen_txs"`
		} `json:"genutil"`
		Poa struct {
			Params struct {
				Mode string `json:"mode"`
			} `json:"params"`
		} `json:"poa"`
		Gov struct {
			Params struct {
				VotingPeriod          string `json:"voting_period"`
				ExpeditedVotingPeriod string `json:"expedited_voting_period"`
			} `json:"params"`
		} `json:"gov"`
	}
	if err := json.Unmarshal(genesis.AppState, &state); err != nil {
		t.Fatal(err)
	}
	if p := state.Gov.Params; p.VotingPeriod != "20s" || p.ExpeditedVotingPeriod != "10s" || l.VotingPeriod != "20s" {
		t.Fatalf("gov voting periods %+v (localnet.json %q), want 20s and expedited 10s", p, l.VotingPeriod)
	}
	if state.Poa.Params.Mode != "MODE_HYBRID" {
		t.Fatalf("genesis x/poa mode %q, want MODE_HYBRID from the hybrid option", state.Poa.Params.Mode)
	}
	if len(state.Genutil.GenTxs) != 2 {
		t.Fatalf("%d gentxs, want one per validator (2)", len(state.Genutil.GenTxs))
	}
	funded := map[string]bool{}
	for _, b := range state.Bank.Balances {
		funded[b.Address] = true
	}
	for _, n := range l.Nodes {
		if !funded[n.Operator] {
			t.Errorf("%s's operator %s is not funded in genesis", n.Name, n.Operator)
		}
	}
	if want := len(l.Nodes) + len(localnet.SharedAccounts()); len(state.Bank.Balances) != want {
		t.Errorf("%d funded accounts, want %d", len(state.Bank.Balances), want)
	}

	// A second prepare resumes: same description, nothing rebuilt.
	again, created, err := PrepareLocalnet(dir, LocalnetOptions{Validators: 7, BasePort: 1, ConsensusMode: ConsensusModePoS})
	if err != nil || created {
		t.Fatalf("second PrepareLocalnet: created=%v err=%v", created, err)
	}
	if again.Validators != 2 || again.FullNodes != 1 || again.Nodes[2].NodeID != l.Nodes[2].NodeID {
		t.Fatalf("resumed localnet %+v differs from the created one", again)
	}
	if g, _ := os.ReadFile(filepath.Join(dir, "node0", "config", "genesis.json")); !bytes.Equal(g, genesis0) {
		t.Fatal("resuming rewrote the genesis")
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".creating-") {
			t.Fatalf("staging directory %s left behind", e.Name())
		}
	}

	// With the AITBC facade's [facade] section in app.toml, each node's facade
	// listeners move to its own ports instead of the seed's 9080/9081/9090.
	appToml := filepath.Join(dir, "node1", "config", "app.toml")
	if l.Facade != tomlHasSection(appToml, localnet.FacadeTomlSection) {
		t.Fatalf("localnet.json says facade=%v, app.toml disagrees", l.Facade)
	}
	facade := "\n[facade]\n# REST\nrest-address = \"127.0.0.1:9080\"\nws-address = \"127.0.0.1:9081\"\nmetrics-address = \"127.0.0.1:9090\"\n"
	if !l.Facade {
		if err := os.WriteFile(appToml, []byte(readFile(t, appToml)+facade), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l.Facade = true
	if err := l.ConfigureNode(1); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, appToml)
	for _, want := range []string{
		"rest-address = \"127.0.0.1:20014\"", "ws-address = \"127.0.0.1:20015\"", "metrics-address = \"127.0.0.1:20016\"",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("node1 app.toml lacks %q", want)
		}
	}
}

// testLocalnet is the shape PrepareLocalnet records: n nodes from base.
func testLocalnet(base, n int) *Localnet {
	l := &Localnet{BasePort: base}
	for i := 0; i < n; i++ {
		l.Nodes = append(l.Nodes, LocalnetNode{Name: fmt.Sprintf("node%d", i), Ports: LocalnetPortsFor(base, i)})
	}
	return l
}

// Each node gets its own facade ports from the seed's, node0 alone gets
// DATABASE_URL, and the variables every node shares pass through.
func TestLocalnetNodeEnv(t *testing.T) {
	environ := []string{"BLOCK_TIME=2s", "RPC_PORT=19580", "WS_PORT=19581", "RPC_HOST=0.0.0.0",
		"LOG_LEVEL=info", "RPC_PORTAL=x", "CONSENSUS_MODE=pos", "DATABASE_URL=sqlite:///tmp/index.db"}
	seed, err := LoadSeedEnv(func(k string) string {
		for _, kv := range environ {
			if name, v, _ := strings.Cut(kv, "="); name == k {
				return v
			}
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	l := testLocalnet(26700, 3)
	if err := applyLocalnetSeedPorts(l, seed); err != nil {
		t.Fatal(err)
	}
	shared := "BLOCK_TIME=2s RPC_HOST=0.0.0.0 LOG_LEVEL=info RPC_PORTAL=x CONSENSUS_MODE=pos"
	for i, want := range []string{
		shared + " RPC_PORT=19580 WS_PORT=19581 DATABASE_URL=sqlite:///tmp/index.db",
		shared + " RPC_PORT=19680 WS_PORT=19681",
		shared + " RPC_PORT=19780 WS_PORT=19781",
	} {
		if got := strings.Join(localnetNodeEnv(environ, l, i, seed), " "); got != want {
			t.Errorf("node%d environment\n %q, want\n %q", i, got, want)
		}
	}
	// METRICS_PORT unset: the localnet's own metrics port stays.
	if got := l.Nodes[2].Ports.Metrics; got != LocalnetPortsFor(26700, 2).Metrics {
		t.Errorf("node2 metrics port %d moved although METRICS_PORT is unset", got)
	}
	// Without the seed's ports, nothing is added.
	if got := strings.Join(localnetNodeEnv([]string{"LOG_LEVEL=info"}, testLocalnet(26700, 2), 1, SeedEnv{}), " "); got != "LOG_LEVEL=info" {
		t.Errorf("plain environment became %q", got)
	}
}

func TestLocalnetSeedPortsRefuseCollisions(t *testing.T) {
	cases := []struct {
		name  string
		seed  SeedEnv
		nodes int
		want  string // "" = accepted
	}{
		{"seed defaults", SeedEnv{RPCPort: 9080, WSPort: 9081, MetricsPort: 9090}, 4, ""},
		{"issue's ports", SeedEnv{RPCPort: 19580, WSPort: 19581, MetricsPort: 19590}, 20, ""},
		{"node1 rest on node0 metrics", SeedEnv{RPCPort: 9000, MetricsPort: 9100}, 2, "METRICS_PORT"},
		{"on a localnet port", SeedEnv{WSPort: 26711}, 2, "WS_PORT"},
		{"beyond 65535", SeedEnv{RPCPort: 65500}, 2, "RPC_PORT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := applyLocalnetSeedPorts(testLocalnet(26700, c.nodes), c.seed)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error naming %s, got %v", c.want, err)
			}
		})
	}
}

func TestPrepareLocalnetRefusesForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "precious.txt"), []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := LocalnetOptions{Validators: 1, BasePort: 20000, ConsensusMode: ConsensusModePoA}
	if _, _, err := PrepareLocalnet(dir, opts); err == nil || !strings.Contains(err.Error(), "--reset") {
		t.Fatalf("want a refusal that mentions --reset, got %v", err)
	}
	if err := resetLocalnet(dir, &bytes.Buffer{}); err == nil {
		t.Fatal("reset deleted a directory that holds no localnet")
	}
	if _, err := os.Stat(filepath.Join(dir, "precious.txt")); err != nil {
		t.Fatal("a foreign file was removed")
	}
}

// processRunning must tell a live node from a dead one, a zombie, and a
// process that merely reuses the pid.
func TestProcessRunning(t *testing.T) {
	home := filepath.Join(t.TempDir(), "node0")
	// sh -c's $0 is home, so home is on the command line as for `aitbcd start --home`.
	cmd := exec.Command("sh", "-c", "sleep 60 & wait", home)
	if err := cmd.Start(); err != nil {
		t.Skip("no sh:", err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if !processRunning(pid, home) {
		t.Fatal("a live process is reported stopped")
	}
	// Until the kernel publishes the new process's arguments, any home
	// matches (processRunning gives a process it may just have started the
	// benefit of the doubt); wait for them before asking about another home.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err != nil || len(b) > 0 {
			break
		}
	}
	if _, err := os.Stat("/proc/self/cmdline"); err == nil && processRunning(pid, filepath.Join(t.TempDir(), "other")) {
		t.Fatal("a process of another home is taken for this node")
	}
	_ = cmd.Process.Kill()
	// Not waited for: a zombie until reaped, and still not running.
	time.Sleep(200 * time.Millisecond)
	if processRunning(pid, home) {
		t.Fatal("a killed (zombie) process is reported running")
	}
	_ = cmd.Wait()
	if processRunning(pid, home) {
		t.Fatal("a reaped process is reported running")
	}
}

// stopLocalnet sends SIGTERM to each node's process group, and SIGKILL to
// one that ignores it once the timeout is over.
func TestStopLocalnet(t *testing.T) {
	dir := t.TempDir()
	l := &Localnet{Nodes: []LocalnetNode{{Name: "node0"}, {Name: "node1"}, {Name: "node2"}}}
	l.SetDir(dir)
	scripts := []string{"sleep 60 & wait", "trap '' TERM; sleep 60 & wait"} // node2 never runs
	var cmds []*exec.Cmd
	for i, script := range scripts {
		home := l.Home(i)
		if err := os.MkdirAll(home, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sh", "-c", script, home)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Skip("no sh:", err)
		}
		cmds = append(cmds, cmd)
		t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
		if err := os.WriteFile(filepath.Join(home, localnet.PidFile), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // let the shell install its trap
	if got := l.PID(2); got != 0 {
		t.Fatalf("node2 has no pid file but pid %d", got)
	}
	stopped, killed := stopLocalnet(l, 2*time.Second)
	if strings.Join(stopped, ",") != "node0" || strings.Join(killed, ",") != "node1" {
		t.Fatalf("stopped %v killed %v, want node0 stopped and node1 killed", stopped, killed)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err == nil {
			t.Errorf("node%d exited cleanly, want a signal", i)
		}
		if _, err := os.Stat(filepath.Join(l.Home(i), localnet.PidFile)); !os.IsNotExist(err) {
			t.Errorf("node%d's pid file is still there", i)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestLastLogLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.log")
	if err := os.WriteFile(path, []byte("INF starting\nError: failed to listen on 127.0.0.1:26701\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := lastLogLine(path); got != "Error: failed to listen on 127.0.0.1:26701" {
		t.Fatalf("last line %q", got)
	}
}

// A relative --home becomes absolute, so that a node started from one
// directory is recognised by a status or stop run from another.
func TestLocalnetDirIsAbsolute(t *testing.T) {
	cmd := localnetStatusCmd()
	cmd.Flags().String("home", "", "")
	if got := localnetDir(cmd); got != DefaultLocalnetHome() || !filepath.IsAbs(got) {
		t.Fatalf("default localnet dir %q, want %q", got, DefaultLocalnetHome())
	}
	if err := cmd.Flags().Set("home", "rel/localnet"); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if got, want := localnetDir(cmd), filepath.Join(wd, "rel", "localnet"); got != want {
		t.Fatalf("localnet dir %q, want %q", got, want)
	}
}
