package ws

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"cosmossdk.io/log/v2"

	"github.com/aitbc/chain/facade/apierr"
	"github.com/aitbc/chain/facade/cors"
	"github.com/aitbc/chain/facade/httpguard"
	"github.com/aitbc/chain/facade/metrics"
)

// Options tune the WebSocket server.
type Options struct {
	MaxClients      int
	MaxClientsPerIP int     // most clients from one IP at once; 0 = no limit
	UpgradeRate     float64 // upgrades per second per IP; 0 turns limiting off
	UpgradeBurst    int
	// Head, when set, reads the chain's height while the hub has seen no
	// block yet (just started), to judge from_height.
	Head           func(ctx context.Context) (int64, error)
	MaxHeaderBytes int           // request line and headers (431 beyond); 0 is httpguard.MaxHeaderBytes
	PingInterval   time.Duration // server pings this often; a client silent for 2 intervals is dropped
	WriteTimeout   time.Duration // a write that takes longer drops the client
	MaxResume      int64         // how many blocks back from_height may reach
	AllowedOrigins []string
}

// Server upgrades HTTP requests to WebSocket clients of a hub.
type Server struct {
	hub      *Hub
	fetch    FetchBlock
	opts     Options
	log      log.Logger
	metrics  *metrics.Metrics
	clients  atomic.Int64
	upgrader websocket.Upgrader
	limiter  *httpguard.RateLimiter // nil: upgrades are not rate limited

	perIPMu sync.Mutex
	perIP   map[string]int
}

// NewServer returns the WebSocket handler; fetch loads old blocks for resuming clients.
func NewServer(hub *Hub, fetch FetchBlock, opts Options, logger log.Logger, m *metrics.Metrics) *Server {
	s := &Server{hub: hub, fetch: fetch, opts: opts, log: logger, metrics: m, perIP: map[string]int{}}
	if opts.UpgradeRate > 0 {
		s.limiter = httpguard.NewRateLimiter(opts.UpgradeRate, opts.UpgradeBurst)
	}
	if s.opts.MaxHeaderBytes <= 0 {
		s.opts.MaxHeaderBytes = httpguard.MaxHeaderBytes
	}
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		CheckOrigin: func(r *http.Request) bool {
			origin := r.Header.Get("Origin")
			if cors.Allowed(opts.AllowedOrigins, origin) {
				return true
			}
			// Same-origin pages are always fine, as gorilla's default has it.
			return strings.EqualFold(strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://"), r.Host)
		},
	}
	return s
}

// clientMessage is what a client sends.
type clientMessage struct {
	Action     string `json:"action"` // subscribe, unsubscribe, ping
	Topic      string `json:"topic"`
	FromHeight int64  `json:"from_height"`
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" && r.URL.Path != "/ws" {
		apierr.Write(w, apierr.NotFound("no such path %q: connect to / or /ws", r.URL.Path))
		return
	}
	if n := httpguard.HeaderBytes(r); n > s.opts.MaxHeaderBytes {
		s.metrics.HTTPRefused.WithLabelValues(metrics.RefusedHeaders).Inc()
		apierr.Write(w, apierr.New(http.StatusRequestHeaderFieldsTooLarge,
			"request line and headers of %d bytes exceed the limit of %d", n, s.opts.MaxHeaderBytes))
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		apierr.Write(w, apierr.BadRequest("this port speaks WebSocket: connect with a WebSocket client (topics: %s)", strings.Join(Topics, ", ")))
		return
	}
	// Query parameters subscribe at connect time: ?topics=new_blocks,new_transactions&from_height=10
	var initial []clientMessage
	q, err := httpguard.Query(r)
	if err != nil {
		apierr.Write(w, apierr.FromUpstream(err))
		return
	}
	var from int64
	if raw := q.Get("from_height"); raw != "" {
		h, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || h <= 0 {
			apierr.Write(w, apierr.BadRequest("invalid from_height %q: want a positive integer", raw))
			return
		}
		if msg := s.checkFromHeight(r.Context(), h); msg != "" {
			apierr.Write(w, apierr.BadRequest("%s", msg))
			return
		}
		from = h
	}
	if raw := q.Get("topics"); raw != "" {
		for _, t := range strings.Split(raw, ",") {
			if !ValidTopic(t) {
				apierr.Write(w, apierr.BadRequest("unknown topic %q: want one of %s", t, strings.Join(Topics, ", ")))
				return
			}
			initial = append(initial, clientMessage{Action: "subscribe", Topic: t, FromHeight: from})
		}
	}
	ip := httpguard.ClientIP(r)
	if s.limiter != nil && !s.limiter.Allow(ip, time.Now()) {
		s.refuse(w, metrics.RefusedUpgradeRate, http.StatusTooManyRequests, s.limiter.RetryAfter(),
			"too many WebSocket connections from %s: at most %g per second (burst %d, ws-upgrade-rate)", ip, s.limiter.Rate(), s.limiter.Burst())
		return
	}
	if n := s.clients.Add(1); s.opts.MaxClients > 0 && n > int64(s.opts.MaxClients) {
		s.clients.Add(-1)
		s.refuse(w, metrics.RefusedMaxClients, http.StatusServiceUnavailable, 0,
			"too many WebSocket clients (limit %d, ws-max-clients); try again later", s.opts.MaxClients)
		return
	}
	defer s.clients.Add(-1)
	if !s.takeIPSlot(ip) {
		s.refuse(w, metrics.RefusedMaxClientsPerIP, http.StatusTooManyRequests, 0,
			"too many WebSocket clients from %s (limit %d per IP, ws-max-clients-per-ip); close one first", ip, s.opts.MaxClientsPerIP)
		return
	}
	defer s.releaseIPSlot(ip)
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	s.metrics.WSClients.Inc()
	defer s.metrics.WSClients.Dec()
	s.serve(r.Context(), conn, initial)
}

