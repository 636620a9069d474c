package cmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/server"
	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/aitbc/chain/facade"
	poatypes "github.com/aitbc/chain/x/poa/types"
)

func TestLoadSeedEnv(t *testing.T) {
	cases := []struct {
		name      string
		env       map[string]string
		blockTime time.Duration
		logLevel  string
		mode      poatypes.Mode // ModePoA when unset
		errNames  string        // the variable a failure must name; "" = no failure
	}{
		{name: "unset", env: nil},
		{name: "seed defaults", env: map[string]string{"BLOCK_TIME": "1s", "LOG_LEVEL": "info"}, blockTime: time.Second, logLevel: "info"},
		{name: "milliseconds", env: map[string]string{"BLOCK_TIME": "500ms"}, blockTime: 500 * time.Millisecond},
		{name: "whole seconds", env: map[string]string{"BLOCK_TIME": "2"}, blockTime: 2 * time.Second},
		{name: "surrounding spaces", env: map[string]string{"BLOCK_TIME": " 3s "}, blockTime: 3 * time.Second},
		{name: "module filter", env: map[string]string{"LOG_LEVEL": "consensus:debug,*:error"}, logLevel: "consensus:debug,*:error"},
		{name: "not a duration", env: map[string]string{"BLOCK_TIME": "fast"}, errNames: "BLOCK_TIME"},
		{name: "zero", env: map[string]string{"BLOCK_TIME": "0s"}, errNames: "BLOCK_TIME"},
		{name: "negative", env: map[string]string{"BLOCK_TIME": "-1s"}, errNames: "BLOCK_TIME"},
		{name: "too long", env: map[string]string{"BLOCK_TIME": "2h"}, errNames: "BLOCK_TIME"},
		{name: "hybrid mode", env: map[string]string{"CONSENSUS_MODE": "hybrid"}, mode: poatypes.ModeHybrid},
		{name: "pos mode", env: map[string]string{"CONSENSUS_MODE": "POS"}, mode: poatypes.ModePoS},
		// One parser for every command: `localnet start --consensus-mode PoS` took it already.
		{name: "mixed-case mode", env: map[string]string{"CONSENSUS_MODE": " PoS "}, mode: poatypes.ModePoS},
		{name: "unknown mode", env: map[string]string{"CONSENSUS_MODE": "dpos"}, errNames: "CONSENSUS_MODE"},
		{name: "unknown level", env: map[string]string{"LOG_LEVEL": "loud"}, errNames: "LOG_LEVEL"},
		{name: "bad filter", env: map[string]string{"LOG_LEVEL": "consensus:shout"}, errNames: "LOG_LEVEL"},
		{name: "json logs", env: map[string]string{"LOG_FORMAT": "json"}},
		{name: "plain logs", env: map[string]string{"LOG_FORMAT": "plain"}},
		{name: "unknown log format", env: map[string]string{"LOG_FORMAT": "yaml"}, errNames: "LOG_FORMAT"},
		{name: "sqlite database", env: map[string]string{"DATABASE_URL": "sqlite:///var/lib/aitbc/index.db"}},
		{name: "postgres database", env: map[string]string{"DATABASE_URL": "postgresql://aitbc:pw@127.0.0.1:5432/aitbc"}},
		{name: "relative sqlite path", env: map[string]string{"DATABASE_URL": "sqlite://blockchain.db"}, errNames: "DATABASE_URL"},
		{name: "unknown database", env: map[string]string{"DATABASE_URL": "mysql://root@localhost/aitbc"}, errNames: "DATABASE_URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := LoadSeedEnv(func(k string) string { return c.env[k] })
			if c.errNames != "" {
				if err == nil || !strings.Contains(err.Error(), c.errNames) {
					t.Fatalf("want an error naming %s, got %v", c.errNames, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantMode := c.mode
			if wantMode == poatypes.ModeUnspecified {
				wantMode = poatypes.ModePoA
			}
			gotMode, _ := got.ConsensusMode.PoAMode()
			if got.BlockTime != c.blockTime || got.LogLevel != c.logLevel || gotMode != wantMode {
				t.Fatalf("got %+v, want block time %s, log level %q, mode %s", got, c.blockTime, c.logLevel, wantMode)
			}
		})
	}
}

// The error that ends a command is a JSON log line when JSON logs were asked for.
func TestPrintExitError(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvLogFormat {
				return v
			}
			return ""
		}
	}
	cases := []struct {
		args []string
		env  string
		json bool
	}{
		{nil, "", false},
		{nil, "json", true},
		{[]string{"start", "--log_format", "json"}, "", true},
		{[]string{"start", "--log_format=json"}, "plain", true},
		{[]string{"start", "--log_format", "plain"}, "json", false},
	}
	for _, c := range cases {
		var out bytes.Buffer
		PrintExitError(&out, c.args, env(c.env), errors.New(`bad "home"`))
		var line map[string]string
		isJSON := json.Unmarshal(out.Bytes(), &line) == nil
		if isJSON != c.json || (isJSON && (line["level"] != "error" || line["message"] != `bad "home"`)) ||
			(!isJSON && out.String() != "Error: bad \"home\"\n") {
			t.Errorf("args %v LOG_FORMAT=%q: %q", c.args, c.env, out.String())
		}
	}
}

