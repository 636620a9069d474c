package indexer

import (
	"fmt"
	"sort"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cosmos/cosmos-sdk/types/bech32"
)

// Block is one committed block as the index stores it.
type Block struct {
	Height   int64
	Hash     string // upper-case hex, as CometBFT RPC prints it
	Time     time.Time
	ChainID  string
	Proposer string // consensus address, upper-case hex
	AppHash  string // header app hash: the state after the previous block
	Txs      []Tx
	// Events are the block's own events (FinalizeBlock, begin/end blockers): TxIndex -1.
	Events []Event
}

// Tx is one transaction of a block with its execution result.
type Tx struct {
	Height    int64
	Index     int
	Hash      string // upper-case hex SHA-256 of the tx bytes
	Code      uint32
	Codespace string
	Log       string
	GasWanted int64
	GasUsed   int64
	TxInfo
	Events []Event
	// Accounts are the addresses the tx touched: its signers, fee payer and
	// every account address in its events, sorted and unique.
	Accounts []string
}

// TxInfo is what a TxDecoder reads from a transaction's bytes.
type TxInfo struct {
	Signers  []string // bech32 account addresses
	MsgTypes []string // type URLs, in message order
	Fee      []Coin
	FeePayer string
	Memo     string
}

// Coin is an amount of one denom; Amount is a decimal integer string.
type Coin struct {
	Denom  string
	Amount string
}

// FeeString prints the fee as the SDK does ("5000uait").
func (t TxInfo) FeeString() string {
	parts := make([]string, len(t.Fee))
	for i, c := range t.Fee {
		parts[i] = c.Amount + c.Denom
	}
	return strings.Join(parts, ",")
}

// TxDecoder reads signers, messages, fee and memo from a transaction's bytes.
type TxDecoder func(txBytes []byte) (TxInfo, error)

// Event is one ABCI event of a block (TxIndex -1) or of a transaction.
type Event struct {
	TxIndex    int
	Index      int
	Type       string
	Attributes []Attribute
}

// Attribute is one key/value of an event.
type Attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Attr returns the value of the first attribute named key.
func (e Event) Attr(key string) (string, bool) {
	for _, a := range e.Attributes {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// BlockTxIndex is the tx_index of a block's own events.
const BlockTxIndex = -1

// FromRPC builds a Block from CometBFT RPC's /block and /block_results of one
// height. A transaction the decoder cannot read is kept with its hash, result
// and events, and without signers or messages.
func FromRPC(rb *coretypes.ResultBlock, rr *coretypes.ResultBlockResults, decode TxDecoder, accountPrefix string) (*Block, error) {
	if rb == nil || rb.Block == nil || rr == nil {
		return nil, fmt.Errorf("empty block or block results")
	}
	h := rb.Block.Header
	if rr.Height != h.Height {
		return nil, fmt.Errorf("block %d with results of height %d", h.Height, rr.Height)
	}
	if len(rr.TxsResults) != len(rb.Block.Txs) {
		return nil, fmt.Errorf("block %d has %d txs but %d results", h.Height, len(rb.Block.Txs), len(rr.TxsResults))
	}
	b := &Block{
		Height:   h.Height,
		Hash:     rb.BlockID.Hash.String(),
		Time:     h.Time.UTC(),
		ChainID:  h.ChainID,
		Proposer: h.ProposerAddress.String(),
		AppHash:  h.AppHash.String(),
		Events:   convertEvents(BlockTxIndex, rr.FinalizeBlockEvents),
		Txs:      make([]Tx, len(rb.Block.Txs)),
	}
	for i, raw := range rb.Block.Txs {
		res := rr.TxsResults[i]
		if res == nil {
			return nil, fmt.Errorf("block %d: no result for tx %d", h.Height, i)
		}
		tx := Tx{
			Height:    h.Height,
			Index:     i,
			Hash:      fmt.Sprintf("%X", cmttypes.Tx(raw).Hash()),
			Code:      res.Code,
			Codespace: res.Codespace,
			Log:       res.Log,
			GasWanted: res.GasWanted,
			GasUsed:   res.GasUsed,
			Events:    convertEvents(i, res.Events),
		}
		if decode != nil {
			if info, err := decode(raw); err == nil {
				tx.TxInfo = info
			}
		}
		tx.Accounts = touchedAccounts(tx, accountPrefix)
		b.Txs[i] = tx
	}
	return b, nil
}

func convertEvents(txIndex int, in []abci.Event) []Event {
	out := make([]Event, len(in))
	for i, ev := range in {
		attrs := make([]Attribute, len(ev.Attributes))
		for j, a := range ev.Attributes {
			attrs[j] = Attribute{Key: a.Key, Value: a.Value}
		}
		out[i] = Event{TxIndex: txIndex, Index: i, Type: ev.Type, Attributes: attrs}
	}
	return out
}

// touchedAccounts collects the signers, the fee payer and every event
// attribute value that is an account address of the chain.
func touchedAccounts(tx Tx, prefix string) []string {
	seen := map[string]bool{}
	for _, s := range tx.Signers {
		seen[s] = true
	}
	if tx.FeePayer != "" {
		seen[tx.FeePayer] = true
	}
	if prefix != "" {
		for _, ev := range tx.Events {
			for _, a := range ev.Attributes {
				if isAccountAddress(a.Value, prefix) {
					seen[a.Value] = true
				} else if addr, ok := isQuotedAccount(a.Value, prefix); ok {
					// Typed events (x/poa, x/compute) hold JSON values: "ait1…".
					seen[addr] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

func isAccountAddress(v, prefix string) bool {
	// Cheap checks first: most attribute values are amounts and type URLs.
	if len(v) < len(prefix)+8 || len(v) > 90 || !strings.HasPrefix(v, prefix+"1") {
		return false
	}
	hrp, _, err := bech32.DecodeAndConvert(v)
	return err == nil && hrp == prefix
}
