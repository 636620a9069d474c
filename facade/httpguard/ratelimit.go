// Package httpguard holds the request guards the facade's REST and WebSocket
// servers share: a per-IP token bucket, strict query parsing, a header-size
// limit and JSON redirects. Each answers refusals in apierr's JSON shape.
package httpguard

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimiter is a token bucket per client IP. It keys on the TCP peer, not
// on X-Forwarded-For, which any client can forge.
type RateLimiter struct {
	rps   rate.Limit
	burst int

	mu      sync.Mutex
	clients map[string]*bucket
	swept   time.Time
}

type bucket struct {
	limiter *rate.Limiter
	seen    time.Time
}

// NewRateLimiter allows rps requests per second per client, with bursts of burst.
func NewRateLimiter(rps float64, burst int) *RateLimiter {
	if burst < 1 {
		burst = 1
	}
	return &RateLimiter{rps: rate.Limit(rps), burst: burst, clients: map[string]*bucket{}}
}

// Rate is the allowed requests per second per client.
func (l *RateLimiter) Rate() float64 { return float64(l.rps) }

// Burst is how many requests a client may make at once.
func (l *RateLimiter) Burst() int { return l.burst }

// RetryAfter is the whole seconds (at least 1) until a refused client has a token again.
func (l *RateLimiter) RetryAfter() int { return max(1, int(1/float64(l.rps))) }

// Allow takes a token for the client; idle clients are forgotten so the map
// cannot grow without bound.
func (l *RateLimiter) Allow(client string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.swept.IsZero() {
		l.swept = now
	}
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.clients {
			if now.Sub(b.seen) > 3*time.Minute {
				delete(l.clients, k)
			}
		}
		l.swept = now
	}
	b, ok := l.clients[client]
	if !ok {
		b = &bucket{limiter: rate.NewLimiter(l.rps, l.burst)}
		l.clients[client] = b
	}
	b.seen = now
	return b.limiter.AllowN(now, 1)
}

// Clients is how many clients the limiter remembers.
func (l *RateLimiter) Clients() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// ClientIP is the request's TCP peer address without the port.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