// refuse answers a refused upgrade in JSON (a 429 also closes the
// connection, see apierr.Write) and counts it by reason.
func (s *Server) refuse(w http.ResponseWriter, reason string, status, retryAfter int, format string, args ...any) {
	s.metrics.WSRefused.WithLabelValues(reason).Inc()
	e := apierr.New(status, format, args...)
	e.RetryAfter = retryAfter
	apierr.Write(w, e)
}

// takeIPSlot counts a client of ip, unless ip has MaxClientsPerIP already.
func (s *Server) takeIPSlot(ip string) bool {
	s.perIPMu.Lock()
	defer s.perIPMu.Unlock()
	if s.opts.MaxClientsPerIP > 0 && s.perIP[ip] >= s.opts.MaxClientsPerIP {
		return false
	}
	s.perIP[ip]++
	return true
}

func (s *Server) releaseIPSlot(ip string) {
	s.perIPMu.Lock()
	defer s.perIPMu.Unlock()
	if s.perIP[ip]--; s.perIP[ip] <= 0 {
		delete(s.perIP, ip) // the map holds connected IPs only
	}
}

// checkFromHeight says what is wrong with resuming new_blocks at from, or "".
// A from above the next block would join the live stream at once and send
// blocks below from; so it is refused. The next block (head+1) is fine: that
// is how a client that saw the head resumes.
func (s *Server) checkFromHeight(ctx context.Context, from int64) string {
	latest := s.hub.LatestBlock()
	if latest == 0 && s.opts.Head != nil {
		hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		h, err := s.opts.Head(hctx)
		cancel()
		if err == nil {
			latest = h
		}
	}
	switch {
	case latest == 0:
		return "" // no head known: the stream starts wherever the chain is
	case from > latest+1:
		return "from_height " + strconv.FormatInt(from, 10) + " is above the chain head " + strconv.FormatInt(latest, 10) +
			": resume with at most " + strconv.FormatInt(latest+1, 10) + " (the next block), or omit from_height to follow the head"
	case latest-from > s.opts.MaxResume:
		return "from_height " + strconv.FormatInt(from, 10) + " is more than " + strconv.FormatInt(s.opts.MaxResume, 10) +
			" blocks back; read older blocks with GET /rpc/get_block/{height}"
	}
	return ""
}

