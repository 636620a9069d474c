// Package ws is the facade's WebSocket service: clients subscribe to topics
// and the hub fans each upstream event out to all of them.
//
// Slow-consumer policy: every client has a bounded queue. Publishing never
// waits: if a client's queue is full, that client is disconnected (close code
// 1008, reason "slow consumer") rather than skipped, because a skipped message
// would be a silent gap. A new_blocks client reconnects with from_height to
// get what it missed. So one slow client never delays the others or the node.
package ws

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/aitbc/chain/facade/apierr"
	"github.com/aitbc/chain/facade/metrics"
)

// Topics clients can subscribe to.
const (
	TopicNewBlocks       = "new_blocks"
	TopicNewTransactions = "new_transactions"
	TopicConsensusEvents = "consensus_events"
)

// Topics lists every topic, in documentation order.
var Topics = []string{TopicNewBlocks, TopicNewTransactions, TopicConsensusEvents}

// ValidTopic reports whether t is a topic.
func ValidTopic(t string) bool {
	for _, topic := range Topics {
		if t == topic {
			return true
		}
	}
	return false
}

// Envelope is every message the server sends.
type Envelope struct {
	Type   string          `json:"type"` // event, subscribed, unsubscribed, pong, error
	Topic  string          `json:"topic,omitempty"`
	Height int64           `json:"height,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
	// Error is the REST error body, {"code":<http status>,"message":"…"}:
	// one decoder serves both ports.
	Error *apierr.Error `json:"error,omitempty"`
}

// Hub fans published messages out to subscribed clients.
type Hub struct {
	queueSize int
	metrics   *metrics.Metrics

	mu     sync.Mutex
	subs   map[string]map[*Client]struct{}
	recent blockRing // the last blocks, so a resuming client joins the live stream without a gap
}

// NewHub returns a hub whose clients queue at most queueSize messages and
// which remembers the last ringSize blocks.
func NewHub(queueSize, ringSize int, m *metrics.Metrics) *Hub {
	h := &Hub{queueSize: queueSize, metrics: m, subs: map[string]map[*Client]struct{}{}}
	h.recent = newBlockRing(ringSize)
	for _, t := range Topics {
		h.subs[t] = map[*Client]struct{}{}
	}
	return h
}

// Client is one subscriber's queue. The connection code drains Queue and
// stops when Kicked is closed.
type Client struct {
	Queue  chan []byte
	kicked chan struct{}
	once   sync.Once
	reason string
}

// NewClient returns a client with the hub's queue size; register it with Subscribe.
func (h *Hub) NewClient() *Client {
	return &Client{Queue: make(chan []byte, h.queueSize), kicked: make(chan struct{})}
}

// Kicked is closed when the hub gives up on the client; Reason says why.
func (c *Client) Kicked() <-chan struct{} { return c.kicked }

// Reason says why the client was kicked.
func (c *Client) Reason() string { return c.reason }

func (c *Client) kick(reason string) {
	c.once.Do(func() {
		c.reason = reason
		close(c.kicked)
	})
}

// offer queues msg without waiting; a full queue kicks the client.
func (h *Hub) offer(c *Client, msg []byte) bool {
	select {
	case c.Queue <- msg:
		return true
	default:
		c.kick("slow consumer: queue full")
		if h.metrics != nil {
			h.metrics.WSSlowClients.Inc()
		}
		return false
	}
}

// Send queues a control message (ack, pong, error) for one client.
func (h *Hub) Send(c *Client, env Envelope) {
	raw, err := json.Marshal(env)
	if err != nil {
		return
	}
	h.offer(c, raw)
}

// Publish sends data to every subscriber of topic. Blocks must be published
// in height order; the hub keeps the recent ones for resuming clients.
func (h *Hub) Publish(topic string, height int64, data any) error {
	raw, err := EncodeEvent(topic, height, data)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if topic == TopicNewBlocks {
		h.recent.add(height, raw)
	}
	subs := h.subs[topic]
	for c := range subs {
		h.offer(c, raw)
	}
	if h.metrics != nil && len(subs) > 0 {
		h.metrics.WSMessages.WithLabelValues(topic).Add(float64(len(subs)))
	}
	return nil
}

// EncodeEvent is the wire form of one topic message.
func EncodeEvent(topic string, height int64, data any) ([]byte, error) {
	payload, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encoding %s message: %w", topic, err)
	}
	return json.Marshal(Envelope{Type: "event", Topic: topic, Height: height, Data: payload})
}

// Subscribe adds c to topic's live stream.
func (h *Hub) Subscribe(c *Client, topic string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs[topic][c] = struct{}{}
}

// Unsubscribe removes c from topic; Remove from every topic.
func (h *Hub) Unsubscribe(c *Client, topic string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs[topic], c)
}

// Remove drops c from every topic.
func (h *Hub) Remove(c *Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, subs := range h.subs {
		delete(subs, c)
	}
}

// Subscribers counts a topic's subscribers.
func (h *Hub) Subscribers(topic string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[topic])
}

// LatestBlock is the height of the last published block (0 before the first).
func (h *Hub) LatestBlock() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.recent.latest
}

// FetchBlock returns the wire message of one block, from the node.
type FetchBlock func(ctx context.Context, height int64) ([]byte, error)

// SubscribeBlocksFrom queues every block from height `from` on, then joins
// the live stream, with no gap and no duplicate: old blocks come from fetch,
// the last ones from the hub's memory, and the switch to live happens under
// the hub's lock, so no block can be published in between.
func (h *Hub) SubscribeBlocksFrom(ctx context.Context, c *Client, from int64, fetch FetchBlock) error {
	next := from
	for {
		h.mu.Lock()
		if ctx.Err() != nil {
			// Unsubscribed (or gone) while catching up: do not join the stream.
			h.mu.Unlock()
			return ctx.Err()
		}
		latest := h.recent.latest
		if latest == 0 || next > latest {
			h.subs[TopicNewBlocks][c] = struct{}{}
			h.mu.Unlock()
			return nil
		}
		if tail, ok := h.recent.from(next); ok && len(tail) <= cap(c.Queue)-len(c.Queue) {
			for _, raw := range tail {
				h.offer(c, raw)
			}
			h.subs[TopicNewBlocks][c] = struct{}{}
			h.mu.Unlock()
			return nil
		}
		h.mu.Unlock()

		// Too old for memory, or too many for the free queue: fetch and
		// queue them one by one, waiting for the client to drain its queue.
		for ; next <= latest; next++ {
			raw, err := fetch(ctx, next)
			if err != nil {
				return fmt.Errorf("block %d: %w", next, err)
			}
			select {
			case c.Queue <- raw:
			case <-c.kicked:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

// blockRing keeps the wire messages of the last blocks by height.
type blockRing struct {
	msgs    [][]byte
	heights []int64
	latest  int64
}

func newBlockRing(size int) blockRing {
	if size < 1 {
		size = 1
	}
	return blockRing{msgs: make([][]byte, size), heights: make([]int64, size)}
}

func (r *blockRing) add(height int64, raw []byte) {
	i := int(height % int64(len(r.msgs)))
	r.msgs[i], r.heights[i] = raw, height
	if height > r.latest {
		r.latest = height
	}
}

// from returns the messages from height to the latest, if all are remembered.
func (r *blockRing) from(height int64) ([][]byte, bool) {
	if height > r.latest {
		return nil, true
	}
	if r.latest-height >= int64(len(r.msgs)) {
		return nil, false
	}
	out := make([][]byte, 0, r.latest-height+1)
	for h := height; h <= r.latest; h++ {
		i := int(h % int64(len(r.msgs)))
		if r.heights[i] != h {
			return nil, false
		}
		out = append(out, r.msgs[i])
	}
	return out, true
}
