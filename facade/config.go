// Package facade is the AITBC API facade: the seed's REST API, WebSocket
// topics and Prometheus metrics in front of a node, reading the chain only
// through CometBFT RPC and Cosmos gRPC. `aitbcd start` runs it in-process;
// `aitbcd facade` runs it alone against a remote node.
package facade

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cast"
)

// Default listen addresses: the seed's ports, on loopback. The seed says
// RPC_HOST=0.0.0.0; exposing the node is the operator's decision (RPC_HOST).
const (
	DefaultHost        = "127.0.0.1"
	DefaultRESTPort    = 9080
	DefaultWSPort      = 9081
	DefaultMetricsPort = 9090
)

// Config is the [facade] section of app.toml. An empty address turns that
// listener off.
type Config struct {
	Enable              bool          `mapstructure:"enable"`
	RESTAddress         string        `mapstructure:"rest-address"`
	WSAddress           string        `mapstructure:"ws-address"`
	MetricsAddress      string        `mapstructure:"metrics-address"`
	RPCTimeout          time.Duration `mapstructure:"rpc-timeout"`
	MaxBodyBytes        int64         `mapstructure:"max-body-bytes"`
	RateLimit           float64       `mapstructure:"rate-limit"`
	RateBurst           int           `mapstructure:"rate-burst"`
	CORSAllowedOrigins  []string      `mapstructure:"cors-allowed-origins"`
	TLSCertFile         string        `mapstructure:"tls-cert-file"`
	TLSKeyFile          string        `mapstructure:"tls-key-file"`
	WSMaxClients        int           `mapstructure:"ws-max-clients"`
	WSMaxClientsPerIP   int           `mapstructure:"ws-max-clients-per-ip"`
	WSUpgradeRate       float64       `mapstructure:"ws-upgrade-rate"`
	WSUpgradeBurst      int           `mapstructure:"ws-upgrade-burst"`
	WSQueueSize         int           `mapstructure:"ws-queue-size"`
	WSPingInterval      time.Duration `mapstructure:"ws-ping-interval"`
	WSMaxResume         int64         `mapstructure:"ws-max-resume"`
	MempoolPollInterval time.Duration `mapstructure:"mempool-poll-interval"`
	// HealthMaxBlockAge is the latest block's age beyond which /health answers
	// 503 stalled; 0 derives it from the chain (node.AutoBlockAgeMultiple
	// times the gap between the latest two blocks, at least node.MinAutoBlockAge).
	HealthMaxBlockAge time.Duration `mapstructure:"health-max-block-age"`
}

// DefaultConfig is what `aitbcd init` writes.
func DefaultConfig() Config {
	return Config{
		Enable:             true,
		RESTAddress:        net.JoinHostPort(DefaultHost, strconv.Itoa(DefaultRESTPort)),
		WSAddress:          net.JoinHostPort(DefaultHost, strconv.Itoa(DefaultWSPort)),
		MetricsAddress:     net.JoinHostPort(DefaultHost, strconv.Itoa(DefaultMetricsPort)),
		RPCTimeout:         10 * time.Second,
		MaxBodyBytes:       1 << 20,
		RateLimit:          100,
		RateBurst:          200,
		CORSAllowedOrigins: []string{},
		WSMaxClients:       2000,
		// One address may hold a few tabs' or services' worth of clients,
		// not the server: 2000 slots need 125 addresses to fill.
		WSMaxClientsPerIP: 16,
		// A reconnecting client needs one upgrade; 16 at once fills its slots.
		WSUpgradeRate:       2,
		WSUpgradeBurst:      16,
		WSQueueSize:         256,
		WSPingInterval:      20 * time.Second,
		WSMaxResume:         10_000,
		MempoolPollInterval: 200 * time.Millisecond,
	}
}

