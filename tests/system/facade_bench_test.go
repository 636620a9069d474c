package system

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// BenchmarkFacade measures, on a single-node chain, what the facade costs
// over CometBFT RPC for the same data, and how long a block takes to reach
// 1,000 WebSocket subscribers after CometBFT announced it. The figures are
// reported (p50/p99 in µs or ms), never asserted: `make bench` and BENCHMARKS.md.
func BenchmarkFacade(b *testing.B) {
	n := initChain(b)
	// Rate limiting off: the benchmark is one client sending as fast as it can.
	n.start([]string{"AITBCD_FACADE_RATE_LIMIT=0"}, append([]string{"start", "--home", n.home}, n.startArgs()...)...)
	n.waitForHeight(3, 90*time.Second)
	bob := n.keyAddress("bob")
	res, err := n.send("alice", bob, "1"+denom, "--chain-id", testChainID)
	if err != nil || res.Code != 0 {
		b.Fatalf("seeding a tx: %v %+v", err, res)
	}
	tx := n.waitForTx(res.TxHash, 30*time.Second)
	height := itoa(tx.Height)

	balanceQuery, err := (&banktypes.QueryBalanceRequest{Address: bob, Denom: denom}).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	comet := fmt.Sprintf("http://127.0.0.1:%d", n.ports.RPC)
	facade := n.facadeURL()
	pairs := []struct {
		name           string
		facade, direct []string // the same data: one facade call, the CometBFT calls it needs
	}{
		{"get_head", []string{facade + "/rpc/get_head"}, []string{comet + "/block"}},
		{"get_block", []string{facade + "/rpc/get_block/" + height}, []string{comet + "/block?height=" + height, comet + "/block_results?height=" + height}},
		{"get_tx", []string{facade + "/rpc/get_tx/" + res.TxHash}, []string{comet + "/tx?hash=0x" + res.TxHash}},
		{"get_balance", []string{facade + "/rpc/get_balance/" + bob},
			[]string{comet + `/abci_query?path="/cosmos.bank.v1beta1.Query/Balance"&data=0x` + hex.EncodeToString(balanceQuery)}},
		{"health", []string{facade + "/health"}, []string{comet + "/status"}},
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	for _, p := range pairs {
		b.Run("latency/"+p.name, func(b *testing.B) {
			f := latencies(b, client, p.facade, 1000)
			d := latencies(b, client, p.direct, 1000)
			b.ReportMetric(us(percentile(f, 50)), "facade-p50-µs")
			b.ReportMetric(us(percentile(f, 99)), "facade-p99-µs")
			b.ReportMetric(us(percentile(d, 50)), "comet-p50-µs")
			b.ReportMetric(us(percentile(d, 99)), "comet-p99-µs")
		})
	}
	b.Run("ws-fanout/1000-subscribers", func(b *testing.B) { benchFanOut(b, n, 1000, 10) })
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

// latencies times `rounds` sequential fetches of urls (one round = all of them).
func latencies(b *testing.B, client *http.Client, urls []string, rounds int) []time.Duration {
	get := func(url string) {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("GET %s: %d", url, resp.StatusCode)
		}
	}
	for i := 0; i < 50; i++ { // warm connections and caches
		for _, u := range urls {
			get(u)
		}
	}
	out := make([]time.Duration, 0, rounds)
	for i := 0; i < rounds; i++ {
		start := time.Now()
		for _, u := range urls {
			get(u)
		}
		out = append(out, time.Since(start))
	}
	return out
}

// benchFanOut connects `subs` subscribers to new_blocks and one subscriber
// to CometBFT's own /websocket, and for `blocks` blocks measures how much
// later each subscriber got the block than CometBFT's subscriber did.
func benchFanOut(b *testing.B, n *node, subs, blocks int) {
	cometConn, _, err := websocket.DefaultDialer.Dial(fmt.Sprintf("ws://127.0.0.1:%d/websocket", n.ports.RPC), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer cometConn.Close()
	if err := cometConn.WriteJSON(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "subscribe",
		"params": map[string]string{"query": "tm.event='NewBlockHeader'"}}); err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	cometAt := map[int64]time.Time{}
	go func() {
		for {
			var msg struct {
				Result struct {
					Data struct {
						Value struct {
							Header struct {
								Height string `json:"height"`
							} `json:"header"`
						} `json:"value"`
					} `json:"data"`
				} `json:"result"`
			}
			_, raw, err := cometConn.ReadMessage()
			if err != nil {
				return
			}
			now := time.Now()
			if json.Unmarshal(raw, &msg) != nil || msg.Result.Data.Value.Header.Height == "" {
				continue
			}
			var h int64
			if _, err := fmt.Sscan(msg.Result.Data.Value.Header.Height, &h); err != nil {
				continue
			}
			mu.Lock()
			cometAt[h] = now
			mu.Unlock()
		}
	}()

	type arrival struct {
		height int64
		at     time.Time
	}
	results := make([][]arrival, subs)
	var wg, ready sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < subs; i++ {
		wg.Add(1)
		ready.Add(1)
		go func() {
			defer wg.Done()
			conn := dialWS(b, n.ports.WS, "topics=new_blocks")
			ready.Done()
			go func() { <-stop; conn.Close() }()
			for {
				var m wsMessage
				_, raw, err := conn.ReadMessage()
				if err != nil {
					return
				}
				now := time.Now()
				if json.Unmarshal(raw, &m) == nil && m.Topic == "new_blocks" {
					results[i] = append(results[i], arrival{m.Height, now})
				}
			}
		}()
	}
	ready.Wait()
	start, err := n.height()
	if err != nil {
		b.Fatal(err)
	}
	n.waitForHeight(start+int64(blocks)+1, time.Duration(blocks+30)*time.Second)
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()

	var delays []time.Duration
	mu.Lock()
	defer mu.Unlock()
	for _, rs := range results {
		for _, r := range rs {
			if r.height <= start {
				continue
			}
			if c, ok := cometAt[r.height]; ok {
				delays = append(delays, r.at.Sub(c))
			}
		}
	}
	if len(delays) < subs*blocks/2 {
		b.Fatalf("only %d block deliveries measured", len(delays))
	}
	b.ReportMetric(float64(percentile(delays, 50).Microseconds())/1e3, "delay-p50-ms")
	b.ReportMetric(float64(percentile(delays, 99).Microseconds())/1e3, "delay-p99-ms")
	b.ReportMetric(float64(len(delays)), "deliveries")
}
