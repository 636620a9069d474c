package localnet

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cometbft/cometbft/p2p"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"

	"github.com/aitbc/chain/networks/localnet/tomledit"
)

// State sync: node0 of a new localnet takes a snapshot of the application
// state every SnapshotInterval blocks and keeps the last SnapshotKeepRecent
// of them, and AddFullNode with StateSync makes a node that restores the
// newest snapshot instead of replaying every block, then follows by block
// sync. Production values are in docs/operations.md ("Joining by state sync").
const (
	SnapshotInterval   = 20
	SnapshotKeepRecent = 2
	// stateSyncTrustPeriod bounds how old the trusted header may be; the
	// localnet's unbonding time is far longer, as the light client needs.
	stateSyncTrustPeriod = "168h0m0s"
)

// enableSnapshots turns on node i's state-sync snapshots in its app.toml.
func (n *Network) enableSnapshots(i int) error {
	return tomledit.SetLiterals(filepath.Join(n.Home(i), "config", "app.toml"), "state-sync", map[string]string{
		"snapshot-interval":    strconv.Itoa(SnapshotInterval),
		"snapshot-keep-recent": strconv.Itoa(SnapshotKeepRecent),
	})
}

// AddNodeOptions shape a node added to an existing localnet.
type AddNodeOptions struct {
	// Home builds the node's home (the command supplies it, as for Prepare).
	Home HomeTemplate
	// StateSync makes the node restore node0's newest snapshot, trusting a
	// header it reads from a running node's RPC, instead of replaying every
	// block from genesis.
	StateSync bool
}

// AddFullNode adds a full node to the network: its own home, keys and node
// key, the network's genesis, peers with every node, and the next ports in
// the layout; the manifest gains it. With StateSync the network must be
// running and node0 must have taken a snapshot. It returns the node's index.
func (n *Network) AddFullNode(ctx context.Context, o AddNodeOptions) (int, error) {
	var trust trustedHeader
	if o.StateSync {
		var err error
		if trust, err = n.trustedHeader(ctx); err != nil {
			return 0, err
		}
	}
	i := len(n.Nodes)
	node := Node{Name: "node" + strconv.Itoa(i), Role: RoleFullNode, Ports: PortsFor(n.BasePort, i)}
	dir := filepath.Join(n.dir, node.Name) // Home(i) once the node is in the manifest
	if !emptyOrAbsent(dir) {
		return 0, fmt.Errorf("%s exists: remove it or reset the localnet", dir)
	}
	b, err := newBuilder(o.Home)
	if err != nil {
		return 0, err
	}
	var h *home
	// The home is built in a staging directory and renamed into place, so a
	// failure leaves no half node for the next attempt to trip over.
	err = buildStaged(dir, func(staging string) error {
		if h, err = b.initHome(staging, node.Name, n.ChainID, ""); err != nil {
			return fmt.Errorf("init: %w", err)
		}
		if node.Operator, err = h.addKey(OperatorKey, ""); err != nil {
			return fmt.Errorf("keys add %s: %w", OperatorKey, err)
		}
		for _, acc := range SharedAccounts() {
			if _, err := h.addKey(acc.Name, acc.Mnemonic); err != nil {
				return fmt.Errorf("keys add %s: %w", acc.Name, err)
			}
		}
		nodeKey, err := p2p.LoadNodeKey(filepath.Join(staging, "config", "node_key.json"))
		if err != nil {
			return err
		}
		node.NodeID = string(nodeKey.ID())
		return copyFile(filepath.Join(n.Home(0), "config", "genesis.json"), filepath.Join(staging, "config", "genesis.json"))
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", node.Name, err)
	}
	n.Nodes = append(n.Nodes, node)
	n.FullNodes++
	if err := n.ConfigureNode(i); err != nil {
		return 0, fmt.Errorf("%s: %w", node.Name, err)
	}
	if o.StateSync {
		if err := n.configureStateSync(i, trust); err != nil {
			return 0, fmt.Errorf("%s: %w", node.Name, err)
		}
	}
	return i, n.save()
}

// trustedHeader is the light-client root of a state-sync join.
type trustedHeader struct {
	height     int64
	hash       string
	rpcServers []string
}

// trustedHeader reads a recent header from the first node that answers. Its
// height is two snapshot intervals below the head, so that node0's newest
// snapshot is above it (the light client verifies forward from it).
func (n *Network) trustedHeader(ctx context.Context) (trustedHeader, error) {
	var (
		servers []string
		lastErr error
		t       trustedHeader
	)
	for _, node := range n.Nodes {
		addr := fmt.Sprintf("tcp://127.0.0.1:%d", node.Ports.RPC)
		c, err := rpcClient(node.Ports.RPC)
		if err != nil {
			lastErr = err
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		st, err := c.Status(qctx)
		if err == nil && t.height == 0 {
			head := st.SyncInfo.LatestBlockHeight
			if head < 2*SnapshotInterval+2 {
				cancel()
				return t, fmt.Errorf("the chain is at height %d: state sync needs a snapshot, taken every %d blocks; wait until height %d",
					head, SnapshotInterval, 2*SnapshotInterval+2)
			}
			h := head - 2*SnapshotInterval
			var blk *ctypes.ResultBlock
			if blk, err = c.Block(qctx, &h); err == nil {
				t.height, t.hash = h, blk.BlockID.Hash.String()
			}
		}
		cancel()
		if err != nil {
			lastErr = fmt.Errorf("%s: %w", node.Name, err)
			continue
		}
		servers = append(servers, addr)
	}
	if t.height == 0 {
		return t, fmt.Errorf("no node's RPC answered to take a trusted header from (is the localnet running?): %w", lastErr)
	}
	if len(servers) == 1 {
		servers = append(servers, servers[0]) // CometBFT wants two; one node is all there is
	}
	t.rpcServers = servers
	return t, nil
}

// configureStateSync turns on state sync in node i's config.toml.
func (n *Network) configureStateSync(i int, t trustedHeader) error {
	configToml := filepath.Join(n.Home(i), "config", "config.toml")
	if err := tomledit.SetValues(configToml, "statesync", map[string]string{
		"rpc_servers":  strings.Join(t.rpcServers, ","),
		"trust_hash":   t.hash,
		"trust_period": stateSyncTrustPeriod,
		// The localnet's peers are all known at once: 5s (CometBFT's
		// minimum) instead of the default 15s of snapshot discovery.
		"discovery_time": "5s",
	}); err != nil {
		return err
	}
	return tomledit.SetLiterals(configToml, "statesync", map[string]string{
		"enable":       "true",
		"trust_height": strconv.FormatInt(t.height, 10),
	})
}