// Keys are the app.toml keys of the [facade] section, as viper spells them.
const (
	KeyEnable              = "facade.enable"
	KeyRESTAddress         = "facade.rest-address"
	KeyWSAddress           = "facade.ws-address"
	KeyMetricsAddress      = "facade.metrics-address"
	KeyRPCTimeout          = "facade.rpc-timeout"
	KeyMaxBodyBytes        = "facade.max-body-bytes"
	KeyRateLimit           = "facade.rate-limit"
	KeyRateBurst           = "facade.rate-burst"
	KeyCORSAllowedOrigins  = "facade.cors-allowed-origins"
	KeyTLSCertFile         = "facade.tls-cert-file"
	KeyTLSKeyFile          = "facade.tls-key-file"
	KeyWSMaxClients        = "facade.ws-max-clients"
	KeyWSQueueSize         = "facade.ws-queue-size"
	KeyWSPingInterval      = "facade.ws-ping-interval"
	KeyWSMaxResume         = "facade.ws-max-resume"
	KeyMempoolPollInterval = "facade.mempool-poll-interval"
	KeyWSMaxClientsPerIP   = "facade.ws-max-clients-per-ip"
	KeyWSUpgradeRate       = "facade.ws-upgrade-rate"
	KeyWSUpgradeBurst      = "facade.ws-upgrade-burst"
	KeyHealthMaxBlockAge   = "facade.health-max-block-age"
)

// Getter is what viper and the SDK's AppOptions offer.
type Getter interface{ Get(string) any }

// FromOptions reads the [facade] settings; unset keys keep their defaults.
// Values that do not parse are errors naming the key.
func FromOptions(opts Getter) (Config, error) {
	cfg := DefaultConfig()
	var errs []error
	str := func(key string, dst *string) {
		if v := opts.Get(key); v != nil {
			*dst = strings.TrimSpace(cast.ToString(v))
		}
	}
	boolean := func(key string, dst *bool) {
		if v := opts.Get(key); v != nil {
			b, err := cast.ToBoolE(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: want true or false, got %v", key, v))
			}
			*dst = b
		}
	}
	duration := func(key string, dst *time.Duration) {
		if v := opts.Get(key); v != nil {
			d, err := cast.ToDurationE(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: want a duration such as 10s, got %v", key, v))
			}
			*dst = d
		}
	}
	integer := func(key string, dst *int64) {
		if v := opts.Get(key); v != nil {
			i, err := cast.ToInt64E(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: want an integer, got %v", key, v))
			}
			*dst = i
		}
	}
	boolean(KeyEnable, &cfg.Enable)
	str(KeyRESTAddress, &cfg.RESTAddress)
	str(KeyWSAddress, &cfg.WSAddress)
	str(KeyMetricsAddress, &cfg.MetricsAddress)
	duration(KeyRPCTimeout, &cfg.RPCTimeout)
	integer(KeyMaxBodyBytes, &cfg.MaxBodyBytes)
	perSecond := func(key string, dst *float64) {
		if v := opts.Get(key); v != nil {
			f, err := cast.ToFloat64E(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: want requests per second, got %v", key, v))
			}
			*dst = f
		}
	}
	perSecond(KeyRateLimit, &cfg.RateLimit)
	perSecond(KeyWSUpgradeRate, &cfg.WSUpgradeRate)
	burst, maxClients, queue := int64(cfg.RateBurst), int64(cfg.WSMaxClients), int64(cfg.WSQueueSize)
	perIP, upgradeBurst := int64(cfg.WSMaxClientsPerIP), int64(cfg.WSUpgradeBurst)
	integer(KeyRateBurst, &burst)
	integer(KeyWSMaxClients, &maxClients)
	integer(KeyWSQueueSize, &queue)
	integer(KeyWSMaxClientsPerIP, &perIP)
	integer(KeyWSUpgradeBurst, &upgradeBurst)
	cfg.RateBurst, cfg.WSMaxClients, cfg.WSQueueSize = int(burst), int(maxClients), int(queue)
	cfg.WSMaxClientsPerIP, cfg.WSUpgradeBurst = int(perIP), int(upgradeBurst)
	duration(KeyHealthMaxBlockAge, &cfg.HealthMaxBlockAge)
	if v := opts.Get(KeyCORSAllowedOrigins); v != nil {
		cfg.CORSAllowedOrigins = splitList(v)
	}
	str(KeyTLSCertFile, &cfg.TLSCertFile)
	str(KeyTLSKeyFile, &cfg.TLSKeyFile)
	duration(KeyWSPingInterval, &cfg.WSPingInterval)
	integer(KeyWSMaxResume, &cfg.WSMaxResume)
	duration(KeyMempoolPollInterval, &cfg.MempoolPollInterval)
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return cfg, nil
}

