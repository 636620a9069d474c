package apierr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
)

func TestFromUpstream(t *testing.T) {
	rpcWrap := "error in json rpc client, with http response metadata: (Status: 200 OK, Protocol HTTP/1.1). RPC error -32603 - Internal error: "
	cases := []struct {
		name    string
		err     error
		status  int
		message string // a substring the message must keep
	}{
		{"future height", errors.New(rpcWrap + "height 99 must be less than or equal to the current blockchain height 12"), 404, "height 99 must be"},
		{"pruned height", errors.New(rpcWrap + "height 1 is not available, lowest height is 5"), 404, "pruned: height 1 is not available, lowest height is 5"},
		{"unknown tx", errors.New(rpcWrap + "tx (ABCD) not found"), 404, "tx (ABCD) not found"},
		{"catching up", errors.New(rpcWrap + "endpoint is closed while node is catching up"), 503, "catching up"},
		{"duplicate tx", errors.New(rpcWrap + "tx already exists in cache"), 400, "already in the mempool"},
		{"mempool full", errors.New(rpcWrap + "mempool is full: number of txs 5000"), 503, "mempool is full"},
		{"deadline", fmt.Errorf("post failed: %w", context.DeadlineExceeded), 504, "did not answer in time"},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}, 503, "not reachable"},
		{"refused text", errors.New("post failed: Post \"http://127.0.0.1:1\": dial tcp 127.0.0.1:1: connect: connection refused"), 503, "connection refused"},
		{"grpc not found", status.Error(codes.NotFound, "account ait1x not found"), 404, "account ait1x not found"},
		{"grpc invalid", status.Error(codes.InvalidArgument, "invalid address"), 400, "invalid address"},
		{"grpc unavailable", status.Error(codes.Unavailable, "connection refused"), 503, "not reachable"},
		{"api error passes", BadRequest("bad height"), 400, "bad height"},
		{"anything else", errors.New("something odd"), 502, "something odd"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := FromUpstream(c.err)
			if got.Status != c.status || !strings.Contains(got.Message, c.message) {
				t.Fatalf("got %d %q, want %d containing %q", got.Status, got.Message, c.status, c.message)
			}
			if strings.Contains(got.Message, "json rpc client") {
				t.Fatalf("the RPC client's wrapping leaked into %q", got.Message)
			}
		})
	}
	if FromUpstream(nil) != nil {
		t.Fatal("nil must stay nil")
	}
}

func TestWriteShape(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, New(http.StatusTooManyRequests, "slow down"))
	if rec.Code != 429 || rec.Header().Get("Retry-After") == "" || rec.Header().Get("Content-Type") != "application/json" ||
		rec.Header().Get("Connection") != "close" {
		t.Fatalf("status %d, headers %v", rec.Code, rec.Header())
	}
	var body struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Error.Code != 429 || body.Error.Message != "slow down" {
		t.Fatalf("body %s", rec.Body)
	}
}

// CometBFT's catching-up refusal is a 503 with Retry-After, whatever wraps it.
func TestCatchingUpRetryAfter(t *testing.T) {
	err := FromUpstream(fmt.Errorf("broadcast: %w", errors.New("error in json rpc client, with http response metadata: "+
		"(Status: 200 OK, Protocol HTTP/1.1). RPC error -32603 - Internal error: endpoint is closed while node is catching up")))
	rec := httptest.NewRecorder()
	Write(rec, err)
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "5" || !strings.Contains(rec.Body.String(), "catching up") {
		t.Fatalf("status %d, Retry-After %q, body %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if strings.Contains(rec.Body.String(), "-32603") {
		t.Fatalf("the RPC error code leaked: %s", rec.Body)
	}
}

// A real SDK error formatted with %v carries " [cosmos/cosmos-sdk@…/file.go:49]";
// the facade's messages must not.
func TestNoSourcePaths(t *testing.T) {
	cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
	_, sdkErr := authtx.NewTxConfig(cdc, authtx.DefaultSignModes).TxDecoder()([]byte{0xff, 0x01})
	if sdkErr == nil {
		t.Fatal("the decoder accepted garbage")
	}
	raw := fmt.Sprintf("%v", sdkErr)
	if !strings.Contains(raw, ".go:") {
		t.Fatalf("the SDK error %q no longer carries a source path: this test would prove nothing", raw)
	}
	for name, got := range map[string]*Error{
		"BadRequest":   BadRequest("not a transaction (protobuf TxRaw): %v", sdkErr),
		"FromUpstream": FromUpstream(errors.New(raw)),
	} {
		if strings.Contains(got.Message, ".go:") || strings.Contains(got.Message, "cosmos-sdk@") {
			t.Errorf("%s kept the source path: %q", name, got.Message)
		}
		if !strings.Contains(got.Message, "tx parse error") {
			t.Errorf("%s lost the error itself: %q", name, got.Message)
		}
	}
}
