package netguard

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Limits of the plan, named so that operators can find them in the docs.
const (
	// DefaultMaxConnsPerIP is each public listener's cap per client IP.
	DefaultMaxConnsPerIP = 128
	// MaxConnsCeiling bounds a derived cap: past it a listener's goroutines
	// and buffers, not file descriptors, become the scarce resource.
	MaxConnsCeiling = 10_000
	// MinConns is the smallest derived cap a listener is still useful with;
	// below it the node refuses to start and asks for a higher file limit.
	MinConns = 32
	// BaseReserve is kept for what every node opens besides its listeners
	// and databases: the WAL, the signing state's atomic rewrite, config and
	// key files, the genesis, log files, DNS and outgoing RPC sockets.
	BaseReserve = 256
	// MaxFilesPerDB bounds the estimate of one database's open files (the
	// table cache of pebble and goleveldb holds at most this many).
	MaxFilesPerDB = 1000
)

// RaiseFileLimit raises the soft RLIMIT_NOFILE to the hard limit and returns
// the soft limit in force afterwards.
func RaiseFileLimit() (soft, hard uint64, err error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, 0, fmt.Errorf("reading RLIMIT_NOFILE: %w", err)
	}
	if rl.Cur < rl.Max {
		raised := rl
		raised.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
			rl = raised
		}
	}
	fileLimit.Set(float64(rl.Cur))
	return rl.Cur, rl.Max, nil
}

// Service is one public listener in a plan.
type Service struct {
	Name string // label: facade_rest, cometbft_rpc, …
	Key  string // the setting that holds its address, for messages
	Addr string
	// FDsPerConn is what one client connection costs the process: 1 for a
	// listener the node serves itself, 3 for a fronted one (the client's
	// socket, the proxy's dial and the service's accepted end).
	FDsPerConn int
	// MaxConns, when above 0, is the operator's cap; 0 derives it.
	MaxConns int
}

// Reserve is what the plan keeps for consensus.
type Reserve struct {
	Peers     int // P2P peers the node may hold (inbound + outbound + persistent)
	Databases int // estimated open files of the node's databases
}

// Total is the whole reserve, BaseReserve included.
func (r Reserve) Total() int { return BaseReserve + r.Peers + r.Databases }

// Budget is a checked allocation of the file limit.
type Budget struct {
	FileLimit int
	Reserve   Reserve
	PerIP     int
	Services  []Service // MaxConns filled in
	// IdleTimeout closes keep-alive connections that stay quiet this long.
	IdleTimeout time.Duration
}

// DefaultIdleTimeout is how long a public connection may stay quiet: long
// enough for a client between two requests, short enough that idle holders
// give their slots back (CometBFT RPC and Cosmos REST close theirs at 10 s).
const DefaultIdleTimeout = 30 * time.Second

// Plan shares fileLimit between the services after the reserve. A service
// without a cap of its own gets an equal number of connections (bounded by
// MaxConnsCeiling); a plan whose caps could exceed the limit is an error that
// names the settings to change.
func Plan(fileLimit int, reserve Reserve, perIP int, services []Service) (Budget, error) {
	if perIP <= 0 {
		perIP = DefaultMaxConnsPerIP
	}
	b := Budget{FileLimit: fileLimit, Reserve: reserve, PerIP: perIP, Services: append([]Service(nil), services...), IdleTimeout: DefaultIdleTimeout}
	left := fileLimit - reserve.Total()
	derivedCost := 0
	for _, s := range b.Services {
		if s.FDsPerConn < 1 {
			return Budget{}, fmt.Errorf("%s: a connection costs at least one file descriptor", s.Name)
		}
		if s.MaxConns > 0 {
			left -= s.MaxConns * s.FDsPerConn
		} else {
			derivedCost += s.FDsPerConn
		}
	}
	if derivedCost > 0 {
		// A quarter of what is left stays unplanned: sockets the node dials
		// itself, connections the fronted services take beyond the fronts'
		// caps, and databases that grow between two starts.
		share := 0
		if left > 0 {
			share = min(left*3/4/derivedCost, MaxConnsCeiling)
		}
		if share < MinConns {
			return Budget{}, fmt.Errorf("the file limit (RLIMIT_NOFILE %d) leaves %d file descriptors after the consensus reserve of %d "+
				"(%d base, %d peers, %d databases): too few for %d connections on each public listener; raise the hard limit "+
				"(ulimit -Hn, systemd LimitNOFILE=, podman --ulimit nofile=) or set guard.max-connections",
				fileLimit, max(left, 0), reserve.Total(), BaseReserve, reserve.Peers, reserve.Databases, MinConns)
		}
		for i := range b.Services {
			if b.Services[i].MaxConns == 0 {
				b.Services[i].MaxConns = share
			}
		}
	}
	if used := b.Used(); used > fileLimit {
		var keys []string
		for _, s := range b.Services {
			keys = append(keys, fmt.Sprintf("%s %d×%d", s.Name, s.MaxConns, s.FDsPerConn))
		}
		return Budget{}, fmt.Errorf("connection caps (%s) plus the consensus reserve of %d need %d file descriptors, above the "+
			"file limit of %d: lower guard.max-connections or raise the hard limit (ulimit -Hn, systemd LimitNOFILE=)",
			strings.Join(keys, ", "), reserve.Total(), used, fileLimit)
	}
	return b, nil
}

// Used is the file descriptors the budget can take at most.
func (b Budget) Used() int {
	n := b.Reserve.Total()
	for _, s := range b.Services {
		n += s.MaxConns * s.FDsPerConn
	}
	return n
}

// Limits are the caps of the named service; ok is false when the budget has
// no such service.
func (b Budget) Limits(name string) (l Limits, ok bool) {
	for _, s := range b.Services {
		if s.Name == name {
			return Limits{MaxConns: s.MaxConns, MaxConnsPerIP: min(b.PerIP, s.MaxConns)}, true
		}
	}
	return Limits{}, false
}

// String is the budget as the start-up log line gives it.
func (b Budget) String() string {
	parts := []string{fmt.Sprintf("file limit %d, reserve %d (base %d, peers %d, databases %d), per IP %d",
		b.FileLimit, b.Reserve.Total(), BaseReserve, b.Reserve.Peers, b.Reserve.Databases, b.PerIP)}
	for _, s := range b.Services {
		parts = append(parts, fmt.Sprintf("%s %d", s.Name, s.MaxConns))
	}
	return strings.Join(parts, "; ")
}

// DatabaseFiles estimates the open files of the databases under dataDir: each
// database directory may open twice the files it holds now plus 64 (room to
// grow until the next start, when the estimate is made again), at most
// MaxFilesPerDB. Loose files (SQLite, the WAL's directory) count as one each.
func DatabaseFiles(dataDir string) int {
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		return 0
	}
	total := 0
	for _, e := range entries {
		if !e.IsDir() {
			total++
			continue
		}
		n := 0
		_ = filepath.WalkDir(filepath.Join(dataDir, e.Name()), func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
		total += min(2*n+64, MaxFilesPerDB)
	}
	return total
}
