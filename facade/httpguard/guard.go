package httpguard

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/aitbc/chain/facade/apierr"
)

// Query parses the query string strictly. r.URL.Query() silently drops a
// pair with a malformed %-escape (?limit=%zz), so a typo became the default;
// here it is a 400 naming the parameter.
func Query(r *http.Request) (url.Values, error) {
	out := url.Values{}
	raw := r.URL.RawQuery
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			return nil, apierr.BadRequest("query %q: ';' does not separate parameters, '&' does", clip(pair))
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, apierr.BadRequest("query parameter name %q: %v; write a literal %% as %%25", clip(k), err)
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, apierr.BadRequest("query parameter %s=%q: %v; write a literal %% as %%25", clip(key), clip(v), err)
		}
		out.Add(key, val)
	}
	return out, nil
}

// MaxHeaderBytes is the largest request line plus headers the facade
// accepts. net/http answers its own limit (http.Server.MaxHeaderBytes, 1 MiB
// by default) in plain text before any handler runs; this lower limit, checked
// in a handler, answers 431 in JSON. 32 KiB is four times nginx's default
// header buffer, far above what API clients and browsers send.
const MaxHeaderBytes = 32 << 10

// HeaderBytes estimates the request's size on the wire up to the body: the
// request line and every header line, Host included.
func HeaderBytes(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	n += len("Host: ") + len(r.Host) + 2
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n + 2
}

// LimitHeaders answers 431 in JSON when the request's headers exceed limit bytes.
func LimitHeaders(limit int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := HeaderBytes(r); n > limit {
			apierr.Write(w, apierr.New(http.StatusRequestHeaderFieldsTooLarge,
				"request line and headers of %d bytes exceed the limit of %d", n, limit))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// JSONRedirects turns the redirects next writes into JSON bodies. ServeMux
// answers a path that is not clean (//rpc/../rpc/get_head) with a 301 to the
// cleaned path and an HTML body; the status and Location stay, the body
// becomes the facade's error shape.
func JSONRedirects(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&redirectWriter{ResponseWriter: w}, r)
	})
}

type redirectWriter struct {
	http.ResponseWriter
	done bool // a JSON redirect was written: drop next's own body
}

func (w *redirectWriter) WriteHeader(code int) {
	loc := w.Header().Get("Location")
	if w.done || code < 300 || code > 399 || loc == "" {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.done = true
	apierr.Write(w.ResponseWriter, apierr.New(code, "the canonical path is %s: request that instead", clip(loc)))
}

func (w *redirectWriter) Write(b []byte) (int, error) {
	if w.done {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
