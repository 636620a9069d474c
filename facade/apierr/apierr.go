// Package apierr is the facade's one error shape: every failed REST request
// answers {"error":{"code":<http status>,"message":"…"}}, so clients need a
// single decoder whatever went wrong and wherever.
package apierr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error is an API error with the HTTP status it is answered with.
type Error struct {
	Status  int    `json:"code"`
	Message string `json:"message"`
	// RetryAfter, in seconds, is sent as the Retry-After header when above 0.
	RetryAfter int `json:"-"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Message) }

// New returns an error answered with status.
// Source paths that errors carry are removed from the message.
func New(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: stripSourcePaths(fmt.Sprintf(format, args...))}
}

// sourcePath matches the " [cosmos/cosmos-sdk@v0.55.0/x/auth/tx/decoder.go:49]"
// that cosmossdk.io/errors appends when an error is formatted with %v: it
// tells a client which dependency the node runs and helps nobody else.
var sourcePath = regexp.MustCompile(`\s*\[[^\[\]\s]+\.go:\d+\]`)

func stripSourcePaths(msg string) string {
	if !strings.Contains(msg, ".go:") {
		return msg
	}
	return sourcePath.ReplaceAllString(msg, "")
}

// CatchingUpRetryAfter is the Retry-After, in seconds, of the 503 a catching-up node gets.
const CatchingUpRetryAfter = 5

// CatchingUp is the 503 for requests that need a synced node.
func CatchingUp(what string) *Error {
	e := Unavailable("the node is catching up with the chain and %s until it is synced; retry in %ds (GET /sync_status shows progress)",
		what, CatchingUpRetryAfter)
	e.RetryAfter = CatchingUpRetryAfter
	return e
}

// BadRequest is malformed input: a bad address, height, hash, base64 or JSON.
func BadRequest(format string, args ...any) *Error {
	return New(http.StatusBadRequest, format, args...)
}

// NotFound is a well-formed request for something the chain does not have.
func NotFound(format string, args ...any) *Error {
	return New(http.StatusNotFound, format, args...)
}

// Unavailable means the node behind the facade cannot answer now.
func Unavailable(format string, args ...any) *Error {
	return New(http.StatusServiceUnavailable, format, args...)
}

// FromUpstream maps an error from CometBFT RPC or Cosmos gRPC to an API error.
// Errors that already are *Error pass through. The node's own words are kept
// in the message, because they are what an operator searches for.
func FromUpstream(err error) *Error {
	if err == nil {
		return nil
	}
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return New(http.StatusGatewayTimeout, "the node did not answer in time")
	}
	if errors.Is(err, context.Canceled) {
		return New(http.StatusServiceUnavailable, "request cancelled")
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.NotFound:
			return NotFound("%s", trim(st.Message()))
		case codes.InvalidArgument:
			return BadRequest("%s", trim(st.Message()))
		case codes.Unavailable:
			return Unavailable("node not reachable: %s", trim(st.Message()))
		case codes.DeadlineExceeded:
			return New(http.StatusGatewayTimeout, "the node did not answer in time")
		}
	}
	var netErr net.Error
	if errors.As(err, &netErr) || isConnectionError(err.Error()) {
		return Unavailable("node not reachable: %s", trim(err.Error()))
	}
	msg := err.Error()
	lower := strings.ToLower(msg)
	switch {
	// CometBFT: "height 99 must be less than or equal to the current blockchain height 12",
	// "height 1 is not available, lowest height is 5", "tx (…) not found".
	case strings.Contains(lower, "is not available, lowest height is"):
		// A pruned or state-synced node: the block existed, this node no
		// longer (or never) kept it. The SQL index (/rpc/get_txs) keeps every height.
		return NotFound("pruned: %s", trim(msg))
	case strings.Contains(lower, "must be less than or equal to the current blockchain height"),
		strings.Contains(lower, "could not find results for height"),
		strings.Contains(lower, "provider not registered"),
		strings.Contains(lower, "not found"):
		return NotFound("%s", trim(msg))
	case strings.Contains(lower, "tx already exists in cache"):
		return BadRequest("transaction already in the mempool")
	case strings.Contains(lower, "mempool is full"):
		return Unavailable("%s", trim(msg))
	case strings.Contains(lower, "tx too large"):
		return New(http.StatusRequestEntityTooLarge, "%s", trim(msg))
	case strings.Contains(lower, "node is catching up"):
		// CometBFT's -32603 "endpoint is closed while node is catching up"
		// (broadcast_tx_*): the node is fine, just not ready yet.
		return CatchingUp("does not accept transactions")
	case strings.Contains(lower, "is not running"):
		return Unavailable("%s", trim(msg))
	}
	return New(http.StatusBadGateway, "node error: %s", trim(msg))
}

func isConnectionError(msg string) bool {
	for _, s := range []string{"connection refused", "connection reset", "no such host", "EOF", "Unavailable desc", "broken pipe"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// trim drops the RPC client's wrapping ("error in json rpc client, with http
// response metadata: … Internal error: ") in front of the node's own words
// and bounds the length, so a message stays one readable line.
func trim(msg string) string {
	msg = strings.TrimSpace(msg)
	if i := strings.LastIndex(msg, "Internal error: "); i >= 0 {
		msg = msg[i+len("Internal error: "):]
	}
	msg = stripSourcePaths(msg)
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// Write answers err as the facade's JSON error body. A refused client (429,
// 431) also gets Connection: close, so net/http closes the connection after
// the answer and the client cannot keep holding it.
func Write(w http.ResponseWriter, err *Error) {
	if err.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(err.RetryAfter))
	}
	if err.Status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	if err.Status == http.StatusTooManyRequests || err.Status == http.StatusRequestHeaderFieldsTooLarge {
		w.Header().Set("Connection", "close")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(err.Status)
	_ = json.NewEncoder(w).Encode(struct {
		Error *Error `json:"error"`
	}{err})
}
