// Package netguard keeps the node's public listeners from spending the file
// descriptors, memory and goroutines that consensus needs. Every listener a
// client can reach gets a total connection cap and a cap per client IP; a
// connection beyond either is refused at once (accepted and closed), so a
// flood costs the flooder a TCP handshake and the node one short-lived file
// descriptor. Listeners served by CometBFT and the SDK (CometBFT RPC, Cosmos
// REST, gRPC) cannot be handed a listener, so the node moves them to loopback
// and fronts their public address with a guarded TCP proxy (Front).
//
// The caps come from the process's file limit (Plan): the soft RLIMIT_NOFILE
// is raised to the hard one, a reserve is kept for consensus (databases, WAL,
// peers, the signing state), and what is left is shared by the listeners.
package netguard

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Limits bound one listener.
type Limits struct {
	// MaxConns is the most connections open at once; 0 means no cap.
	MaxConns int
	// MaxConnsPerIP is the most connections open at once from one client
	// IP address; 0 means no cap.
	MaxConnsPerIP int
	// Refusal, when set, is written (best effort, never blocking) to a
	// connection before it is closed for being over a cap: an HTTP
	// listener uses it to answer 503 with a JSON body instead of a reset.
	Refusal []byte
}

// Validate names the first bound that cannot work.
func (l Limits) Validate() error {
	switch {
	case l.MaxConns < 0:
		return errors.New("max connections must be 0 (no cap) or above")
	case l.MaxConnsPerIP < 0:
		return errors.New("max connections per IP must be 0 (no cap) or above")
	case l.MaxConns > 0 && l.MaxConnsPerIP > l.MaxConns:
		return fmt.Errorf("max connections per IP (%d) is above max connections (%d)", l.MaxConnsPerIP, l.MaxConns)
	}
	return nil
}

// Refusal reasons, as the metrics label them.
const (
	ReasonTotal = "total_cap"
	ReasonPerIP = "per_ip_cap"
)

// Listener admits connections within its Limits and counts them.
type Listener struct {
	net.Listener
	name   string
	limits Limits

	mu    sync.Mutex
	open  int
	perIP map[string]int
}

// Listen listens on a TCP address and guards it. name labels the metrics and
// log lines ("facade_rest", "cometbft_rpc", …).
func Listen(name, addr string, limits Limits) (*Listener, error) {
	if err := limits.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return Wrap(name, l, limits), nil
}

// Wrap guards a listener that is already open.
func Wrap(name string, l net.Listener, limits Limits) *Listener {
	return &Listener{Listener: l, name: name, limits: limits, perIP: map[string]int{}}
}

// Name is the listener's label.
func (l *Listener) Name() string { return l.name }

// Open is the number of admitted connections not yet closed.
func (l *Listener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// Accept returns the next connection within the caps. Connections over a cap
// are refused here, in the accept loop, and never reach the server.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := clientIP(c.RemoteAddr())
		if reason := l.admit(ip); reason != "" {
			refusedTotal.WithLabelValues(l.name, reason).Inc()
			l.refuse(c)
			continue
		}
		acceptedTotal.WithLabelValues(l.name).Inc()
		openConns.WithLabelValues(l.name).Inc()
		return &conn{Conn: c, release: func() { l.release(ip) }}, nil
	}
}

func (l *Listener) admit(ip string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limits.MaxConns > 0 && l.open >= l.limits.MaxConns {
		return ReasonTotal
	}
	if l.limits.MaxConnsPerIP > 0 && l.perIP[ip] >= l.limits.MaxConnsPerIP {
		return ReasonPerIP
	}
	l.open++
	l.perIP[ip]++
	return ""
}

func (l *Listener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip) // the map holds only IPs with open connections
	}
	openConns.WithLabelValues(l.name).Dec()
}

// refuse closes a connection over a cap. The refusal message goes into an
// empty socket buffer, so the write does not wait on the client; the
// deadline makes sure of it.
func (l *Listener) refuse(c net.Conn) {
	if len(l.limits.Refusal) > 0 {
		_ = c.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
		_, _ = c.Write(l.limits.Refusal)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite() // FIN after the refusal, so the client can read it
	}
	_ = c.Close()
}

// clientIP is the peer's IP address (the TCP peer, never a forwarded header,
// which any client can forge).
func clientIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// conn gives its slot back exactly once, however often it is closed.
type conn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// CloseWrite half-closes the connection when the underlying one can.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// HTTPRefusal is the answer an HTTP listener gives a connection over a cap: a
// complete 503 with a JSON body in the facade's error shape.
func HTTPRefusal(name string) []byte {
	body := fmt.Sprintf(`{"error":{"code":503,"message":"too many connections to %s: the node's connection cap for this listener or for your IP address is reached; retry later"}}`, name)
	return []byte(fmt.Sprintf("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
}
