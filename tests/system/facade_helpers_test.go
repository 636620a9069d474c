package system

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// apiError is the facade's error body.
type apiError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// facadeURL is the node's facade REST base URL.
func (n *node) facadeURL() string { return fmt.Sprintf("http://127.0.0.1:%d", n.ports.REST) }

// call sends one request to a facade and returns status and body.
func call(t testing.TB, method, url string, body []byte, header ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// getJSON GETs a facade path that must answer 200 and decodes it.
func getJSON(t testing.TB, url string, out any) {
	t.Helper()
	status, body := call(t, http.MethodGet, url, nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: decoding %s: %v", url, body, err)
	}
}

// getJSONOnceIndexed is getJSON for a transaction just seen in a block:
// CometBFT's tx indexer writes it shortly after the block event, so a 404
// is retried for a few seconds before it counts.
func getJSONOnceIndexed(t testing.TB, url string, out any) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body := call(t, http.MethodGet, url, nil)
		if status == http.StatusNotFound && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", url, status, body)
		}
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: decoding %s: %v", url, body, err)
		}
		return
	}
}

// wantError checks a facade error answer: status, JSON shape, message.
func wantError(t *testing.T, status int, body []byte, wantStatus int, wantMsg string) {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not JSON: %q", body)
	}
	if status != wantStatus || e.Error.Code != wantStatus || !strings.Contains(strings.ToLower(e.Error.Message), strings.ToLower(wantMsg)) {
		t.Fatalf("got %d %s, want %d with a message containing %q", status, body, wantStatus, wantMsg)
	}
}

// restCase is one request to a facade and what its answer must be: status
// (0 means 200), for an error status a message containing wantMsg, and
// check, if set, on the body.
type restCase struct {
	name    string
	method  string // "" means GET
	path    string // appended to the facade's base URL
	body    []byte
	status  int
	wantMsg string
	check   func(t *testing.T, body []byte)
}

// runRESTCases sends each case to base as a subtest of its own, so one
// wrong answer does not hide the rest. Every request says its body is JSON.
func runRESTCases(t *testing.T, base string, cases []restCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method, want := c.method, c.status
			if method == "" {
				method = http.MethodGet
			}
			if want == 0 {
				want = http.StatusOK
			}
			status, body := call(t, method, base+c.path, c.body, "Content-Type", "application/json")
			if want == http.StatusOK {
				if status != want {
					t.Fatalf("%s %s: %d %s", method, c.path, status, body)
				}
			} else {
				wantError(t, status, body, want, c.wantMsg)
			}
			if c.check != nil {
				c.check(t, body)
			}
		})
	}
}

// decoded makes a restCase check that decodes the body into a T first.
func decoded[T any](check func(t *testing.T, v T)) func(*testing.T, []byte) {
	return func(t *testing.T, body []byte) {
		t.Helper()
		var v T
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("decoding %s: %v", body, err)
		}
		check(t, v)
	}
}

// cliTx makes a signed bank send with the CLI (--generate-only, sign, encode)
// and returns base64 of its TxRaw.
func (n *node) cliTx(from, to, amount string) string {
	n.t.Helper()
	dir := n.t.TempDir()
	unsigned := n.mustCLI("tx", "bank", "send", from, to, amount, "--fees", txFee, "--gas", txGas, "--generate-only")
	unsignedFile := filepath.Join(dir, "unsigned.json")
	if err := os.WriteFile(unsignedFile, []byte(unsigned), 0o600); err != nil {
		n.t.Fatal(err)
	}
	signed := n.mustCLI("tx", "sign", unsignedFile, "--from", from)
	signedFile := filepath.Join(dir, "signed.json")
	if err := os.WriteFile(signedFile, []byte(signed), 0o600); err != nil {
		n.t.Fatal(err)
	}
	return strings.TrimSpace(n.mustCLI("tx", "encode", signedFile))
}

// wsMessage is what the facade's WebSocket sends.
type wsMessage struct {
	Type   string          `json:"type"`
	Topic  string          `json:"topic"`
	Height int64           `json:"height"`
	Data   json.RawMessage `json:"data"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	at time.Time
}

// wsClient is a test subscriber that records every message it reads.
type wsClient struct {
	t    testing.TB
	conn *websocket.Conn

	mu   sync.Mutex
	msgs []wsMessage
	err  error
	done chan struct{}
}

// dialWS connects to a facade's WebSocket port; query may subscribe at once.
func dialWS(t testing.TB, port int, query string) *websocket.Conn {
	t.Helper()
	url := fmt.Sprintf("ws://127.0.0.1:%d/", port)
	if query != "" {
		url += "?" + query
	}
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, resp, err := dialer.Dial(url, nil)
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(resp.Body)
			t.Fatalf("dialing %s: %v: %d %s", url, err, resp.StatusCode, body)
		}
		t.Fatalf("dialing %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// newWSClient connects and starts recording.
func newWSClient(t testing.TB, port int, query string) *wsClient {
	c := &wsClient{t: t, conn: dialWS(t, port, query), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			_, raw, err := c.conn.ReadMessage()
			if err != nil {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
				return
			}
			var m wsMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				c.mu.Lock()
				c.err = fmt.Errorf("undecodable message %q: %v", raw, err)
				c.mu.Unlock()
				return
			}
			m.at = time.Now()
			c.mu.Lock()
			c.msgs = append(c.msgs, m)
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatal(err)
	}
}

// snapshot returns the messages so far.
func (c *wsClient) snapshot() ([]wsMessage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]wsMessage(nil), c.msgs...), c.err
}

// waitFor polls until match finds a message, or fails.
func (c *wsClient) waitFor(within time.Duration, what string, match func(wsMessage) bool) wsMessage {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		msgs, err := c.snapshot()
		for _, m := range msgs {
			if match(m) {
				return m
			}
		}
		if err != nil {
			c.t.Fatalf("waiting for %s: connection ended: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	msgs, _ := c.snapshot()
	c.t.Fatalf("no %s within %s (%d messages received)", what, within, len(msgs))
	return wsMessage{}
}

// blockHeights are the heights of the new_blocks events received.
func (c *wsClient) blockHeights() []int64 {
	msgs, _ := c.snapshot()
	var hs []int64
	for _, m := range msgs {
		if m.Type == "event" && m.Topic == "new_blocks" {
			hs = append(hs, m.Height)
		}
	}
	return hs
}

// contiguous reports the first problem in a height sequence: a gap, a
// repeat or a step back.
func contiguous(hs []int64) error {
	for i := 1; i < len(hs); i++ {
		if hs[i] != hs[i-1]+1 {
			return fmt.Errorf("height %d follows %d (at message %d)", hs[i], hs[i-1], i)
		}
	}
	return nil
}
