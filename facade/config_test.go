package facade

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type opts map[string]any

func (o opts) Get(k string) any { return o[k] }

func TestFromOptions(t *testing.T) {
	cfg, err := FromOptions(opts{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RESTAddress != "127.0.0.1:9080" || cfg.WSAddress != "127.0.0.1:9081" || cfg.MetricsAddress != "127.0.0.1:9090" || !cfg.Enable {
		t.Fatalf("defaults: %+v", cfg)
	}
	cfg, err = FromOptions(opts{
		KeyEnable: "false", KeyRESTAddress: " 0.0.0.0:8080 ", KeyRPCTimeout: "3s",
		KeyCORSAllowedOrigins: "https://a.example, https://b.example", KeyRateLimit: 2.5,
		KeyWSQueueSize: int64(10), KeyMempoolPollInterval: "50ms",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Enable || cfg.RESTAddress != "0.0.0.0:8080" || cfg.RPCTimeout != 3*time.Second || cfg.RateLimit != 2.5 ||
		cfg.WSQueueSize != 10 || cfg.MempoolPollInterval != 50*time.Millisecond ||
		strings.Join(cfg.CORSAllowedOrigins, "|") != "https://a.example|https://b.example" {
		t.Fatalf("parsed: %+v", cfg)
	}
	// A TOML array works as well as a comma list.
	cfg, err = FromOptions(opts{KeyCORSAllowedOrigins: []any{"*"}})
	if err != nil || len(cfg.CORSAllowedOrigins) != 1 || cfg.CORSAllowedOrigins[0] != "*" {
		t.Fatalf("array: %+v %v", cfg.CORSAllowedOrigins, err)
	}
	// The WebSocket per-IP and upgrade-rate limits and the health block age: defaults, then read.
	if d := DefaultConfig(); d.WSMaxClientsPerIP != 16 || d.WSUpgradeRate != 2 || d.WSUpgradeBurst != 16 || d.HealthMaxBlockAge != 0 {
		t.Fatalf("per-IP, upgrade-rate and block-age defaults: %+v", d)
	}
	cfg, err = FromOptions(opts{KeyWSMaxClientsPerIP: "4", KeyWSUpgradeRate: "0.5", KeyWSUpgradeBurst: int64(3), KeyHealthMaxBlockAge: "45s"})
	if err != nil || cfg.WSMaxClientsPerIP != 4 || cfg.WSUpgradeRate != 0.5 || cfg.WSUpgradeBurst != 3 || cfg.HealthMaxBlockAge != 45*time.Second {
		t.Fatalf("per-IP, upgrade-rate and block-age keys: %+v %v", cfg, err)
	}
	for key, bad := range map[string]any{KeyEnable: "maybe", KeyRPCTimeout: "soon", KeyMaxBodyBytes: "big", KeyRateLimit: "fast",
		KeyWSMaxClientsPerIP: "many", KeyWSUpgradeRate: "quick", KeyWSUpgradeBurst: "lots", KeyHealthMaxBlockAge: "old"} {
		if _, err := FromOptions(opts{key: bad}); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%v: want an error naming the key, got %v", key, bad, err)
		}
	}
}

func TestValidate(t *testing.T) {
	cert := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(cert, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		change func(*Config)
		names  string // "" = valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"listener off", func(c *Config) { c.WSAddress = "" }, ""},
		{"any interface", func(c *Config) { c.RESTAddress = "0.0.0.0:9080" }, ""},
		{"no port", func(c *Config) { c.RESTAddress = "127.0.0.1" }, KeyRESTAddress},
		{"port zero", func(c *Config) { c.WSAddress = "127.0.0.1:0" }, KeyWSAddress},
		{"port too big", func(c *Config) { c.MetricsAddress = "127.0.0.1:70000" }, KeyMetricsAddress},
		{"same port twice", func(c *Config) { c.WSAddress = c.RESTAddress }, KeyWSAddress},
		{"zero timeout", func(c *Config) { c.RPCTimeout = 0 }, KeyRPCTimeout},
		{"zero body", func(c *Config) { c.MaxBodyBytes = 0 }, KeyMaxBodyBytes},
		{"negative rate", func(c *Config) { c.RateLimit = -1 }, KeyRateLimit},
		{"rate off, no burst", func(c *Config) { c.RateLimit, c.RateBurst = 0, 0 }, ""},
		{"no burst", func(c *Config) { c.RateBurst = 0 }, KeyRateBurst},
		{"zero queue", func(c *Config) { c.WSQueueSize = 0 }, KeyWSQueueSize},
		{"zero ping", func(c *Config) { c.WSPingInterval = 0 }, KeyWSPingInterval},
		{"zero poll", func(c *Config) { c.MempoolPollInterval = 0 }, KeyMempoolPollInterval},
		{"cert without key", func(c *Config) { c.TLSCertFile = cert }, KeyTLSKeyFile},
		{"missing key file", func(c *Config) { c.TLSCertFile, c.TLSKeyFile = cert, cert+".missing" }, KeyTLSKeyFile},
		{"tls", func(c *Config) { c.TLSCertFile, c.TLSKeyFile = cert, cert }, ""},
		{"negative per-IP cap", func(c *Config) { c.WSMaxClientsPerIP = -1 }, KeyWSMaxClientsPerIP},
		{"negative upgrade rate", func(c *Config) { c.WSUpgradeRate = -1 }, KeyWSUpgradeRate},
		{"upgrade rate, no burst", func(c *Config) { c.WSUpgradeBurst = 0 }, KeyWSUpgradeBurst},
		{"upgrade rate off, no burst", func(c *Config) { c.WSUpgradeRate, c.WSUpgradeBurst = 0, 0 }, ""},
		{"negative health age", func(c *Config) { c.HealthMaxBlockAge = -time.Second }, KeyHealthMaxBlockAge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			c.change(&cfg)
			err := cfg.Validate()
			if c.names == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.names) {
				t.Fatalf("want an error naming %s, got %v", c.names, err)
			}
		})
	}
}

func TestAddressHelpers(t *testing.T) {
	if got := WithHost("127.0.0.1:9080", "0.0.0.0"); got != "0.0.0.0:9080" {
		t.Errorf("WithHost = %s", got)
	}
	if got := WithHost("127.0.0.1:9080", "::"); got != "[::]:9080" {
		t.Errorf("WithHost v6 = %s", got)
	}
	if got := WithPort("0.0.0.0:9080", 1234); got != "0.0.0.0:1234" {
		t.Errorf("WithPort = %s", got)
	}
	if got := WithPort("", 1234); got != "127.0.0.1:1234" {
		t.Errorf("WithPort on empty = %s", got)
	}
}
