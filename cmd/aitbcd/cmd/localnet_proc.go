package cmd

import (
	"context"
	"time"

	"github.com/aitbc/chain/networks/localnet"
)

// The localnet's processes (pid files, signals, CometBFT RPC status) are
// run by networks/localnet; these map the command's seed environment onto it.

const (
	localnetLogFile = localnet.LogFile
	// LocalnetSeedPortStride spaces the nodes' facade ports when the seed's
	// port variables are set (localnet.SeedPortStride).
	LocalnetSeedPortStride = localnet.SeedPortStride
)

// LocalnetStatus and LocalnetNodeStatus are what `localnet status` reports.
type (
	LocalnetStatus     = localnet.Status
	LocalnetNodeStatus = localnet.NodeStatus
)

// localnetSeed is the part of the seed environment each node gets its own value of.
func localnetSeed(seed SeedEnv) localnet.Seed {
	return localnet.Seed{RPCPort: seed.RPCPort, WSPort: seed.WSPort, MetricsPort: seed.MetricsPort, DatabaseURL: seed.DatabaseURL}
}

// applyLocalnetSeedPorts moves the nodes' facade ports as RPC_PORT, WS_PORT
// and METRICS_PORT ask (localnet.Network.ApplySeedPorts).
func applyLocalnetSeedPorts(l *Localnet, seed SeedEnv) error {
	return l.ApplySeedPorts(localnetSeed(seed))
}

// localnetNodeEnv is node i's environment (localnet.Network.NodeEnv).
func localnetNodeEnv(environ []string, l *Localnet, i int, seed SeedEnv) []string {
	return l.NodeEnv(environ, i, localnetSeed(seed))
}

func processRunning(pid int, home string) bool { return localnet.ProcessRunning(pid, home) }

func stopLocalnet(l *Localnet, timeout time.Duration) (stopped, killed []string) {
	return l.Stop(timeout)
}

func lastLogLine(path string) string { return localnet.LastLogLine(path) }

func collectLocalnetStatus(l *Localnet) LocalnetStatus { return l.Status(context.Background()) }
