package rest

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/aitbc/chain/facade/apierr"
)

// rateLimiter is a token bucket per client IP. It keys on the TCP peer, not
// on X-Forwarded-For, which any client can forge.
type rateLimiter struct {
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

func newRateLimiter(rps float64, burst int) *rateLimiter {
	if burst < 1 {
		burst = 1
	}
	return &rateLimiter{rps: rate.Limit(rps), burst: burst, clients: map[string]*bucket{}}
}

// allow takes a token for the client; idle clients are forgotten so the map
// cannot grow without bound.
func (l *rateLimiter) allow(client string, now time.Time) bool {
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

func (l *rateLimiter) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if !l.allow(host, time.Now()) {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(1/float64(l.rps)))))
			apierr.Write(w, apierr.New(http.StatusTooManyRequests,
				"rate limit exceeded: at most %g requests per second (burst %d) per client", float64(l.rps), l.burst))
			return
		}
		next.ServeHTTP(w, r)
	})
}
