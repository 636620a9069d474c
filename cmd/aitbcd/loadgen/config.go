// Package loadgen is AITBC's load generator: it funds a set of throw-away
// accounts, pre-signs transactions for them offline, sends those at a target
// rate over several connections to a node's CometBFT RPC, follows each one to
// the block that commits it, and reports throughput, latency, block timing and
// the node's resource use. `aitbcd bench load` is its command-line front.
package loadgen

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Kinds of transaction the generator can send.
const (
	KindSend = "send" // bank MsgSend of 1uait to the next account
	KindJob  = "job"  // x/compute MsgSubmitJob of one unit at 1uait
)

// Config is one load run.
type Config struct {
	Node          string        // CometBFT RPC, e.g. tcp://127.0.0.1:26657; loopback only
	ChainID       string        // "" = read from the node's /status
	Funder        string        // keyring name of the key that funds the accounts
	Accounts      int           // K accounts that sign the load
	Rate          float64       // offered transactions per second
	Count         int           // at most this many transactions
	Duration      time.Duration // and at most this long sending
	Connections   int           // parallel RPC connections
	Kind          string        // KindSend or KindJob
	Gas           uint64        // gas limit per load transaction (0 = kind's default)
	GasPrice      float64       // uait per gas unit; fee = ceil(gas × price)
	DrainTimeout  time.Duration // how long to wait for commits after the last send
	Seed          int64         // derives the accounts' keys
	PIDs          []int         // node processes whose CPU and RSS are sampled
	PollInterval  time.Duration // block polling period (commit-time resolution)
	FundBatchSize int           // outputs per funding MsgMultiSend
	// LiveResults reads every block's results (block_results: each
	// transaction's code and events, JSON-encoded by the node) while the load
	// runs. By default the tracker only waits for the application to commit
	// each block (abci_info) and reads the results after the run, so that the
	// measurement does not spend the node's CPU on encoding them under load.
	LiveResults bool
}

// DefaultGas is the gas limit of one load transaction of each kind: measured
// use plus headroom (a bank send uses 66.5k; with the block gas limit of 100M
// the limit, not the use, caps a block: 80k lets 1,250 sends in).
var DefaultGas = map[string]uint64{KindSend: 80_000, KindJob: 160_000}

// Total is the number of transactions the run pre-signs: Count, capped by
// what Rate offers in Duration.
func (c Config) Total() int {
	n := c.Count
	if c.Duration > 0 && c.Rate > 0 {
		if byTime := int(c.Rate * c.Duration.Seconds()); byTime < n || n <= 0 {
			n = byTime
		}
	}
	return n
}

// Validate checks the configuration, including that the target is on loopback.
func (c *Config) Validate() error {
	if _, err := LoopbackRPC(c.Node); err != nil {
		return err
	}
	switch {
	case c.Funder == "":
		return errors.New("a funding key is required (--from)")
	case c.Accounts < 1:
		return fmt.Errorf("accounts must be at least 1, got %d", c.Accounts)
	case c.Rate <= 0:
		return fmt.Errorf("rate must be positive, got %v", c.Rate)
	case c.Count <= 0 && c.Duration <= 0:
		return errors.New("the run must be bounded: give a count, a duration or both")
	case c.Connections < 1:
		return fmt.Errorf("connections must be at least 1, got %d", c.Connections)
	case c.Kind != KindSend && c.Kind != KindJob:
		return fmt.Errorf("kind must be %q or %q, got %q", KindSend, KindJob, c.Kind)
	case c.GasPrice < 0:
		return fmt.Errorf("gas price must not be negative, got %v", c.GasPrice)
	case c.Total() < 1:
		return errors.New("the run would send no transaction: raise count, rate or duration")
	}
	if c.Gas == 0 {
		c.Gas = DefaultGas[c.Kind]
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 10 * time.Millisecond
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 60 * time.Second
	}
	if c.FundBatchSize <= 0 {
		c.FundBatchSize = 200
	}
	return nil
}

// LoopbackRPC turns a node address (tcp://, http:// or host:port) into the
// http:// base URL of its RPC, refusing any host that is not a loopback
// address: the generator is for one's own machine, never someone else's node.
func LoopbackRPC(node string) (string, error) {
	if node == "" {
		return "", errors.New("node address is empty")
	}
	raw := node
	if !strings.Contains(raw, "://") {
		raw = "tcp://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("node address %q: %w", node, err)
	}
	if u.Scheme != "tcp" && u.Scheme != "http" {
		return "", fmt.Errorf("node address %q: scheme must be tcp or http", node)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		return "", fmt.Errorf("node address %q has no port", node)
	}
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return "", fmt.Errorf("refusing non-loopback node %q: the load generator only targets 127.0.0.1, ::1 or localhost", node)
		}
	}
	return "http://" + net.JoinHostPort(host, port), nil
}
