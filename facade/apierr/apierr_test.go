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
		{"pruned height", errors.New(rpcWrap + "height 1 is not available, lowest height is 5"), 404, "lowest height is 5"},
		{"unknown tx", errors.New(rpcWrap + "tx (ABCD) not found"), 404, "tx (ABCD) not found"},
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
	if rec.Code != 429 || rec.Header().Get("Retry-After") == "" || rec.Header().Get("Content-Type") != "application/json" {
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
