package loadgen

import (
	"strings"
	"testing"
	"time"
)

func TestLoopbackRPC(t *testing.T) {
	ok := map[string]string{
		"tcp://127.0.0.1:26657":  "http://127.0.0.1:26657",
		"http://127.0.0.1:36657": "http://127.0.0.1:36657",
		"127.0.0.1:26657":        "http://127.0.0.1:26657",
		"tcp://127.8.9.10:1":     "http://127.8.9.10:1",
		"tcp://localhost:26657":  "http://localhost:26657",
		"tcp://[::1]:26657":      "http://[::1]:26657",
	}
	for in, want := range ok {
		got, err := LoopbackRPC(in)
		if err != nil || got != want {
			t.Errorf("LoopbackRPC(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	refused := []string{
		"tcp://0.0.0.0:26657",     // every interface, not loopback
		"tcp://10.0.0.5:26657",    // private network
		"tcp://192.168.1.2:26657", // private network
		"tcp://rpc.example.com:26657",
		"tcp://localhost.example.com:26657",
		"tcp://[::]:26657",
		"https://127.0.0.1:26657", // scheme the generator does not speak
		"tcp://127.0.0.1",         // no port
		"",
	}
	for _, in := range refused {
		if got, err := LoopbackRPC(in); err == nil {
			t.Errorf("LoopbackRPC(%q) = %q, want an error", in, got)
		}
	}
}

func validConfig() Config {
	return Config{Node: "tcp://127.0.0.1:26657", Funder: "faucet", Accounts: 10, Rate: 100,
		Duration: 5 * time.Second, Connections: 2, Kind: KindSend, GasPrice: 0.025}
}

func TestConfigValidate(t *testing.T) {
	c := validConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Gas != DefaultGas[KindSend] || c.PollInterval <= 0 || c.DrainTimeout <= 0 || c.FundBatchSize <= 0 {
		t.Fatalf("defaults not filled in: %+v", c)
	}
	bad := map[string]func(*Config){
		"remote node":    func(c *Config) { c.Node = "tcp://8.8.8.8:26657" },
		"no funder":      func(c *Config) { c.Funder = "" },
		"no accounts":    func(c *Config) { c.Accounts = 0 },
		"zero rate":      func(c *Config) { c.Rate = 0 },
		"unbounded":      func(c *Config) { c.Count, c.Duration = 0, 0 },
		"no connections": func(c *Config) { c.Connections = 0 },
		"unknown kind":   func(c *Config) { c.Kind = "stake" },
		"negative price": func(c *Config) { c.GasPrice = -1 },
		"nothing to send": func(c *Config) {
			c.Rate, c.Duration = 0.1, time.Second
		},
	}
	for name, mutate := range bad {
		c := validConfig()
		mutate(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, c)
		} else if name == "remote node" && !strings.Contains(err.Error(), "non-loopback") {
			t.Errorf("remote node refused for the wrong reason: %v", err)
		}
	}
}

func TestConfigTotal(t *testing.T) {
	cases := []struct {
		count    int
		rate     float64
		duration time.Duration
		want     int
	}{
		{count: 100, rate: 50, duration: 0, want: 100},             // count only
		{count: 0, rate: 50, duration: 3 * time.Second, want: 150}, // duration only
		{count: 100, rate: 50, duration: 3 * time.Second, want: 100},
		{count: 1000, rate: 50, duration: 3 * time.Second, want: 150},
	}
	for _, c := range cases {
		cfg := Config{Count: c.count, Rate: c.rate, Duration: c.duration}
		if got := cfg.Total(); got != c.want {
			t.Errorf("Total(count %d, rate %v, duration %v) = %d, want %d", c.count, c.rate, c.duration, got, c.want)
		}
	}
}
