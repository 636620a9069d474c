package indexer

import (
	"context"
	"errors"
	"fmt"
	"time"

	coretypes "github.com/cometbft/cometbft/rpc/core/types"

	"cosmossdk.io/log/v2"
)

// Source is where blocks come from: CometBFT RPC, in-process (the node's
// local client) or over HTTP. It serves from the node's block store and the
// stored FinalizeBlock results.
type Source interface {
	Status(ctx context.Context) (*coretypes.ResultStatus, error)
	// ABCIInfo gives the app's last committed height: every height up to it
	// has its FinalizeBlock results stored (see indexableHeight).
	ABCIInfo(ctx context.Context) (*coretypes.ResultABCIInfo, error)
	Block(ctx context.Context, height *int64) (*coretypes.ResultBlock, error)
	BlockResults(ctx context.Context, height *int64) (*coretypes.ResultBlockResults, error)
}

// Options configure an Indexer.
type Options struct {
	Target      Target
	Source      Source
	Decoder     TxDecoder
	Projections []Projection
	// AccountPrefix is the bech32 prefix of account addresses ("ait"); event
	// attribute values with it count as accounts a tx touched.
	AccountPrefix string
	// PollInterval is how often a caught-up indexer asks for a new height.
	PollInterval time.Duration
	// BatchSize bounds how many blocks are fetched, held in memory and
	// written in one SQL transaction while catching up.
	BatchSize int
	// MaxBackoff caps the wait between retries when the database or the
	// node is unreachable.
	MaxBackoff time.Duration
	// Wake, when set, delivers new-block notifications: a caught-up indexer
	// looks for the new block at once instead of at the next poll.
	Wake   <-chan struct{}
	Logger log.Logger
	// Metrics receive the indexed and the node's height; nil uses series
	// in Prometheus's default registry (served by the facade's /metrics).
	Metrics *Metrics
}

// Defaults of Options.
const (
	DefaultPollInterval = 200 * time.Millisecond
	DefaultBatchSize    = 50
	DefaultMaxBackoff   = 10 * time.Second
	minBackoff          = 250 * time.Millisecond
)

// Indexer follows the chain behind commit and writes every block into the
// store. It only reads from the node, so it can neither halt nor slow
// consensus beyond the RPC reads it makes; when the database is down it
// waits and retries with back-off, holding at most one batch in memory.
type Indexer struct {
	opts  Options
	store *Store
}

// New checks options; the database is opened by Run (and re-opened after an outage).
func New(opts Options) (*Indexer, error) {
	if opts.Source == nil {
		return nil, errors.New("indexer: no block source")
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.Logger == nil {
		opts.Logger = log.NewNopLogger()
	}
	if opts.Metrics == nil {
		opts.Metrics = defaultMetrics()
	}
	return &Indexer{opts: opts}, nil
}

// Run indexes until ctx is cancelled (it then returns nil). Errors of the
// database or the node are logged and retried with exponential back-off.
func (ix *Indexer) Run(ctx context.Context) error {
	_, err := ix.run(ctx, false)
	return err
}

// CatchUp indexes up to the node's latest height at the time of the call
// and returns the height reached. Errors are returned, not retried.
func (ix *Indexer) CatchUp(ctx context.Context) (int64, error) {
	return ix.run(ctx, true)
}

// Close closes the database if Run or CatchUp opened it.
func (ix *Indexer) Close() error {
	if ix.store == nil {
		return nil
	}
	err := ix.store.Close()
	ix.store = nil
	return err
}

func (ix *Indexer) run(ctx context.Context, once bool) (int64, error) {
	logger := ix.opts.Logger
	backoff := time.Duration(0)
	failing, caughtUp := false, false
	stopAt := int64(-1)
	for {
		if backoff > 0 {
			timer := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				timer.Stop()
				return 0, nil
			case <-timer.C:
			case <-ix.wakeWhenCaughtUp(caughtUp):
				timer.Stop()
			}
		}
		reached, upToDate, err := ix.step(ctx, &stopAt, once)
		caughtUp = upToDate && err == nil
		if ctx.Err() != nil {
			return reached, nil
		}
		if err != nil {
			if once {
				return reached, err
			}
			backoff = nextBackoff(backoff, ix.opts.MaxBackoff)
			if !failing {
				logger.Error("indexer: will retry", "err", err, "retry_in", backoff)
			} else {
				logger.Debug("indexer: still failing", "err", err, "retry_in", backoff)
			}
			failing = true
			continue
		}
		if failing {
			logger.Info("indexer: recovered", "height", reached)
			failing = false
		}
		if once && caughtUp {
			return reached, nil
		}
		backoff = 0
		if caughtUp {
			backoff = ix.opts.PollInterval
		}
	}
}

// wakeWhenCaughtUp is the notification channel while the indexer waits for
// a new block; during an error back-off it is nil (waits forever), so a new
// block does not cut the back-off short.
func (ix *Indexer) wakeWhenCaughtUp(caughtUp bool) <-chan struct{} {
	if caughtUp {
		return ix.opts.Wake
	}
	return nil
}

