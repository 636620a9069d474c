package ws

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aitbc/chain/facade/metrics"
)

func heightOf(t *testing.T, raw []byte) int64 {
	t.Helper()
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	return env.Height
}

// drain reads n messages from c or fails after a while.
func drain(t *testing.T, c *Client, n int) []int64 {
	t.Helper()
	var got []int64
	for len(got) < n {
		select {
		case raw := <-c.Queue:
			got = append(got, heightOf(t, raw))
		case <-time.After(5 * time.Second):
			t.Fatalf("got %d of %d messages: %v", len(got), n, got)
		}
	}
	return got
}

func wantSeq(t *testing.T, got []int64, from int64) {
	t.Helper()
	for i, h := range got {
		if h != from+int64(i) {
			t.Fatalf("message %d is height %d, want %d (got %v)", i, h, from+int64(i), got)
		}
	}
}

func TestFanOutInOrder(t *testing.T) {
	hub := NewHub(64, 16, metrics.New())
	clients := make([]*Client, 50)
	for i := range clients {
		clients[i] = hub.NewClient()
		hub.Subscribe(clients[i], TopicNewBlocks)
	}
	for h := int64(1); h <= 40; h++ {
		if err := hub.Publish(TopicNewBlocks, h, map[string]int64{"height": h}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range clients {
		wantSeq(t, drain(t, c, 40), 1)
	}
	// Other topics do not reach new_blocks subscribers.
	if err := hub.Publish(TopicNewTransactions, 0, "tx"); err != nil {
		t.Fatal(err)
	}
	select {
	case raw := <-clients[0].Queue:
		t.Fatalf("new_blocks subscriber got %s", raw)
	default:
	}
}

// A client that never reads is disconnected when its queue fills; the
// publisher never waits for it and the other clients get everything.
func TestSlowConsumerIsKickedNotWaitedFor(t *testing.T) {
	m := metrics.New()
	hub := NewHub(4, 16, m)
	slow, fast := hub.NewClient(), hub.NewClient()
	hub.Subscribe(slow, TopicNewBlocks)
	hub.Subscribe(fast, TopicNewBlocks)

	// The live client reads each message as it comes; the stuck one never reads.
	var got []int64
	start := time.Now()
	for h := int64(1); h <= 100; h++ {
		if err := hub.Publish(TopicNewBlocks, h, h); err != nil {
			t.Fatal(err)
		}
		got = append(got, drain(t, fast, 1)...)
	}
	publishTime := time.Since(start)
	// Not a performance bound: 100 publishes take milliseconds; seconds mean
	// the publisher waited on the stuck client.
	if publishTime > 10*time.Second {
		t.Fatalf("publishing 100 blocks took %s: the publisher waited on the stuck client", publishTime)
	}
	wantSeq(t, got, 1)
	select {
	case <-slow.Kicked():
	default:
		t.Fatal("the slow client was not kicked")
	}
	if slow.Reason() == "" {
		t.Fatal("no reason given for the kick")
	}
	if len(slow.Queue) != 4 {
		t.Fatalf("slow queue holds %d, want its bound 4", len(slow.Queue))
	}
	t.Logf("published 100 blocks to a stuck and a live client in %s", publishTime)
}

// fetchFrom serves old blocks "from the node".
func fetchFrom(calls *int, mu *sync.Mutex) FetchBlock {
	return func(_ context.Context, h int64) ([]byte, error) {
		mu.Lock()
		*calls++
		mu.Unlock()
		return EncodeEvent(TopicNewBlocks, h, h)
	}
}

func TestResumeFromMemory(t *testing.T) {
	hub := NewHub(64, 16, nil)
	for h := int64(1); h <= 20; h++ {
		_ = hub.Publish(TopicNewBlocks, h, h)
	}
	var calls int
	var mu sync.Mutex
	c := hub.NewClient()
	if err := hub.SubscribeBlocksFrom(context.Background(), c, 10, fetchFrom(&calls, &mu)); err != nil {
		t.Fatal(err)
	}
	for h := int64(21); h <= 25; h++ {
		_ = hub.Publish(TopicNewBlocks, h, h)
	}
	wantSeq(t, drain(t, c, 16), 10)
	if calls != 0 {
		t.Fatalf("fetched %d blocks the hub remembered", calls)
	}
}

// Resuming further back than the hub remembers fetches the old blocks while
// new ones keep being published, and still yields every height exactly once.
func TestResumeFromNodeWhilePublishing(t *testing.T) {
	hub := NewHub(8, 8, nil)
	for h := int64(1); h <= 100; h++ {
		_ = hub.Publish(TopicNewBlocks, h, h)
	}
	var calls int
	var mu sync.Mutex
	c := hub.NewClient()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var got []int64
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for len(got) < 150 {
			select {
			case raw := <-c.Queue:
				got = append(got, heightOf(t, raw))
			case <-time.After(5 * time.Second):
				return
			}
		}
	}()
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		for h := int64(101); h <= 150; h++ {
			_ = hub.Publish(TopicNewBlocks, h, h)
			time.Sleep(time.Millisecond)
		}
	}()
	if err := hub.SubscribeBlocksFrom(ctx, c, 1, fetchFrom(&calls, &mu)); err != nil {
		t.Fatal(err)
	}
	<-pubDone
	<-readDone
	if len(got) != 150 {
		t.Fatalf("got %d heights, want 150: %v", len(got), got)
	}
	wantSeq(t, got, 1)
	if calls < 90 {
		t.Fatalf("only %d blocks were fetched from the node", calls)
	}
}

func TestResumeFromFutureHeightJustSubscribes(t *testing.T) {
	hub := NewHub(8, 8, nil)
	_ = hub.Publish(TopicNewBlocks, 5, 5)
	c := hub.NewClient()
	if err := hub.SubscribeBlocksFrom(context.Background(), c, 9, func(context.Context, int64) ([]byte, error) {
		return nil, fmt.Errorf("must not fetch")
	}); err != nil {
		t.Fatal(err)
	}
	if hub.Subscribers(TopicNewBlocks) != 1 || len(c.Queue) != 0 {
		t.Fatalf("subscribers %d, queued %d", hub.Subscribers(TopicNewBlocks), len(c.Queue))
	}
}

func TestBlockRingForgetsOldHeights(t *testing.T) {
	r := newBlockRing(4)
	for h := int64(1); h <= 10; h++ {
		r.add(h, []byte{byte(h)})
	}
	if _, ok := r.from(6); ok {
		t.Fatal("height 6 was overwritten but reported present")
	}
	tail, ok := r.from(7)
	if !ok || len(tail) != 4 || tail[0][0] != 7 || tail[3][0] != 10 {
		t.Fatalf("from(7) = %v, %v", tail, ok)
	}
	if tail, ok := r.from(11); !ok || len(tail) != 0 {
		t.Fatalf("from(11) = %v, %v", tail, ok)
	}
}

// A catch-up that was cancelled (the client unsubscribed meanwhile) must not
// join the live stream.
func TestCancelledResumeDoesNotSubscribe(t *testing.T) {
	hub := NewHub(8, 8, nil)
	_ = hub.Publish(TopicNewBlocks, 5, 5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := hub.NewClient()
	if err := hub.SubscribeBlocksFrom(ctx, c, 1, func(context.Context, int64) ([]byte, error) {
		return nil, fmt.Errorf("must not fetch")
	}); err == nil {
		t.Fatal("a cancelled resume reported success")
	}
	if hub.Subscribers(TopicNewBlocks) != 0 {
		t.Fatal("a cancelled resume joined the live stream")
	}
}
