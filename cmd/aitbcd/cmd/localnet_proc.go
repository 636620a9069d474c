package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// localnetPidFile and localnetLogFile live in each node's home.
	localnetPidFile = "aitbcd.pid"
	localnetLogFile = "node.log"
)

// launchLocalnetNode starts `aitbcd start` for node i as a detached
// background process in its own process group, appending its output to
// node.log in its home and writing its pid to aitbcd.pid. The node outlives
// this process. seed is this process's seed environment, already applied
// to l by applyLocalnetSeedPorts.
func launchLocalnetNode(l *Localnet, i int, bin string, seed SeedEnv) (int, error) {
	home := l.Home(i)
	logFile, err := os.OpenFile(filepath.Join(home, localnetLogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "start", "--home", home)
	cmd.Env = localnetNodeEnv(os.Environ(), l, i, seed)
	cmd.Stdout, cmd.Stderr = logFile, logFile // stdin is /dev/null
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("%s: starting %s: %w", l.Nodes[i].Name, bin, err)
	}
	pid := cmd.Process.Pid
	// Reap the child should it exit while this command still runs.
	go func() { _ = cmd.Wait() }()
	if err := os.WriteFile(filepath.Join(home, localnetPidFile), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		return 0, err
	}
	return pid, nil
}

// LocalnetSeedPortStride spaces the nodes' facade ports when the seed's
// port variables are set: node i listens on RPC_PORT, WS_PORT and
// METRICS_PORT plus 100*i. 100 keeps the seed's own spacing (9080, 9081,
// 9090) free of collisions between nodes.
const LocalnetSeedPortStride = 100

// applyLocalnetSeedPorts moves the facade ports of every node of l (in
// memory; localnet.json keeps the localnet's own) as RPC_PORT, WS_PORT and
// METRICS_PORT ask: node0 gets the given port, node i the port plus
// LocalnetSeedPortStride*i. An unset variable leaves that port alone. Ports
// beyond 65535 or taken by another service of the localnet are refused,
// naming the variable.
func applyLocalnetSeedPorts(l *Localnet, seed SeedEnv) error {
	type seedPort struct {
		name string
		base int
		dst  func(*LocalnetPorts) *int
	}
	vars := []seedPort{
		{EnvRPCPort, seed.RPCPort, func(p *LocalnetPorts) *int { return &p.FacadeREST }},
		{EnvWSPort, seed.WSPort, func(p *LocalnetPorts) *int { return &p.FacadeWS }},
		{EnvMetricsPort, seed.MetricsPort, func(p *LocalnetPorts) *int { return &p.Metrics }},
	}
	for i := range l.Nodes {
		for _, v := range vars {
			if v.base == 0 {
				continue
			}
			port := v.base + LocalnetSeedPortStride*i
			if port > 65535 {
				return fmt.Errorf("invalid %s=%d: %s of the localnet would listen on port %d (%s+%d), beyond 65535",
					v.name, v.base, l.Nodes[i].Name, port, v.name, LocalnetSeedPortStride*i)
			}
			*v.dst(&l.Nodes[i].Ports) = port
		}
	}
	type use struct{ owner, variable string }
	users := map[int]use{}
	for _, n := range l.Nodes {
		p := n.Ports
		for _, s := range []struct {
			what, variable string
			port           int
		}{
			{"P2P", "", p.P2P}, {"CometBFT RPC", "", p.RPC}, {"gRPC", "", p.GRPC}, {"Cosmos REST", "", p.API},
			{"facade REST", seedVariable(EnvRPCPort, seed.RPCPort), p.FacadeREST},
			{"facade WebSocket", seedVariable(EnvWSPort, seed.WSPort), p.FacadeWS},
			{"metrics", seedVariable(EnvMetricsPort, seed.MetricsPort), p.Metrics},
		} {
			here := use{n.Name + " " + s.what, s.variable}
			if other, taken := users[s.port]; taken {
				var names []string
				for _, v := range []string{other.variable, here.variable} {
					if v != "" && !slices.Contains(names, v) {
						names = append(names, v)
					}
				}
				return fmt.Errorf("invalid %s: port %d would serve both %s and %s (node i listens on the given port + %d*i; the localnet's own ports are %d-%d)",
					strings.Join(names, " and "), s.port, other.owner, here.owner, LocalnetSeedPortStride,
					l.BasePort, l.BasePort+LocalnetPortStride*len(l.Nodes)-1)
			}
			users[s.port] = use{here.owner, here.variable}
		}
	}
	return nil
}

