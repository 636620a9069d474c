package netguard

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// dialFrom opens a TCP connection from a given loopback source address, so
// one test can play several clients (Linux routes all of 127/8 to lo).
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// refused reports whether the server closed the connection without serving
// it: a read ends (EOF or reset) instead of timing out.
func refused(t *testing.T, c net.Conn) bool {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	_, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return true
}

func serveGuarded(t *testing.T, limits Limits) *Listener {
	t.Helper()
	l, err := Listen("test", "127.0.0.1:0", limits)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			// Hold the connection until the client goes away.
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	return l
}

func waitOpen(t *testing.T, l *Listener, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return l.Open() == n }, 3*time.Second, 5*time.Millisecond, "open connections")
}

func TestListenerRefusesBeyondThePerIPCapButServesOtherAddresses(t *testing.T) {
	l := serveGuarded(t, Limits{MaxConns: 10, MaxConnsPerIP: 2})
	addr := l.Addr().String()
	a1, a2 := dialFrom(t, "127.0.0.2", addr), dialFrom(t, "127.0.0.2", addr)
	waitOpen(t, l, 2)
	require.True(t, refused(t, dialFrom(t, "127.0.0.2", addr)), "third connection from one IP must be refused")
	other := dialFrom(t, "127.0.0.3", addr)
	waitOpen(t, l, 3)
	require.False(t, refused(t, other), "another IP must still be admitted")
	require.False(t, refused(t, a1))

	// Closing a connection gives its slot back to that IP.
	a2.Close()
	waitOpen(t, l, 2)
	again := dialFrom(t, "127.0.0.2", addr)
	waitOpen(t, l, 3)
	require.False(t, refused(t, again))
}

func TestListenerRefusesBeyondTheTotalCapWithTheRefusalMessage(t *testing.T) {
	l := serveGuarded(t, Limits{MaxConns: 3, MaxConnsPerIP: 3, Refusal: HTTPRefusal("test")})
	addr := l.Addr().String()
	for i, src := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		dialFrom(t, src, addr)
		waitOpen(t, l, i+1)
	}
	c := dialFrom(t, "127.0.0.5", addr)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err, "a refused HTTP client reads a complete response")
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.Contains(t, string(body), "too many connections to test")
	require.Equal(t, 3, l.Open())
}

func TestListenerValidatesLimits(t *testing.T) {
	_, err := Listen("x", "127.0.0.1:0", Limits{MaxConns: 2, MaxConnsPerIP: 3})
	require.ErrorContains(t, err, "per IP (3) is above max connections (2)")
	_, err = Listen("x", "127.0.0.1:0", Limits{MaxConns: -1})
	require.Error(t, err)
}

// echoServer answers each line with the same line, then closes on EOF.
func echoServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return l.Addr().String()
}

func startFront(t *testing.T, upstream string, limits Limits, idle time.Duration) (*Front, string) {
	t.Helper()
	l, err := Listen("front_test", "127.0.0.1:0", limits)
	require.NoError(t, err)
	f := &Front{Name: "front_test", Listener: l, Upstream: upstream, IdleTimeout: idle}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Error("front did not stop")
		}
	})
	return f, l.Addr().String()
}

func TestFrontRelaysBothWaysAndPassesTheHalfClose(t *testing.T) {
	_, addr := startFront(t, echoServer(t), Limits{MaxConns: 4, MaxConnsPerIP: 4}, time.Minute)
	c := dialFrom(t, "127.0.0.2", addr)
	_, err := c.Write([]byte("hello\n"))
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	got, err := io.ReadAll(c)
	require.NoError(t, err, "the echo ends with the upstream's close after our half-close")
	require.Equal(t, "hello\n", string(got))
}

func TestFrontClosesIdleConnectionsButNotTalkingOnes(t *testing.T) {
	f, addr := startFront(t, echoServer(t), Limits{MaxConns: 4, MaxConnsPerIP: 4}, 300*time.Millisecond)
	idle := dialFrom(t, "127.0.0.2", addr)
	talking := dialFrom(t, "127.0.0.3", addr)
	r := bufio.NewReader(talking)
	for i := 0; i < 8; i++ { // 8 × 100 ms: longer than the idle timeout
		_, err := talking.Write([]byte("ping\n"))
		require.NoError(t, err)
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "ping\n", line)
		time.Sleep(100 * time.Millisecond)
	}
	require.True(t, refused(t, idle), "the silent connection is closed")
	require.Eventually(t, func() bool { return f.Listener.Open() == 1 }, 2*time.Second, 10*time.Millisecond)
}

func TestFrontEnforcesItsCapsAndSurvivesADeadUpstream(t *testing.T) {
	// An upstream that is gone: the client's connection is closed, its slot freed.
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadAddr := dead.Addr().String()
	dead.Close()
	f, addr := startFront(t, deadAddr, Limits{MaxConns: 2, MaxConnsPerIP: 1}, time.Minute)
	require.True(t, refused(t, dialFrom(t, "127.0.0.2", addr)))
	require.Eventually(t, func() bool { return f.Listener.Open() == 0 }, 2*time.Second, 10*time.Millisecond)
}

func TestPlanSharesTheFileLimitAndKeepsTheReserve(t *testing.T) {
	services := []Service{
		{Name: "facade_rest", FDsPerConn: 1}, {Name: "facade_ws", FDsPerConn: 1},
		{Name: "cometbft_rpc", FDsPerConn: 3}, {Name: "grpc", FDsPerConn: 3},
	}
	b, err := Plan(4096, Reserve{Peers: 50, Databases: 500}, 0, services)
	require.NoError(t, err)
	// (4096 - 256 - 50 - 500) × 3/4 / (1+1+3+3) = 308 connections each.
	for _, s := range b.Services {
		require.Equal(t, 308, s.MaxConns, s.Name)
	}
	require.LessOrEqual(t, b.Used(), 4096)
	l, ok := b.Limits("grpc")
	require.True(t, ok)
	require.Equal(t, Limits{MaxConns: 308, MaxConnsPerIP: DefaultMaxConnsPerIP}, l)

	// A large limit is bounded by the ceiling.
	b, err = Plan(1<<20, Reserve{}, 0, services)
	require.NoError(t, err)
	require.Equal(t, MaxConnsCeiling, b.Services[0].MaxConns)
}

func TestPlanRefusesCapsAboveTheFileLimitNamingTheSettings(t *testing.T) {
	_, err := Plan(1024, Reserve{Peers: 50, Databases: 700}, 0, []Service{{Name: "cometbft_rpc", FDsPerConn: 3}})
	require.ErrorContains(t, err, "RLIMIT_NOFILE 1024")
	require.ErrorContains(t, err, "ulimit -Hn")

	_, err = Plan(4096, Reserve{}, 0, []Service{{Name: "cometbft_rpc", FDsPerConn: 3, MaxConns: 2000}})
	require.ErrorContains(t, err, "cometbft_rpc 2000×3")
	require.ErrorContains(t, err, "guard.max-connections")
}

func TestDatabaseFilesCountsWhatIsThere(t *testing.T) {
	dir := t.TempDir()
	require.Equal(t, 0, DatabaseFiles(dir))
	require.NoError(t, osMkdirFiles(dir+"/blockstore.db", 10))
	require.NoError(t, osMkdirFiles(dir+"/state.db", 0))
	require.NoError(t, writeFile(dir+"/index.sqlite"))
	// 2×10+64 + 2×0+64 + 1 loose file
	require.Equal(t, 84+64+1, DatabaseFiles(dir))
	require.True(t, strings.HasPrefix(dir, "/"))
}