func nextBackoff(cur, max time.Duration) time.Duration {
	if cur < minBackoff {
		return minBackoff
	}
	if cur*2 > max {
		return max
	}
	return cur * 2
}

// step opens the database if needed and writes at most one batch. It reports
// the cursor and whether the indexer has reached the node's latest height.
func (ix *Indexer) step(ctx context.Context, stopAt *int64, once bool) (int64, bool, error) {
	if ix.store == nil {
		s, err := Open(ctx, ix.opts.Target, ix.opts.Projections...)
		if err != nil {
			return 0, false, err
		}
		ix.store = s
		ix.opts.Logger.Info("indexer: database ready", "db", ix.opts.Target.String())
	}
	// The cursor is read every time: `aitbcd index rebuild` may have moved it.
	cursor, err := ix.store.Cursor(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("reading the cursor: %w", err)
	}
	ix.opts.Metrics.Height.Set(float64(cursor))
	status, err := ix.opts.Source.Status(ctx)
	if err != nil {
		return cursor, false, fmt.Errorf("node status: %w", err)
	}
	latest, err := ix.indexableHeight(ctx, status)
	if err != nil {
		return cursor, false, err
	}
	ix.opts.Metrics.NodeHeight.Set(float64(latest))
	if once {
		if *stopAt < 0 {
			*stopAt = latest
		}
		latest = min(latest, *stopAt)
	}
	next := cursor + 1
	if earliest := status.SyncInfo.EarliestBlockHeight; next < earliest {
		// The node's block store starts later (state sync, pruning): what is
		// before it cannot be indexed from this node.
		ix.opts.Logger.Info("indexer: skipping heights the node no longer has", "from", next, "to", earliest-1)
		if err := ix.store.SkipTo(ctx, earliest-1); err != nil {
			return cursor, false, fmt.Errorf("moving the cursor to %d: %w", earliest-1, err)
		}
		next = earliest
	}
	if next > latest {
		return cursor, true, nil
	}
	last := min(latest, next+int64(ix.opts.BatchSize)-1)
	blocks := make([]*Block, 0, last-next+1)
	for h := next; h <= last; h++ {
		b, err := ix.fetch(ctx, h)
		if err != nil {
			return cursor, false, err
		}
		blocks = append(blocks, b)
	}
	if err := ix.store.WriteBlocks(ctx, blocks); err != nil {
		if errors.Is(err, ErrCursorGap) {
			// A rebuild moved the cursor back: carry on from there.
			ix.opts.Logger.Info("indexer: cursor moved back, continuing from it", "err", err)
			return cursor, false, nil
		}
		return cursor, false, fmt.Errorf("writing blocks %d-%d: %w", next, last, err)
	}
	ix.opts.Metrics.Height.Set(float64(last))
	return last, last >= latest, nil
}

// indexableHeight is the highest height whose block and results are both
// stored. Status's latest height is the block store's, and CometBFT saves a
// block before FinalizeBlock runs on it: asking for that block's results
// while it executes fails ("could not find results for height", logged as
// an error by CometBFT too). The results are saved before the app commits,
// so the app's committed height (ABCI Info) is always safe.
func (ix *Indexer) indexableHeight(ctx context.Context, status *coretypes.ResultStatus) (int64, error) {
	info, err := ix.opts.Source.ABCIInfo(ctx)
	if err != nil {
		return 0, fmt.Errorf("node ABCI info: %w", err)
	}
	return min(status.SyncInfo.LatestBlockHeight, info.Response.LastBlockHeight), nil
}

func (ix *Indexer) fetch(ctx context.Context, h int64) (*Block, error) {
	rb, err := ix.opts.Source.Block(ctx, &h)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", h, err)
	}
	rr, err := ix.opts.Source.BlockResults(ctx, &h)
	if err != nil {
		return nil, fmt.Errorf("block results %d: %w", h, err)
	}
	return FromRPC(rb, rr, ix.opts.Decoder, ix.opts.AccountPrefix)
}

// Subscriber is the part of a CometBFT RPC client that delivers events
// (the node's in-process client implements it).
type Subscriber interface {
	Subscribe(ctx context.Context, subscriber, query string, outCapacity ...int) (<-chan coretypes.ResultEvent, error)
}

// NewBlockNotifications subscribes to the node's new block headers and turns
// them into wake-ups for Options.Wake. The channel is drained at once, so a
// slow indexer never fills the node's event buffers; a missed notification
// only means the fallback poll finds the block.
func NewBlockNotifications(ctx context.Context, sub Subscriber) (<-chan struct{}, error) {
	events, err := sub.Subscribe(ctx, "aitbc-indexer", "tm.event = 'NewBlockHeader'", 16)
	if err != nil {
		return nil, err
	}
	wake := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-events:
				if !ok {
					return
				}
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		}
	}()
	return wake, nil
}
