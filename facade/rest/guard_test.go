package rest

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"cosmossdk.io/log/v2"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"

	"github.com/aitbc/chain/facade/metrics"
	"github.com/aitbc/chain/facade/node"
)

// offlineServer is a REST server whose node is never reached: these tests
// are answered before any endpoint asks the node.
func offlineServer(t *testing.T, opts Options) (*httptest.Server, *metrics.Metrics) {
	t.Helper()
	n, err := node.Dial(node.Options{
		CometRPC: "tcp://127.0.0.1:1", GRPC: "127.0.0.1:1",
		InterfaceRegistry: codectypes.NewInterfaceRegistry(), AccountPrefix: "ait",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	opts.Timeout, opts.MaxBodyBytes = time.Second, 1<<20
	m := metrics.New()
	srv := httptest.NewServer(New(n, nil, opts, log.NewNopLogger(), m))
	t.Cleanup(srv.Close)
	return srv, m
}

type errorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func decodeError(t *testing.T, resp *http.Response) errorBody {
	t.Helper()
	var b errorBody
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &b); err != nil || b.Error.Code != resp.StatusCode {
		t.Fatalf("status %d: not the JSON error shape: %q (%v)", resp.StatusCode, raw, err)
	}
	return b
}

// A 429 closes the connection: the refused client cannot keep holding it.
func TestRateLimitedConnectionIsClosed(t *testing.T) {
	srv, m := offlineServer(t, Options{RateLimit: 0.001, RateBurst: 1})
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	rd := bufio.NewReader(conn)
	get := func() *http.Response {
		if _, err := fmt.Fprintf(conn, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := get(); resp.StatusCode != http.StatusNotFound || resp.Close {
		t.Fatalf("first request: %d, close %v", resp.StatusCode, resp.Close)
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	resp := get()
	// resp.Close: the server said Connection: close (ReadResponse consumes the header).
	if resp.StatusCode != http.StatusTooManyRequests || !resp.Close || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second request: %d %v", resp.StatusCode, resp.Header)
	}
	decodeError(t, resp)
	if _, err := rd.ReadByte(); err != io.EOF {
		t.Fatalf("the connection stayed open after the 429: %v", err)
	}
	if got := counterValue(t, m.HTTPRefused.WithLabelValues(metrics.RefusedRateLimit)); got != 1 {
		t.Fatalf("facade_http_refused_total{reason=rate_limit} = %v, want 1", got)
	}
}

// ?limit=%zz is an error naming the parameter, not the default limit.
func TestMalformedQueryEscape(t *testing.T) {
	srv, _ := offlineServer(t, Options{})
	for _, q := range []string{"limit=%zz", "limit=5;offset=1", "%zz=1"} {
		resp, err := http.Get(srv.URL + "/rpc/compute/jobs?" + q)
		if err != nil {
			t.Fatal(err)
		}
		b := decodeError(t, resp)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("?%s: %d %s", q, resp.StatusCode, b.Error.Message)
		}
		if q == "limit=%zz" && (!strings.Contains(b.Error.Message, "limit") || !strings.Contains(b.Error.Message, "%zz")) {
			t.Fatalf("?%s: the message does not name the parameter and escape: %s", q, b.Error.Message)
		}
	}
}

// Headers beyond the limit get a JSON 431 (net/http's own is plain text) and
// the connection is closed.
func TestHeadersTooLargeIsJSON(t *testing.T) {
	srv, m := offlineServer(t, Options{})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/health", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 40<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || !resp.Close {
		t.Fatalf("status %d, close %v", resp.StatusCode, resp.Close)
	}
	decodeError(t, resp)
	if got := counterValue(t, m.HTTPRefused.WithLabelValues(metrics.RefusedHeaders)); got != 1 {
		t.Fatalf("facade_http_refused_total{reason=headers_too_large} = %v, want 1", got)
	}
}

// ServeMux's redirect of an unclean path keeps its status and Location but
// answers JSON.
func TestCleanPathRedirectIsJSON(t *testing.T) {
	srv, _ := offlineServer(t, Options{})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(srv.URL + "//rpc/../rpc/get_head")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 3 || resp.Header.Get("Location") != "/rpc/get_head" ||
		resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
	}
	if b := decodeError(t, resp); !strings.Contains(b.Error.Message, "/rpc/get_head") {
		t.Fatalf("message %q", b.Error.Message)
	}
}