// serve runs one client: a reader (commands, pongs) and this goroutine as the only writer.
func (s *Server) serve(parent context.Context, conn *websocket.Conn, initial []clientMessage) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	c := s.hub.NewClient()
	defer s.hub.Remove(c)
	defer conn.Close()

	conn.SetReadLimit(4096)
	deadline := func() { _ = conn.SetReadDeadline(time.Now().Add(2 * s.opts.PingInterval)) }
	deadline()
	conn.SetPongHandler(func(string) error { deadline(); return nil })

	// A resuming new_blocks subscription catches up in the background; a
	// later (un)subscribe of new_blocks cancels it, so it never re-joins.
	var catchUpMu sync.Mutex
	cancelCatchUp := func() {}
	h := func(m clientMessage) {
		if m.Topic == TopicNewBlocks && (m.Action == "subscribe" || m.Action == "unsubscribe") {
			catchUpMu.Lock()
			cancelCatchUp()
			catchUp, cancel := context.WithCancel(ctx)
			cancelCatchUp = cancel
			catchUpMu.Unlock()
			s.handle(catchUp, c, m)
			return
		}
		s.handle(ctx, c, m)
	}
	for _, m := range initial {
		h(m)
	}
	go func() {
		defer cancel()
		for {
			kind, raw, err := conn.ReadMessage()
			if err != nil {
				var netErr net.Error
				if errors.As(err, &netErr) && netErr.Timeout() {
					// Nothing, not even a pong, for two ping intervals.
					s.metrics.WSPingTimeouts.Inc()
				}
				return
			}
			// gorilla does not check text frames (RFC 6455 §8.1 says the
			// connection must fail with 1007).
			if kind == websocket.TextMessage && !utf8.Valid(raw) {
				_ = conn.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(websocket.CloseInvalidFramePayloadData, "text frame is not valid UTF-8"),
					time.Now().Add(time.Second))
				return
			}
			deadline()
			var m clientMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				s.hub.Send(c, errorEnvelope(apierr.BadRequest("invalid JSON: %v", err)))
				continue
			}
			h(m)
		}
	}()

	ping := time.NewTicker(s.opts.PingInterval)
	defer ping.Stop()
	for {
		select {
		case msg := <-c.Queue:
			_ = conn.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
			if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				return
			}
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.opts.WriteTimeout)); err != nil {
				return
			}
		case <-c.Kicked():
			s.hub.Remove(c)
			_ = conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.ClosePolicyViolation, c.Reason()), time.Now().Add(time.Second))
			return
		case <-ctx.Done():
			return
		}
	}
}

func errorEnvelope(err *apierr.Error) Envelope {
	return Envelope{Type: "error", Error: err}
}

// handle runs one client command. Acks go through the client's queue, so
// they arrive before the first event of the topic.
func (s *Server) handle(ctx context.Context, c *Client, m clientMessage) {
	switch m.Action {
	case "ping":
		s.hub.Send(c, Envelope{Type: "pong"})
	case "subscribe", "unsubscribe":
		if !ValidTopic(m.Topic) {
			s.hub.Send(c, errorEnvelope(apierr.BadRequest("unknown topic %q: want one of %s", m.Topic, strings.Join(Topics, ", "))))
			return
		}
		s.hub.Unsubscribe(c, m.Topic)
		if m.Action == "unsubscribe" {
			s.hub.Send(c, Envelope{Type: "unsubscribed", Topic: m.Topic})
			return
		}
		if m.FromHeight < 0 || (m.FromHeight > 0 && m.Topic != TopicNewBlocks) {
			s.hub.Send(c, errorEnvelope(apierr.BadRequest("from_height must be a positive height and only applies to new_blocks")))
			return
		}
		if m.FromHeight > 0 {
			if msg := s.checkFromHeight(ctx, m.FromHeight); msg != "" {
				s.hub.Send(c, errorEnvelope(apierr.BadRequest("%s", msg)))
				return
			}
			s.hub.Send(c, Envelope{Type: "subscribed", Topic: m.Topic, Height: m.FromHeight})
			// Catching up may wait for the client to drain; do not block its reader.
			go func() {
				if err := s.hub.SubscribeBlocksFrom(ctx, c, m.FromHeight, s.fetch); err != nil && ctx.Err() == nil {
					// The node's error as REST words it: status and message
					// from FromUpstream, so no source paths or RPC wrapping.
					up := apierr.FromUpstream(err)
					s.hub.Send(c, errorEnvelope(apierr.New(up.Status, "resuming new_blocks: %s", up.Message)))
				}
			}()
			return
		}
		s.hub.Send(c, Envelope{Type: "subscribed", Topic: m.Topic})
		s.hub.Subscribe(c, m.Topic)
	default:
		s.hub.Send(c, errorEnvelope(apierr.BadRequest("unknown action %q: want subscribe, unsubscribe or ping", m.Action)))
	}
}