func TestBlockTimeBecomesCommitTimeout(t *testing.T) {
	ctx := server.NewDefaultContext()
	ctx.Config = cmtcfg.DefaultConfig()
	SeedEnv{BlockTime: 750 * time.Millisecond}.applyToServer(&cobra.Command{}, ctx)
	if got := ctx.Config.Consensus.TimeoutCommit; got != 750*time.Millisecond {
		t.Fatalf("timeout_commit = %s, want 750ms", got)
	}

	// Unset BLOCK_TIME leaves the configured value alone.
	ctx.Config.Consensus.TimeoutCommit = 4 * time.Second
	SeedEnv{}.applyToServer(&cobra.Command{}, ctx)
	if got := ctx.Config.Consensus.TimeoutCommit; got != 4*time.Second {
		t.Fatalf("timeout_commit = %s, want the configured 4s", got)
	}
}

func TestLoadSeedEnvFacade(t *testing.T) {
	cases := []struct {
		name     string
		env      map[string]string
		want     SeedEnv
		errNames string
	}{
		{name: "seed values", env: map[string]string{"RPC_HOST": "0.0.0.0", "RPC_PORT": "9080", "WS_PORT": "9081", "METRICS_PORT": "9090"},
			want: SeedEnv{RPCHost: "0.0.0.0", RPCPort: 9080, WSPort: 9081, MetricsPort: 9090}},
		{name: "host name", env: map[string]string{"RPC_HOST": "localhost"}, want: SeedEnv{RPCHost: "localhost"}},
		{name: "ipv6 in brackets", env: map[string]string{"RPC_HOST": "[::1]"}, want: SeedEnv{RPCHost: "::1"}},
		{name: "spaces", env: map[string]string{"WS_PORT": " 19081 "}, want: SeedEnv{WSPort: 19081}},
		{name: "host with port", env: map[string]string{"RPC_HOST": "0.0.0.0:9080"}, errNames: "RPC_HOST"},
		{name: "host with scheme", env: map[string]string{"RPC_HOST": "http://x"}, errNames: "RPC_HOST"},
		{name: "host with space", env: map[string]string{"RPC_HOST": "my host"}, errNames: "RPC_HOST"},
		{name: "port not a number", env: map[string]string{"RPC_PORT": "http"}, errNames: "RPC_PORT"},
		{name: "port zero", env: map[string]string{"WS_PORT": "0"}, errNames: "WS_PORT"},
		{name: "port too big", env: map[string]string{"METRICS_PORT": "65536"}, errNames: "METRICS_PORT"},
		{name: "negative port", env: map[string]string{"RPC_PORT": "-1"}, errNames: "RPC_PORT"},
		{name: "same port twice", env: map[string]string{"RPC_PORT": "9000", "METRICS_PORT": "9000"}, errNames: "METRICS_PORT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := LoadSeedEnv(func(k string) string { return c.env[k] })
			if c.errNames != "" {
				if err == nil || !strings.Contains(err.Error(), c.errNames) {
					t.Fatalf("want an error naming %s, got %v", c.errNames, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Only the facade's variables are under test here.
			if got.RPCHost != c.want.RPCHost || got.RPCPort != c.want.RPCPort || got.WSPort != c.want.WSPort ||
				got.MetricsPort != c.want.MetricsPort {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// The seed's variables move the facade's listeners, but an explicit flag or
// AITBCD_ variable still wins.
func TestSeedEnvSetsFacadeAddresses(t *testing.T) {
	newCtx := func() (*cobra.Command, *server.Context) {
		cmd := &cobra.Command{}
		addFacadeStartFlags(cmd)
		ctx := server.NewDefaultContext()
		ctx.Config = cmtcfg.DefaultConfig()
		return cmd, ctx
	}
	seed := SeedEnv{RPCHost: "0.0.0.0", RPCPort: 18080, WSPort: 18081, MetricsPort: 18090}

	cmd, ctx := newCtx()
	seed.applyToServer(cmd, ctx)
	cfg, err := facadeConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RESTAddress != "0.0.0.0:18080" || cfg.WSAddress != "0.0.0.0:18081" || cfg.MetricsAddress != "127.0.0.1:18090" {
		t.Fatalf("addresses: rest %s ws %s metrics %s", cfg.RESTAddress, cfg.WSAddress, cfg.MetricsAddress)
	}

	cmd, ctx = newCtx()
	if err := cmd.Flags().Set("facade.rest-address", "127.0.0.1:7000"); err != nil {
		t.Fatal(err)
	}
	ctx.Viper.Set("facade.rest-address", "127.0.0.1:7000") // as BindPFlags would
	t.Setenv("AITBCD_FACADE_WS_ADDRESS", "127.0.0.1:7001")
	seed.applyToServer(cmd, ctx)
	if got := ctx.Viper.GetString("facade.rest-address"); got != "127.0.0.1:7000" {
		t.Fatalf("RPC_PORT beat the flag: %s", got)
	}
	if got := ctx.Viper.Get("facade.ws-address"); got != nil {
		t.Fatalf("WS_PORT beat AITBCD_FACADE_WS_ADDRESS: %v", got)
	}
}

func TestCometMetricsJoinTheFacadeEndpoint(t *testing.T) {
	ctx := server.NewDefaultContext()
	ctx.Config = cmtcfg.DefaultConfig()
	enableCometMetrics(ctx)
	if !ctx.Config.Instrumentation.Prometheus || ctx.Config.Instrumentation.PrometheusListenAddr != "" {
		t.Fatalf("instrumentation = %+v, want CometBFT metrics on without a listener of their own", ctx.Config.Instrumentation)
	}
	ctx = server.NewDefaultContext()
	ctx.Config = cmtcfg.DefaultConfig()
	ctx.Viper.Set("facade.enable", false)
	enableCometMetrics(ctx)
	if ctx.Config.Instrumentation.Prometheus {
		t.Fatal("metrics turned on although the facade is off")
	}
}

// startFacadeConfig runs the real command tree's pre-run for `aitbcd start
// args…` in a fresh home (whose app.toml init writes with the default
// facade addresses) and returns the facade settings start would use.
func startFacadeConfig(t *testing.T, args ...string) facade.Config {
	t.Helper()
	home := t.TempDir()
	root := NewRootCmd()
	start, _, err := root.Find([]string{"start"})
	if err != nil {
		t.Fatal(err)
	}
	var cfg facade.Config
	start.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err = facadeConfig(server.GetServerContextFromCmd(cmd))
		return err
	}
	root.SetArgs(append([]string{"start", "--home", home}, args...))
	if err := svrcmd.Execute(root, EnvPrefix, home); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// app.toml's [facade] addresses reach the start flags before the seed's
// variables are applied; they must not count as addresses given by hand.
func TestSeedEnvBeatsAppTomlUnderStart(t *testing.T) {
	t.Setenv("RPC_HOST", "0.0.0.0")
	t.Setenv("RPC_PORT", "19580")
	t.Setenv("WS_PORT", "19581")
	t.Setenv("METRICS_PORT", "19590")
	cfg := startFacadeConfig(t)
	if cfg.RESTAddress != "0.0.0.0:19580" || cfg.WSAddress != "0.0.0.0:19581" || cfg.MetricsAddress != "127.0.0.1:19590" {
		t.Fatalf("rest %s ws %s metrics %s, want 0.0.0.0:19580, 0.0.0.0:19581, 127.0.0.1:19590",
			cfg.RESTAddress, cfg.WSAddress, cfg.MetricsAddress)
	}

	// A flag on the command line still wins.
	cfg = startFacadeConfig(t, "--facade.rest-address", "127.0.0.1:7000")
	if cfg.RESTAddress != "127.0.0.1:7000" || cfg.WSAddress != "0.0.0.0:19581" {
		t.Fatalf("with --facade.rest-address: rest %s ws %s", cfg.RESTAddress, cfg.WSAddress)
	}
}
