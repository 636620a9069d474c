package node

import (
	"encoding/json"
	"time"

	"github.com/aitbc/chain/facade/apierr"
)

// The JSON shapes the facade answers with. They are documented one for one in
// docs/openapi.json; change both together (TestOpenAPIDescribesViews checks).

// Head is the latest block's header.
type Head struct {
	ChainID        string    `json:"chain_id"`
	Height         int64     `json:"height"`
	Hash           string    `json:"hash"`
	Time           time.Time `json:"time"`
	Proposer       string    `json:"proposer"`
	NumTxs         int       `json:"num_txs"`
	AppHash        string    `json:"app_hash"`
	LastBlockHash  string    `json:"last_block_hash"`
	ValidatorsHash string    `json:"validators_hash"`
}

// Block is a block with its transactions and events.
type Block struct {
	Head
	Txs    []Tx    `json:"txs"`
	Events []Event `json:"events"`
}

// Tx is a transaction and, once in a block, its result.
type Tx struct {
	Hash        string   `json:"hash"`
	Height      int64    `json:"height,omitempty"`
	Index       uint32   `json:"index"`
	Messages    []string `json:"messages"`
	Signers     []string `json:"signers"`
	Fee         Fee      `json:"fee"`
	Memo        string   `json:"memo"`
	Code        uint32   `json:"code"`
	Codespace   string   `json:"codespace"`
	Log         string   `json:"log"`
	GasWanted   int64    `json:"gas_wanted"`
	GasUsed     int64    `json:"gas_used"`
	Events      []Event  `json:"events,omitempty"`
	DecodeError string   `json:"decode_error,omitempty"`
}

// Fee is what a transaction offers to pay.
type Fee struct {
	Amount   []Coin `json:"amount"`
	GasLimit uint64 `json:"gas_limit"`
	Payer    string `json:"payer,omitempty"`
}

// Coin is an amount of one denom; amounts are decimal strings (they exceed 2^53).
type Coin struct {
	Denom  string `json:"denom"`
	Amount string `json:"amount"`
}

// Event is an ABCI event.
type Event struct {
	Type       string      `json:"type"`
	Attributes []Attribute `json:"attributes"`
}

// Attribute is one key/value of an event.
type Attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Balance is an account's balances and nonce.
type Balance struct {
	Address       string `json:"address"`
	Balances      []Coin `json:"balances"`
	AccountExists bool   `json:"account_exists"`
	AccountNumber uint64 `json:"account_number"`
	Sequence      uint64 `json:"sequence"`
}

// SendResult is the answer to send_tx.
type SendResult struct {
	Hash     string  `json:"hash"`
	CheckTx  CheckTx `json:"check_tx"`
	Included *Tx     `json:"included,omitempty"`
	// Pending is true while an accepted transaction is not known to be in a block.
	Pending bool `json:"pending"`
}

// CheckTx is the mempool's verdict on a transaction.
type CheckTx struct {
	Code      uint32 `json:"code"`
	Codespace string `json:"codespace"`
	Log       string `json:"log"`
}

// Peers is the node's peer list.
type Peers struct {
	Listening bool   `json:"listening"`
	Count     int    `json:"count"`
	Peers     []Peer `json:"peers"`
}

// Peer is one connected peer.
type Peer struct {
	ID         string `json:"id"`
	Moniker    string `json:"moniker"`
	RemoteIP   string `json:"remote_ip"`
	ListenAddr string `json:"listen_addr"`
	Outbound   bool   `json:"outbound"`
	Version    string `json:"version"`
}

// SyncStatus says how far the node is and whether it is still catching up.
type SyncStatus struct {
	ChainID           string    `json:"chain_id"`
	NodeID            string    `json:"node_id"`
	Moniker           string    `json:"moniker"`
	CatchingUp        bool      `json:"catching_up"`
	LatestBlockHeight int64     `json:"latest_block_height"`
	LatestBlockHash   string    `json:"latest_block_hash"`
	LatestBlockTime   time.Time `json:"latest_block_time"`
	// BlockAgeSeconds is how long ago the latest block was made (0 before the first).
	BlockAgeSeconds     float64 `json:"block_age_seconds"`
	EarliestBlockHeight int64   `json:"earliest_block_height"`
	Peers               int     `json:"peers"`
	Version             string  `json:"version"`
}

// Health is the facade's and its node's liveness. Status is ok, catching_up
// or stalled; anything but ok is answered 503 with Error set too, so that
// clients decoding the error shape see why.
type Health struct {
	Status          string    `json:"status"`
	Node            string    `json:"node"`
	Height          int64     `json:"height"`
	CatchingUp      bool      `json:"catching_up"`
	LatestBlockTime time.Time `json:"latest_block_time"`
	BlockAgeSeconds float64   `json:"block_age_seconds"`
	// MaxBlockAgeSeconds is the age beyond which the node counts as stalled.
	MaxBlockAgeSeconds float64       `json:"max_block_age_seconds"`
	Error              *apierr.Error `json:"error,omitempty"`
}

// JobsPage is a page of x/compute jobs (each in the module's proto3 JSON).
type JobsPage struct {
	Jobs []json.RawMessage `json:"jobs"`
	// NextKey fetches the next page (page_key); empty on the last page.
	NextKey string `json:"next_key"`
}

// ProvidersPage is a page of x/compute providers.
type ProvidersPage struct {
	Providers []json.RawMessage `json:"providers"`
	NextKey   string            `json:"next_key"`
}
