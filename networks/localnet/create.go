package localnet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cometbft/cometbft/p2p"

	"github.com/aitbc/chain/networks/localnet/tomledit"
)

const (
	// DefaultVotingPeriod is the governance voting (and deposit) period of a
	// new localnet; expedited proposals get half of it.
	DefaultVotingPeriod = 60 * time.Second
	// MinVotingPeriod leaves validators time to vote at all.
	MinVotingPeriod = 2 * time.Second
	unbondingTime   = 5 * time.Minute

	// FacadeTomlSection is the app.toml section of the AITBC API facade.
	FacadeTomlSection = "facade"
)

var (
	// OperatorBalance funds every node's operator key, validator or not.
	OperatorBalance = AIT(1_000_000)
	// SelfDelegation is what each genesis validator bonds (equal power).
	SelfDelegation = AIT(100_000)
)

// Options say what localnet to create. The field comments name the
// `aitbcd localnet start` flags they come from; errors name the flags too.
// New settings (cosmovisor, remote signers, more chains) are new fields
// whose zero value keeps today's network.
type Options struct {
	Validators    int           // --validators
	FullNodes     int           // --full-nodes
	BasePort      int           // --base-port
	ConsensusMode ConsensusMode // --consensus-mode or CONSENSUS_MODE
	VotingPeriod  time.Duration // --voting-period; 0: DefaultVotingPeriod
	// Home is what each node home holds besides keys and genesis
	// (config.toml and app.toml defaults); required to create a network.
	Home HomeTemplate
}

// EffectiveVotingPeriod is the governance voting period the options ask for.
func (o Options) EffectiveVotingPeriod() time.Duration {
	if o.VotingPeriod == 0 {
		return DefaultVotingPeriod
	}
	return o.VotingPeriod
}

// Validate checks the node counts, that every port fits and the mode.
func (o Options) Validate() error {
	if o.Validators < 1 {
		return fmt.Errorf("--validators must be at least 1, got %d", o.Validators)
	}
	if o.FullNodes < 0 {
		return fmt.Errorf("--full-nodes must not be negative, got %d", o.FullNodes)
	}
	if total := o.Validators + o.FullNodes; total > MaxNodes {
		return fmt.Errorf("a localnet has at most %d nodes, asked for %d validators and %d full nodes",
			MaxNodes, o.Validators, o.FullNodes)
	}
	last := o.BasePort + PortStride*(o.Validators+o.FullNodes) - 1
	if o.BasePort < 1024 || last > 65535 {
		return fmt.Errorf("--base-port %d: the ports %d-%d must lie within 1024-65535", o.BasePort, o.BasePort, last)
	}
	if _, err := ParseConsensusMode(string(o.ConsensusMode)); err != nil {
		return fmt.Errorf("consensus mode %q: %w", o.ConsensusMode, err)
	}
	if o.EffectiveVotingPeriod() < MinVotingPeriod {
		return fmt.Errorf("--voting-period %s: want at least %s", o.VotingPeriod, MinVotingPeriod)
	}
	return nil
}

