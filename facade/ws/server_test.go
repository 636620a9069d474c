package ws

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"cosmossdk.io/log/v2"

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