// splitList accepts a TOML array or a comma-separated string (flags, env).
func splitList(v any) []string {
	var raw []string
	if s, ok := v.(string); ok {
		raw = strings.Split(s, ",")
	} else {
		raw = cast.ToStringSlice(v)
	}
	out := []string{}
	for _, s := range raw {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Validate reports the first setting that cannot work, naming its key.
func (c Config) Validate() error {
	for key, addr := range map[string]string{KeyRESTAddress: c.RESTAddress, KeyWSAddress: c.WSAddress, KeyMetricsAddress: c.MetricsAddress} {
		if addr == "" {
			continue
		}
		if err := ValidateListenAddress(addr); err != nil {
			return fmt.Errorf("%s=%q: %w", key, addr, err)
		}
	}
	seen := map[string]string{}
	for _, a := range []struct{ key, addr string }{{KeyRESTAddress, c.RESTAddress}, {KeyWSAddress, c.WSAddress}, {KeyMetricsAddress, c.MetricsAddress}} {
		if a.addr == "" {
			continue
		}
		if other, dup := seen[a.addr]; dup {
			return fmt.Errorf("%s and %s are both %q: each service needs its own port", other, a.key, a.addr)
		}
		seen[a.addr] = a.key
	}
	switch {
	case c.RPCTimeout <= 0:
		return fmt.Errorf("%s must be above 0", KeyRPCTimeout)
	case c.MaxBodyBytes <= 0:
		return fmt.Errorf("%s must be above 0", KeyMaxBodyBytes)
	case c.RateLimit < 0:
		return fmt.Errorf("%s must be 0 (off) or above", KeyRateLimit)
	case c.RateLimit > 0 && c.RateBurst < 1:
		return fmt.Errorf("%s must be at least 1", KeyRateBurst)
	case c.WSMaxClients < 0:
		return fmt.Errorf("%s must be 0 (no limit) or above", KeyWSMaxClients)
	case c.WSMaxClientsPerIP < 0:
		return fmt.Errorf("%s must be 0 (no limit) or above", KeyWSMaxClientsPerIP)
	case c.WSUpgradeRate < 0:
		return fmt.Errorf("%s must be 0 (off) or above", KeyWSUpgradeRate)
	case c.WSUpgradeRate > 0 && c.WSUpgradeBurst < 1:
		return fmt.Errorf("%s must be at least 1", KeyWSUpgradeBurst)
	case c.HealthMaxBlockAge < 0:
		return fmt.Errorf("%s must be 0 (derived from the block time) or above", KeyHealthMaxBlockAge)
	case c.WSQueueSize < 1:
		return fmt.Errorf("%s must be at least 1", KeyWSQueueSize)
	case c.WSPingInterval <= 0:
		return fmt.Errorf("%s must be above 0", KeyWSPingInterval)
	case c.WSMaxResume < 0:
		return fmt.Errorf("%s must be 0 or above", KeyWSMaxResume)
	case c.MempoolPollInterval <= 0:
		return fmt.Errorf("%s must be above 0", KeyMempoolPollInterval)
	case (c.TLSCertFile == "") != (c.TLSKeyFile == ""):
		return fmt.Errorf("%s and %s must be set together", KeyTLSCertFile, KeyTLSKeyFile)
	}
	for key, f := range map[string]string{KeyTLSCertFile: c.TLSCertFile, KeyTLSKeyFile: c.TLSKeyFile} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return nil
}

// ValidateListenAddress accepts host:port with a port from 1 to 65535.
func ValidateListenAddress(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port: %v", err)
	}
	if _, err := ParsePort(port); err != nil {
		return err
	}
	return nil
}

// ParsePort accepts a TCP port number from 1 to 65535.
func ParsePort(raw string) (int, error) {
	p, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("want a port number from 1 to 65535")
	}
	return p, nil
}

// WithHost replaces the host of addr, keeping its port (for RPC_HOST).
func WithHost(addr, host string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return net.JoinHostPort(host, port)
}

// WithPort replaces the port of addr, keeping its host; an empty addr gets the default host.
func WithPort(addr string, port int) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || addr == "" {
		host = DefaultHost
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}
