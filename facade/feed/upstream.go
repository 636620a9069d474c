// Package feed turns the node's public event streams into facade topics:
// blocks (with gap filling), mempool admissions and consensus events. Each
// topic holds one upstream connection, shared by all WebSocket clients.
package feed

import (
	"context"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"

	"cosmossdk.io/log/v2"

	"github.com/aitbc/chain/facade/node"
)

// upstreamBuffer is deep enough that CometBFT's client, which drops events
// when its channel is full, does not drop while we fan out.
const upstreamBuffer = 1000

// subscribe holds one CometBFT websocket connection subscribed to queries and
// sends their events to out until ctx ends. It redials when the node goes
// away (a restart, or a facade started before its node).
func subscribe(ctx context.Context, n *node.Node, name string, queries []string, out chan<- ctypes.ResultEvent, logger log.Logger) {
	for ctx.Err() == nil {
		if err := subscribeOnce(ctx, n, name, queries, out); err != nil && ctx.Err() == nil {
			logger.Debug("upstream subscription ended; retrying", "topic", name, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func subscribeOnce(ctx context.Context, n *node.Node, name string, queries []string, out chan<- ctypes.ResultEvent) error {
	cl, err := n.NewEventClient()
	if err != nil {
		return err
	}
	if err := cl.Start(); err != nil {
		return err
	}
	defer func() { _ = cl.Stop() }()
	stop := make(chan struct{})
	defer close(stop)
	for _, q := range queries {
		subCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ch, err := cl.Subscribe(subCtx, "aitbc-facade-"+name, q, upstreamBuffer)
		cancel()
		if err != nil {
			return err
		}
		go func() {
			for {
				select {
				case ev := <-ch:
					select {
					case out <- ev:
					case <-stop:
						return
					}
				case <-stop:
					return
				}
			}
		}()
	}
	// The client reconnects by itself; once it gives up it stops running.
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if !cl.IsRunning() {
				return nil
			}
		}
	}
}
