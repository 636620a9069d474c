package netguard

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"cosmossdk.io/log/v2"
)

// Front is a guarded TCP proxy: it listens on a service's public address and
// relays each admitted connection to the service's private one (loopback).
// It is how listeners that CometBFT and the SDK open themselves get caps.
type Front struct {
	Name     string
	Listener *Listener // the public side, already guarded
	Upstream string    // host:port the service really listens on
	// IdleTimeout closes a connection that carried no byte either way for
	// this long; 0 keeps idle connections (the service's own timeouts apply).
	IdleTimeout time.Duration
	// DialTimeout bounds the connection to the upstream.
	DialTimeout time.Duration
	Logger      log.Logger

	wg sync.WaitGroup
}

// Serve relays connections until ctx ends or the listener fails; it closes
// the listener and every relayed connection before it returns.
func (f *Front) Serve(ctx context.Context) error {
	if f.DialTimeout == 0 {
		f.DialTimeout = 5 * time.Second
	}
	stop := context.AfterFunc(ctx, func() { _ = f.Listener.Close() })
	defer stop()
	var (
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
	)
	defer func() {
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		f.wg.Wait()
	}()
	for {
		c, err := f.Listener.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.relay(ctx, c)
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		}()
	}
}

func (f *Front) relay(ctx context.Context, client net.Conn) {
	defer client.Close()
	d := net.Dialer{Timeout: f.DialTimeout}
	up, err := d.DialContext(ctx, "tcp", f.Upstream)
	if err != nil {
		upstreamErrorsTotal.WithLabelValues(f.Name).Inc()
		if f.Logger != nil && ctx.Err() == nil {
			f.Logger.Error("connection guard: service unreachable", "listener", f.Name, "upstream", f.Upstream, "err", err)
		}
		return
	}
	defer up.Close()

	var last atomic.Int64 // unix nanoseconds of the last byte, either way
	last.Store(time.Now().UnixNano())
	var idle atomic.Bool
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 32<<10)
		for {
			if f.IdleTimeout > 0 {
				_ = src.SetReadDeadline(time.Now().Add(f.IdleTimeout))
			}
			n, err := src.Read(buf)
			if n > 0 {
				last.Store(time.Now().UnixNano())
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err == nil {
				continue
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && f.IdleTimeout > 0 {
				// Quiet this way; keep going while the other way talks.
				if time.Since(time.Unix(0, last.Load())) < f.IdleTimeout {
					continue
				}
				idle.Store(true)
				break
			}
			if errors.Is(err, io.EOF) {
				// Pass the half-close on; the other way may still have bytes.
				if cw, ok := dst.(interface{ CloseWrite() error }); ok {
					_ = cw.CloseWrite()
					return
				}
			}
			break
		}
		// An error or the idle timeout ends both directions.
		_ = client.Close()
		_ = up.Close()
	}
	go pipe(up, client)
	go pipe(client, up)
	<-done
	<-done
	if idle.Load() {
		idleClosedTotal.WithLabelValues(f.Name).Inc()
	}
}