// seedVariable is name=port when the seed set the port, else "".
func seedVariable(name string, port int) string {
	if port == 0 {
		return ""
	}
	return name + "=" + strconv.Itoa(port)
}

// localnetOwnVariables are seed variables the localnet sets per node
// instead of passing them on: each node needs its own ports and its own
// index database.
var localnetOwnVariables = []string{EnvRPCPort, EnvWSPort, EnvMetricsPort, EnvDatabaseURL}

// localnetNodeEnv is node i's environment: environ without
// localnetOwnVariables, plus node i's facade ports where the seed set them
// (see applyLocalnetSeedPorts) and DATABASE_URL for node0 only: node0 is
// the localnet's indexer (the others have indexer.enable = false), and one
// database cannot hold the indexes of several nodes should an operator turn
// theirs on (each then writes SQLite in its own data directory). RPC_HOST,
// BLOCK_TIME, LOG_LEVEL and the rest apply to every node alike.
func localnetNodeEnv(environ []string, l *Localnet, i int, seed SeedEnv) []string {
	env := make([]string, 0, len(environ)+4)
next:
	for _, kv := range environ {
		for _, name := range localnetOwnVariables {
			if strings.HasPrefix(kv, name+"=") {
				continue next
			}
		}
		env = append(env, kv)
	}
	p := l.Nodes[i].Ports
	for _, v := range []struct {
		name string
		set  bool
		port int
	}{{EnvRPCPort, seed.RPCPort != 0, p.FacadeREST}, {EnvWSPort, seed.WSPort != 0, p.FacadeWS}, {EnvMetricsPort, seed.MetricsPort != 0, p.Metrics}} {
		if v.set {
			env = append(env, v.name+"="+strconv.Itoa(v.port))
		}
	}
	if i == 0 && seed.DatabaseURL != "" {
		env = append(env, EnvDatabaseURL+"="+seed.DatabaseURL)
	}
	return env
}

// localnetNodePid returns the pid of node i's running aitbcd, or 0 when it
// does not run (no pid file, or a stale one).
func localnetNodePid(l *Localnet, i int) int {
	raw, err := os.ReadFile(filepath.Join(l.Home(i), localnetPidFile))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 0 || !processRunning(pid, l.Home(i)) {
		return 0
	}
	return pid
}

// processRunning reports whether pid is a live (not zombie) process. Where
// /proc exists it also checks that home is one of the process's arguments
// (aitbcd start --home <home>), so a reused pid is not taken for the node.
func processRunning(pid int, home string) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		if _, procErr := os.Stat("/proc/self/stat"); procErr == nil {
			return false // /proc works but has no such process
		}
		return true // no /proc: trust kill(pid, 0)
	}
	// The state follows the parenthesised command name: "pid (comm) S ...".
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 {
		if fields := strings.Fields(string(stat[i+1:])); len(fields) > 0 && (fields[0] == "Z" || fields[0] == "X") {
			return false
		}
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	if len(cmdline) == 0 {
		// Just after exec the kernel has not published the new arguments
		// yet: a process we may have started a moment ago.
		return true
	}
	for _, arg := range strings.Split(string(cmdline), "\x00") {
		if arg == home {
			return true
		}
	}
	return false
}

