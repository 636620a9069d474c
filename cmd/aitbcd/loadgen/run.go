package loadgen

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// Gas a funding MsgMultiSend is given per output (creating an account and
// writing a balance) and on top for the transaction itself.
const (
	fundGasPerOutput = 40_000
	fundGasBase      = 200_000
	maxFirstErrors   = 5
	fundTimeout      = 60 * time.Second
)

// Run funds the accounts, pre-signs and sends the load, follows it to its
// commit and returns the report. Progress goes to logw.
func Run(ctx context.Context, cfg Config, txConfig client.TxConfig, kr keyring.Keyring, logw io.Writer) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	base, _ := LoopbackRPC(cfg.Node)
	ctrl := newRPCClient(base)
	st, err := ctrl.status(ctx)
	if err != nil {
		return nil, fmt.Errorf("node status: %w", err)
	}
	if cfg.ChainID == "" {
		cfg.ChainID = st.NodeInfo.Network
	}
	conns := make([]*rpcClient, cfg.Connections)
	for i := range conns {
		conns[i] = newRPCClient(base)
	}

	total := cfg.Total()
	accs := newAccounts(cfg.Seed, cfg.Accounts)
	perAccount := (total + cfg.Accounts - 1) / cfg.Accounts
	fee := sdk.NewCoins(sdk.NewCoin(Denom, feeFor(cfg.Gas, cfg.GasPrice)))
	// Each transaction costs its fee plus 1uait sent or escrowed; 1 AIT on top.
	grant := fee.AmountOf(Denom).AddRaw(1).MulRaw(int64(perAccount)).AddRaw(1_000_000)

	fmt.Fprintf(logw, "loadgen: chain %s at height %d; funding %d accounts with %s%s each from %q\n",
		cfg.ChainID, st.SyncInfo.LatestBlockHeight, len(accs), grant, Denom, cfg.Funder)
	if err := fund(ctx, ctrl, cfg, txConfig, kr, accs, grant); err != nil {
		return nil, fmt.Errorf("funding: %w", err)
	}
	if err := loadAccounts(ctx, conns, accs); err != nil {
		return nil, err
	}

	startSeqs := make([]uint64, len(accs))
	for i, a := range accs {
		startSeqs[i] = a.sequence
	}
	slots := planSlots(startSeqs, total)
	s := &signer{txConfig: txConfig, chainID: cfg.ChainID, kind: cfg.Kind, gas: cfg.Gas, fee: fee}
	signStart := time.Now()
	txs, err := s.presign(ctx, accs, slots)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logw, "loadgen: pre-signed %d %s transactions in %.1fs; sending at %.0f tx/s over %d connections\n",
		len(txs), cfg.Kind, time.Since(signStart).Seconds(), cfg.Rate, cfg.Connections)

	return send(ctx, cfg, ctrl, conns, txs)
}

// fund sends the accounts their grant in MsgMultiSend batches signed by the
// funder's key, and waits until every batch is committed.
func fund(ctx context.Context, c *rpcClient, cfg Config, txConfig client.TxConfig, kr keyring.Keyring, accs []*account, grant sdkmath.Int) error {
	rec, err := kr.Key(cfg.Funder)
	if err != nil {
		return fmt.Errorf("key %q: %w", cfg.Funder, err)
	}
	funder, err := rec.GetAddress()
	if err != nil {
		return err
	}
	info, err := accountInfo(ctx, c, funder.String())
	if err != nil {
		return fmt.Errorf("funder %s: %w", funder, err)
	}
	st, err := c.status(ctx)
	if err != nil {
		return err
	}
	from := int64(st.SyncInfo.LatestBlockHeight) + 1
	seq := info.Sequence
	var hashes [][32]byte
	for start := 0; start < len(accs); start += cfg.FundBatchSize {
		batch := accs[start:min(start+cfg.FundBatchSize, len(accs))]
		coins := sdk.NewCoins(sdk.NewCoin(Denom, grant))
		outputs := make([]banktypes.Output, len(batch))
		for i, a := range batch {
			outputs[i] = banktypes.NewOutput(a.addr, coins)
		}
		sum := sdk.NewCoins(sdk.NewCoin(Denom, grant.MulRaw(int64(len(batch)))))
		msg := banktypes.NewMsgMultiSend(banktypes.NewInput(funder, sum), outputs)
		gas := uint64(fundGasBase + fundGasPerOutput*len(batch))
		b := txConfig.NewTxBuilder()
		if err := b.SetMsgs(msg); err != nil {
			return err
		}
		b.SetGasLimit(gas)
		b.SetFeeAmount(sdk.NewCoins(sdk.NewCoin(Denom, feeFor(gas, cfg.GasPrice))))
		f := tx.Factory{}.WithTxConfig(txConfig).WithKeybase(kr).WithChainID(cfg.ChainID).
			WithAccountNumber(info.AccountNumber).WithSequence(seq).WithSignMode(signing.SignMode_SIGN_MODE_DIRECT)
		if err := tx.Sign(ctx, f, cfg.Funder, b, true); err != nil {
			return err
		}
		bz, err := txConfig.TxEncoder()(b.GetTx())
		if err != nil {
			return err
		}
		res, err := c.broadcastSync(ctx, bz)
		if err != nil {
			return err
		}
		if res.Code != 0 {
			return fmt.Errorf("funding transaction refused: code %d (%s): %s", res.Code, res.Codespace, res.Log)
		}
		hashes = append(hashes, sha256.Sum256(bz))
		seq++
	}
	return waitCommitted(ctx, c, from, hashes, fundTimeout)
}

