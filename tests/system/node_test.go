package system

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// ports are the loopback ports one node listens on: CometBFT, Cosmos and the
// AITBC facade (never the seed's 9080/9081/9090, which a developer's devnet may hold).
type ports struct {
	RPC, P2P, GRPC, API int
	REST, WS, Metrics   int
}

func freePorts(t testing.TB) ports {
	t.Helper()
	var ls []net.Listener
	next := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("finding a free port: %v", err)
		}
		ls = append(ls, l) // held until all are picked, so they differ
		return l.Addr().(*net.TCPAddr).Port
	}
	p := ports{RPC: next(), P2P: next(), GRPC: next(), API: next(), REST: next(), WS: next(), Metrics: next()}
	for _, l := range ls {
		l.Close()
	}
	return p
}

// node is one aitbcd home directory and, while running, its process.
type node struct {
	t     testing.TB
	home  string
	ports ports
	// chainID goes on every tx command that does not name one ("" leaves
	// it to the home's client.toml, as the devnet's is).
	chainID string
	proc    *exec.Cmd
	done    chan error
	log     *os.File

	cometOnce   sync.Once
	cometClient *rpchttp.HTTP
}

func newNode(t testing.TB, home string) *node {
	return &node{t: t, home: home, ports: freePorts(t)}
}

func (n *node) rpcAddr() string { return fmt.Sprintf("tcp://127.0.0.1:%d", n.ports.RPC) }

// startArgs are the flags that put every service of the node on its own loopback port.
func (n *node) startArgs() []string {
	return []string{
		"--rpc.laddr", n.rpcAddr(),
		"--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", n.ports.P2P),
		"--grpc.address", fmt.Sprintf("127.0.0.1:%d", n.ports.GRPC),
		"--api.address", fmt.Sprintf("tcp://127.0.0.1:%d", n.ports.API),
		"--facade.rest-address", fmt.Sprintf("127.0.0.1:%d", n.ports.REST),
		"--facade.ws-address", fmt.Sprintf("127.0.0.1:%d", n.ports.WS),
		"--facade.metrics-address", fmt.Sprintf("127.0.0.1:%d", n.ports.Metrics),
		// No profiler: its fixed default port (6060) collides between nodes.
		"--rpc.pprof_laddr", "",
	}
}

// start runs `aitbcd <args>` in the background, logging to home/node.log.
func (n *node) start(extraEnv []string, args ...string) {
	n.t.Helper()
	n.startProgram(aitbcdBin, extraEnv, args...)
}

// startProgram runs `<bin> <args>` as the node's process (cosmovisor, or an
// older aitbcd), as start does.
func (n *node) startProgram(bin string, extraEnv []string, args ...string) {
	n.t.Helper()
	if n.proc != nil {
		n.t.Fatal("node already running")
	}
	logFile, err := os.OpenFile(filepath.Join(n.home, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		n.t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		n.t.Fatalf("starting aitbcd: %v", err)
	}
	n.proc, n.log = cmd, logFile
	n.done = make(chan error, 1)
	go func() { n.done <- cmd.Wait() }()
	n.t.Cleanup(func() { _ = n.stop(syscall.SIGKILL) }) // best effort: the test may have stopped it
}

// stop sends sig to the node and waits for it to exit.
func (n *node) stop(sig syscall.Signal) error {
	if n.proc == nil {
		return nil
	}
	_ = syscall.Kill(-n.proc.Process.Pid, sig)
	var err error
	select {
	case err = <-n.done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-n.proc.Process.Pid, syscall.SIGKILL)
		err = <-n.done
		err = fmt.Errorf("node did not exit within 30s of %v (killed): %v", sig, err)
	}
	n.proc = nil
	n.log.Close()
	return err
}

// logTail returns the end of the node's log, for failure messages.
func (n *node) logTail() string {
	raw, _ := os.ReadFile(filepath.Join(n.home, "node.log"))
	if len(raw) > 4000 {
		raw = raw[len(raw)-4000:]
	}
	return string(raw)
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