func getHealth(t *testing.T, url string) (*http.Response, node.Health) {
	t.Helper()
	resp, err := http.Get(url + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h node.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return resp, h
}

// /health is ok only while the latest block is younger than the limit;
// /sync_status carries the block age.
func TestHealthStalled(t *testing.T) {
	cn := startComet(t, true)
	okSrv, n := cometServer(t, cn, Options{}) // automatic threshold: at least 5s
	waitHeight(t, n, 3)
	resp, h := getHealth(t, okSrv.URL)
	if resp.StatusCode != http.StatusOK || h.Status != node.HealthOK || h.MaxBlockAgeSeconds < node.MinAutoBlockAge.Seconds() {
		t.Fatalf("live chain: %d %+v", resp.StatusCode, h)
	}
	// A limit every block exceeds before it is asked about: stalled.
	stalledSrv, _ := cometServer(t, cn, Options{HealthMaxBlockAge: time.Millisecond})
	time.Sleep(5 * time.Millisecond)
	resp, h = getHealth(t, stalledSrv.URL)
	if resp.StatusCode != http.StatusServiceUnavailable || h.Status != node.HealthStalled || h.Error == nil ||
		h.Error.Status != http.StatusServiceUnavailable || !strings.Contains(h.Error.Message, "stalled") {
		t.Fatalf("stalled chain: %d %+v %+v", resp.StatusCode, h, h.Error)
	}
	sresp, err := http.Get(okSrv.URL + "/sync_status")
	if err != nil {
		t.Fatal(err)
	}
	defer sresp.Body.Close()
	var st map[string]any
	if err := json.NewDecoder(sresp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if age, ok := st["block_age_seconds"].(float64); !ok || age <= 0 || age > 5 {
		t.Fatalf("sync_status block_age_seconds = %v", st["block_age_seconds"])
	}
}

// A catching-up node: /health and send_tx answer 503 with Retry-After, not
// CometBFT's -32603.
func TestCatchingUpAnswers503RetryAfter(t *testing.T) {
	cn := startComet(t, false)
	srv, _ := cometServer(t, cn, Options{})
	resp, h := getHealth(t, srv.URL)
	if resp.StatusCode != http.StatusServiceUnavailable || h.Status != node.HealthCatchingUp || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("health: %d %v %+v", resp.StatusCode, resp.Header, h)
	}
	body := fmt.Sprintf(`{"tx_bytes":%q}`, base64.StdEncoding.EncodeToString(kvTx(t, 'a')))
	resp, err := http.Post(srv.URL+"/rpc/send_tx", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b := decodeError(t, resp)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(b.Error.Message, "catching up") || strings.Contains(b.Error.Message, "32603") {
		t.Fatalf("send_tx: %d %v %q", resp.StatusCode, resp.Header, b.Error.Message)
	}
}

// Re-sending an included transaction says which block has it.
func TestResendIncludedTx(t *testing.T) {
	cn := startComet(t, true)
	srv, n := cometServer(t, cn, Options{})
	waitHeight(t, n, 1)
	send := func(wait bool) (*http.Response, []byte) {
		body := fmt.Sprintf(`{"tx_bytes":%q,"wait_for_inclusion":%v}`, base64.StdEncoding.EncodeToString(kvTx(t, 'b')), wait)
		resp, err := http.Post(srv.URL+"/rpc/send_tx", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp, raw
	}
	resp, raw := send(true)
	var res node.SendResult
	if err := json.Unmarshal(raw, &res); err != nil || resp.StatusCode != 200 || res.Included == nil {
		t.Fatalf("first send: %d %s", resp.StatusCode, raw)
	}
	resp, raw = send(false)
	if resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(raw), fmt.Sprintf("already included in block %d", res.Included.Height)) {
		t.Fatalf("re-send: %d %s", resp.StatusCode, raw)
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
