package facade

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"golang.org/x/sync/errgroup"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/client"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"

	"github.com/aitbc/chain/facade/feed"
	"github.com/aitbc/chain/facade/metrics"
	"github.com/aitbc/chain/facade/node"
	"github.com/aitbc/chain/facade/rest"
	"github.com/aitbc/chain/facade/ws"
	"github.com/aitbc/chain/netguard"
)

// Node says which node the facade fronts and how to read its transactions.
type Node struct {
	CometRPC string // tcp://127.0.0.1:26657
	// Local is the node's in-process CometBFT client (aitbcd start); when set
	// it is used instead of CometRPC.
	Local             rpcclient.Client
	GRPC              string // 127.0.0.1:9091
	TxConfig          client.TxConfig
	InterfaceRegistry codectypes.InterfaceRegistry
	AccountPrefix     string
	// History is the SQL index the history endpoints read (get_txs,
	// compute/history/jobs); nil answers them 503. Once Start succeeds the
	// facade owns it: it is closed, if it is an io.Closer, when the facade stops.
	History rest.History
	// Conns is the process's connection budget, which must hold caps for
	// ListenerREST, ListenerWS and ListenerMetrics; empty, the facade plans
	// one of its own from the file limit (StandaloneBudget).
	Conns netguard.Budget
}

// Listener names in the connection budget and the guard's metrics.
const (
	ListenerREST    = "facade_rest"
	ListenerWS      = "facade_ws"
	ListenerMetrics = "facade_metrics"
)

// Services are the facade's listeners as a connection budget plans them: it
// serves them itself, so a connection costs one file descriptor.
func (c Config) Services() []netguard.Service {
	var out []netguard.Service
	for _, s := range []struct{ name, key, addr string }{
		{ListenerREST, KeyRESTAddress, c.RESTAddress}, {ListenerWS, KeyWSAddress, c.WSAddress},
		{ListenerMetrics, KeyMetricsAddress, c.MetricsAddress},
	} {
		if s.addr != "" {
			out = append(out, netguard.Service{Name: s.name, Key: s.key, Addr: s.addr, FDsPerConn: 1})
		}
	}
	return out
}

// StandaloneBudget plans the file limit of a process that runs only the
// facade (aitbcd facade, tests): no peers, no databases.
func StandaloneBudget(cfg Config) (netguard.Budget, error) {
	soft, _, err := netguard.RaiseFileLimit()
	if err != nil {
		return netguard.Budget{}, err
	}
	return netguard.Plan(int(soft), netguard.Reserve{}, 0, cfg.Services())
}

// recentBlocks is how many block messages the hub remembers for clients
// resuming with from_height; older ones are read from the node.
const recentBlocks = 512

