// Package cors decides which browser origins may call the facade. REST and
// WebSocket share one allow-list so a page that can read blocks can also
// stream them.
package cors

import (
	"net/http"
	"strings"
)

// Allowed reports whether a request from origin may be answered. An empty
// origin is not a browser request and always passes; "*" in the list allows
// every origin. Comparison ignores case and a trailing slash.
func Allowed(list []string, origin string) bool {
	if origin == "" {
		return true
	}
	o := normalize(origin)
	for _, a := range list {
		if a == "*" || normalize(a) == o {
			return true
		}
	}
	return false
}

func normalize(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "/")
}

// Middleware answers preflight requests and adds the CORS headers for
// allowed origins. Disallowed origins get no CORS headers, so browsers block
// the response; non-browser clients are unaffected.
func Middleware(list []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && len(list) > 0 && Allowed(list, origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Content-Type")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
