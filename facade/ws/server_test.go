package ws

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"cosmossdk.io/log/v2"

	"github.com/aitbc/chain/facade/apierr"
	"github.com/aitbc/chain/facade/metrics"
)

func newTestServer(t *testing.T, opts Options) (*Hub, *Server, string) {
	t.Helper()
	m := metrics.New()
	hub := NewHub(16, 16, m)
	ws := NewServer(hub, nil, opts, log.NewNopLogger(), m)
	srv := httptest.NewServer(ws)
	t.Cleanup(srv.Close)
	return hub, ws, "ws" + strings.TrimPrefix(srv.URL, "http")
}

func waitClients(t *testing.T, s *Server, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.clients.Load() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d clients connected, want %d", s.clients.Load(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMaxClients(t *testing.T) {
	_, srv, url := newTestServer(t, Options{MaxClients: 1, PingInterval: time.Minute, WriteTimeout: time.Second})
	first, _, err := websocket.DefaultDialer.Dial(url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitClients(t, srv, 1)
	_, resp, err := websocket.DefaultDialer.Dial(url+"/", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("second client over the limit: %v %v", err, resp)
	}
	wantJSONError(t, resp)
	if got := counterValue(t, srv.metrics.WSRefused.WithLabelValues(metrics.RefusedMaxClients)); got != 1 {
		t.Fatalf("facade_ws_refused_total{reason=max_clients} = %v, want 1", got)
	}
	first.Close()
	waitClients(t, srv, 0)
	again, _, err := websocket.DefaultDialer.Dial(url+"/", nil)
	if err != nil {
		t.Fatalf("a freed slot was not reusable: %v", err)
	}
	again.Close()
}

// A client that answers no ping (it never reads, so gorilla never pongs) is
// dropped after two ping intervals; one that reads stays.
func TestPingDropsSilentClients(t *testing.T) {
	hub, srv, url := newTestServer(t, Options{PingInterval: 100 * time.Millisecond, WriteTimeout: time.Second})
	silent, _, err := websocket.DefaultDialer.Dial(url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	live, _, err := websocket.DefaultDialer.Dial(url+"/?topics=new_blocks", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	go func() {
		for {
			if _, _, err := live.ReadMessage(); err != nil {
				return
			}
		}
	}()
	waitClients(t, srv, 2)
	waitClients(t, srv, 1) // the silent one goes
	if got := counterValue(t, srv.metrics.WSPingTimeouts); got != 1 {
		t.Fatalf("facade_ws_ping_timeout_disconnects_total = %v, want 1", got)
	}
	_ = hub.Publish(TopicNewBlocks, 1, 1)
	time.Sleep(300 * time.Millisecond)
	if got := srv.clients.Load(); got != 1 {
		t.Fatalf("the reading client was dropped too: %v clients", got)
	}
}

// A kicked (slow) client is told why with close code 1008.
func TestKickClosesWithPolicyViolation(t *testing.T) {
	hub, srv, url := newTestServer(t, Options{PingInterval: time.Minute, WriteTimeout: time.Second})
	conn, _, err := websocket.DefaultDialer.Dial(url+"/?topics=new_blocks", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	waitClients(t, srv, 1)
	if _, _, err := conn.ReadMessage(); err != nil { // the subscription ack
		t.Fatal(err)
	}
	hub.mu.Lock()
	for c := range hub.subs[TopicNewBlocks] {
		c.kick("slow consumer: queue full")
	}
	hub.mu.Unlock()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = conn.ReadMessage()
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) || !strings.Contains(err.Error(), "slow consumer") {
		t.Fatalf("want close 1008 'slow consumer', got %v", err)
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// wantJSONError checks a refused upgrade is the facade's JSON error.
func wantJSONError(t *testing.T, resp *http.Response) string {
	t.Helper()
	raw, _ := io.ReadAll(resp.Body)
	var b struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &b); err != nil || b.Error.Code != resp.StatusCode {
		t.Fatalf("%d: not the JSON error shape: %q", resp.StatusCode, raw)
	}
	return b.Error.Message
}

// dialerFrom dials from another loopback source address (Linux routes all of 127/8).
func dialerFrom(ip string) *websocket.Dialer {
	return &websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		return d.DialContext(ctx, network, addr)
	}}
}

// One IP cannot take every slot: beyond ws-max-clients-per-ip it gets a 429
// (connection closed); another IP still gets in.
func TestMaxClientsPerIP(t *testing.T) {
	_, srv, url := newTestServer(t, Options{MaxClients: 10, MaxClientsPerIP: 2, PingInterval: time.Minute, WriteTimeout: time.Second})
	for i := 0; i < 2; i++ {
		c, _, err := websocket.DefaultDialer.Dial(url+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	waitClients(t, srv, 2)
	_, resp, err := websocket.DefaultDialer.Dial(url+"/", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || !resp.Close {
		t.Fatalf("third client from one IP: %v %+v", err, resp)
	}
	if msg := wantJSONError(t, resp); !strings.Contains(msg, "ws-max-clients-per-ip") {
		t.Fatalf("message %q does not name the setting", msg)
	}
	if got := counterValue(t, srv.metrics.WSRefused.WithLabelValues(metrics.RefusedMaxClientsPerIP)); got != 1 {
		t.Fatalf("facade_ws_refused_total{reason=max_clients_per_ip} = %v, want 1", got)
	}
	other, _, err := dialerFrom("127.0.0.2").Dial(url+"/", nil)
	if err != nil {
		t.Fatalf("a client from another IP was refused: %v", err)
	}
	other.Close()
}

// Upgrades are rate limited per IP with a token bucket.
func TestUpgradeRateLimit(t *testing.T) {
	_, srv, url := newTestServer(t, Options{UpgradeRate: 0.001, UpgradeBurst: 2, PingInterval: time.Minute, WriteTimeout: time.Second})
	for i := 0; i < 2; i++ {
		c, _, err := websocket.DefaultDialer.Dial(url+"/", nil)
		if err != nil {
			t.Fatalf("upgrade %d within the burst: %v", i+1, err)
		}
		c.Close()
	}
	_, resp, err := websocket.DefaultDialer.Dial(url+"/", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || !resp.Close || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("upgrade beyond the burst: %v %+v", err, resp)
	}
	wantJSONError(t, resp)
	if got := counterValue(t, srv.metrics.WSRefused.WithLabelValues(metrics.RefusedUpgradeRate)); got != 1 {
		t.Fatalf("facade_ws_refused_total{reason=upgrade_rate} = %v, want 1", got)
	}
	if c, _, err := dialerFrom("127.0.0.3").Dial(url+"/", nil); err != nil {
		t.Fatalf("another IP was limited by the first one's upgrades: %v", err)
	} else {
		c.Close()
	}
}

// from_height above the head (beyond the next block) is refused, at connect
// time and in a subscribe message; the next block is a valid resume point.
func TestFromHeightAboveHead(t *testing.T) {
	hub, _, url := newTestServer(t, Options{PingInterval: time.Minute, WriteTimeout: time.Second, MaxResume: 100})
	for h := int64(1); h <= 5; h++ {
		if err := hub.Publish(TopicNewBlocks, h, h); err != nil {
			t.Fatal(err)
		}
	}
	_, resp, err := websocket.DefaultDialer.Dial(url+"/?topics=new_blocks&from_height=100", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("from_height above the head at connect: %v %+v", err, resp)
	}
	if msg := wantJSONError(t, resp); !strings.Contains(msg, "above the chain head 5") {
		t.Fatalf("message %q", msg)
	}
	conn, _, err := websocket.DefaultDialer.Dial(url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	read := func() Envelope {
		var env Envelope
		if err := conn.ReadJSON(&env); err != nil {
			t.Fatal(err)
		}
		return env
	}
	_ = conn.WriteJSON(clientMessage{Action: "subscribe", Topic: TopicNewBlocks, FromHeight: 7})
	if env := read(); env.Type != "error" || env.Error.Status != 400 || !strings.Contains(env.Error.Message, "above the chain head") {
		t.Fatalf("from_height 7 with head 5: %+v %+v", env, env.Error)
	}
	_ = conn.WriteJSON(clientMessage{Action: "subscribe", Topic: TopicNewBlocks, FromHeight: 6})
	if env := read(); env.Type != "subscribed" || env.Height != 6 {
		t.Fatalf("from_height 6 (the next block) with head 5: %+v", env)
	}
	_ = hub.Publish(TopicNewBlocks, 6, 6)
	if env := read(); env.Type != "event" || env.Height != 6 {
		t.Fatalf("after resuming at 6: %+v", env)
	}
}

// A text frame that is not UTF-8 fails the connection with 1007.
func TestInvalidUTF8Closes1007(t *testing.T) {
	_, _, url := newTestServer(t, Options{PingInterval: time.Minute, WriteTimeout: time.Second})
	conn, _, err := websocket.DefaultDialer.Dial(url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte{'{', 0xff, 0xfe, '}'}); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, raw, err := conn.ReadMessage()
		if err == nil {
			t.Logf("before the close: %s", raw)
			continue
		}
		if !websocket.IsCloseError(err, websocket.CloseInvalidFramePayloadData) {
			t.Fatalf("want close 1007, got %v", err)
		}
		return
	}
}

// A malformed %-escape in the query is refused, not ignored.
func TestMalformedQuery(t *testing.T) {
	_, _, url := newTestServer(t, Options{PingInterval: time.Minute, WriteTimeout: time.Second})
	_, resp, err := websocket.DefaultDialer.Dial(url+"/?topics=new_blocks&from_height=%zz", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("%v %+v", err, resp)
	}
	if msg := wantJSONError(t, resp); !strings.Contains(msg, "from_height") {
		t.Fatalf("message %q does not name the parameter", msg)
	}
}

// A resume that fails at the node answers the REST error body, worded as
// REST words it: the status FromUpstream gives, and the message without the
// RPC client's wrapping or source paths.
func TestResumeErrorHasTheRESTShape(t *testing.T) {
	m := metrics.New()
	hub := NewHub(16, 4, m)
	fetch := func(context.Context, int64) ([]byte, error) {
		return nil, errors.New("error in json rpc client, with http response metadata: (Status: 200 OK). RPC error -32603 - Internal error: " +
			"height 3 is not available, lowest height is 10 [cometbft/cometbft@v0.40.0/rpc/core/blocks.go:91]")
	}
	srv := httptest.NewServer(NewServer(hub, fetch, Options{PingInterval: time.Minute, WriteTimeout: time.Second, MaxResume: 100}, log.NewNopLogger(), m))
	t.Cleanup(srv.Close)
	for h := int64(10); h <= 20; h++ {
		if err := hub.Publish(TopicNewBlocks, h, h); err != nil {
			t.Fatal(err)
		}
	}
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_ = conn.WriteJSON(clientMessage{Action: "subscribe", Topic: TopicNewBlocks, FromHeight: 3})
	for {
		_, raw, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), `"type":"error"`) {
			continue
		}
		want := `{"type":"error","error":{"code":404,"message":"resuming new_blocks: pruned: height 3 is not available, lowest height is 10"}}`
		if string(raw) != want {
			t.Fatalf("error message\n got %s\nwant %s", raw, want)
		}
		return
	}
}

// The WebSocket error envelope is byte for byte the JSON it was before it
// shared apierr's type: code and message only.
func TestErrorEnvelopeWire(t *testing.T) {
	e := apierr.BadRequest("unknown topic %q: want one of %s", "x", "new_blocks")
	e.RetryAfter = 5 // a header on REST, never a field
	raw, err := json.Marshal(errorEnvelope(e))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"error","error":{"code":400,"message":"unknown topic \"x\": want one of new_blocks"}}`; string(raw) != want {
		t.Fatalf("got %s, want %s", raw, want)
	}
}
