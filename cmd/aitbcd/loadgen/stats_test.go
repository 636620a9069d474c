package loadgen

import (
	"os"
	"testing"
	"time"
)

// fakeClock advances only when the code under test sleeps.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time                   { return c.t }
func (c *fakeClock) sleep(d time.Duration)            { c.t = c.t.Add(d) }
func (c *fakeClock) spend(d time.Duration)            { c.t = c.t.Add(d) }
func (c *fakeClock) since(t0 time.Time) time.Duration { return c.t.Sub(t0) }

func TestDispatchPacesAtTheRate(t *testing.T) {
	start := time.Unix(1000, 0)
	clock := &fakeClock{t: start}
	var at []time.Duration
	n := dispatch(10, pacer{start: start, rate: 4}, time.Time{}, clock.now, clock.sleep, func(int) {
		at = append(at, clock.since(start))
	})
	if n != 10 {
		t.Fatalf("dispatched %d, want 10", n)
	}
	for i, d := range at {
		if want := time.Duration(i) * 250 * time.Millisecond; d != want {
			t.Errorf("transaction %d sent at %v, want %v", i, d, want)
		}
	}
}

func TestDispatchStopsAtTheDeadline(t *testing.T) {
	start := time.Unix(1000, 0)
	clock := &fakeClock{t: start}
	n := dispatch(1000, pacer{start: start, rate: 10}, start.Add(2*time.Second), clock.now, clock.sleep, func(int) {})
	if n != 20 {
		t.Fatalf("dispatched %d in 2s at 10/s, want 20", n)
	}
}

func TestDispatchDoesNotBurstAfterAStallAndStopsWhenLate(t *testing.T) {
	// A send that blocks for 1s (the connection is busy) pushes the clock past
	// the due times of the next transactions: those go out at once, without
	// sleeping, and dispatch stops as soon as the deadline has passed.
	start := time.Unix(1000, 0)
	clock := &fakeClock{t: start}
	slept := time.Duration(0)
	sleep := func(d time.Duration) { slept += d; clock.sleep(d) }
	var sent []int
	n := dispatch(1000, pacer{start: start, rate: 10}, start.Add(1500*time.Millisecond), clock.now, sleep, func(i int) {
		sent = append(sent, i)
		if i == 2 {
			clock.spend(time.Second) // stalls until 1.2s
		}
	})
	// 0,1,2 at 0,0.1,0.2s; then 3..12 are all overdue at 1.2s and go out at
	// once; 13 and 14 are due at 1.3 and 1.4s; 15 is due at the deadline.
	if n != 15 || len(sent) != 15 {
		t.Fatalf("dispatched %d (%v), want 15", n, sent)
	}
	if slept != 400*time.Millisecond {
		t.Fatalf("slept %v, want 400ms (0.2s before the stall, 0.2s after it)", slept)
	}
}

func TestPercentile(t *testing.T) {
	var v []time.Duration
	for i := 1; i <= 100; i++ {
		v = append(v, time.Duration(i)*time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 90: 90 * time.Millisecond,
		99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 0.1: time.Millisecond} {
		if got := percentile(v, q); got != want {
			t.Errorf("p%v = %v, want %v", q, got, want)
		}
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("p99 of one value = %v", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
}

func TestLatencyStatsSortsItsInput(t *testing.T) {
	in := []time.Duration{900 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond, 300 * time.Millisecond}
	s := latencyStats(in)
	if s.P50 != 300 || s.Max != 900 || s.P90 != 900 || s.Mean != 450 {
		t.Fatalf("stats %+v", s)
	}
	if in[0] != 900*time.Millisecond {
		t.Fatal("latencyStats reordered its caller's slice")
	}
}

func TestParseProc(t *testing.T) {
	stat := []byte("4242 (aitbcd (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 731 169 0 0 20 0 12 0 100 0 0\n")
	ticks, err := parseStatTicks(stat)
	if err != nil || ticks != 900 {
		t.Fatalf("ticks = %d, %v; want 731+169", ticks, err)
	}
	if _, err := parseStatTicks([]byte("4242 aitbcd S 1")); err == nil {
		t.Fatal("a stat line without a command name was accepted")
	}
	rss, err := parseStatusRSS([]byte("Name:\taitbcd\nVmPeak:\t  900 kB\nVmRSS:\t  2048 kB\nThreads: 12\n"))
	if err != nil || rss != 2048*1024 {
		t.Fatalf("rss = %d, %v", rss, err)
	}
	if _, err := parseStatusRSS([]byte("Name:\tkthread\n")); err == nil {
		t.Fatal("a status without VmRSS was accepted")
	}
}

func TestReadProcOfThisProcess(t *testing.T) {
	s, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.rssBytes == 0 {
		t.Fatal("this process has no resident memory")
	}
}

func TestBlockStats(t *testing.T) {
	t0 := time.Unix(2000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	blocks := []blockSeen{
		{height: 10, time: at(0), txs: 0},
		{height: 11, time: at(200), txs: 5, load: make([]loadPos, 5)},
		{height: 12, time: at(500), txs: 8, load: make([]loadPos, 7)},
		{height: 13, time: at(700), txs: 0},
		{height: 14, time: at(900), txs: 3, load: make([]loadPos, 3)},
		{height: 15, time: at(1100), txs: 1}, // after the load: not counted
	}
	rounds := map[int64]int32{11: 0, 12: 2, 13: 0, 14: 0}
	bs := blockStats(blocks, rounds)
	if bs.Count != 4 || bs.FirstHeight != 11 || bs.LastHeight != 14 {
		t.Fatalf("span %+v", bs)
	}
	if bs.IntervalMeanMs != 225 || bs.IntervalMaxMs != 300 || bs.IntervalP50Ms != 200 {
		t.Fatalf("intervals %+v", bs)
	}
	if bs.TxsPerBlockMax != 8 || bs.TxsPerBlockMean != 4 {
		t.Fatalf("txs per block %+v", bs)
	}
	if bs.RoundsMax != 3 || bs.RoundsMean != 1.5 || bs.HeightsMultiRnds != 1 {
		t.Fatalf("rounds %+v", bs)
	}
	if bs.SpanSeconds != 0.7 || bs.OursAfterFirst != 10 {
		t.Fatalf("span %v s with %d load txs after the first block, want 0.7 s and 10", bs.SpanSeconds, bs.OursAfterFirst)
	}
	if got := blockStats(blocks[:1], rounds); got.Count != 0 {
		t.Fatalf("blocks without load transactions gave %+v", got)
	}
}
