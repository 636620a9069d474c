package system

// TestHostileInput is the hostile-input suite: one single-validator chain
// (initChain, every service on its own loopback port) takes what an
// attacker would send to each public port, and must answer every piece
// with a clear refusal while it keeps producing blocks:
//
//   - malformed HTTP to the facade REST, WebSocket and metrics ports, CometBFT
//     RPC and Cosmos REST: garbage request lines, HTTP/0.9, unknown versions,
//     absurd methods, huge headers and URIs, bad Content-Length, chunked
//     garbage. Never a 5xx (but 505 for an unknown version), never a hang.
//     Garbage and a half-sent HTTP/2 preface to gRPC.
//   - slowloris: headers trickled a line a second; each HTTP port must close
//     within its header timeout (10 s) plus slack.
//   - malformed JSON to the facade's /rpc/send_tx (4xx JSON error naming the
//     problem) and to CometBFT JSON-RPC (a JSON-RPC error): truncated, 100,000-
//     deep arrays, huge numbers, wrong types, invalid UTF-8, NUL bytes.
//   - malformed WebSocket frames to the facade: unknown opcodes, unmasked and
//     oversized frames, fragmented and oversized control frames, a stray
//     continuation, invalid UTF-8 (close 1007), bad subscribe commands.
//   - transactions signed with the chain's test keys but hostile inside: 50-
//     deep nested authz MsgExec, 10,000 messages in one MsgExec, unknown Any
//     type URLs in messages and extension options, a memo above the auth
//     param, bodies above the mempool's and the block's max bytes, coin
//     amounts above 2^256 and negative, MsgMultiSend outputs whose sum
//     overflows, zero and negative fees, duplicate signatures, a wrong
//     chain id. Each is refused at CheckTx with an ABCI code and a log naming
//     the problem, and the signer is charged nothing.
//
// After all of it the chain still advances and the node log holds no
// "panic" and no "CONSENSUS FAILURE". The connection flood is its own test
// (TestConnectionFloodCannotHaltTheValidator).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/authz"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

func TestHostileInput(t *testing.T) {
	started := time.Now()
	n := initChain(t)
	n.start(nil, append([]string{"start", "--home", n.home}, n.startArgs()...)...)
	n.waitForHeight(2, 90*time.Second)
	t.Logf("chain up after %.1fs", time.Since(started).Seconds())

	suite := time.Now()
	// The two phases that mostly wait for server timeouts run side by side.
	var wg sync.WaitGroup
	for name, f := range map[string]func(*testing.T, *node){"malformed HTTP": testHostileHTTP, "slowloris": testHostileSlowloris} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(name, func(t *testing.T) { f(t, n) })
		}()
	}
	wg.Wait()
	t.Run("malformed JSON to send_tx", func(t *testing.T) { testHostileSendTxJSON(t, n) })
	t.Run("malformed JSON to CometBFT JSON-RPC", func(t *testing.T) { testHostileCometJSON(t, n) })
	t.Run("malformed WebSocket frames", func(t *testing.T) { testHostileWSFrames(t, n) })
	t.Run("hostile transactions", func(t *testing.T) { testHostileTxs(t, n) })

	// The chain is still producing, and nothing above made the node panic or
	// fail consensus.
	h, err := n.height()
	if err != nil {
		t.Fatalf("CometBFT RPC after the suite: %v\n%s", err, n.logTail())
	}
	n.waitForHeight(h+2, 30*time.Second)
	raw, err := os.ReadFile(filepath.Join(n.home, "node.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"panic", "CONSENSUS FAILURE"} {
		if i := bytes.Index(bytes.ToLower(raw), bytes.ToLower([]byte(bad))); i >= 0 {
			t.Errorf("node log contains %q: %s", bad, raw[max(0, i-300):min(len(raw), i+300)])
		}
	}
	t.Logf("suite took %.1fs (plus %.1fs to start the chain)", time.Since(suite).Seconds(), suite.Sub(started).Seconds())
}

// httpPort is one public HTTP port and a request it must still answer 200.
type httpPort struct {
	name string
	port int
	ok   string // path of a GET that answers 200 ("" for the WebSocket port)
}

func hostileHTTPPorts(n *node) []httpPort {
	return []httpPort{
		{"facade REST", n.ports.REST, "/health"},
		{"facade WebSocket", n.ports.WS, ""},
		{"facade metrics", n.ports.Metrics, "/metrics"},
		{"CometBFT RPC", n.ports.RPC, "/status"},
		{"Cosmos REST", n.ports.API, "/cosmos/base/tendermint/v1beta1/blocks/latest"},
	}
}

