package localnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aitbc/chain/indexer"
	"github.com/aitbc/chain/keyguard"
)

const (
	// PidFile and LogFile live in each node's home.
	PidFile = "aitbcd.pid"
	LogFile = "node.log"
)

// StartNode starts `<bin> start --home <home>` for node i as a detached
// background process in its own process group, with environment env (see
// NodeEnv), appending its output to node.log in its home and writing its pid
// to aitbcd.pid. The node outlives this process.
func (l *Network) StartNode(i int, bin string, env []string) (int, error) {
	return l.startProcess(i, bin, []string{"start", "--home", l.Home(i)}, env)
}

// startProcess runs bin with args as node i's process (see StartNode); args
// must name the node's home, which ProcessRunning looks for.
func (l *Network) startProcess(i int, bin string, args, env []string) (int, error) {
	return l.spawn(l.Nodes[i].Name, l.Home(i), LogFile, PidFile, bin, args, env)
}

// spawn starts a detached process in its own process group whose output is
// appended to dir/logName and whose pid goes to dir/pidName; args must name
// dir, which ProcessRunning looks for.
func (l *Network) spawn(name, dir, logName, pidName, bin string, args, env []string) (int, error) {
	logFile, err := os.OpenFile(filepath.Join(dir, logName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile // stdin is /dev/null
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("%s: starting %s: %w", name, bin, err)
	}
	pid := cmd.Process.Pid
	// Reap the child should it exit while this command still runs.
	go func() { _ = cmd.Wait() }()
	if err := os.WriteFile(filepath.Join(dir, pidName), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		killGroup(pid)
		return 0, err
	}
	return pid, nil
}

// SeedPortStride spaces the nodes' facade ports when the seed's
// port variables are set: node i listens on RPC_PORT, WS_PORT and
// METRICS_PORT plus 100*i. 100 keeps the seed's own spacing (9080, 9081,
// 9090) free of collisions between nodes.
const SeedPortStride = 100

// Seed is the part of the seed's environment the localnet gives each node
// its own value of; 0 and "" are unset.
type Seed struct {
	RPCPort, WSPort, MetricsPort int
	DatabaseURL                  string
}

// The seed's variables Seed comes from.
const (
	EnvRPCPort     = "RPC_PORT"     // facade REST port (9080)
	EnvWSPort      = "WS_PORT"      // facade WebSocket port (9081)
	EnvMetricsPort = "METRICS_PORT" // Prometheus metrics port (9090)
	EnvDatabaseURL = indexer.EnvDatabaseURL
)

// ApplySeedPorts moves the facade ports of every node of l (in
// memory; localnet.json keeps the localnet's own) as RPC_PORT, WS_PORT and
// METRICS_PORT ask: node0 gets the given port, node i the port plus
// SeedPortStride*i. An unset variable leaves that port alone. Ports
// beyond 65535 or taken by another service of the localnet are refused,
// naming the variable.
func (l *Network) ApplySeedPorts(seed Seed) error {
	type seedPort struct {
		name string
		base int
		dst  func(*Ports) *int
	}
	vars := []seedPort{
		{EnvRPCPort, seed.RPCPort, func(p *Ports) *int { return &p.FacadeREST }},
		{EnvWSPort, seed.WSPort, func(p *Ports) *int { return &p.FacadeWS }},
		{EnvMetricsPort, seed.MetricsPort, func(p *Ports) *int { return &p.Metrics }},
	}
	for i := range l.Nodes {
		for _, v := range vars {
			if v.base == 0 {
				continue
			}
			port := v.base + SeedPortStride*i
			if port > 65535 {
				return fmt.Errorf("invalid %s=%d: %s of the localnet would listen on port %d (%s+%d), beyond 65535",
					v.name, v.base, l.Nodes[i].Name, port, v.name, SeedPortStride*i)
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
					strings.Join(names, " and "), s.port, other.owner, here.owner, SeedPortStride,
					l.BasePort, l.BasePort+PortStride*len(l.Nodes)-1)
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

// ownVariables are seed variables the localnet sets per node
// instead of passing them on: each node needs its own ports, its own
// index database and, if a validator, its own VALIDATOR_ADDRESS.
var ownVariables = []string{EnvRPCPort, EnvWSPort, EnvMetricsPort, EnvDatabaseURL, keyguard.EnvValidatorAddress}

// NodeEnv is node i's environment: environ without the Seed's variables,
// plus node i's facade ports where the seed set them (see ApplySeedPorts) and DATABASE_URL for node0 only: node0 is
// the localnet's indexer (the others have indexer.enable = false), and one
// database cannot hold the indexes of several nodes should an operator turn
// theirs on (each then writes SQLite in its own data directory). A
// validator gets VALIDATOR_ADDRESS, its own consensus address. RPC_HOST,
// BLOCK_TIME, LOG_LEVEL and the rest apply to every node alike.
func (l *Network) NodeEnv(environ []string, i int, seed Seed) []string {
	env := make([]string, 0, len(environ)+4)
next:
	for _, kv := range environ {
		for _, name := range ownVariables {
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
	// Each validator must sign as itself: start refuses any other key. An
	// unreadable key file is left for start to report.
	if addr, err := l.ValidatorAddress(i); err == nil && addr != "" {
		env = append(env, keyguard.EnvValidatorAddress+"="+addr)
	}
	return env
}

// PID returns the pid of node i's running aitbcd, or 0 when it
// does not run (no pid file, or a stale one).
func (l *Network) PID(i int) int {
	return readPid(filepath.Join(l.Home(i), PidFile), l.Home(i))
}

// ProcessRunning reports whether pid is a live (not zombie) process. Where
// /proc exists it also checks that home is one of the process's arguments
// (aitbcd start --home <home>), so a reused pid is not taken for the node.
func ProcessRunning(pid int, home string) bool {
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

// Stop sends SIGTERM to every running node and remote signer, waits up to
// timeout for all to exit, then kills the ones left with SIGKILL. It
// returns the names of the processes it stopped and of those it had to
// kill, nodes before signers.
func (l *Network) Stop(timeout time.Duration) (stopped, killed []string) {
	type proc struct {
		name, home, pidFile string
		pid                 int // 0: not running (any more)
	}
	var procs []proc
	for i, n := range l.Nodes {
		procs = append(procs, proc{n.Name, l.Home(i), PidFile, l.PID(i)})
	}
	for i, n := range l.Nodes {
		if pid := l.SignerPID(i); pid != 0 {
			procs = append(procs, proc{n.Name + signerDirSuffix, l.SignerHome(i), SignerPidFile, pid})
		}
	}
	running := 0
	for _, p := range procs {
		if p.pid != 0 {
			running++
			_ = syscall.Kill(-p.pid, syscall.SIGTERM) // the process group
		}
	}
	deadline := time.Now().Add(timeout)
	for running > 0 {
		for i := range procs {
			p := &procs[i]
			if p.pid != 0 && !ProcessRunning(p.pid, p.home) {
				stopped = append(stopped, p.name)
				p.pid = 0
				running--
				_ = os.Remove(filepath.Join(p.home, p.pidFile))
			}
		}
		if running > 0 && time.Now().After(deadline) {
			for i := range procs {
				if p := &procs[i]; p.pid != 0 {
					killGroup(p.pid)
					killed = append(killed, p.name)
					_ = os.Remove(filepath.Join(p.home, p.pidFile))
				}
			}
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	order := map[string]int{}
	for i, p := range procs {
		order[p.name] = i
	}
	sort.Slice(stopped, func(a, b int) bool { return order[stopped[a]] < order[stopped[b]] })
	return stopped, killed
}

// WaitForBlocks waits until every node that runs has committed a
// block after the height it reported first, i.e. the network produces blocks.
// It fails early when a node's process exits.
func (l *Network) WaitForBlocks(timeout time.Duration) error {
	first := make([]int64, len(l.Nodes))
	for i := range first {
		first[i] = -1
	}
	deadline := time.Now().Add(timeout)
	for {
		done := true
		for i, n := range l.Nodes {
			if l.PID(i) == 0 {
				logPath := filepath.Join(l.Home(i), LogFile)
				return fmt.Errorf("%s exited: %s (log %s)", n.Name, LastLogLine(logPath), logPath)
			}
			st, err := queryNodeStatus(context.Background(), n.Ports.RPC)
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
			return fmt.Errorf("no new blocks on every node within %s; see `aitbcd localnet status --home %s` and the node.log files", timeout, l.dir)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// LastLogLine is the last non-empty line of a node's log, which holds the
// error a node that failed to start exited with.
func LastLogLine(path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
