package cors

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestAllowed(t *testing.T) {
	list := []string{"https://explorer.example.org/", "http://localhost:3000"}
	for origin, want := range map[string]bool{
		"":                              true, // not a browser
		"https://explorer.example.org":  true,
		"HTTPS://Explorer.Example.org/": true,
		"http://localhost:3000":         true,
		"http://localhost:3001":         false,
		"https://evil.example":          false,
	} {
		if got := Allowed(list, origin); got != want {
			t.Errorf("Allowed(%q) = %v, want %v", origin, got, want)
		}
	}
	if !Allowed([]string{"*"}, "https://any.example") {
		t.Error("* must allow any origin")
	}
	if Allowed(nil, "https://any.example") {
		t.Error("an empty list must allow no browser origin")
	}
}

func TestMiddleware(t *testing.T) {
	h := Middleware([]string{"https://ok.example"}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	req := httptest.NewRequest(http.MethodOptions, "/rpc/get_head", nil)
	req.Header.Set("Origin", "https://ok.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "https://ok.example" {
		t.Fatalf("preflight: %d %v", rec.Code, rec.Header())
	}
	req = httptest.NewRequest(http.MethodGet, "/rpc/get_head", nil)
	req.Header.Set("Origin", "https://evil.example")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusTeapot || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("disallowed origin got CORS headers: %d %v", rec.Code, rec.Header())
	}
}
