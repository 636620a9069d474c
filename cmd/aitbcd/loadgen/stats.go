package loadgen

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pacer spaces transaction i at start + i/rate.
type pacer struct {
	start time.Time
	rate  float64
}

func (p pacer) due(i int) time.Time {
	return p.start.Add(time.Duration(float64(i) / p.rate * float64(time.Second)))
}

// dispatch hands transactions 0..n-1 to send at their due times, sleeping
// until each is due, and stops at the deadline (for a transaction due at or
// after it, or once the clock has passed it); it returns how many it handed
// over. A send that blocks (its connection is busy) delays the rest:
// the offered rate is what the node accepts, never more than the target.
func dispatch(n int, p pacer, deadline time.Time, now func() time.Time, sleep func(time.Duration), send func(i int)) int {
	for i := 0; i < n; i++ {
		due := p.due(i)
		if !deadline.IsZero() && (!due.Before(deadline) || !now().Before(deadline)) {
			return i
		}
		if wait := due.Sub(now()); wait > 0 {
			sleep(wait)
		}
		send(i)
	}
	return n
}

// percentile is the nearest-rank percentile q (0 < q ≤ 100) of sorted values.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// LatencyStats summarise submit→commit latencies in milliseconds.
type LatencyStats struct {
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

func latencyStats(values []time.Duration) LatencyStats {
	if len(values) == 0 {
		return LatencyStats{}
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	var sum time.Duration
	for _, v := range sorted {
		sum += v
	}
	return LatencyStats{
		P50: ms(percentile(sorted, 50)), P90: ms(percentile(sorted, 90)), P99: ms(percentile(sorted, 99)),
		Max: ms(sorted[len(sorted)-1]), Mean: ms(sum / time.Duration(len(sorted))),
	}
}

// procSample is what /proc says of one process at one moment.
type procSample struct {
	cpuTicks uint64 // utime + stime, in clock ticks
	rssBytes uint64
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// readProc reads /proc/<pid>/stat and /proc/<pid>/status.
func readProc(pid int) (procSample, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procSample{}, err
	}
	ticks, err := parseStatTicks(stat)
	if err != nil {
		return procSample{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procSample{}, err
	}
	rss, err := parseStatusRSS(status)
	if err != nil {
		return procSample{}, fmt.Errorf("/proc/%d/status: %w", pid, err)
	}
	return procSample{cpuTicks: ticks, rssBytes: rss}, nil
}

// parseStatTicks returns utime+stime (fields 14 and 15) of a /proc/pid/stat
// line; the command name in parentheses may itself hold spaces.
func parseStatTicks(stat []byte) (uint64, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("no command name in %q", stat)
	}
	fields := strings.Fields(string(stat[end+1:]))
	// fields[0] is field 3 (state); utime is field 14, stime 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("short stat line %q", stat)
	}
	utime, err := strconv.ParseUint(fields[11], 10, 64)
	if err != nil {
		return 0, err
	}
	stime, err := strconv.ParseUint(fields[12], 10, 64)
	if err != nil {
		return 0, err
	}
	return utime + stime, nil
}

// parseStatusRSS returns VmRSS of a /proc/pid/status file in bytes.
func parseStatusRSS(status []byte) (uint64, error) {
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("unexpected VmRSS line %q", line)
			}
			kb, err := strconv.ParseUint(f[0], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS line")
}

// ProcStats are one node process's resource use during the run.
type ProcStats struct {
	PID        int     `json:"pid"`
	CPUPercent float64 `json:"cpu_percent"` // of one core, averaged over the run
	PeakRSSMiB float64 `json:"peak_rss_mib"`
}

// BlockStats describe the blocks committed during the run.
type BlockStats struct {
	Count            int     `json:"count"`
	FirstHeight      int64   `json:"first_height"`
	LastHeight       int64   `json:"last_height"`
	IntervalMeanMs   float64 `json:"interval_mean_ms"`
	IntervalP50Ms    float64 `json:"interval_p50_ms"`
	IntervalMaxMs    float64 `json:"interval_max_ms"`
	TxsPerBlockMean  float64 `json:"txs_per_block_mean"`
	TxsPerBlockMax   int     `json:"txs_per_block_max"`
	RoundsMean       float64 `json:"rounds_per_height_mean"` // 1 = committed in its first round
	RoundsMax        int32   `json:"rounds_per_height_max"`
	HeightsMultiRnds int     `json:"heights_with_more_than_one_round"`
	// SpanSeconds is the block time from the first block holding load
	// transactions to the last; OursAfterFirst the load committed after the
	// first. Their ratio is the committed TPS.
	SpanSeconds    float64 `json:"span_seconds"`
	OursAfterFirst int     `json:"load_txs_after_first_block"`
}

// Report is the outcome of a run.
type Report struct {
	Kind         string       `json:"kind"`
	Accounts     int          `json:"accounts"`
	Connections  int          `json:"connections"`
	TargetRate   float64      `json:"target_rate"`
	Planned      int          `json:"planned"`
	Sent         int          `json:"sent"`
	Accepted     int          `json:"accepted"` // CheckTx code 0
	Rejected     int          `json:"rejected"` // CheckTx refused or RPC error
	MempoolFull  int          `json:"mempool_full_retries"`
	Committed    int          `json:"committed"`       // in a block with code 0
	FailedInBlk  int          `json:"failed_in_block"` // in a block with a non-zero code
	Uncommitted  int          `json:"uncommitted"`     // accepted but not seen in a block before the drain timeout
	SendSeconds  float64      `json:"send_seconds"`
	OfferedTPS   float64      `json:"offered_tps"`    // accepted / send window
	CommittedTPS float64      `json:"committed_tps"`  // committed / block span of the blocks holding them
	EndToEndTPS  float64      `json:"end_to_end_tps"` // committed / (first send → last commit)
	Latency      LatencyStats `json:"latency"`
	Blocks       BlockStats   `json:"blocks"`
	MempoolPeak  int64        `json:"mempool_peak"`
	Nodes        []ProcStats  `json:"nodes,omitempty"`
	Generator    *ProcStats   `json:"load_generator,omitempty"` // this process
	LiveResults  bool         `json:"live_results"`             // block results read during the run (else after it)
	FirstErrors  []string     `json:"first_errors,omitempty"`
}

// AllCommitted reports whether every sent transaction was committed successfully.
func (r *Report) AllCommitted() bool {
	return r.Sent > 0 && r.Committed == r.Sent
}

// String is the human-readable report.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "load: %s, %d accounts, %d connections, target %.0f tx/s\n", r.Kind, r.Accounts, r.Connections, r.TargetRate)
	fmt.Fprintf(&b, "  sent %d of %d planned in %.1fs: accepted %d, rejected %d (mempool-full retries %d)\n",
		r.Sent, r.Planned, r.SendSeconds, r.Accepted, r.Rejected, r.MempoolFull)
	fmt.Fprintf(&b, "  committed %d, failed in block %d, not committed %d\n", r.Committed, r.FailedInBlk, r.Uncommitted)
	fmt.Fprintf(&b, "  offered %.1f tx/s, committed %.1f tx/s over %.1fs of blocks (%.1f tx/s from first send to last commit)\n",
		r.OfferedTPS, r.CommittedTPS, r.Blocks.SpanSeconds, r.EndToEndTPS)
	l := r.Latency
	fmt.Fprintf(&b, "  submit→commit ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  mean %.1f\n", l.P50, l.P90, l.P99, l.Max, l.Mean)
	bl := r.Blocks
	fmt.Fprintf(&b, "  blocks %d (heights %d–%d): interval ms mean %.1f p50 %.1f max %.1f; txs/block mean %.1f max %d\n",
		bl.Count, bl.FirstHeight, bl.LastHeight, bl.IntervalMeanMs, bl.IntervalP50Ms, bl.IntervalMaxMs, bl.TxsPerBlockMean, bl.TxsPerBlockMax)
	fmt.Fprintf(&b, "  rounds per height: mean %.2f max %d (%d heights needed more than one)\n", bl.RoundsMean, bl.RoundsMax, bl.HeightsMultiRnds)
	fmt.Fprintf(&b, "  mempool peak %d txs\n", r.MempoolPeak)
	for _, n := range r.Nodes {
		fmt.Fprintf(&b, "  node pid %d: CPU %.0f%% of a core, peak RSS %.0f MiB\n", n.PID, n.CPUPercent, n.PeakRSSMiB)
	}
	if g := r.Generator; g != nil {
		fmt.Fprintf(&b, "  load generator: CPU %.0f%% of a core, peak RSS %.0f MiB\n", g.CPUPercent, g.PeakRSSMiB)
	}
	for _, e := range r.FirstErrors {
		fmt.Fprintf(&b, "  error: %s\n", e)
	}
	return b.String()
}