// stopLocalnet sends SIGTERM to every running node, waits up to timeout for
// all to exit, then kills the ones left with SIGKILL. It returns the names
// of the nodes it stopped and of those it had to kill.
func stopLocalnet(l *Localnet, timeout time.Duration) (stopped, killed []string) {
	pids := make([]int, len(l.Nodes)) // 0: not running (any more)
	running := 0
	for i := range l.Nodes {
		if pid := localnetNodePid(l, i); pid != 0 {
			pids[i] = pid
			running++
			_ = syscall.Kill(-pid, syscall.SIGTERM) // the node's process group
		}
	}
	deadline := time.Now().Add(timeout)
	for running > 0 {
		for i, pid := range pids {
			if pid != 0 && !processRunning(pid, l.Home(i)) {
				stopped = append(stopped, l.Nodes[i].Name)
				pids[i] = 0
				running--
				_ = os.Remove(filepath.Join(l.Home(i), localnetPidFile))
			}
		}
		if running > 0 && time.Now().After(deadline) {
			for i, pid := range pids {
				if pid != 0 {
					_ = syscall.Kill(-pid, syscall.SIGKILL)
					killed = append(killed, l.Nodes[i].Name)
					_ = os.Remove(filepath.Join(l.Home(i), localnetPidFile))
				}
			}
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	sort.Slice(stopped, func(a, b int) bool { return nodeIndex(stopped[a]) < nodeIndex(stopped[b]) })
	return stopped, killed
}

// nodeIndex is i for a node named "node<i>".
func nodeIndex(name string) int {
	i, _ := strconv.Atoi(strings.TrimPrefix(name, "node"))
	return i
}

// localnetRPC GETs a CometBFT RPC endpoint of a local node and decodes its result.
func localnetRPC(port int, path string, result any) error {
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/%s", port, path))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var envelope struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return fmt.Errorf("GET /%s: %w", path, err)
	}
	if envelope.Error != nil {
		return fmt.Errorf("GET /%s: %s: %s", path, envelope.Error.Message, envelope.Error.Data)
	}
	return json.Unmarshal(envelope.Result, result)
}

// nodeStatus is what CometBFT RPC /status and /net_info say about one node.
type nodeStatus struct {
	Height     int64
	Peers      int
	Validator  string // hex consensus address
	CatchingUp bool
}

func queryNodeStatus(port int) (nodeStatus, error) {
	var status struct {
		ValidatorInfo struct {
			Address string `json:"address"`
		} `json:"validator_info"`
		SyncInfo struct {
			LatestBlockHeight string `json:"latest_block_height"`
			CatchingUp        bool   `json:"catching_up"`
		} `json:"sync_info"`
	}
	if err := localnetRPC(port, "status", &status); err != nil {
		return nodeStatus{}, err
	}
	h, err := strconv.ParseInt(status.SyncInfo.LatestBlockHeight, 10, 64)
	if err != nil {
		return nodeStatus{}, fmt.Errorf("/status height %q: %w", status.SyncInfo.LatestBlockHeight, err)
	}
	var netInfo struct {
		NPeers string `json:"n_peers"`
	}
	if err := localnetRPC(port, "net_info", &netInfo); err != nil {
		return nodeStatus{}, err
	}
	peers, _ := strconv.Atoi(netInfo.NPeers)
	return nodeStatus{Height: h, Peers: peers, Validator: status.ValidatorInfo.Address, CatchingUp: status.SyncInfo.CatchingUp}, nil
}

// queryValidatorSet returns the latest validator set as hex consensus
// address → voting power, from CometBFT RPC /validators.
func queryValidatorSet(port int) (map[string]int64, error) {
	set := map[string]int64{}
	for page := 1; ; page++ {
		var res struct {
			Validators []struct {
				Address     string `json:"address"`
				VotingPower string `json:"voting_power"`
			} `json:"validators"`
			Total string `json:"total"`
		}
		if err := localnetRPC(port, fmt.Sprintf("validators?page=%d&per_page=100", page), &res); err != nil {
			return nil, err
		}
		for _, v := range res.Validators {
			power, _ := strconv.ParseInt(v.VotingPower, 10, 64)
			set[strings.ToUpper(v.Address)] = power
		}
		total, _ := strconv.Atoi(res.Total)
		if len(res.Validators) == 0 || len(set) >= total {
			return set, nil
		}
	}
}

// consensusAddress reads node i's consensus address (hex) from its
// priv_validator_key.json, so a stopped node can be looked up in the set.
func consensusAddress(l *Localnet, i int) (string, error) {
	raw, err := os.ReadFile(filepath.Join(l.Home(i), "config", "priv_validator_key.json"))
	if err != nil {
		return "", err
	}
	var key struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(raw, &key); err != nil {
		return "", err
	}
	return strings.ToUpper(key.Address), nil
}

// waitForLocalnetBlocks waits until every node that runs has committed a
// block after the height it reported first, i.e. the network produces blocks.
// It fails early when a node's process exits.
func waitForLocalnetBlocks(l *Localnet, timeout time.Duration) error {
	first := make([]int64, len(l.Nodes))
	for i := range first {
		first[i] = -1
	}
	deadline := time.Now().Add(timeout)
	for {
		done := true
		for i, n := range l.Nodes {
			if localnetNodePid(l, i) == 0 {
				logPath := filepath.Join(l.Home(i), localnetLogFile)
				return fmt.Errorf("%s exited: %s (log %s)", n.Name, lastLogLine(logPath), logPath)
			}
			st, err := queryNodeStatus(n.Ports.RPC)
			if err != nil {
				done = false
				continue
			}
			if first[i] < 0 {
				first[i] = st.Height
			}
			if st.Height <= first[i] || st.Height < 1 {
				done = false
			}
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no new blocks on every node within %s; see `aitbcd localnet status --home %s` and the node.log files", timeout, l.Dir())
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// lastLogLine is the last non-empty line of a node's log, which holds the
// error a node that failed to start exited with.
func lastLogLine(path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
