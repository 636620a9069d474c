package indexer

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	coretypes "github.com/cometbft/cometbft/rpc/core/types"

	"cosmossdk.io/log/v2"
)

// orderedSource serves blocks in the order CometBFT stores them: a block
// enters the block store (and Status's latest height) before FinalizeBlock
// runs on it, and its results exist only from then until the app commits it
// (ABCI Info's last height). Asking for results not stored yet fails with
// CometBFT's error, and the height is recorded.
type orderedSource struct {
	t         *testing.T
	mu        sync.Mutex
	stored    int64 // block store height
	committed int64 // app height; results exist up to here
	missing   []int64
}

func (s *orderedSource) storeBlock()  { s.mu.Lock(); s.stored++; s.mu.Unlock() }
func (s *orderedSource) commitBlock() { s.mu.Lock(); s.committed = s.stored; s.mu.Unlock() }

func (s *orderedSource) Status(context.Context) (*coretypes.ResultStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &coretypes.ResultStatus{SyncInfo: coretypes.SyncInfo{LatestBlockHeight: s.stored, EarliestBlockHeight: 1}}, nil
}

func (s *orderedSource) ABCIInfo(context.Context) (*coretypes.ResultABCIInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := &coretypes.ResultABCIInfo{}
	res.Response.LastBlockHeight = s.committed
	return res, nil
}

func (s *orderedSource) Block(_ context.Context, h *int64) (*coretypes.ResultBlock, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *h > s.stored {
		return nil, fmt.Errorf("height %d must be less than or equal to the current blockchain height %d", *h, s.stored)
	}
	rb, _ := rpcBlock(s.t, *h, nil, nil, nil)
	return rb, nil
}

func (s *orderedSource) BlockResults(_ context.Context, h *int64) (*coretypes.ResultBlockResults, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *h > s.committed {
		s.missing = append(s.missing, *h)
		return nil, fmt.Errorf("could not find results for height #%d", *h)
	}
	_, rr := rpcBlock(s.t, *h, nil, nil, nil)
	return rr, nil
}

func testTarget(t *testing.T) Target {
	t.Helper()
	target, err := ParseDatabaseURL("sqlite://"+filepath.Join(t.TempDir(), "index.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// While the node executes the block it has just stored, the indexer stops
// at the block before it instead of asking for results that do not exist yet.
func TestIndexerWaitsForResultsOfTheNewestBlock(t *testing.T) {
	src := &orderedSource{t: t}
	for i := 0; i < 3; i++ {
		src.storeBlock()
		src.commitBlock()
	}
	src.storeBlock() // block 4: stored, executing
	ix, err := New(Options{Target: testTarget(t), Source: src, Decoder: testDecoder})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	got, err := ix.CatchUp(context.Background())
	if err != nil || got != 3 {
		t.Fatalf("CatchUp while block 4 executes: height %d, %v; want 3, no error", got, err)
	}
	src.commitBlock()
	if got, err := ix.CatchUp(context.Background()); err != nil || got != 4 {
		t.Fatalf("CatchUp after block 4 committed: height %d, %v; want 4", got, err)
	}
	if len(src.missing) != 0 {
		t.Fatalf("results asked for before they were stored, at heights %v", src.missing)
	}
}

// syncBuffer is a bytes.Buffer the logger and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

// A following indexer on a chain that stores each block a while before
// committing it indexes every block and logs no error.
func TestIndexerFollowsWithoutErrors(t *testing.T) {
	src := &orderedSource{t: t}
	var logs syncBuffer
	target := testTarget(t)
	ix, err := New(Options{Target: target, Source: src, Decoder: testDecoder, PollInterval: 2 * time.Millisecond,
		Logger: log.NewLogger(&logs, log.OutputJSONOption(), log.ColorOption(false))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ix.Run(ctx) }()
	const blocks = 20
	for i := 0; i < blocks; i++ {
		src.storeBlock()
		time.Sleep(15 * time.Millisecond) // FinalizeBlock runs: several polls see the stored block
		src.commitBlock()
	}
	s, err := Open(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cursor, err := s.Cursor(context.Background())
		if err == nil && cursor == blocks {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("indexer at %d (%v), want %d\n%s", cursor, err, blocks, logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ix.Close()
	if strings.Contains(logs.String(), `"level":"error"`) || len(src.missing) != 0 {
		t.Fatalf("results asked for early at heights %v; log:\n%s", src.missing, logs.String())
	}
}