// Start listens on the configured addresses (so a taken port fails start-up
// at once, naming the setting) and runs the facade in g until ctx ends.
func Start(ctx context.Context, g *errgroup.Group, cfg Config, target Node, logger log.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	logger = logger.With("module", "facade")
	n, err := node.Dial(node.Options{
		CometRPC: target.CometRPC, Local: target.Local, GRPC: target.GRPC, TxConfig: target.TxConfig,
		InterfaceRegistry: target.InterfaceRegistry, AccountPrefix: target.AccountPrefix,
	})
	if err != nil {
		return err
	}

	budget := target.Conns
	if len(budget.Services) == 0 {
		if budget, err = StandaloneBudget(cfg); err != nil {
			n.Close()
			return err
		}
	}
	listen := func(key, name, addr string) (net.Listener, error) {
		if addr == "" {
			return nil, nil
		}
		limits, ok := budget.Limits(name)
		if !ok {
			return nil, fmt.Errorf("facade: %s=%q: the connection budget has no cap for %s", key, addr, name)
		}
		limits.Refusal = netguard.HTTPRefusal(name)
		l, err := netguard.Listen(name, addr, limits)
		if err != nil {
			return nil, fmt.Errorf("facade: %s=%q: %w", key, addr, err)
		}
		logger.Info("facade connection caps", "service", name, "max_connections", limits.MaxConns, "max_connections_per_ip", limits.MaxConnsPerIP)
		return l, nil
	}
	var listeners []net.Listener
	closeAll := func() {
		for _, l := range listeners {
			l.Close()
		}
	}
	addrs := []struct{ key, name, addr string }{
		{KeyRESTAddress, ListenerREST, cfg.RESTAddress}, {KeyWSAddress, ListenerWS, cfg.WSAddress},
		{KeyMetricsAddress, ListenerMetrics, cfg.MetricsAddress},
	}
	ls := make([]net.Listener, len(addrs))
	for i, a := range addrs {
		l, err := listen(a.key, a.name, a.addr)
		if err != nil {
			closeAll()
			n.Close()
			return err
		}
		ls[i] = l
		if l != nil {
			listeners = append(listeners, l)
		}
	}
	restL, wsL, metricsL := ls[0], ls[1], ls[2]

	m := metrics.New()
	hub := ws.NewHub(cfg.WSQueueSize, recentBlocks, m)
	mempool := feed.NewMempool(n, hub, m, logger, cfg.MempoolPollInterval)
	blocks := feed.NewBlocks(n, hub, mempool, m, logger)

	var servers []*http.Server
	// Every server closes quiet keep-alive connections after the budget's idle
	// timeout and bounds the time to read a request (for WebSocket only the
	// handshake: the upgrade clears the deadlines, then pings keep their own).
	serve := func(l net.Listener, name string, h http.Handler, tls bool, readTimeout, writeTimeout time.Duration) {
		if l == nil {
			return
		}
		srv := &http.Server{
			Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: readTimeout, WriteTimeout: writeTimeout,
			IdleTimeout: budget.IdleTimeout,
			// Requests (and WebSocket connections) end with the facade.
			BaseContext: func(net.Listener) context.Context { return ctx },
		}
		servers = append(servers, srv)
		logger.Info("facade listening", "service", name, "address", l.Addr().String(), "tls", tls)
		g.Go(func() error {
			var err error
			if tls {
				err = srv.ServeTLS(l, cfg.TLSCertFile, cfg.TLSKeyFile)
			} else {
				err = srv.Serve(l)
			}
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return fmt.Errorf("facade %s server: %w", name, err)
		})
	}
	useTLS := cfg.TLSCertFile != ""
	restSrv := rest.New(n, mempool, rest.Options{
		Timeout: cfg.RPCTimeout, MaxBodyBytes: cfg.MaxBodyBytes, RateLimit: cfg.RateLimit,
		RateBurst: cfg.RateBurst, AllowedOrigins: cfg.CORSAllowedOrigins, History: target.History,
		HealthMaxBlockAge: cfg.HealthMaxBlockAge,
	}, logger, m)
	serve(restL, "rest", restSrv, useTLS, cfg.RPCTimeout+5*time.Second, cfg.RPCTimeout+5*time.Second)
	wsSrv := ws.NewServer(hub, blocks.Fetch, ws.Options{
		MaxClients: cfg.WSMaxClients, PingInterval: cfg.WSPingInterval, WriteTimeout: 10 * time.Second,
		MaxResume: cfg.WSMaxResume, AllowedOrigins: cfg.CORSAllowedOrigins,
		MaxClientsPerIP: cfg.WSMaxClientsPerIP, UpgradeRate: cfg.WSUpgradeRate, UpgradeBurst: cfg.WSUpgradeBurst,
		Head: n.LatestHeight,
	}, logger, m)
	serve(wsL, "websocket", wsSrv, useTLS, 10*time.Second, 0)
	metricsMux := http.NewServeMux()
	metricsMux.Handle("/metrics", m.Handler())
	serve(metricsL, "metrics", metricsMux, false, 10*time.Second, 30*time.Second)

	// Feeds: the block and consensus feeds only matter to WebSocket clients
	// and metrics, the mempool feed also to tx latency; all stop with ctx.
	g.Go(func() error { blocks.Run(ctx); return nil })
	g.Go(func() error { mempool.Run(ctx); return nil })
	g.Go(func() error { feed.Consensus(ctx, n, hub, logger); return nil })
	g.Go(func() error { feed.Status(ctx, n, m, 2*time.Second); return nil })

	g.Go(func() error {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, srv := range servers {
			_ = srv.Shutdown(shutdown)
		}
		// WebSocket connections are hijacked: Shutdown does not wait for them.
		for _, srv := range servers {
			_ = srv.Close()
		}
		if c, ok := target.History.(io.Closer); ok {
			_ = c.Close()
		}
		return n.Close()
	})
	return nil
}