// waitCommitted follows the blocks from height on until each of hashes is in
// one, by scanning the blocks rather than asking the transaction index, which
// a validator may have switched off. A transaction that failed in its block is
// an error.
func waitCommitted(ctx context.Context, c *rpcClient, height int64, hashes [][32]byte, timeout time.Duration) error {
	pending := make(map[[32]byte]bool, len(hashes))
	for _, h := range hashes {
		pending[h] = true
	}
	deadline := time.Now().Add(timeout)
	for len(pending) > 0 {
		blk, err := c.block(ctx, height)
		if err != nil {
			if time.Now().After(deadline) {
				return fmt.Errorf("%d funding transactions not committed within %s (last error: %w)", len(pending), timeout, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		txs := blk.Block.Data.Txs
		var ours []int
		for j, raw := range txs {
			if pending[sha256.Sum256(raw)] {
				ours = append(ours, j)
			}
		}
		if len(ours) > 0 {
			codes, err := waitResults(ctx, c, 100*time.Millisecond, height, len(txs))
			if err != nil {
				return err
			}
			for _, j := range ours {
				h := sha256.Sum256(txs[j])
				if codes[j] != 0 {
					return fmt.Errorf("funding transaction %X failed at height %d: code %d", h, height, codes[j])
				}
				delete(pending, h)
			}
		}
		height++
	}
	return nil
}

// accountInfo queries an account's number and sequence through ABCI.
func accountInfo(ctx context.Context, c *rpcClient, addr string) (*authtypes.BaseAccount, error) {
	req := authtypes.QueryAccountInfoRequest{Address: addr}
	data, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	raw, err := c.abciQuery(ctx, "/cosmos.auth.v1beta1.Query/AccountInfo", data)
	if err != nil {
		return nil, err
	}
	var res authtypes.QueryAccountInfoResponse
	if err := res.Unmarshal(raw); err != nil {
		return nil, err
	}
	if res.Info == nil {
		return nil, errors.New("no account info")
	}
	return res.Info, nil
}

// loadAccounts reads each account's number and next sequence from the chain.
func loadAccounts(ctx context.Context, conns []*rpcClient, accs []*account) error {
	var wg sync.WaitGroup
	errs := make([]error, len(conns))
	for w, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(accs); i += len(conns) {
				info, err := accountInfo(ctx, c, accs[i].bech32)
				if err != nil {
					errs[w] = fmt.Errorf("account %s: %w", accs[i].bech32, err)
					return
				}
				accs[i].number, accs[i].sequence = info.AccountNumber, info.Sequence
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// txState is what happened to one load transaction. Times are UnixNano; 0 = not yet.
type txState struct {
	submitted atomic.Int64
	committed atomic.Int64
	code      atomic.Uint32
	accepted  atomic.Bool
}

// blockSeen is one block the tracker read.
type blockSeen struct {
	height   int64
	time     time.Time
	txs      int
	load     []loadPos // the load transactions first seen in this block
	observed time.Time
}

// loadPos places load transaction tx at index pos of a block.
type loadPos struct{ tx, pos int }

// run state shared by the senders, the tracker and the samplers.
type runState struct {
	txs    []*loadTx
	states []txState
	index  map[[32]byte]int

	accepted, rejected, mempoolFull atomic.Int64
	seen                            atomic.Int64 // load txs found in blocks

	mu       sync.Mutex
	errs     []string
	blocks   []blockSeen
	rounds   map[int64]int32 // height → round it was committed in
	poolPeak int64
	trackErr error
}

func (r *runState) noteError(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) < maxFirstErrors {
		r.errs = append(r.errs, msg)
	}
}

func send(ctx context.Context, cfg Config, ctrl *rpcClient, conns []*rpcClient, txs []*loadTx) (*Report, error) {
	rs := &runState{txs: txs, states: make([]txState, len(txs)), index: make(map[[32]byte]int, len(txs)), rounds: map[int64]int32{}}
	for i, t := range txs {
		rs.index[t.hash] = i
	}
	st, err := ctrl.status(ctx)
	if err != nil {
		return nil, err
	}
	fromHeight := int64(st.SyncInfo.LatestBlockHeight) + 1

	bgCtx, stopBg := context.WithCancel(ctx)
	var bg sync.WaitGroup
	bg.Add(3)
	go func() { defer bg.Done(); track(bgCtx, newRPCClient(ctrl.url), cfg, fromHeight, rs) }()
	go func() { defer bg.Done(); pollMempool(bgCtx, newRPCClient(ctrl.url), rs) }()
	procs := newProcSampler(append(slices.Clone(cfg.PIDs), os.Getpid()))
	go func() { defer bg.Done(); procs.run(bgCtx) }()

	// One sender per connection; an account's transactions all go through one.
	queues := make([]chan int, len(conns))
	var senders sync.WaitGroup
	for c := range conns {
		queues[c] = make(chan int, 64) // small: a saturated node slows the dispatcher, not a hidden backlog
		senders.Add(1)
		go func() {
			defer senders.Done()
			for i := range queues[c] {
				sendOne(ctx, conns[c], rs, i)
			}
		}()
	}
	start := time.Now()
	var deadline time.Time
	if cfg.Duration > 0 {
		deadline = start.Add(cfg.Duration)
	}
	sent := dispatch(len(txs), pacer{start: start, rate: cfg.Rate}, deadline, time.Now, time.Sleep, func(i int) {
		queues[connectionOf(txs[i].slot.Account, len(conns))] <- i
	})
	for _, q := range queues {
		close(q)
	}
	senders.Wait()
	sendEnd := time.Now()

	// Drain: wait for every accepted transaction to show up in a block.
	drainUntil := time.Now().Add(cfg.DrainTimeout)
	for rs.seen.Load() < rs.accepted.Load() && time.Now().Before(drainUntil) && ctx.Err() == nil {
		rs.mu.Lock()
		terr := rs.trackErr
		rs.mu.Unlock()
		if terr != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopBg()
	bg.Wait()
	if rs.trackErr != nil {
		return nil, fmt.Errorf("following blocks: %w", rs.trackErr)
	}
	procStats := procs.stats(start, time.Now())
	if !cfg.LiveResults {
		if err := readResults(ctx, ctrl, cfg.PollInterval, rs); err != nil {
			return nil, err
		}
	}
	return rs.report(cfg, len(txs), sent, start, sendEnd, procStats), nil
}

// sendOne broadcasts transaction i, retrying while the mempool is full.
func sendOne(ctx context.Context, c *rpcClient, rs *runState, i int) {
	st := &rs.states[i]
	st.submitted.Store(time.Now().UnixNano())
	for {
		res, err := c.broadcastSync(ctx, rs.txs[i].bytes)
		if err != nil && strings.Contains(err.Error(), "mempool is full") && ctx.Err() == nil {
			rs.mempoolFull.Add(1)
			time.Sleep(20 * time.Millisecond)
			continue
		}
		switch {
		case err != nil:
			rs.rejected.Add(1)
			rs.noteError(fmt.Sprintf("tx %d: %v", i, err))
		case res.Code != 0:
			rs.rejected.Add(1)
			rs.noteError(fmt.Sprintf("tx %d (account %d, sequence %d): CheckTx code %d (%s): %s",
				i, rs.txs[i].slot.Account, rs.txs[i].slot.Sequence, res.Code, res.Codespace, res.Log))
		default:
			st.accepted.Store(true)
			rs.accepted.Add(1)
		}
		return
	}
}

// track reads every block from height on and marks the load transactions it
// holds as committed at the moment their results exist: when block_results
// answers (LiveResults) or, by default, when the application reports the
// height committed (abci_info); the codes are then read by readResults.
func track(ctx context.Context, c *rpcClient, cfg Config, height int64, rs *runState) {
	for ctx.Err() == nil {
		blk, err := c.block(ctx, height)
		if err != nil {
			time.Sleep(cfg.PollInterval)
			continue
		}
		var codes []uint32
		if cfg.LiveResults {
			codes, err = waitResults(ctx, c, cfg.PollInterval, height, len(blk.Block.Data.Txs))
		} else {
			err = waitAppHeight(ctx, c, cfg.PollInterval, height)
		}
		if err != nil {
			if ctx.Err() == nil {
				rs.mu.Lock()
				rs.trackErr = err
				rs.mu.Unlock()
			}
			return
		}
		observed := time.Now()
		seen := blockSeen{height: height, time: blk.Block.Header.Time, txs: len(blk.Block.Data.Txs), observed: observed}
		for j, raw := range blk.Block.Data.Txs {
			i, ok := rs.index[sha256.Sum256(raw)]
			if !ok {
				continue
			}
			st := &rs.states[i]
			if st.committed.Load() != 0 {
				continue
			}
			if codes != nil {
				st.code.Store(codes[j])
			}
			st.committed.Store(observed.UnixNano())
			rs.seen.Add(1)
			seen.load = append(seen.load, loadPos{tx: i, pos: j})
		}
		rs.mu.Lock()
		rs.blocks = append(rs.blocks, seen)
		if lc := blk.Block.LastCommit; lc.Height > 0 {
			rs.rounds[int64(lc.Height)] = lc.Round
		}
		rs.mu.Unlock()
		height++
	}
}

// waitResults polls block_results of a block until they exist and returns
// each transaction's code.
func waitResults(ctx context.Context, c *rpcClient, poll time.Duration, height int64, ntxs int) ([]uint32, error) {
	for {
		results, err := c.blockResults(ctx, height)
		if err == nil {
			if len(results.TxsResults) != ntxs {
				return nil, fmt.Errorf("height %d: %d txs but %d results", height, ntxs, len(results.TxsResults))
			}
			codes := make([]uint32, ntxs)
			for j, r := range results.TxsResults {
				codes[j] = r.Code
			}
			return codes, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		time.Sleep(poll)
	}
}

// waitAppHeight polls abci_info until the application has committed height.
func waitAppHeight(ctx context.Context, c *rpcClient, poll time.Duration, height int64) error {
	for {
		h, err := c.appHeight(ctx)
		if err == nil && h >= height {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(poll)
	}
}

// readResults reads, after the run, the codes of the load transactions the
// tracker saw without their results.
func readResults(ctx context.Context, c *rpcClient, poll time.Duration, rs *runState) error {
	rs.mu.Lock()
	blocks := slices.Clone(rs.blocks)
	rs.mu.Unlock()
	for _, b := range blocks {
		if len(b.load) == 0 {
			continue
		}
		codes, err := waitResults(ctx, c, poll, b.height, b.txs)
		if err != nil {
			return fmt.Errorf("results of height %d: %w", b.height, err)
		}
		for _, o := range b.load {
			rs.states[o.tx].code.Store(codes[o.pos])
		}
	}
	return nil
}

func pollMempool(ctx context.Context, c *rpcClient, rs *runState) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		if n, err := c.mempoolSize(ctx); err == nil {
			rs.mu.Lock()
			rs.poolPeak = max(rs.poolPeak, n)
			rs.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// procSampler follows the CPU time and RSS of the node processes.
type procSampler struct {
	pids        []int
	mu          sync.Mutex
	first, last map[int]procSample
	firstAt     map[int]time.Time
	lastAt      map[int]time.Time
	peakRSS     map[int]uint64
}

func newProcSampler(pids []int) *procSampler {
	return &procSampler{pids: pids, first: map[int]procSample{}, last: map[int]procSample{},
		firstAt: map[int]time.Time{}, lastAt: map[int]time.Time{}, peakRSS: map[int]uint64{}}
}

func (p *procSampler) sample() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pid := range p.pids {
		s, err := readProc(pid)
		if err != nil {
			continue
		}
		now := time.Now()
		if _, ok := p.first[pid]; !ok {
			p.first[pid], p.firstAt[pid] = s, now
		}
		p.last[pid], p.lastAt[pid] = s, now
		p.peakRSS[pid] = max(p.peakRSS[pid], s.rssBytes)
	}
}

func (p *procSampler) run(ctx context.Context) {
	if len(p.pids) == 0 {
		return
	}
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		p.sample()
		select {
		case <-ctx.Done():
			p.sample()
			return
		case <-t.C:
		}
	}
}

func (p *procSampler) stats(_, _ time.Time) []ProcStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []ProcStats
	for _, pid := range p.pids {
		first, ok := p.first[pid]
		if !ok {
			continue
		}
		wall := p.lastAt[pid].Sub(p.firstAt[pid]).Seconds()
		var cpu float64
		if wall > 0 {
			cpu = float64(p.last[pid].cpuTicks-first.cpuTicks) / clockTicks / wall * 100
		}
		out = append(out, ProcStats{PID: pid, CPUPercent: float64(int(cpu*10)) / 10, PeakRSSMiB: float64(p.peakRSS[pid]) / (1 << 20)})
	}
	return out
}

func (rs *runState) report(cfg Config, planned, sent int, start, sendEnd time.Time, procs []ProcStats) *Report {
	r := &Report{
		Kind: cfg.Kind, Accounts: cfg.Accounts, Connections: cfg.Connections, TargetRate: cfg.Rate,
		Planned: planned, Sent: sent,
		Accepted: int(rs.accepted.Load()), Rejected: int(rs.rejected.Load()), MempoolFull: int(rs.mempoolFull.Load()),
		SendSeconds: sendEnd.Sub(start).Seconds(), LiveResults: cfg.LiveResults,
	}
	for _, p := range procs {
		if p.PID == os.Getpid() {
			r.Generator = &p
		} else {
			r.Nodes = append(r.Nodes, p)
		}
	}
	var lat []time.Duration
	var lastCommit int64
	for i := range rs.states {
		st := &rs.states[i]
		c := st.committed.Load()
		switch {
		case c == 0:
			if st.accepted.Load() {
				r.Uncommitted++
			}
		case st.code.Load() != 0:
			r.FailedInBlk++
		default:
			r.Committed++
			lat = append(lat, time.Duration(c-st.submitted.Load()))
			lastCommit = max(lastCommit, c)
		}
	}
	if r.SendSeconds > 0 {
		r.OfferedTPS = round1(float64(r.Accepted) / r.SendSeconds)
	}
	if lastCommit > 0 {
		r.EndToEndTPS = round1(float64(r.Committed) / time.Unix(0, lastCommit).Sub(start).Seconds())
	}
	r.Latency = latencyStats(lat)

	rs.mu.Lock()
	defer rs.mu.Unlock()
	r.MempoolPeak = rs.poolPeak
	r.FirstErrors = rs.errs
	r.Blocks = blockStats(rs.blocks, rs.rounds)
	if r.Blocks.SpanSeconds > 0 {
		r.CommittedTPS = round1(float64(r.Blocks.OursAfterFirst) / r.Blocks.SpanSeconds)
	} else {
		r.CommittedTPS = r.EndToEndTPS
	}
	return r
}

// blockStats describes the blocks from the first to the last one holding
// load transactions.
func blockStats(blocks []blockSeen, rounds map[int64]int32) BlockStats {
	first, last := -1, -1
	for i, b := range blocks {
		if len(b.load) > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return BlockStats{}
	}
	span := blocks[first : last+1]
	bs := BlockStats{Count: len(span), FirstHeight: span[0].height, LastHeight: span[len(span)-1].height}
	var intervals []time.Duration
	total := 0
	for i, b := range span {
		total += b.txs
		bs.TxsPerBlockMax = max(bs.TxsPerBlockMax, b.txs)
		prev := first + i - 1
		if prev >= 0 {
			intervals = append(intervals, b.time.Sub(blocks[prev].time))
		}
	}
	bs.TxsPerBlockMean = round1(float64(total) / float64(len(span)))
	// Steady-state rate: the load in every block after the first, over the
	// time from the first block to the last (the first block's load arrived
	// before the window starts).
	if len(span) > 1 {
		bs.SpanSeconds = ms(span[len(span)-1].time.Sub(span[0].time)) / 1000
		for _, b := range span[1:] {
			bs.OursAfterFirst += len(b.load)
		}
	}
	if len(intervals) > 0 {
		var sum time.Duration
		for _, d := range intervals {
			sum += d
		}
		slices.Sort(intervals)
		bs.IntervalMeanMs = ms(sum / time.Duration(len(intervals)))
		bs.IntervalP50Ms = ms(percentile(intervals, 50))
		bs.IntervalMaxMs = ms(intervals[len(intervals)-1])
	}
	n, sumRounds := 0, 0
	for _, b := range span {
		r, ok := rounds[b.height]
		if !ok {
			continue
		}
		n++
		sumRounds += int(r) + 1
		bs.RoundsMax = max(bs.RoundsMax, r+1)
		if r > 0 {
			bs.HeightsMultiRnds++
		}
	}
	if n > 0 {
		bs.RoundsMean = float64(sumRounds) / float64(n)
	}
	return bs
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }
