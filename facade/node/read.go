package node

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"
	"github.com/cosmos/cosmos-sdk/types/query"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aitbc/chain/facade/apierr"
)

// ParseHeight accepts a positive decimal block height.
func ParseHeight(raw string) (int64, error) {
	h, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || h <= 0 {
		return 0, apierr.BadRequest("invalid height %q: want a positive integer", clip(raw))
	}
	return h, nil
}

// ParseTxHash accepts a SHA-256 transaction hash as 64 hex digits, with or without 0x.
func ParseTxHash(raw string) ([]byte, error) {
	s := strings.TrimPrefix(strings.TrimPrefix(raw, "0x"), "0X")
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, apierr.BadRequest("invalid transaction hash %q: want 64 hex digits", clip(raw))
	}
	return b, nil
}

// ValidateAddress checks a bech32 account address of this chain.
func (n *Node) ValidateAddress(addr string) error {
	hrp, bz, err := bech32.DecodeAndConvert(addr)
	if err != nil {
		return apierr.BadRequest("invalid address %q: %v", clip(addr), err)
	}
	if hrp != n.prefix {
		return apierr.BadRequest("invalid address %q: want the %q prefix, got %q", clip(addr), n.prefix, hrp)
	}
	if len(bz) != 20 && len(bz) != 32 {
		return apierr.BadRequest("invalid address %q: %d bytes, want 20 or 32", clip(addr), len(bz))
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Head returns the latest block's header.
func (n *Node) Head(ctx context.Context) (Head, error) {
	res, err := n.Comet.Block(ctx, nil)
	if err != nil {
		return Head{}, apierr.FromUpstream(err)
	}
	if res.Block == nil {
		return Head{}, apierr.Unavailable("the node has no block yet")
	}
	return HeadOf(res.Block, res.BlockID), nil
}

// HeadOf summarises a block's header.
func HeadOf(b *cmttypes.Block, id cmttypes.BlockID) Head {
	return Head{
		ChainID:        b.ChainID,
		Height:         b.Height,
		Hash:           id.Hash.String(),
		Time:           b.Time,
		Proposer:       b.ProposerAddress.String(),
		NumTxs:         len(b.Txs),
		AppHash:        b.AppHash.String(),
		LastBlockHash:  b.LastBlockID.Hash.String(),
		ValidatorsHash: b.ValidatorsHash.String(),
	}
}

// Block returns a block with its decoded transactions, their results and the block's events.
func (n *Node) Block(ctx context.Context, height int64) (Block, error) {
	res, err := n.Comet.Block(ctx, &height)
	if err != nil {
		return Block{}, apierr.FromUpstream(err)
	}
	if res.Block == nil {
		return Block{}, apierr.NotFound("block %d not found", height)
	}
	results, err := n.Comet.BlockResults(ctx, &height)
	if err != nil {
		return Block{}, apierr.FromUpstream(err)
	}
	out := Block{Head: HeadOf(res.Block, res.BlockID), Txs: make([]Tx, 0, len(res.Block.Txs))}
	for i, raw := range res.Block.Txs {
		tx := n.DecodeTx(raw)
		tx.Height, tx.Index = height, uint32(i)
		if i < len(results.TxsResults) && results.TxsResults[i] != nil {
			applyResult(&tx, results.TxsResults[i])
		}
		out.Txs = append(out.Txs, tx)
	}
	out.Events = events(results.FinalizeBlockEvents)
	return out, nil
}

// DecodeTx describes raw transaction bytes; undecodable bytes keep their
// hash and say why in DecodeError instead of failing the whole answer.
func (n *Node) DecodeTx(raw []byte) (tx Tx) {
	tx = Tx{Hash: TxHash(raw), Messages: []string{}, Signers: []string{}, Fee: Fee{Amount: []Coin{}}}
	// The SDK's getters assume a tx the ante handler accepted (FeePayer
	// indexes the first signer): bytes that merely decode must not panic
	// every endpoint that shows them.
	defer func() {
		if p := recover(); p != nil {
			tx.DecodeError = fmt.Sprintf("transaction decodes but is not well-formed: %v", p)
		}
	}()
	decoded, err := n.txCfg.TxDecoder()(raw)
	if err != nil {
		tx.DecodeError = err.Error()
		return tx
	}
	for _, msg := range decoded.GetMsgs() {
		tx.Messages = append(tx.Messages, sdk.MsgTypeURL(msg))
	}
	if sv, ok := decoded.(authsigning.SigVerifiableTx); ok {
		if signers, err := sv.GetSigners(); err == nil {
			for _, s := range signers {
				if addr, err := bech32.ConvertAndEncode(n.prefix, s); err == nil {
					tx.Signers = append(tx.Signers, addr)
				}
			}
		}
	}
	if feeTx, ok := decoded.(sdk.FeeTx); ok {
		tx.Fee.Amount = coins(feeTx.GetFee())
		tx.Fee.GasLimit = feeTx.GetGas()
		if payer := feeTx.FeePayer(); len(payer) > 0 {
			tx.Fee.Payer, _ = bech32.ConvertAndEncode(n.prefix, payer)
		}
	}
	if memoTx, ok := decoded.(sdk.TxWithMemo); ok {
		tx.Memo = memoTx.GetMemo()
	}
	return tx
}

// TxHash is CometBFT's transaction hash: upper-case hex of SHA-256.
func TxHash(raw []byte) string { return strings.ToUpper(hex.EncodeToString(cmttypes.Tx(raw).Hash())) }

func applyResult(tx *Tx, r *abci.ExecTxResult) {
	tx.Code, tx.Codespace, tx.Log = r.Code, r.Codespace, r.Log
	tx.GasWanted, tx.GasUsed = r.GasWanted, r.GasUsed
	tx.Events = events(r.Events)
}

func events(in []abci.Event) []Event {
	out := make([]Event, 0, len(in))
	for _, e := range in {
		ev := Event{Type: e.Type, Attributes: make([]Attribute, 0, len(e.Attributes))}
		for _, a := range e.Attributes {
			ev.Attributes = append(ev.Attributes, Attribute{Key: a.Key, Value: a.Value})
		}
		out = append(out, ev)
	}
	return out
}

func coins(in sdk.Coins) []Coin {
	out := make([]Coin, 0, len(in))
	for _, c := range in {
		out = append(out, Coin{Denom: c.Denom, Amount: c.Amount.String()})
	}
	return out
}

// Tx returns an included transaction by hash.
func (n *Node) Tx(ctx context.Context, hash []byte) (Tx, error) {
	res, err := n.Comet.Tx(ctx, hash, false)
	if err != nil {
		return Tx{}, apierr.FromUpstream(err)
	}
	tx := n.DecodeTx(res.Tx)
	tx.Height, tx.Index = res.Height, res.Index
	applyResult(&tx, &res.TxResult)
	return tx, nil
}

// balancePageLimit is how many denoms one x/bank AllBalances call asks for;
// Balance pages on until it has them all.
const balancePageLimit = 200

// Balance returns an address's balances by denom, its account number and sequence (nonce).
func (n *Node) Balance(ctx context.Context, addr string) (Balance, error) {
	if err := n.ValidateAddress(addr); err != nil {
		return Balance{}, err
	}
	out := Balance{Address: addr, Balances: []Coin{}}
	var next []byte
	for {
		res, err := n.bank.AllBalances(ctx, &banktypes.QueryAllBalancesRequest{
			Address: addr, Pagination: &query.PageRequest{Key: next, Limit: balancePageLimit},
		})
		if err != nil {
			return Balance{}, apierr.FromUpstream(err)
		}
		out.Balances = append(out.Balances, coins(res.Balances)...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			break
		}
		next = res.Pagination.NextKey
	}
	acc, err := n.auth.Account(ctx, &authtypes.QueryAccountRequest{Address: addr})
	switch {
	case status.Code(err) == codes.NotFound:
		// A valid address that never received funds has no account yet: nonce 0.
		return out, nil
	case err != nil:
		return Balance{}, apierr.FromUpstream(err)
	}
	var account sdk.AccountI
	if err := n.ifaces.UnpackAny(acc.Account, &account); err != nil {
		return Balance{}, apierr.New(502, "decoding the account of %s: %v", addr, err)
	}
	out.AccountExists = true
	out.AccountNumber, out.Sequence = account.GetAccountNumber(), account.GetSequence()
	return out, nil
}

// Broadcast checks that raw is a transaction and hands it to the node's
// mempool; the answer carries CheckTx's verdict.
func (n *Node) Broadcast(ctx context.Context, raw []byte) (SendResult, error) {
	if _, err := n.txCfg.TxDecoder()(raw); err != nil {
		return SendResult{}, apierr.BadRequest("not a transaction (protobuf TxRaw): %v", err)
	}
	res, err := n.Comet.BroadcastTxSync(ctx, raw)
	if err != nil {
		if strings.Contains(err.Error(), "tx already exists in cache") {
			return SendResult{}, n.duplicate(ctx, raw)
		}
		return SendResult{}, apierr.FromUpstream(err)
	}
	return SendResult{
		Hash:    strings.ToUpper(res.Hash.String()),
		CheckTx: CheckTx{Code: res.Code, Codespace: res.Codespace, Log: res.Log},
		Pending: res.Code == 0,
	}, nil
}

// duplicate explains CometBFT's "tx already exists in cache", which it
// answers both for a transaction still in the mempool and for one already
// committed (the cache keeps those too): the tx index tells them apart.
func (n *Node) duplicate(ctx context.Context, raw []byte) error {
	hash := TxHash(raw)
	if res, err := n.Comet.Tx(ctx, cmttypes.Tx(raw).Hash(), false); err == nil {
		return apierr.BadRequest("transaction %s is already included in block %d (result code %d); it was not sent again: see GET /rpc/get_tx/%s",
			hash, res.Height, res.TxResult.Code, hash)
	}
	return apierr.BadRequest("transaction %s is already in the mempool, waiting for a block; it was not sent again", hash)
}

// WaitIncluded waits for a block to include an accepted transaction, until
// ctx is nearly done; then the result stays pending.
func (n *Node) WaitIncluded(ctx context.Context, raw []byte, res *SendResult) error {
	hash := cmttypes.Tx(raw).Hash()
	for {
		tx, err := n.Tx(ctx, hash)
		if err == nil {
			res.Included, res.Pending = &tx, false
			return nil
		}
		var apiErr *apierr.Error
		if !errors.As(err, &apiErr) || apiErr.Status != 404 {
			return err
		}
		// Give up while there is still time to answer.
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < 500*time.Millisecond {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Peers lists the node's connected peers.
func (n *Node) Peers(ctx context.Context) (Peers, error) {
	res, err := n.Comet.NetInfo(ctx)
	if err != nil {
		return Peers{}, apierr.FromUpstream(err)
	}
	out := Peers{Listening: res.Listening, Count: res.NPeers, Peers: make([]Peer, 0, len(res.Peers))}
	for _, p := range res.Peers {
		out.Peers = append(out.Peers, Peer{
			ID: string(p.NodeInfo.DefaultNodeID), Moniker: p.NodeInfo.Moniker, RemoteIP: p.RemoteIP,
			ListenAddr: p.NodeInfo.ListenAddr, Outbound: p.IsOutbound, Version: p.NodeInfo.Version,
		})
	}
	return out, nil
}

// SyncStatus reports the node's height, the age of its latest block and
// whether it is catching up.
func (n *Node) SyncStatus(ctx context.Context) (SyncStatus, error) {
	st, err := n.Comet.Status(ctx)
	if err != nil {
		return SyncStatus{}, apierr.FromUpstream(err)
	}
	peers := 0
	if ni, err := n.Comet.NetInfo(ctx); err == nil {
		peers = ni.NPeers
	}
	return SyncStatus{
		ChainID:             st.NodeInfo.Network,
		NodeID:              string(st.NodeInfo.DefaultNodeID),
		Moniker:             st.NodeInfo.Moniker,
		CatchingUp:          st.SyncInfo.CatchingUp,
		LatestBlockHeight:   st.SyncInfo.LatestBlockHeight,
		LatestBlockHash:     st.SyncInfo.LatestBlockHash.String(),
		LatestBlockTime:     st.SyncInfo.LatestBlockTime,
		BlockAgeSeconds:     blockAge(st.SyncInfo.LatestBlockTime),
		EarliestBlockHeight: st.SyncInfo.EarliestBlockHeight,
		Peers:               peers,
		Version:             st.NodeInfo.Version,
	}, nil
}

func blockAge(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return time.Since(t).Seconds()
}

// Health statuses.
const (
	HealthOK         = "ok"
	HealthCatchingUp = "catching_up"
	HealthStalled    = "stalled"
)

// The automatic /health threshold (facade.health-max-block-age = 0): a block
// is overdue after AutoBlockAgeMultiple times the gap between the latest two
// headers, and never before MinAutoBlockAge, so a round or two lost to an
// offline proposer (CometBFT's default timeouts: about 5 s a round) does not
// flap a 1 s chain's health.
const (
	AutoBlockAgeMultiple = 10
	MinAutoBlockAge      = 5 * time.Second
)

// Health is "ok" while the node is synced and its latest block is younger
// than maxBlockAge (0: AutoBlockAgeMultiple times the observed block time),
// "catching_up" while it syncs and "stalled" when no block came in time. An
// unreachable node is an error (503).
func (n *Node) Health(ctx context.Context, maxBlockAge time.Duration) (Health, error) {
	st, err := n.Comet.Status(ctx)
	if err != nil {
		// Whatever went wrong, an unhealthy node is a 503 to load balancers.
		msg := apierr.FromUpstream(err).Message
		if !strings.HasPrefix(msg, "node not reachable") {
			msg = "node not reachable: " + msg
		}
		return Health{}, apierr.Unavailable("%s", msg)
	}
	si := st.SyncInfo
	h := Health{
		Status: HealthOK, Node: n.remote, Height: si.LatestBlockHeight,
		CatchingUp: si.CatchingUp, LatestBlockTime: si.LatestBlockTime, BlockAgeSeconds: blockAge(si.LatestBlockTime),
	}
	if maxBlockAge <= 0 {
		maxBlockAge = n.autoBlockAge(ctx, si.LatestBlockHeight, si.LatestBlockTime)
	}
	h.MaxBlockAgeSeconds = maxBlockAge.Seconds()
	switch {
	case h.CatchingUp:
		h.Status = HealthCatchingUp
	case !si.LatestBlockTime.IsZero() && time.Since(si.LatestBlockTime) > maxBlockAge:
		// No block yet (zero time) cannot be judged; a block overdue can.
		h.Status = HealthStalled
	}
	return h, nil
}

// autoBlockAge is the automatic threshold for the block at height, made at
// time t: the gap to its parent's header is read once per height.
func (n *Node) autoBlockAge(ctx context.Context, height int64, t time.Time) time.Duration {
	if height <= 1 || t.IsZero() {
		return MinAutoBlockAge
	}
	n.intervalMu.Lock()
	cached, gap := n.intervalHeight, n.interval
	n.intervalMu.Unlock()
	if cached != height {
		parent := height - 1
		res, err := n.Comet.Header(ctx, &parent)
		if err != nil || res.Header == nil {
			return MinAutoBlockAge // try again on the next request
		}
		gap = t.Sub(res.Header.Time)
		n.intervalMu.Lock()
		n.intervalHeight, n.interval = height, gap
		n.intervalMu.Unlock()
	}
	return max(MinAutoBlockAge, AutoBlockAgeMultiple*gap)
}

// String names the node for logs.
func (n *Node) String() string { return fmt.Sprintf("node %s", n.remote) }

// LatestHeight is the node's latest committed height.
func (n *Node) LatestHeight(ctx context.Context) (int64, error) {
	st, err := n.Comet.Status(ctx)
	if err != nil {
		return 0, apierr.FromUpstream(err)
	}
	return st.SyncInfo.LatestBlockHeight, nil
}