// Prepare creates the localnet in dir unless it already holds one, and
// reports whether it created it. The network is built in a sibling staging
// directory and renamed into place when complete.
func Prepare(dir string, o Options) (*Network, bool, error) {
	if n, err := Load(dir); err == nil {
		return n, false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	if !emptyOrAbsent(dir) {
		return nil, false, fmt.Errorf("%s exists but holds no localnet (no %s); use --reset to start over", dir, ManifestFile)
	}
	if err := o.Validate(); err != nil {
		return nil, false, err
	}
	n := &Network{
		ChainID:       ChainID,
		ConsensusMode: o.ConsensusMode,
		BasePort:      o.BasePort,
		Validators:    o.Validators,
		FullNodes:     o.FullNodes,
		VotingPeriod:  o.EffectiveVotingPeriod().String(),
		Nodes:         layout(o.Validators, o.FullNodes, o.BasePort),
	}
	err := buildStaged(dir, func(staging string) error {
		n.dir = staging
		return build(n, o.Home)
	})
	if err != nil {
		return nil, false, fmt.Errorf("creating localnet: %w", err)
	}
	n.dir = dir
	return n, true, nil
}

// build does, per node and for the shared genesis, what an operator team
// would: init, keys add, add-genesis-account, gentx on every validator,
// collect-gentxs, validate; then it sets ports and peers.
func build(n *Network, tmpl HomeTemplate) error {
	b, err := newBuilder(tmpl)
	if err != nil {
		return err
	}
	// Every node: its own home, node key, consensus key and operator key; the
	// devnet's shared test accounts (faucet, alice, …) in every keyring.
	homes := make([]*home, len(n.Nodes))
	for i := range n.Nodes {
		node := &n.Nodes[i]
		h, err := b.initHome(n.Home(i), node.Name, n.ChainID, "")
		if err != nil {
			return fmt.Errorf("%s: init: %w", node.Name, err)
		}
		homes[i] = h
		if node.Operator, err = h.addKey(OperatorKey, ""); err != nil {
			return fmt.Errorf("%s: keys add %s: %w", node.Name, OperatorKey, err)
		}
		for _, acc := range SharedAccounts() {
			if _, err := h.addKey(acc.Name, acc.Mnemonic); err != nil {
				return fmt.Errorf("%s: keys add %s: %w", node.Name, acc.Name, err)
			}
		}
		nodeKey, err := p2p.LoadNodeKey(filepath.Join(h.dir, "config", "node_key.json"))
		if err != nil {
			return fmt.Errorf("%s: %w", node.Name, err)
		}
		node.NodeID = string(nodeKey.ID())
	}

	// One genesis, built in node0: every operator and shared account funded.
	gen := homes[0]
	for _, node := range n.Nodes {
		if err := b.addGenesisAccount(gen, node.Operator, OperatorBalance); err != nil {
			return fmt.Errorf("add-genesis-account %s operator: %w", node.Name, err)
		}
	}
	for _, acc := range SharedAccounts() {
		addr, err := keyAddress(gen, acc.Name)
		if err != nil {
			return err
		}
		if err := b.addGenesisAccount(gen, addr, acc.Balance); err != nil {
			return fmt.Errorf("add-genesis-account %s: %w", acc.Name, err)
		}
	}
	voting, err := time.ParseDuration(n.VotingPeriod)
	if err != nil {
		return err
	}
	if err := editGenesis(b.cdc, gen.genesisFile(), periodEdits(voting, voting/2, unbondingTime)...); err != nil {
		return err
	}
	if err := SetGenesisConsensusMode(gen.genesisFile(), n.ConsensusMode); err != nil {
		return err
	}

	// Every validator signs its gentx against that genesis, with its own keys.
	gentxDir := filepath.Join(n.dir, "gentxs")
	if err := os.MkdirAll(gentxDir, 0o755); err != nil {
		return err
	}
	for i, node := range n.Nodes {
		if node.Role != RoleValidator {
			continue
		}
		if i != 0 {
			if err := copyFile(gen.genesisFile(), homes[i].genesisFile()); err != nil {
				return err
			}
		}
		err := b.gentx(homes[i], OperatorKey, SelfDelegation, n.ChainID, node.Name, "127.0.0.1", node.Ports.P2P,
			filepath.Join(gentxDir, node.Name+".json"))
		if err != nil {
			return fmt.Errorf("%s: gentx: %w", node.Name, err)
		}
	}
	if err := b.collectGentxs(gen, gentxDir); err != nil {
		return fmt.Errorf("collect-gentxs: %w", err)
	}
	if err := b.validateGenesis(gen); err != nil {
		return fmt.Errorf("genesis validate: %w", err)
	}
	n.Facade = tomledit.HasSection(filepath.Join(gen.dir, "config", "app.toml"), FacadeTomlSection)
	for i := range n.Nodes {
		if i != 0 {
			if err := copyFile(gen.genesisFile(), homes[i].genesisFile()); err != nil {
				return err
			}
		}
		if err := n.ConfigureNode(i); err != nil {
			return fmt.Errorf("%s: %w", n.Nodes[i].Name, err)
		}
	}
	// node0 serves state-sync snapshots to nodes that join later (add-node --state-sync).
	if err := n.enableSnapshots(0); err != nil {
		return fmt.Errorf("%s: snapshots: %w", n.Nodes[0].Name, err)
	}
	return n.save()
}

// keyAddress is the address of a key in the home's keyring.
func keyAddress(h *home, name string) (string, error) {
	rec, err := h.kr.Key(name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return "", err
	}
	return addr.String(), nil
}

// ConfigureNode puts node i's services on its loopback ports and connects
// it to every other node, in its config.toml, app.toml and client.toml.
// CometBFT normally refuses several peers on one IP and private addresses
// in its address book; a localnet needs both.
func (n *Network) ConfigureNode(i int) error {
	node := n.Nodes[i]
	cfgDir := filepath.Join(n.Home(i), "config")
	configToml := filepath.Join(cfgDir, "config.toml")
	if err := tomledit.SetValues(configToml, "rpc", map[string]string{
		"laddr":       fmt.Sprintf("tcp://127.0.0.1:%d", node.Ports.RPC),
		"pprof_laddr": "", // would collide between nodes
	}); err != nil {
		return err
	}
	if err := tomledit.SetValues(configToml, "p2p", map[string]string{
		"laddr":            fmt.Sprintf("tcp://127.0.0.1:%d", node.Ports.P2P),
		"persistent_peers": peers(n.Nodes, i),
	}); err != nil {
		return err
	}
	if err := tomledit.SetLiterals(configToml, "p2p", map[string]string{
		"allow_duplicate_ip": "true",
		"addr_book_strict":   "false",
	}); err != nil {
		return err
	}
	appToml := filepath.Join(cfgDir, "app.toml")
	if err := tomledit.SetValues(appToml, "api", map[string]string{"address": fmt.Sprintf("tcp://127.0.0.1:%d", node.Ports.API)}); err != nil {
		return err
	}
	if err := tomledit.SetValues(appToml, "grpc", map[string]string{"address": fmt.Sprintf("127.0.0.1:%d", node.Ports.GRPC)}); err != nil {
		return err
	}
	if n.Facade {
		// Every node would otherwise claim the seed's 9080, 9081 and 9090.
		if err := tomledit.SetValues(appToml, FacadeTomlSection, map[string]string{
			"rest-address":    fmt.Sprintf("127.0.0.1:%d", node.Ports.FacadeREST),
			"ws-address":      fmt.Sprintf("127.0.0.1:%d", node.Ports.FacadeWS),
			"metrics-address": fmt.Sprintf("127.0.0.1:%d", node.Ports.Metrics),
		}); err != nil {
			return err
		}
	}
	if i > 0 && tomledit.HasSection(appToml, "indexer") {
		// One SQL index serves the network's history (node0's, behind its
		// facade); four nodes sharing one machine each writing their own cost
		// up to half the localnet's throughput (BENCHMARKS.md).
		if err := tomledit.SetLiterals(appToml, "indexer", map[string]string{"enable": "false"}); err != nil {
			return err
		}
	}
	// `aitbcd --home <node home> tx/query …` talks to this node with the test keyring.
	return setClient(n.Home(i), n.ChainID, fmt.Sprintf("tcp://127.0.0.1:%d", node.Ports.RPC))
}

func copyFile(from, to string) error {
	raw, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, raw, 0o644)
}