func testHostileHTTP(t *testing.T, n *node) {
	long := strings.Repeat("a", 2<<20)
	cases := []struct {
		name    string
		payload string
		allow5  int // a 5xx that is the right answer: 505 to an unknown version, 501 to an unknown method or coding
	}{
		{"garbage request line", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", 0},
		{"words not a request", "HELLO THERE FRIEND AND MORE\r\n\r\n", 0},
		{"HTTP/0.9", "GET /\r\n\r\n", 0},
		{"unknown version", "GET / HTTP/9.9\r\nHost: x\r\n\r\n", 505},
		{"absurd method", "BREW /pot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 501},
		{"method with NUL", "G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n", 0},
		{"10 kB method", strings.Repeat("M", 10<<10) + " / HTTP/1.1\r\nHost: x\r\n\r\n", 501},
		{"2 MiB header", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + long + "\r\n\r\n", 0},
		{"20,000 headers", "GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-H: v\r\n", 20000) + "\r\n", 0},
		{"2 MiB URI", "GET /" + long + " HTTP/1.1\r\nHost: x\r\n\r\n", 0},
		{"Content-Length not a number", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 0},
		{"Content-Length negative", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 0},
		{"Content-Length twice", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 0},
		{"Content-Length overflow", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0},
		{"Content-Length beyond the body", "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", 0},
		{"chunked garbage", "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 0},
		{"chunked and Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 0},
		{"unknown transfer encoding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: rot13\r\n\r\n", 501},
		{"no Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 0},
		{"bare LF and spaces in header name", "GET / HTTP/1.1\nHost: x\nBad Header: v\n\n", 0},
	}
	concurrently(t, hostileHTTPPorts(n), func(t *testing.T, p httpPort) {
		addr := fmt.Sprintf("127.0.0.1:%d", p.port)
		var summary []string
		for _, c := range cases {
			// A server that neither answers nor closes within its read
			// timeout (10 s) plus slack hangs on bad input.
			ans := rawExchange(t, addr, 20*time.Second, 0, []byte(c.payload))
			st := ans.status()
			switch {
			case st == 0 && !ans.closed:
				t.Errorf("%s: no answer and no close within %s", c.name, ans.took)
			case st >= 500 && st != c.allow5 && !(p.port == n.ports.RPC && cometParseError(ans.resp)) &&
				!(p.port == n.ports.API && st == http.StatusNotImplemented):
				t.Errorf("%s: %s", c.name, ans.firstLine())
			case bytes.Contains(bytes.ToLower(ans.resp), []byte("panic")):
				t.Errorf("%s: the answer mentions a panic: %.300s", c.name, ans.resp)
			}
			summary = append(summary, fmt.Sprintf("%s=%d", c.name, st))
		}
		t.Logf("%s answers (0 = closed without one): %s", p.name, strings.Join(summary, ", "))
		hostileStillServes(t, p)
	})
	t.Run("gRPC", func(t *testing.T) {
		addr := fmt.Sprintf("127.0.0.1:%d", n.ports.GRPC)
		for _, c := range []struct{ name, payload string }{
			{"HTTP/1 request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
			{"garbage", "\x00\x01\x02\x03 not a preface at all \xff\xff\r\n\r\n"},
			// The HTTP/2 preface, then a frame header declaring 16 MiB of a type that does not exist.
			{"preface then a bogus frame", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\xff\xff\xff\xee\x00\x00\x00\x00\x01garbage"},
		} {
			ans := rawExchange(t, addr, 20*time.Second, 0, []byte(c.payload))
			if !ans.closed {
				t.Errorf("%s: gRPC did not close the connection within %s", c.name, ans.took)
			}
		}
		_ = n.grpcBalance(t, n.keyAddress("alice"))
	})
}

// concurrently runs one subtest per port at the same time, whatever
// -parallel says: most of their time is spent waiting for server timeouts.
func concurrently(t *testing.T, ports []httpPort, f func(*testing.T, httpPort)) {
	var wg sync.WaitGroup
	for _, p := range ports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(p.name, func(t *testing.T) { f(t, p) })
		}()
	}
	wg.Wait()
}

// (Cosmos REST's grpc-gateway answers 501 to a path it has no route for,
// whatever the method.)

// cometParseError reports a CometBFT JSON-RPC parse error, which CometBFT
// sends with HTTP 500 by design when a POST body is not JSON.
func cometParseError(resp []byte) bool {
	return bytes.Contains(resp, []byte(`"code": -32700`)) || bytes.Contains(resp, []byte(`"code":-32700`))
}

// hostileStillServes checks that a port answers a good request after the bad ones.
func hostileStillServes(t *testing.T, p httpPort) {
	t.Helper()
	base := fmt.Sprintf("http://127.0.0.1:%d", p.port)
	if p.ok == "" {
		status, body := call(t, http.MethodGet, base+"/", nil)
		wantError(t, status, body, 400, "speaks WebSocket")
		return
	}
	if status, body := call(t, http.MethodGet, base+p.ok, nil); status != http.StatusOK {
		t.Fatalf("after the bad input, GET %s: %d %.300s", p.ok, status, body)
	}
}

func testHostileSlowloris(t *testing.T, n *node) {
	// Every HTTP port bounds the time to read a request's headers to 10 s
	// (facade ReadHeaderTimeout; CometBFT RPC and Cosmos REST read timeout),
	// and the whole request to at most 15 s (the facade REST's rpc-timeout
	// plus 5 s; 10 s elsewhere).
	const headerTimeout, readTimeout, slack = 10 * time.Second, 15 * time.Second, 5 * time.Second
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t.Run("gRPC half a preface", func(t *testing.T) { testHostileGRPCPreface(t, n) })
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		// The WebSocket server's read timeout bounds the handshake only: an
		// upgraded connection outlives it.
		t.Run("WebSocket outlives the read timeout", func(t *testing.T) {
			w := dialWSRaw(t, n.ports.WS)
			time.Sleep(readTimeout + slack)
			w.text(`{"action":"ping"}`)
			w.awaitText(10*time.Second, `"pong"`)
		})
	}()
	concurrently(t, hostileHTTPPorts(n), func(t *testing.T, p httpPort) {
		addr := fmt.Sprintf("127.0.0.1:%d", p.port)
		// A body declared and then sent a byte a second: the server may answer
		// early, but must not keep reading it past its read timeout.
		var body rawAnswer
		bodyDone := make(chan struct{})
		go func() {
			defer close(bodyDone)
			chunks := [][]byte{[]byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")}
			for range 60 {
				chunks = append(chunks, []byte(" "))
			}
			body = rawExchange(t, addr, readTimeout+slack+5*time.Second, time.Second, chunks...)
		}()
		chunks := [][]byte{[]byte("GET / HTTP/1.1\r\nHost: x\r\n")}
		for i := range 60 {
			chunks = append(chunks, fmt.Appendf(nil, "X-Slow-%d: a\r\n", i))
		}
		head := rawExchange(t, addr, headerTimeout+slack+5*time.Second, time.Second, chunks...)
		<-bodyDone
		if !head.closed || head.took > headerTimeout+slack {
			t.Errorf("a header line a second: closed %v after %s, want a close within %s", head.closed, head.took, headerTimeout+slack)
		}
		if (!body.closed && body.status() == 0) || body.took > readTimeout+slack {
			t.Errorf("a body byte a second: answered %q, closed %v after %s, want an answer or a close within %s",
				body.firstLine(), body.closed, body.took, readTimeout+slack)
		}
		t.Logf("%s: header trickle closed after %.1fs; body trickle answered %q (closed %v) after %.1fs",
			p.name, head.took.Seconds(), body.firstLine(), body.closed, body.took.Seconds())
	})
	wg.Wait()
}

func testHostileGRPCPreface(t *testing.T, n *node) {
	const slack = 5 * time.Second
	// gRPC's HTTP/2 server waits for the preface; the connection budget's
	// idle timeout (30 s) is the bound a quiet half-open connection meets.
	const bound = 30*time.Second + slack
	ans := rawExchange(t, fmt.Sprintf("127.0.0.1:%d", n.ports.GRPC), bound+5*time.Second, 0, []byte("PRI * HTTP/2.0\r\n"))
	if !ans.closed || ans.took > bound {
		t.Fatalf("half an HTTP/2 preface: closed %v after %s, want a close within %s", ans.closed, ans.took, bound)
	}
	t.Logf("closed after %.1fs", ans.took.Seconds())
}

func testHostileSendTxJSON(t *testing.T, n *node) {
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	cases := []struct {
		name, body, message string
	}{
		{"truncated", `{"tx_bytes":"CpIBCo8BChwvY29zbW9z`, "invalid JSON"},
		{"truncated after the key", `{"tx_bytes"`, "invalid JSON"},
		{"100,000-deep arrays", deep, "invalid JSON"},
		{"100,000-deep arrays as the value", `{"tx_bytes":` + deep + `}`, "invalid JSON"},
		{"huge number", `{"tx_bytes":1` + strings.Repeat("0", 5000) + `}`, "invalid JSON"},
		{"number with a huge exponent", `{"tx_bytes":1e999999999}`, "invalid JSON"},
		{"number", `{"tx_bytes":5}`, "invalid JSON"},
		{"array", `{"tx_bytes":["CpIB"]}`, "invalid JSON"},
		{"object", `{"tx_bytes":{"a":1}}`, "invalid JSON"},
		{"null", `{"tx_bytes":null}`, "tx_bytes is required"},
		{"invalid UTF-8", "{\"tx_bytes\":\"\xff\xfe\xfd\"}", "base64"},
		{"invalid UTF-8 outside strings", "{\xff\"tx_bytes\":\"AAAA\"}", "invalid JSON"},
		{"NUL byte", "{\"tx_bytes\":\"AA\x00AA\"}", "invalid JSON"},
		{"escaped NUL", `{"tx_bytes":"\u0000AAAA"}`, "base64"},
		{"two documents", `{"tx_bytes":"AAAA"}{"tx_bytes":"AAAA"}`, "invalid JSON"},
		{"duplicate key", `{"tx_bytes":"AAAA","tx_bytes":"aGVsbG8="}`, "not a transaction"},
	}
	url := n.facadeURL() + "/rpc/send_tx"
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := call(t, http.MethodPost, url, []byte(c.body), "Content-Type", "application/json")
			if status >= 500 {
				t.Fatalf("%d %.300s", status, body)
			}
			wantError(t, status, body, http.StatusBadRequest, c.message)
		})
	}
}

func testHostileCometJSON(t *testing.T, n *node) {
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	env := func(params string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":` + params + `}`
	}
	cases := []struct {
		name, body string
		code       int // JSON-RPC error code
	}{
		{"truncated", `{"jsonrpc":"2.0","id":1,"meth`, -32700},
		{"100,000-deep arrays", deep, -32700},
		{"100,000-deep arrays as params", env(`{"tx":` + deep + `}`), -32700},
		{"huge id", `{"jsonrpc":"2.0","id":1` + strings.Repeat("0", 5000) + `,"method":"status"}`, -32700},
		{"huge number as tx", env(`{"tx":1e999999999}`), -32602},
		{"tx a number", env(`{"tx":5}`), -32602},
		{"tx an object", env(`{"tx":{"a":[1,2]}}`), -32602},
		{"params a string", env(`"tx"`), -32602},
		{"height a string", `{"jsonrpc":"2.0","id":1,"method":"block","params":{"height":"abc"}}`, -32602},
		{"height overflow", `{"jsonrpc":"2.0","id":1,"method":"block","params":{"height":"99999999999999999999999"}}`, -32602},
		{"invalid UTF-8", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"broadcast_tx_sync\",\"params\":{\"tx\":\"\xff\xfe\"}}", -32602},
		{"NUL byte", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sta\x00tus\"}", -32700},
		{"unknown method", `{"jsonrpc":"2.0","id":1,"method":"` + strings.Repeat("x", 10000) + `"}`, -32601},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := n.jsonRPC(t, []byte(c.body))
			if bytes.Contains(bytes.ToLower(body), []byte("panic")) {
				t.Fatalf("%d %.500s", status, body)
			}
			var res struct {
				Error *struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
					Data    string `json:"data"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &res); err != nil || res.Error == nil {
				t.Fatalf("want a JSON-RPC error, got %d %.500s", status, body)
			}
			if res.Error.Code != c.code {
				t.Fatalf("JSON-RPC error %d %q %q, want code %d", res.Error.Code, res.Error.Message, res.Error.Data, c.code)
			}
			t.Logf("HTTP %d, JSON-RPC %d %s: %.200s", status, res.Error.Code, res.Error.Message, res.Error.Data)
		})
	}
	// A batch of 1,000 calls is answered (or refused) without hurting the node.
	batch := "[" + strings.TrimSuffix(strings.Repeat(`{"jsonrpc":"2.0","id":1,"method":"health"},`, 1000), ",") + "]"
	if status, body := n.jsonRPC(t, []byte(batch)); status >= 500 && !bytes.Contains(body, []byte(`"error"`)) {
		t.Fatalf("a batch of 1,000: %d %.300s", status, body)
	}
}

func testHostileWSFrames(t *testing.T, n *node) {
	port := n.ports.WS
	closes := []struct {
		name string
		send func(w *wsRaw)
		code int
	}{
		{"reserved opcode 3", func(w *wsRaw) { w.frame(true, 0x3, true, []byte("x")) }, 1002},
		{"reserved control opcode 11", func(w *wsRaw) { w.frame(true, 0xb, true, nil) }, 1002},
		{"unmasked client frame", func(w *wsRaw) { w.frame(true, 0x1, false, []byte(`{"action":"ping"}`)) }, 1002},
		{"RSV bits set", func(w *wsRaw) {
			// 0xf1: FIN, RSV1-3 and text; no extension was negotiated.
			_, _ = w.conn.Write([]byte{0xf1, 0x80, 0, 0, 0, 0})
		}, 1002},
		{"64 kB text frame", func(w *wsRaw) { w.text(strings.Repeat("a", 64<<10)) }, 1009},
		{"frame declaring 2^62 bytes", func(w *wsRaw) {
			_, _ = w.conn.Write([]byte{0x81, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4})
		}, 1009},
		{"fragmented ping", func(w *wsRaw) { w.frame(false, 0x9, true, []byte("a")); w.frame(true, 0x0, true, []byte("b")) }, 1002},
		{"ping of 200 bytes", func(w *wsRaw) { w.frame(true, 0x9, true, bytes.Repeat([]byte("p"), 200)) }, 1002},
		{"continuation without a start", func(w *wsRaw) { w.frame(true, 0x0, true, []byte("x")) }, 1002},
		{"new message inside a fragmented one", func(w *wsRaw) {
			w.frame(false, 0x1, true, []byte(`{"action":`))
			w.frame(true, 0x1, true, []byte(`"ping"}`))
		}, 1002},
		{"fragments adding up past the limit", func(w *wsRaw) {
			w.frame(false, 0x1, true, bytes.Repeat([]byte("a"), 3000))
			w.frame(true, 0x0, true, bytes.Repeat([]byte("a"), 3000))
		}, 1009},
	}
	for _, c := range closes {
		t.Run(c.name, func(t *testing.T) {
			w := dialWSRaw(t, port)
			c.send(w)
			f := w.awaitClose(10 * time.Second)
			if f.closeCode() != c.code {
				t.Fatalf("close %d %q, want %d", f.closeCode(), f.payload[min(2, len(f.payload)):], c.code)
			}
		})
	}
	t.Run("invalid UTF-8 text", func(t *testing.T) {
		w := dialWSRaw(t, port)
		w.frame(true, 0x1, true, []byte("{\"action\":\"ping\",\"x\":\"\xff\xfe\"}"))
		f, err := w.nextClose(10 * time.Second)
		if err != nil || f.closeCode() != 1007 {
			t.Fatalf("invalid UTF-8 in a text frame: close %d %q (%v), want close 1007 (RFC 6455 8.1)", f.closeCode(), f.payload[min(2, len(f.payload)):], err)
		}
	})
	t.Run("invalid UTF-8 in a close reason", func(t *testing.T) {
		w := dialWSRaw(t, port)
		w.frame(true, 0x8, true, []byte{0x03, 0xe8, 0xff, 0xfe})
		if f := w.awaitClose(10 * time.Second); f.closeCode() != 1007 && f.closeCode() != 1002 {
			t.Fatalf("close %d, want 1007 or 1002", f.closeCode())
		}
	})
	t.Run("bad subscribe JSON", func(t *testing.T) {
		w := dialWSRaw(t, port)
		for _, c := range []struct{ msg, want string }{
			{`{"action":"subscribe","topic":123}`, "invalid JSON"},
			{`{"action":"subscribe","topic":"new_blocks","from_height":"abc"}`, "invalid JSON"},
			{`{"action":"subscribe","topic":"new_blocks","from_height":1e999}`, "invalid JSON"},
			{`{"action":["subscribe"]}`, "invalid JSON"},
			{strings.Repeat("[", 2000) + strings.Repeat("]", 2000), "invalid JSON"},
			{"{\"action\":\"subscribe\",\"topic\":\"new_\x00blocks\"}", "invalid JSON"},
			{`{"action":"subscribe","topic":"new_blocks\u0000"}`, "unknown topic"},
			{`{"action":"subscribe","topic":"` + strings.Repeat("t", 3000) + `"}`, "unknown topic"},
			{`null`, "unknown action"},
		} {
			w.text(c.msg)
			w.awaitText(10*time.Second, c.want)
		}
		// The connection survived: a ping is answered, a subscription works.
		w.text(`{"action":"ping"}`)
		w.awaitText(10*time.Second, `"pong"`)
		w.text(`{"action":"subscribe","topic":"new_blocks"}`)
		w.awaitText(30*time.Second, `"new_blocks"`)
	})
}

// hostileTx is one hostile transaction and what refusing it must say.
type hostileTx struct {
	name string
	tx   func(s *txSigner) []byte
	// code and codespace of CheckTx's refusal; code 0 means the node refuses
	// it before CheckTx (a JSON-RPC or gRPC error), checked against log.
	code      uint32
	codespace string
	log       *regexp.Regexp
	viaGRPC   bool
}

func testHostileTxs(t *testing.T, n *node) {
	alice := newTxSigner(t, n, "alice")
	bob := n.keyAddress("bob")
	send := func(amount int64) *types.Any {
		return anyOf(t, &banktypes.MsgSend{FromAddress: alice.addr, ToAddress: bob, Amount: sdk.NewCoins(sdk.NewInt64Coin(denom, amount))})
	}
	// exec wraps msgs in MsgExec depth times; alice is her own grantee, which
	// authz allows without a grant.
	exec := func(depth int, msgs ...*types.Any) *types.Any {
		for range depth {
			msgs = []*types.Any{anyOf(t, &authz.MsgExec{Grantee: alice.addr, Msgs: msgs})}
		}
		return msgs[0]
	}
	maxMemo := hostileMaxMemo(t, n)
	two256 := new(big.Int).Lsh(big.NewInt(1), 256).String()
	half := new(big.Int).Lsh(big.NewInt(1), 255).String() // 2^255: fits, two of them do not
	manyOutputs := func(k int) *types.Any {
		outs := make([][]byte, k)
		for i := range outs {
			outs[i] = addrCoins(bob, coinBytes(denom, "1"))
		}
		return rawMsgMultiSend([][]byte{addrCoins(alice.addr, coinBytes(denom, fmt.Sprint(k)))}, outs)
	}
	many := func(k int) []*types.Any {
		msgs := make([]*types.Any, k)
		for i := range msgs {
			msgs[i] = send(1)
		}
		return msgs
	}
	re := regexp.MustCompile
	cases := []hostileTx{
		// The SDK's decoder stops Any nesting at 10 and 100 Anys per message.
		{name: "50-deep nested MsgExec", code: 2, codespace: "sdk", log: re(`max depth exceeded`),
			tx: func(s *txSigner) []byte { return s.sign(rawTx{Msgs: []*types.Any{exec(50, send(1))}}) }},
		{name: "MsgExec nested 4 deep", code: 18, codespace: "sdk", log: re(`authz MsgExec nested more than 3 deep`),
			tx: func(s *txSigner) []byte { return s.sign(rawTx{Msgs: []*types.Any{exec(4, send(1))}}) }},
		{name: "1,000 messages in one MsgExec", code: 2, codespace: "sdk", log: re(`call limit exceeded`),
			tx: func(s *txSigner) []byte {
				return s.sign(rawTx{Msgs: []*types.Any{exec(1, many(1000)...)}, Gas: 2000000})
			}},
		{name: "1,001 messages", code: 18, codespace: "sdk", log: re(`more than 1000 messages in one transaction`),
			tx: func(s *txSigner) []byte { return s.sign(rawTx{Msgs: many(1001), Gas: 3000000}) }},
		{name: "unknown message type URL", code: 2, codespace: "sdk", log: re(`/evil\.v1\.MsgDrain`),
			tx: func(s *txSigner) []byte {
				return s.sign(rawTx{Msgs: []*types.Any{{TypeUrl: "/evil.v1.MsgDrain", Value: []byte{0x0a, 0x01, 0x41}}}})
			}},
		{name: "unknown type URL inside MsgExec", code: 2, codespace: "sdk", log: re(`/evil\.v1\.MsgDrain`),
			tx: func(s *txSigner) []byte {
				return s.sign(rawTx{Msgs: []*types.Any{exec(1, &types.Any{TypeUrl: "/evil.v1.MsgDrain"})}})
			}},
		{name: "unknown extension option", code: 2, codespace: "sdk", log: re(`/evil\.v1\.Option`),
			tx: func(s *txSigner) []byte {
				return s.sign(rawTx{Msgs: []*types.Any{send(1)}, ExtOpts: []*types.Any{{TypeUrl: "/evil.v1.Option", Value: []byte{1}}}})
			}},
		{name: "known type as an extension option", code: 2, codespace: "sdk", log: re(`no registered implementations of type tx.TxExtensionOptionI`),
			tx: func(s *txSigner) []byte {
				return s.sign(rawTx{Msgs: []*types.Any{send(1)}, ExtOpts: []*types.Any{send(1)}})
			}},
		{name: "unknown non-critical extension option", code: 2, codespace: "sdk", log: re(`/evil\.v1\.Option`),
			tx: func(s *txSigner) []byte {
				return s.sign(rawTx{Msgs: []*types.Any{send(1)}, NonCritExtOpts: []*types.Any{{TypeUrl: "/evil.v1.Option", Value: []byte{1}}}})
			}},
		{name: fmt.Sprintf("memo of %d characters", maxMemo+1), code: 12, codespace: "sdk",
			log: re(fmt.Sprintf(`maximum number of characters is %d but received %d`, maxMemo, maxMemo+1)),
			tx: func(s *txSigner) []byte {
				return s.sign(rawTx{Msgs: []*types.Any{send(1)}, Memo: strings.Repeat("m", int(maxMemo)+1)})
			}},
		// CometBFT RPC takes at most max_body_bytes (1 MB) of JSON, so about
		// 740 kB of transaction; the mempool's max_tx_bytes is 4 MiB, the block's max_bytes.
		{name: "1.5 MiB body by CometBFT RPC", log: re(`request body too large`),
			tx: func(s *txSigner) []byte { return s.sign(rawTx{Msgs: []*types.Any{manyOutputs(25000)}}) }},
		{name: "1.5 MiB body without the gas its size costs, by gRPC", viaGRPC: true, code: 11, codespace: "sdk",
			log: re(`out of gas in location: txSize`),
			tx:  func(s *txSigner) []byte { return s.sign(rawTx{Msgs: []*types.Any{manyOutputs(25000)}}) }},
		// The SDK maps CometBFT's "tx too large" to its code 21 (ErrTxTooLarge) with an empty log.
		{name: "5 MiB body (above max_tx_bytes and the block's max_bytes) by gRPC", viaGRPC: true, code: 21, codespace: "sdk",
			log: re(`^$|too large`),
			tx:  func(s *txSigner) []byte { return s.sign(rawTx{Msgs: []*types.Any{manyOutputs(85000)}}) }},
		{name: "amount above 2^256", code: 2, codespace: "sdk", log: re(`integer out of range; got: 257, max: 256`),
			tx: func(s *txSigner) []byte {
				return s.sign(rawTx{Msgs: []*types.Any{rawMsgSend(s.addr, bob, coinBytes(denom, two256))}})
			}},
		{name: "amount not a number", code: 2, codespace: "sdk", log: re(`cannot unmarshal "12abc"`),
			tx: func(s *txSigner) []byte {
				return s.sign(rawTx{Msgs: []*types.Any{rawMsgSend(s.addr, bob, coinBytes(denom, "12abc"))}})
			}},
		{name: "negative amount", code: 10, codespace: "sdk", log: re(`-5uait`),
			tx: func(s *txSigner) []byte {
				return s.sign(rawTx{Msgs: []*types.Any{rawMsgSend(s.addr, bob, coinBytes(denom, "-5"))}})
			}},
		{name: "negative amount inside MsgExec", code: 10, codespace: "sdk", log: re(`-5uait`),
			tx: func(s *txSigner) []byte {
				return s.sign(rawTx{Msgs: []*types.Any{exec(3, rawMsgSend(s.addr, bob, coinBytes(denom, "-5")))}})
			}},
		{name: "MsgMultiSend outputs summing past 2^256", code: 10, codespace: "sdk", log: re(`add up past the largest amount`),
			tx: func(s *txSigner) []byte {
				return s.sign(rawTx{Msgs: []*types.Any{rawMsgMultiSend(
					[][]byte{addrCoins(s.addr, coinBytes(denom, "1"))},
					[][]byte{addrCoins(bob, coinBytes(denom, half)), addrCoins(bob, coinBytes(denom, half))})}})
			}},
		{name: "zero fee", code: 13, codespace: "sdk", log: re(`insufficient fees`),
			tx: func(s *txSigner) []byte { return s.sign(rawTx{Msgs: []*types.Any{send(1)}, NoFee: true}) }},
		{name: "fee of 0uait", code: 13, codespace: "sdk", log: re(`insufficient fees`),
			tx: func(s *txSigner) []byte {
				return s.sign(rawTx{Msgs: []*types.Any{send(1)}, Fee: sdk.Coins{sdk.NewInt64Coin(denom, 0)}})
			}},
		{name: "negative fee", code: 13, codespace: "sdk", log: re(`invalid fee provided: -5000uait`),
			tx: func(s *txSigner) []byte {
				return s.sign(rawTx{Msgs: []*types.Any{send(1)}, Fee: sdk.Coins{sdk.Coin{Denom: denom, Amount: sdkmath.NewInt(-5000)}}})
			}},
		{name: "duplicate signatures", code: 4, codespace: "sdk", log: re(`wrong number of signers; expected 1, got 2`),
			tx: func(s *txSigner) []byte { return s.sign(rawTx{Msgs: []*types.Any{send(1)}, Copies: 2}) }},
		{name: "wrong chain id", code: 4, codespace: "sdk", log: re(`signature verification failed`),
			tx: func(s *txSigner) []byte {
				return s.sign(rawTx{Msgs: []*types.Any{send(1)}, ChainID: "ait-otherchain-1"})
			}},
	}

	// Every case is refused at CheckTx (or before), so alice pays nothing
	// and her sequence does not move.
	var before balance
	getJSON(t, n.facadeURL()+"/rpc/get_balance/"+alice.addr, &before)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tx := c.tx(alice)
			start := time.Now()
			var ans checkTxAnswer
			if c.viaGRPC {
				ans = n.broadcastGRPC(t, tx)
			} else {
				ans = n.broadcastRPC(t, tx)
			}
			took := time.Since(start)
			t.Logf("%d bytes: %.300s (answered in %s)", len(tx), ans, took.Round(time.Millisecond))
			switch {
			case c.code == 0 && ans.RPCError == "" && ans.Code == 0:
				t.Fatalf("accepted (%s), want a refusal before CheckTx matching %q", ans.Hash, c.log)
			case c.code == 0:
				if msg := ans.RPCError + ans.Log; !c.log.MatchString(msg) {
					t.Fatalf("refused with %s, want a message matching %q", ans, c.log)
				}
			case ans.RPCError != "" || ans.Code != c.code || ans.Codespace != c.codespace || !c.log.MatchString(ans.Log):
				t.Fatalf("%s, want code %d (%s) with a log matching %q", ans, c.code, c.codespace, c.log)
			}
			if strings.Contains(strings.ToLower(ans.Log), "panic") {
				t.Fatalf("the refusal is a recovered panic: %.500s", ans.Log)
			}
		})
	}
	h, _ := n.height()
	n.waitForHeight(h+2, 30*time.Second)
	var after balance
	getJSON(t, n.facadeURL()+"/rpc/get_balance/"+alice.addr, &after)
	if after.uait() != before.uait() || after.Sequence != before.Sequence {
		t.Fatalf("alice was charged: %s uait sequence %d before, %s uait sequence %d after",
			before.uait(), before.Sequence, after.uait(), after.Sequence)
	}
	// A good transaction from the same signer still goes through.
	ans := n.broadcastRPC(t, alice.sign(rawTx{Msgs: []*types.Any{send(1)}}))
	if ans.Code != 0 || ans.RPCError != "" {
		t.Fatalf("a good transfer after the hostile ones: %s", ans)
	}
	if inc := n.waitForTx(ans.Hash, 30*time.Second); inc.Code != 0 {
		t.Fatalf("the good transfer failed in its block: code %d %s", inc.Code, inc.Log)
	}
}

// hostileMaxMemo reads the auth param max_memo_characters from Cosmos REST.
func hostileMaxMemo(t *testing.T, n *node) uint64 {
	t.Helper()
	var res struct {
		Params struct {
			MaxMemoCharacters string `json:"max_memo_characters"`
		} `json:"params"`
	}
	getJSON(t, fmt.Sprintf("http://127.0.0.1:%d/cosmos/auth/v1beta1/params", n.ports.API), &res)
	var v uint64
	if _, err := fmt.Sscan(res.Params.MaxMemoCharacters, &v); err != nil || v == 0 {
		t.Fatalf("max_memo_characters %q", res.Params.MaxMemoCharacters)
	}
	return v
}
