package httpguard

import (
	"testing"
	"time"
)

func TestRateLimiterPerClient(t *testing.T) {
	l := NewRateLimiter(1, 3)
	now := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if !l.Allow("10.0.0.1", now) {
			t.Fatalf("request %d within the burst was refused", i+1)
		}
	}
	if l.Allow("10.0.0.1", now) {
		t.Fatal("a request beyond the burst was allowed")
	}
	if !l.Allow("10.0.0.2", now) {
		t.Fatal("another client was limited by the first one's traffic")
	}
	if !l.Allow("10.0.0.1", now.Add(1100*time.Millisecond)) {
		t.Fatal("the bucket did not refill after a second")
	}
	// Idle clients are forgotten.
	l.Allow("10.0.0.3", now.Add(10*time.Minute))
	if n := l.Clients(); n != 1 {
		t.Fatalf("%d clients remembered after everyone else went idle, want 1", n)
	}
}
