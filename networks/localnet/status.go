package localnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// rpcTimeout bounds each CometBFT RPC call to a local node.
const rpcTimeout = 3 * time.Second

// Status is what `localnet status` reports.
type Status struct {
	ChainID       string       `json:"chain_id"`
	Dir           string       `json:"dir"`
	ConsensusMode string       `json:"consensus_mode"` // at genesis
	Nodes         []NodeStatus `json:"nodes"`
	// ValidatorSetError says why membership is unknown ("" when it is known).
	ValidatorSetError string `json:"validator_set_error,omitempty"`
}

// NodeStatus is one node's line; pointers are null where unknown.
type NodeStatus struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	Process string `json:"process"` // running or stopped
	PID     int    `json:"pid,omitempty"`
	Height  *int64 `json:"height"`
	// Sync is synced, catching-up, no-answer (running but its RPC did not
	// answer) or "" (stopped).
	Sync      string `json:"sync,omitempty"`
	Peers     *int   `json:"peers"`
	Validator string `json:"validator"` // yes, no or unknown
	Power     *int64 `json:"power"`
	RPC       string `json:"rpc"`
}

// Status asks every running node for its status and the first one that
// answers for the validator set.
func (l *Network) Status(ctx context.Context) Status {
	st := Status{ChainID: l.ChainID, Dir: l.dir, ConsensusMode: string(l.ConsensusMode)}
	var valSet map[string]int64
	valSetErr := errors.New("no node answers")
	for i, n := range l.Nodes {
		ns := NodeStatus{Name: n.Name, Role: n.Role, Process: "stopped", Validator: "unknown",
			RPC: fmt.Sprintf("http://127.0.0.1:%d", n.Ports.RPC)}
		if pid := l.PID(i); pid != 0 {
			ns.Process, ns.PID = "running", pid
			if status, err := queryNodeStatus(ctx, n.Ports.RPC); err != nil {
				ns.Sync = "no-answer"
			} else {
				height, peers := status.Height, status.Peers
				ns.Height, ns.Peers, ns.Sync = &height, &peers, "synced"
				if status.CatchingUp {
					ns.Sync = "catching-up"
				}
				if valSet == nil {
					valSet, valSetErr = queryValidatorSet(ctx, n.Ports.RPC)
				}
			}
		}
		st.Nodes = append(st.Nodes, ns)
	}
	if valSet == nil {
		st.ValidatorSetError = valSetErr.Error()
		return st
	}
	for i := range st.Nodes {
		st.Nodes[i].Validator = "no"
		if addr, err := l.ConsensusAddress(i); err == nil {
			if p, ok := valSet[addr]; ok {
				st.Nodes[i].Validator, st.Nodes[i].Power = "yes", &p
			}
		}
	}
	return st
}

// rpcClient is a CometBFT RPC client of the local node on port.
func rpcClient(port int) (*rpchttp.HTTP, error) {
	return rpchttp.NewWithTimeout(fmt.Sprintf("http://127.0.0.1:%d", port), "/websocket", uint(rpcTimeout/time.Second))
}

// nodeStatus is what CometBFT RPC /status and /net_info say about one node.
type nodeStatus struct {
	Height     int64
	Peers      int
	Validator  string // hex consensus address
	CatchingUp bool
}

func queryNodeStatus(ctx context.Context, port int) (nodeStatus, error) {
	c, err := rpcClient(port)
	if err != nil {
		return nodeStatus{}, err
	}
	status, err := c.Status(ctx)
	if err != nil {
		return nodeStatus{}, fmt.Errorf("status: %w", err)
	}
	netInfo, err := c.NetInfo(ctx)
	if err != nil {
		return nodeStatus{}, fmt.Errorf("net_info: %w", err)
	}
	return nodeStatus{
		Height:     status.SyncInfo.LatestBlockHeight,
		Peers:      netInfo.NPeers,
		Validator:  status.ValidatorInfo.Address.String(),
		CatchingUp: status.SyncInfo.CatchingUp,
	}, nil
}

// queryValidatorSet returns the latest validator set as hex consensus
// address → voting power, from CometBFT RPC /validators.
func queryValidatorSet(ctx context.Context, port int) (map[string]int64, error) {
	c, err := rpcClient(port)
	if err != nil {
		return nil, err
	}
	set := map[string]int64{}
	perPage := 100
	for page := 1; ; page++ {
		res, err := c.Validators(ctx, nil, &page, &perPage)
		if err != nil {
			return nil, fmt.Errorf("validators: %w", err)
		}
		for _, v := range res.Validators {
			set[strings.ToUpper(v.Address.String())] = v.VotingPower
		}
		if len(res.Validators) == 0 || len(set) >= res.Total {
			return set, nil
		}
	}
}

// ConsensusAddress reads node i's consensus address (upper-case hex) from
// its priv_validator_key.json, so a stopped node can be looked up in the set.
func (l *Network) ConsensusAddress(i int) (string, error) {
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
