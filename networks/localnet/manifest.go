package localnet

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ChainID is the chain id of the multi-validator local network.
const ChainID = "ait-localnet-1"

const (
	// DefaultBasePort is node0's first port; see PortsFor.
	DefaultBasePort = 26700
	// PortStride is how many ports each node owns: node i uses
	// base+10*i … base+10*i+9.
	PortStride = 10
	// MaxNodes bounds validators plus full nodes.
	MaxNodes = 20

	// ManifestFile is the file in the localnet directory that describes it.
	ManifestFile = "localnet.json"
	// OperatorKey is every node's operator key in its own keyring.
	OperatorKey = "operator"
)

// Offsets of each service inside a node's block of PortStride ports;
// 7-9 are free for later services.
const (
	portOffsetP2P        = 0
	portOffsetRPC        = 1
	portOffsetGRPC       = 2
	portOffsetAPI        = 3
	portOffsetFacadeREST = 4
	portOffsetFacadeWS   = 5
	portOffsetMetrics    = 6
)

// Node roles, as localnet.json spells them.
const (
	RoleValidator = "validator"
	RoleFullNode  = "full"
)

// Ports are the loopback ports of one localnet node.
type Ports struct {
	P2P  int `json:"p2p"`
	RPC  int `json:"rpc"`
	GRPC int `json:"grpc"`
	API  int `json:"api"`
	// The AITBC facade's listeners, used when the binary has a [facade]
	// section in app.toml (see Network.Facade).
	FacadeREST int `json:"facade_rest"`
	FacadeWS   int `json:"facade_ws"`
	Metrics    int `json:"metrics"`
}

// PortsFor returns node i's ports: base + 10*i + offset, the offsets being
// P2P 0, CometBFT RPC 1, gRPC 2, Cosmos REST 3, facade REST 4, facade
// WebSocket 5, Prometheus metrics 6 (7-9 free).
func PortsFor(base, i int) Ports {
	first := base + PortStride*i
	return Ports{
		P2P:        first + portOffsetP2P,
		RPC:        first + portOffsetRPC,
		GRPC:       first + portOffsetGRPC,
		API:        first + portOffsetAPI,
		FacadeREST: first + portOffsetFacadeREST,
		FacadeWS:   first + portOffsetFacadeWS,
		Metrics:    first + portOffsetMetrics,
	}
}

// Node is one node of the localnet as recorded in localnet.json.
type Node struct {
	Name     string `json:"name"` // also its home directory inside the localnet directory
	Role     string `json:"role"` // RoleValidator or RoleFullNode
	NodeID   string `json:"node_id"`
	Operator string `json:"operator"` // address of the "operator" key in the node's keyring
	Ports    Ports  `json:"ports"`
}

// Network describes a local multi-node network; it is written once, when
// the network is created, to localnet.json in its directory.
type Network struct {
	ChainID       string        `json:"chain_id"`
	ConsensusMode ConsensusMode `json:"consensus_mode"`
	BasePort      int           `json:"base_port"`
	Validators    int           `json:"validators"`
	FullNodes     int           `json:"full_nodes"`
	VotingPeriod  string        `json:"voting_period"` // a Go duration, e.g. "1m0s"
	Nodes         []Node        `json:"nodes"`
	// Facade is true when the nodes' app.toml has the AITBC facade's [facade]
	// section, whose listeners were then moved to each node's facade ports.
	Facade bool `json:"facade"`

	dir string
}

// Home is the home directory of node i.
func (n *Network) Home(i int) string { return filepath.Join(n.dir, n.Nodes[i].Name) }

// Dir is the localnet directory.
func (n *Network) Dir() string { return n.dir }

// SetDir says where the network's directory is, for a Network not read by
// Load (one being built, or a test's).
func (n *Network) SetDir(dir string) { n.dir = dir }

// Load reads the localnet in dir. It returns an error wrapping
// os.ErrNotExist when dir holds no localnet.
func Load(dir string) (*Network, error) {
	path := filepath.Join(dir, ManifestFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var n Network
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(n.Nodes) == 0 {
		return nil, fmt.Errorf("%s lists no nodes", path)
	}
	n.dir = dir
	return &n, nil
}

// save writes the manifest into the network's directory.
func (n *Network) save() error {
	raw, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(n.dir, ManifestFile), append(raw, '\n'), 0o644)
}

// layout names the nodes and assigns their roles and ports:
// node0 … node(V-1) are validators, the rest full nodes.
func layout(validators, fullNodes, basePort int) []Node {
	nodes := make([]Node, validators+fullNodes)
	for i := range nodes {
		role := RoleValidator
		if i >= validators {
			role = RoleFullNode
		}
		nodes[i] = Node{Name: "node" + strconv.Itoa(i), Role: role, Ports: PortsFor(basePort, i)}
	}
	return nodes
}

// Peers is node i's persistent_peers: every other node.
func (n *Network) Peers(i int) string { return peers(n.Nodes, i) }

func peers(nodes []Node, self int) string {
	var list []string
	for i, n := range nodes {
		if i != self {
			list = append(list, fmt.Sprintf("%s@127.0.0.1:%d", n.NodeID, n.Ports.P2P))
		}
	}
	return strings.Join(list, ",")
}
