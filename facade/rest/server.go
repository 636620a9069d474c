// Package rest serves the seed's REST API (/rpc/*, /health, /sync_status)
// and its OpenAPI document.
package rest

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"cosmossdk.io/log/v2"

	"github.com/aitbc/chain/facade/apierr"
	"github.com/aitbc/chain/facade/cors"
	"github.com/aitbc/chain/facade/httpguard"
	"github.com/aitbc/chain/facade/metrics"
	"github.com/aitbc/chain/facade/node"
	"github.com/aitbc/chain/indexer"
)

// OpenAPI is the API's OpenAPI 3 document; docs/openapi.json is a copy
// (TestDocsCopyOfOpenAPI keeps them equal).
//
//go:embed openapi.json
var OpenAPI []byte

// Options tune the REST server.
type Options struct {
	Timeout        time.Duration // per request, including waits on the node
	MaxBodyBytes   int64
	RateLimit      float64 // requests per second per client; 0 turns limiting off
	RateBurst      int
	AllowedOrigins []string
	// History answers the queries of the SQL index (get_txs, compute/history);
	// nil when no index is configured, and those endpoints then answer 503.
	History History
	// HealthMaxBlockAge is the latest block's age beyond which /health says
	// stalled (503); 0 derives it from the observed block time (node.Health).
	HealthMaxBlockAge time.Duration
	// MaxHeaderBytes bounds the request line and headers (431 beyond); 0 is
	// httpguard.MaxHeaderBytes.
	MaxHeaderBytes int
}

// History is the read side of the SQL index the facade serves. *indexer.Store
// satisfies it; the facade does not care how the store was opened.
type History interface {
	TxsByAddress(ctx context.Context, address string, p indexer.Page) (indexer.TxList, error)
	JobsByClient(ctx context.Context, client string, p indexer.Page) (indexer.JobList, error)
	JobsByProvider(ctx context.Context, provider string, p indexer.Page) (indexer.JobList, error)
}

// Admitter is told about transactions the node accepted, so that
// new_transactions announces them at once.
type Admitter interface {
	Admitted(raw []byte, source string)
}

// Server is the REST handler.
type Server struct {
	node     *node.Node
	admitter Admitter
	opts     Options
	log      log.Logger
	metrics  *metrics.Metrics
	handler  http.Handler
}

// New builds the REST handler.
func New(n *node.Node, admitter Admitter, opts Options, logger log.Logger, m *metrics.Metrics) *Server {
	s := &Server{node: n, admitter: admitter, opts: opts, log: logger, metrics: m}
	mux := http.NewServeMux()
	route := func(method, pattern, name string, h func(*http.Request) (any, error)) {
		mux.Handle(pattern, s.endpoint(method, name, h))
	}
	route(http.MethodGet, "/rpc/get_head", "get_head", s.getHead)
	route(http.MethodGet, "/rpc/get_block/{height}", "get_block", s.getBlock)
	route(http.MethodGet, "/rpc/get_balance/{address}", "get_balance", s.getBalance)
	route(http.MethodPost, "/rpc/send_tx", "send_tx", s.sendTx)
	route(http.MethodGet, "/rpc/get_tx/{hash}", "get_tx", s.getTx)
	route(http.MethodGet, "/rpc/peers", "peers", s.peers)
	route(http.MethodGet, "/rpc/compute/jobs", "compute_jobs", s.computeJobs)
	route(http.MethodGet, "/rpc/compute/jobs/{id}", "compute_job", s.computeJob)
	route(http.MethodGet, "/rpc/compute/providers", "compute_providers", s.computeProviders)
	route(http.MethodGet, "/rpc/compute/providers/{address}", "compute_provider", s.computeProvider)
	route(http.MethodGet, "/rpc/get_txs/{address}", "get_txs", s.getTxs)
	route(http.MethodGet, "/rpc/compute/history/jobs", "compute_history_jobs", s.computeHistoryJobs)
	route(http.MethodGet, "/health", "health", s.health)
	route(http.MethodGet, "/sync_status", "sync_status", s.syncStatus)
	mux.Handle("/openapi.json", s.instrument("openapi", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(OpenAPI)
	})))
	mux.Handle("/", s.instrument("unknown", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apierr.Write(w, apierr.NotFound("no such endpoint %s %s; see /openapi.json", r.Method, clip(r.URL.Path)))
	})))

	// ServeMux redirects unclean paths (//rpc/../x) itself: make those JSON too.
	h := httpguard.JSONRedirects(mux)
	if opts.RateLimit > 0 {
		h = rateLimit(httpguard.NewRateLimiter(opts.RateLimit, opts.RateBurst), m, h)
	}
	if opts.MaxHeaderBytes <= 0 {
		opts.MaxHeaderBytes = httpguard.MaxHeaderBytes
	}
	h = limitHeaders(opts.MaxHeaderBytes, m, h)
	h = cors.Middleware(opts.AllowedOrigins, h)
	s.handler = recoverJSON(logger, h)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// recoverJSON turns a panic in a handler into a 500 JSON error: bad input
