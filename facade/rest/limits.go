package rest

import (
	"net/http"
	"time"

	"github.com/aitbc/chain/facade/apierr"
	"github.com/aitbc/chain/facade/httpguard"
	"github.com/aitbc/chain/facade/metrics"
)

// rateLimit answers 429 (with Retry-After and Connection: close, see
// apierr.Write) to a client IP beyond its token bucket, and counts it.
func rateLimit(l *httpguard.RateLimiter, m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !l.Allow(httpguard.ClientIP(r), time.Now()) {
			m.HTTPRefused.WithLabelValues(metrics.RefusedRateLimit).Inc()
			e := apierr.New(http.StatusTooManyRequests,
				"rate limit exceeded: at most %g requests per second (burst %d) per client", l.Rate(), l.Burst())
			e.RetryAfter = l.RetryAfter()
			apierr.Write(w, e)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitHeaders answers 431 in JSON beyond limit bytes of headers, and counts it.
func limitHeaders(limit int, m *metrics.Metrics, next http.Handler) http.Handler {
	counted := httpguard.LimitHeaders(limit, next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if httpguard.HeaderBytes(r) > limit {
			m.HTTPRefused.WithLabelValues(metrics.RefusedHeaders).Inc()
		}
		counted.ServeHTTP(w, r)
	})
}
