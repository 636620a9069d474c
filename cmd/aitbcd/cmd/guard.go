package cmd

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/cosmos/cosmos-sdk/server"

	"github.com/aitbc/chain/netguard"
)

// Names of the fronted services in the budget and the guard's metrics.
const (
	guardCometRPC   = "cometbft_rpc"
	guardCosmosREST = "cosmos_rest"
	guardGRPC       = "grpc"
)

// internalSlack is how many connections a fronted service accepts beyond the
// front's cap: the node's own clients (the SQL indexer's RPC client, the
// facade's gRPC client) dial the service directly.
const internalSlack = 32

// startGuard is the connection guard of one `aitbcd start`: planned and bound
// before the SDK opens its listeners, served from PostSetup.
type startGuard struct {
	budget netguard.Budget
	fronts []*netguard.Front
}

// wrapStartCmd plans the guard before the SDK's start runs.
func (sg *startGuard) wrapStartCmd(start *cobra.Command) {
	run := start.RunE
	start.RunE = func(cmd *cobra.Command, args []string) error {
		if err := sg.prepare(server.GetServerContextFromCmd(cmd)); err != nil {
			return err
		}
		err := run(cmd, args)
		sg.closeUnserved()
		return err
	}
}

// prepare raises the file limit, plans the budget and, with the guard on,
// moves CometBFT RPC, Cosmos REST and gRPC to loopback ports while it takes
// their configured addresses itself. A plan that cannot fit refuses start.
func (sg *startGuard) prepare(svrCtx *server.Context) error {
	cfg, err := netguard.FromOptions(svrCtx.Viper)
	if err != nil {
		return err
	}
	soft, hard, err := netguard.RaiseFileLimit()
	if err != nil {
		return err
	}
	fcfg, err := facadeConfig(svrCtx)
	if err != nil {
		return err
	}
	var services []netguard.Service
	if fcfg.Enable {
		services = fcfg.Services()
	}
	type fronted struct {
		name, key, addr string
		move            func(internal string, maxConns int)
	}
	var fronts []fronted
	if cfg.Enable {
		v := svrCtx.Viper
		if addr, ok := tcpHostPort(svrCtx.Config.RPC.ListenAddress); ok {
			fronts = append(fronts, fronted{guardCometRPC, "rpc.laddr", addr, func(internal string, maxConns int) {
				svrCtx.Config.RPC.ListenAddress = "tcp://" + internal
				svrCtx.Config.RPC.MaxOpenConnections = maxConns
			}})
		}
		if addr, ok := tcpHostPort(v.GetString("api.address")); ok && v.GetBool("api.enable") {
			fronts = append(fronts, fronted{guardCosmosREST, "api.address", addr, func(internal string, maxConns int) {
				v.Set("api.address", "tcp://"+internal)
				v.Set("api.max-open-connections", maxConns)
			}})
		}
		if addr := v.GetString("grpc.address"); addr != "" && v.GetBool("grpc.enable") {
			fronts = append(fronts, fronted{guardGRPC, "grpc.address", addr, func(internal string, _ int) {
				v.Set("grpc.address", internal)
			}})
		}
	} else {
		svrCtx.Logger.Warn("connection guard off (guard.enable = false): CometBFT RPC, Cosmos REST and gRPC have no per-IP caps")
	}
	for _, f := range fronts {
		services = append(services, netguard.Service{Name: f.name, Key: f.key, Addr: f.addr, FDsPerConn: 3, MaxConns: cfg.MaxConnections})
	}
	for i := range services {
		if services[i].MaxConns == 0 {
			services[i].MaxConns = cfg.MaxConnections
		}
	}
	p2p := svrCtx.Config.P2P
	reserve := netguard.Reserve{
		Peers:     p2p.MaxNumInboundPeers + p2p.MaxNumOutboundPeers + countList(p2p.PersistentPeers) + countList(p2p.UnconditionalPeerIDs),
		Databases: netguard.DatabaseFiles(svrCtx.Config.DBDir()),
	}
	budget, err := netguard.Plan(int(soft), reserve, cfg.MaxConnectionsPerIP, services)
	if err != nil {
		return fmt.Errorf("connection budget (hard file limit %d): %w", hard, err)
	}
	budget.IdleTimeout = cfg.IdleTimeout
	svrCtx.Logger.Info("connection budget", "budget", budget.String(), "used_at_most", budget.Used())

	for _, f := range fronts {
		limits, _ := budget.Limits(f.name)
		if f.name != guardGRPC {
			limits.Refusal = netguard.HTTPRefusal(f.name)
		}
		public, err := netguard.Listen(f.name, f.addr, limits)
		if err != nil {
			sg.closeUnserved()
			return fmt.Errorf("%s=%q: %w", f.key, f.addr, err)
		}
		internal, err := freeLoopbackPort()
		if err != nil {
			public.Close()
			sg.closeUnserved()
			return err
		}
		f.move(internal, limits.MaxConns+internalSlack)
		sg.fronts = append(sg.fronts, &netguard.Front{
			Name: f.name, Listener: public, Upstream: internal, IdleTimeout: cfg.IdleTimeout, Logger: svrCtx.Logger,
		})
		svrCtx.Logger.Info("connection guard fronts a service", "service", f.name, "public", f.addr, "internal", internal,
			"max_connections", limits.MaxConns, "max_connections_per_ip", limits.MaxConnsPerIP)
	}
	sg.budget = budget
	return nil
}

// serve runs the fronts under the node's context (PostSetup).
func (sg *startGuard) serve(ctx context.Context, g *errgroup.Group) {
	fronts := sg.fronts
	sg.fronts = nil
	for _, f := range fronts {
		g.Go(func() error { return f.Serve(ctx) })
	}
}

// closeUnserved releases the public listeners when start fails before
// PostSetup (they would otherwise hold the ports until the process exits).
func (sg *startGuard) closeUnserved() {
	for _, f := range sg.fronts {
		f.Listener.Close()
	}
	sg.fronts = nil
}

// tcpHostPort is the host:port of a tcp:// listen address (unix sockets
// and other schemes are left alone: they are not public).
func tcpHostPort(listen string) (string, bool) {
	if listen == "" {
		return "", false
	}
	if !strings.Contains(listen, "://") {
		return listen, true
	}
	u, err := url.Parse(listen)
	if err != nil || u.Scheme != "tcp" || u.Host == "" {
		return "", false
	}
	return u.Host, true
}

// freeLoopbackPort picks a loopback port for a fronted service. The port is
// free when asked; the service binds it a moment later.
func freeLoopbackPort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("connection guard: no loopback port for a fronted service: %w", err)
	}
	defer l.Close()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(l.Addr().(*net.TCPAddr).Port)), nil
}

func countList(list string) int {
	n := 0
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) != "" {
			n++
		}
	}
	return n
}