// must never take the process down.
func recoverJSON(logger log.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.Error("facade handler panicked", "path", r.URL.Path, "panic", p)
				apierr.Write(w, apierr.New(http.StatusInternalServerError, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status for the metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// instrument counts requests by endpoint name (never by raw path, which
// would let clients create series at will) and status.
func (s *Server) instrument(name string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.metrics.Requests.WithLabelValues(name, strconv.Itoa(sw.status)).Inc()
		s.metrics.RequestDuration.WithLabelValues(name).Observe(time.Since(start).Seconds())
	})
}

// endpoint wraps a handler: method check, body limit, timeout, JSON answer.
func (s *Server) endpoint(method, name string, h func(*http.Request) (any, error)) http.Handler {
	return s.instrument(name, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", method)
			apierr.Write(w, apierr.New(http.StatusMethodNotAllowed, "%s takes %s, not %s", r.URL.Path, method, r.Method))
			return
		}
		if r.ContentLength > s.opts.MaxBodyBytes {
			apierr.Write(w, apierr.New(http.StatusRequestEntityTooLarge, "request body of %d bytes exceeds the limit of %d", r.ContentLength, s.opts.MaxBodyBytes))
			return
		}
		// r.URL.Query() would drop a malformed pair and so serve a default.
		if _, err := httpguard.Query(r); err != nil {
			apierr.Write(w, apierr.FromUpstream(err))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
		defer cancel()
		res, err := h(r.WithContext(ctx))
		if err != nil {
			apiErr := apierr.FromUpstream(err)
			if apiErr.Status == http.StatusGatewayTimeout {
				apiErr.Message = fmt.Sprintf("request timed out after %s (rpc_timeout): %s", s.opts.Timeout, apiErr.Message)
			}
			apierr.Write(w, apiErr)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if st, ok := res.(statusful); ok {
			if retry := st.RetryAfter(); retry > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(retry))
			}
			w.WriteHeader(st.HTTPStatus())
		}
		_ = json.NewEncoder(w).Encode(res)
	}))
}

// statusful is an answer that is not always a 200 but keeps its own shape (/health).
type statusful interface {
	HTTPStatus() int
	RetryAfter() int
}

func (s *Server) getHead(r *http.Request) (any, error) { return s.node.Head(r.Context()) }

func (s *Server) getBlock(r *http.Request) (any, error) {
	h, err := node.ParseHeight(r.PathValue("height"))
	if err != nil {
		return nil, err
	}
	return s.node.Block(r.Context(), h)
}

func (s *Server) getBalance(r *http.Request) (any, error) {
	return s.node.Balance(r.Context(), r.PathValue("address"))
}

func (s *Server) getTx(r *http.Request) (any, error) {
	hash, err := node.ParseTxHash(r.PathValue("hash"))
	if err != nil {
		return nil, err
	}
	return s.node.Tx(r.Context(), hash)
}

func (s *Server) peers(r *http.Request) (any, error)      { return s.node.Peers(r.Context()) }
func (s *Server) syncStatus(r *http.Request) (any, error) { return s.node.SyncStatus(r.Context()) }

// healthAnswer is /health: 200 when ok, else 503 with the same body plus an
// error, so load balancers and the one-error-shape decoders both see why.
type healthAnswer struct{ node.Health }

func (h healthAnswer) HTTPStatus() int {
	if h.Error != nil {
		return h.Error.Status
	}
	return http.StatusOK
}

func (h healthAnswer) RetryAfter() int {
	if h.Error != nil {
		return h.Error.RetryAfter
	}
	return 0
}

func (s *Server) health(r *http.Request) (any, error) {
	h, err := s.node.Health(r.Context(), s.opts.HealthMaxBlockAge)
	if err != nil {
		return nil, err
	}
	switch h.Status {
	case node.HealthCatchingUp:
		h.Error = apierr.CatchingUp("is not serving the chain's head")
	case node.HealthStalled:
		h.Error = apierr.Unavailable("the chain is stalled: the latest block (height %d) is %.0fs old, more than the %.0fs allowed (health-max-block-age)",
			h.Height, h.BlockAgeSeconds, h.MaxBlockAgeSeconds)
	}
	return healthAnswer{h}, nil
}
func (s *Server) computeJobs(r *http.Request) (any, error) {
	q := r.URL.Query()
	page, err := s.node.ComputeJobs(r.Context(), node.JobsFilter{
		Client: q.Get("client"), Provider: q.Get("provider"), State: q.Get("state"),
		Limit: q.Get("limit"), PageKey: q.Get("page_key"),
	})
	if err != nil {
		return nil, err
	}
	return node.JobsPage{Jobs: page.Items, NextKey: page.NextKey}, nil
}

func (s *Server) computeJob(r *http.Request) (any, error) {
	return s.node.ComputeJob(r.Context(), r.PathValue("id"))
}

func (s *Server) computeProviders(r *http.Request) (any, error) {
	q := r.URL.Query()
	page, err := s.node.ComputeProviders(r.Context(), q.Get("limit"), q.Get("page_key"))
	if err != nil {
		return nil, err
	}
	return node.ProvidersPage{Providers: page.Items, NextKey: page.NextKey}, nil
}

func (s *Server) computeProvider(r *http.Request) (any, error) {
	return s.node.ComputeProvider(r.Context(), r.PathValue("address"))
}

// history returns the SQL index, or the 503 that says there is none.
func (s *Server) history() (History, error) {
	if s.opts.History == nil {
		return nil, apierr.Unavailable("the SQL index is not enabled on this facade: run it in aitbcd start with indexer.enable = true, or give aitbcd facade --database-url")
	}
	return s.opts.History, nil
}

// parseIndexPage reads limit (1 to indexer.MaxPageLimit, default
// indexer.DefaultPageLimit) and offset (0 or more, default 0).
func parseIndexPage(r *http.Request) (indexer.Page, error) {
	q := r.URL.Query()
	p := indexer.Page{Limit: indexer.DefaultPageLimit}
	if raw := q.Get("limit"); raw != "" {
		l, err := strconv.Atoi(raw)
		if err != nil || l < 1 || l > indexer.MaxPageLimit {
			return p, apierr.BadRequest("invalid limit %q: want 1 to %d", clip(raw), indexer.MaxPageLimit)
		}
		p.Limit = l
	}
	if raw := q.Get("offset"); raw != "" {
		o, err := strconv.Atoi(raw)
		if err != nil || o < 0 {
			return p, apierr.BadRequest("invalid offset %q: want an integer of at least 0", clip(raw))
		}
		p.Offset = o
	}
	return p, nil
}

// indexErr keeps timeouts as they are (504) and answers any other failure of
// the index database with 503: the chain is fine, its SQL copy is not.
func indexErr(err error) error {
	if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return apierr.Unavailable("SQL index query failed: %v", err)
}

// getTxs lists an address's indexed transactions, newest first, with the total.
func (s *Server) getTxs(r *http.Request) (any, error) {
	addr := r.PathValue("address")
	if err := s.node.ValidateAddress(addr); err != nil {
		return nil, err
	}
	p, err := parseIndexPage(r)
	if err != nil {
		return nil, err
	}
	h, err := s.history()
	if err != nil {
		return nil, err
	}
	list, err := h.TxsByAddress(r.Context(), addr, p)
	if err != nil {
		return nil, indexErr(err)
	}
	return list, nil
}

// computeHistoryJobs lists the jobs of one client or one provider from the
// SQL projection, newest (highest id) first, with the total.
func (s *Server) computeHistoryJobs(r *http.Request) (any, error) {
	q := r.URL.Query()
	client, provider := q.Get("client"), q.Get("provider")
	if (client == "") == (provider == "") {
		return nil, apierr.BadRequest("give exactly one of client and provider")
	}
	addr := client + provider
	if err := s.node.ValidateAddress(addr); err != nil {
		return nil, err
	}
	p, err := parseIndexPage(r)
	if err != nil {
		return nil, err
	}
	h, err := s.history()
	if err != nil {
		return nil, err
	}
	var list indexer.JobList
	if client != "" {
		list, err = h.JobsByClient(r.Context(), addr, p)
	} else {
		list, err = h.JobsByProvider(r.Context(), addr, p)
	}
	if err != nil {
		return nil, indexErr(err)
	}
	return list, nil
}

// SendTxRequest is the body of POST /rpc/send_tx.
type SendTxRequest struct {
	// TxBytes is base64 of the protobuf TxRaw, as CosmJS and `aitbcd tx encode` produce it.
	TxBytes string `json:"tx_bytes"`
	// WaitForInclusion makes the call wait (up to rpc_timeout) for a block to include the tx.
	WaitForInclusion bool `json:"wait_for_inclusion"`
}

func (s *Server) sendTx(r *http.Request) (any, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, apierr.New(http.StatusRequestEntityTooLarge, "request body exceeds the limit of %d bytes", tooBig.Limit)
		}
		return nil, apierr.BadRequest("reading the request body: %v", err)
	}
	var req SendTxRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, apierr.BadRequest("invalid JSON body: %v; want {\"tx_bytes\": \"<base64 TxRaw>\", \"wait_for_inclusion\": false}", err)
	}
	if dec.More() {
		return nil, apierr.BadRequest("invalid JSON body: more than one JSON value")
	}
	if req.TxBytes == "" {
		return nil, apierr.BadRequest("tx_bytes is required: base64 of the signed protobuf TxRaw")
	}
	txBytes, err := base64.StdEncoding.DecodeString(req.TxBytes)
	if err != nil {
		return nil, apierr.BadRequest("tx_bytes is not valid base64: %v", err)
	}
	res, err := s.node.Broadcast(r.Context(), txBytes)
	if err != nil || res.CheckTx.Code != 0 {
		return res, err
	}
	if s.admitter != nil {
		s.admitter.Admitted(txBytes, "send_tx")
	}
	if req.WaitForInclusion {
		err = s.node.WaitIncluded(r.Context(), txBytes, &res)
	}
	return res, err
}
